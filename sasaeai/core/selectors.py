from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sasaeai.accounts.models import Role
from sasaeai.accounts.permissions import role_has
from sasaeai.accounts.selectors import roles_by_council

from .models import Branch, Council

if TYPE_CHECKING:
    from sasaeai.accounts.selectors import AnyUser


@dataclass(frozen=True)
class CouncilTreeRow:
    """One council of a user's tree: its depth below the top council shown, and the user's role."""

    council: Council
    depth: int
    role: str

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def council_tree_for_user(user: AnyUser) -> list[CouncilTreeRow]:
    """The councils a user can see, in tree order, with their role."""
    roles = roles_by_council(user)
    councils = list(Council.objects.filter(pk__in=list(roles)).order_by("name"))
    ids = {c.pk for c in councils}
    children: defaultdict[int | None, list[Council]] = defaultdict(list)
    for council in councils:
        children[council.parent_id if council.parent_id in ids else None].append(council)
    rows: list[CouncilTreeRow] = []

    def visit(parent_id: int | None, depth: int) -> None:
        for council in children[parent_id]:
            rows.append(CouncilTreeRow(council, depth, roles[council.pk]))
            visit(council.pk, depth + 1)

    visit(None, 0)
    return rows


def council_branches(council: Council) -> list[Branch]:
    return list(Branch.objects.filter(council=council).order_by("position", "pk"))


def council_parent_for(user: AnyUser, council: Council) -> tuple[Council | None, bool]:
    """The council above ``council`` and whether ``user`` may open its page (``plans.view`` there)."""
    if council.parent_id is None:
        return None, False
    parent = Council.objects.filter(pk=council.parent_id).first()
    if parent is None:
        return None, False
    role = roles_by_council(user).get(parent.pk)
    return parent, role is not None and role_has(role, "plans.view")


def council_children(council: Council) -> list[Council]:
    return list(Council.objects.filter(parent=council).order_by("name"))
