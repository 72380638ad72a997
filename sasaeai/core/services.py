"""Writes to councils: creating one (with what every app sets up for it), contact details and branches (支部)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction

from .audit import diff, log_action
from .models import Branch, Council

if TYPE_CHECKING:
    from sasaeai.accounts.models import User

COUNCIL_FIELDS = ["postal_code", "address", "phone", "fax", "email", "url", "require_admin_two_factor"]
BRANCH_FIELDS = ["name", "postal_code", "address", "phone", "fax", "email"]

# What each app sets up for a new council (evaluation: its scale and directions), registered in the
# apps' ready(). Run when a council is created, never when a page is read.
_COUNCIL_SETUP: list[Callable[[Council], object]] = []


def council_setup_register(setup: Callable[[Council], object]) -> None:
    if setup not in _COUNCIL_SETUP:
        _COUNCIL_SETUP.append(setup)


def council_setup(council: Council) -> None:
    """Give ``council`` what every app needs of it; does nothing to what is already there."""
    for setup in _COUNCIL_SETUP:
        setup(council)


@transaction.atomic
def council_create(
    *, name: str, kind: str = "municipal", parent: Council | None = None, by: User | None = None, **fields: str
) -> Council:
    """A new council, set up for every app, audited."""
    council = Council(name=name, kind=kind, parent=parent)
    for key, value in fields.items():
        if key not in COUNCIL_FIELDS:
            raise TypeError(f"council_create() got an unexpected field {key!r}")
        setattr(council, key, value)
    council.full_clean()
    council.save()
    council_setup(council)
    log_action(
        council=council,
        actor=by,
        action="council.create",
        target_label=council.name,
        # Keys are what the history page shows: Japanese, as people read them.
        after={
            "名称": council.name,
            "種別": council.get_kind_display(),
            **({"上位の社協": parent.name} if parent else {}),
        },
    )
    return council


@transaction.atomic
def council_update(
    *, council: Council, by: User | None, branches: Iterable[dict[str, Any]] | None = None, **fields: Any
) -> Council:
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
