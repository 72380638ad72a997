from collections import defaultdict

from sasaeai.accounts.models import Role
from sasaeai.accounts.selectors import roles_by_council

from .models import Branch, Council


def council_tree_for_user(user):
    """The councils a user can see, as (council, depth) rows in tree order, with their role."""
    roles = roles_by_council(user)
    councils = list(Council.objects.filter(pk__in=list(roles)).order_by("name"))
    ids = {c.pk for c in councils}
    children = defaultdict(list)
    for council in councils:
        council.role = roles[council.pk]
        council.role_label = Role(council.role).label
        children[council.parent_id if council.parent_id in ids else None].append(council)
    rows = []

    def visit(parent_id, depth):
        for council in children[parent_id]:
            rows.append((council, depth))
            visit(council.pk, depth + 1)

    visit(None, 0)
    return rows


def council_branches(council):
    return list(Branch.objects.filter(council=council).order_by("position", "pk"))


def council_children(council):
    return list(Council.objects.filter(parent=council).order_by("name"))
