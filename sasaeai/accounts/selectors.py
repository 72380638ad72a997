"""Who may see which council, and with which role.

A membership in a council applies to that council and to every council below it (a 市社協
admin sees its 区社協). Councils are few per installation, so the tree is read in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import AuditEntry, Council

from .permissions import role_has

if TYPE_CHECKING:
    from .models import Invitation, Membership, User

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
    # A suspended membership grants nothing (a membership above it still applies).
    direct = dict(user.memberships.filter(suspended_at__isnull=True).values_list("council_id", "role"))
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
        User.objects.filter(memberships__council_id__in=ids, memberships__suspended_at__isnull=True, is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )


# --- Members (issue 10): who belongs to a council tree, and invitations ---------------------------


def roles_cache_clear(user: AnyUser) -> None:
    """Forget the per-request roles of ``user`` (after a council or membership was added)."""
    if hasattr(user, "_sasaeai_roles"):
        del user._sasaeai_roles


def council_subtree_ids(council_id: int) -> list[int]:
    """``council_id`` and every council below it, in breadth-first order (one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in _council_parents().items():
        children.setdefault(parent, []).append(pk)
    result: list[int] = []
    queue = [council_id]
    while queue:
        node = queue.pop(0)
        if node in result:  # guards against a cycle in bad data
            continue
        result.append(node)
        queue.extend(sorted(children.get(node, [])))
    return result


@dataclass(frozen=True)
class MemberRow:
    """One line of a council's member list: a membership, or an invitation not yet accepted."""

    status: str  # "active" | "suspended" | "invited"
    name: str
    username: str
    email: str
    council: Council
    role_label: str
    last_login: datetime | None
    membership: Membership | None = None
    invitation: Invitation | None = None
    expired: bool = False

    @property
    def status_label(self) -> str:
        return str(MEMBER_STATUS_LABELS[self.status])


MEMBER_STATUS_LABELS = {"active": _("有効"), "suspended": _("停止中"), "invited": _("招待中")}


def members_for_council(council: Council) -> list[MemberRow]:
    """The people of ``council`` and of every council below it, and the invitations still open (3 queries)."""
    from .models import Invitation, Membership, Role

    ids = council_subtree_ids(council.pk)
    memberships = (
        Membership.objects.filter(council_id__in=ids)
        .select_related("user", "council")
        .order_by("suspended_at", "user__display_name", "user__username", "council__name")
    )
    rows = [
        MemberRow(
            status="suspended" if m.suspended_at else "active",
            name=str(m.user),
            username=m.user.get_username(),
            email=m.user.email,
            council=m.council,
            role_label=str(Role(m.role).label),
            last_login=m.user.last_login,
            membership=m,
        )
        for m in memberships
    ]
    now = timezone.now()
    invitations = Invitation.objects.filter(
        council_id__in=ids, accepted_at__isnull=True, revoked_at__isnull=True, purpose=Invitation.Purpose.INVITE
    ).select_related("council")
    rows += [
        MemberRow(
            status="invited",
            name=inv.display_name or inv.email or inv.username,
            username=inv.username,
            email=inv.email,
            council=inv.council,
            role_label=str(Role(inv.role).label),
            last_login=None,
            invitation=inv,
            expired=inv.expires_at <= now,
        )
        for inv in invitations
    ]
    order = {"active": 0, "invited": 1, "suspended": 2}
    return sorted(rows, key=lambda r: order[r.status])


def managed_councils(user: AnyUser, council: Council, permission: str = "members.manage") -> list[Council]:
    """``council`` and the councils below it where ``user`` holds ``permission`` (an invitation's choices)."""
    ids = [pk for pk in council_subtree_ids(council.pk) if user_can(user, permission, pk)]
    by_pk = Council.objects.in_bulk(ids)
    return [by_pk[pk] for pk in ids if pk in by_pk]


def membership_get_for_manager(user: AnyUser, council: Council, membership_id: int | str) -> Membership:
    """A membership of ``council`` or a council below it where ``user`` manages members (a different, nearer
    membership of their own below may take that away); the same 404 for a missing or foreign one."""
    from .models import Membership

    try:
        pk = int(membership_id)
    except (TypeError, ValueError):
        raise Http404 from None
    membership = (
        Membership.objects.filter(pk=pk, council_id__in=council_subtree_ids(council.pk))
        .select_related("user", "council", "suspended_by")
        .first()
    )
    if membership is None or not user_can(user, "members.manage", membership.council_id):
        raise Http404
    return membership


def invitation_get_for_manager(user: AnyUser, council_id: int | str, invitation_id: int | str) -> Invitation:
    """An invitation of the council (or one below it) for someone who may manage its members there, or
    for an operator (superuser, who creates top-level councils); the same 404 otherwise."""
    from .models import Invitation

    try:
        council_pk, pk = int(council_id), int(invitation_id)
    except (TypeError, ValueError):
        raise Http404 from None
    operator = getattr(user, "is_superuser", False) and user.is_authenticated
    if not operator and not user_can(user, "members.manage", council_pk):
        raise Http404
    invitation = (
        Invitation.objects.filter(pk=pk, council_id__in=council_subtree_ids(council_pk))
        .select_related("council", "user", "created_by")
        .first()
    )
    if invitation is None or not (operator or user_can(user, "members.manage", invitation.council_id)):
        raise Http404
    return invitation


def invitation_by_token(raw: str) -> Invitation | None:
    """The invitation a link or typed code belongs to, whatever its state (or ``None``)."""
    from .models import Invitation
    from .tokens import token_hash

    if not raw or len(raw) > 100:
        return None
    return Invitation.objects.filter(token_hash=token_hash(raw)).select_related("council", "user").first()


def member_history(council: Council, limit: int = 20) -> list[AuditEntry]:
    """The latest changes to the people of ``council`` and the councils below it."""
    actions = ["member.invite", "member.reissue", "member.revoke", "member.join", "member.role"]
    actions += ["member.suspend", "member.restore", "council.create"]
    return list(
        AuditEntry.objects.filter(council_id__in=council_subtree_ids(council.pk), action__in=actions)
        .select_related("council", "actor")
        .order_by("-created_at", "-pk")[:limit]
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
    """Whether the person is a 社協管理者 of a council that requires two-step sign-in of its admins, directly
    or through a council above it (a 市社協 admin is an admin of its 区社協 too)."""
    from .models import Role

    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    admin_of = [council_id for council_id, role in roles_by_council(user).items() if role == Role.ADMIN]
    return bool(admin_of) and Council.objects.filter(pk__in=admin_of, require_admin_two_factor=True).exists()


def council_member_get(council: Council, user_id: int | str) -> User:
    """A person with a membership in ``council`` or a council below it; the same 404 for anyone else."""
    from .models import User

    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Http404 from None
    below = council_subtree_ids(council.pk)
    user = User.objects.filter(pk=pk, memberships__council_id__in=below).distinct().first()
    if user is None:
        raise Http404
    return user


def security_covers_all_memberships(actor: AnyUser, member: User) -> bool:
    """Whether ``actor`` holds ``accounts.security`` in every council ``member`` belongs to.

    Resetting someone's two-step sign-in weakens their whole account, in every council; an admin of one
    council must not do that to a person who is also, say, an admin of another council."""
    council_ids = member.memberships.filter(suspended_at__isnull=True).values_list("council_id", flat=True)
    return all(user_can(actor, "accounts.security", council_id) for council_id in council_ids)
