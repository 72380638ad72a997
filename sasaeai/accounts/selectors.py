"""Who may see which council, and with which role.

A membership in a council applies to that council and to every council below it (a 市社協
admin sees its 区社協). Councils are few per installation, so the tree is read in one query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from sasaeai.core.models import Council

from .permissions import role_has

if TYPE_CHECKING:
    from .models import User

    AnyUser = User | AnonymousUser


def _council_parents() -> dict[int, int | None]:
    return dict(Council.objects.values_list("pk", "parent_id"))


def roles_by_council(user: AnyUser) -> dict[int, str]:
    """{council_id: role} for every council the user can see (nearest membership wins)."""
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return {}
    cache: dict[int, str] | None = getattr(user, "_sasaeai_roles", None)
    if cache is not None:
        return cache
    direct = dict(user.memberships.values_list("council_id", "role"))
    result: dict[int, str] = {}
    if direct:
        parents = _council_parents()
        for council_id in parents:
            node: int | None = council_id
            seen: set[int] = set()
            while node is not None and node not in seen:  # `seen` guards against a cycle in bad data
                if node in direct:
                    result[council_id] = direct[node]
                    break
                seen.add(node)
                node = parents.get(node)
    user._sasaeai_roles = result
    return result


def role_for(user: AnyUser, council_id: int) -> str | None:
    return roles_by_council(user).get(council_id)


def user_can(user: AnyUser, permission: str, council_id: int) -> bool:
    role = role_for(user, council_id)
    return role is not None and role_has(role, permission)


def council_get_for_user(user: AnyUser, council_id: int | str, permission: str = "plans.view") -> Council:
    """The council, if the user holds ``permission`` there; the same 404 otherwise."""
    try:
        pk = int(council_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user_can(user, permission, pk):
        raise Http404
    return Council.objects.get(pk=pk)


def users_for_council(council: Council) -> QuerySet[User]:
    """People who work in a council: members of it or of a council above it."""
    from .models import User

    ids: list[int] = []
    node: Council | None = council
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return (
        User.objects.filter(memberships__council_id__in=ids, is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )
