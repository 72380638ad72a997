"""Who may see which council, and with which role.

A membership in a council applies to that council and to every council below it (a 市社協
admin sees its 区社協). Councils are few per installation, so the tree is read in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from sasaeai.core.models import Council

from .permissions import role_has

if TYPE_CHECKING:
    from .models import Membership, User

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


# --- Own account and sign-in security ---


def memberships_for_user(user: User) -> QuerySet[Membership]:
    """The person's own memberships (council, role), for the account page."""
    from .models import Membership

    return Membership.objects.filter(user=user).select_related("council").order_by("council__name")


def is_locked_out(user: User) -> bool:
    """Whether sign-in is refused for the account now (failures within the cool-off reach the limit)."""
    return user.get_username() in locked_out_usernames([user.get_username()])


def locked_out_usernames(usernames: Iterable[str]) -> set[str]:
    """The bulk form of ``is_locked_out`` for a member list: which of ``usernames`` are locked (one query)."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def two_factor_required(user: AnyUser) -> bool:
    """Whether the person is a 社協管理者 of a council that requires two-step sign-in of its admins."""
    from .models import Membership, Role

    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, role=Role.ADMIN, council__require_admin_two_factor=True).exists()


def council_member_get(council: Council, user_id: int | str) -> User:
    """A person with a membership in ``council`` or a council below it; the same 404 for anyone else."""
    from .models import User

    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Http404 from None
    parents = _council_parents()
    below = {council.pk}
    changed = True
    while changed:
        changed = False
        for council_id, parent_id in parents.items():
            if parent_id in below and council_id not in below:
                below.add(council_id)
                changed = True
    user = User.objects.filter(pk=pk, memberships__council_id__in=below).distinct().first()
    if user is None:
        raise Http404
    return user
