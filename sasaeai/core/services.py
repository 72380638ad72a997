"""Writes to councils: contact details and branches (支部)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction

from .audit import diff, log_action
from .models import Branch, Council

if TYPE_CHECKING:
    from sasaeai.accounts.models import User

COUNCIL_FIELDS = ["postal_code", "address", "phone", "fax", "email", "url"]
BRANCH_FIELDS = ["name", "postal_code", "address", "phone", "fax", "email"]


@transaction.atomic
def council_update(*, council: Council, by: User | None, branches: Iterable[dict[str, Any]] | None = None,
                   **fields: Any) -> Council:
    """Update a council's contact details and, when given, replace its branches (in order)."""
    council = Council.objects.select_for_update().get(pk=council.pk)
    before = {f: getattr(council, f) for f in COUNCIL_FIELDS}
    for key, value in fields.items():
        if key not in COUNCIL_FIELDS:
            raise TypeError(f"council_update() got an unexpected field {key!r}")
        setattr(council, key, value)
    council.full_clean()
    council.save()
    b, a = diff(before, {f: getattr(council, f) for f in COUNCIL_FIELDS})
    if branches is not None:
        existing = list(Branch.objects.filter(council=council).order_by("position", "pk"))
        old = [{f: getattr(x, f) for f in BRANCH_FIELDS} for x in existing]
        new = [{f: row.get(f, "") for f in BRANCH_FIELDS} for row in branches]
        if old != new:
            rows = [Branch(council=council, position=i, **row) for i, row in enumerate(new)]
            for row in rows:
                row.full_clean(exclude=["council"])
            Branch.objects.filter(council=council).delete()
            Branch.objects.bulk_create(rows)
            b["branches"], a["branches"] = [x["name"] for x in old], [x["name"] for x in new]
    if a:
        log_action(council=council, actor=by, action="council.update", target_label=council.name, before=b, after=a)
    return council
