"""Writes to people: invitations (e-mail or sign-in sheet), joining, roles, suspension, and new councils
with their first admin. Each write is one transaction with one audit entry (before → after, Japanese keys).
"""

from __future__ import annotations

import secrets
import smtplib
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.core.audit import log_action
from sasaeai.core.models import Council
from sasaeai.core.permissions import COUNCILS_CREATE
from sasaeai.core.services import council_create

from .. import tokens
from ..models import Invitation, Membership, Role, User
from ..permissions import MEMBERS_MANAGE, ROLE_PERMISSIONS, grantable_roles
from ..selectors import role_for, roles_cache_clear, user_can

STATUS_ACTIVE = "有効"
STATUS_SUSPENDED = "停止中"


class IssuedInvitation(NamedTuple):
    """An invitation with its token: the only moment the token is known (only its hash is stored)."""

    invitation: Invitation
    token: str
    url: str


def invitation_days() -> int:
    return int(getattr(settings, "SASAEAI_INVITATION_DAYS", 7))


def invitation_url(token: str) -> str:
    return settings.SASAEAI_BASE_URL.rstrip("/") + reverse("invitation_accept", args=[token])


def _check_may_grant(by: User | None, council: Council, role: str) -> None:
    """``by`` may give ``role`` in ``council`` (``None`` is a command run by the operator)."""
    if role not in Role.values:
        raise ValidationError({"role": _("役割を一覧から選んでください。")})
    if by is None or by.is_superuser:
        return
    held = role_for(by, council.pk)
    perms = ROLE_PERMISSIONS.get(held, frozenset()) if held else frozenset()
    if role not in grantable_roles(perms):
        raise ValidationError({"role": _("この社協でこの役割を与える権限がありません。")})


def _role_label(role: str) -> str:
    return str(Role(role).label)


def _new_token(delivery: str) -> str:
    length = tokens.SHEET_CODE_LENGTH if delivery == Invitation.Delivery.SHEET else tokens.EMAIL_TOKEN_LENGTH
    return tokens.new_token(length)


def _username_taken(username: str, *, exclude_invitation: int | None = None) -> bool:
    if User.objects.filter(username__iexact=username).exists():
        return True
    open_ones = Invitation.objects.filter(
        username__iexact=username, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if exclude_invitation is not None:
        open_ones = open_ones.exclude(pk=exclude_invitation)
    return open_ones.exists()


def check_username(username: str, *, exclude_invitation: int | None = None) -> None:
    """A user name a new account may take: Django's characters (letters of any script, digits, @ . + - _),
    at most 150, not used by an account or an open invitation. Raises ``ValidationError({"username": ...})``."""
    if not username:
        raise ValidationError({"username": _("ユーザー名を入力してください。")})
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise ValidationError(
            {"username": _("ユーザー名に使えるのは、文字・数字と @ . + - _ だけです（空白は使えません）。")}
        ) from None
    if len(username) > 150:
        raise ValidationError({"username": _("ユーザー名は150文字以内にしてください。")})
    if _username_taken(username, exclude_invitation=exclude_invitation):
        raise ValidationError({"username": _("ユーザー名「%(name)s」はすでに使われています。") % {"name": username}})


def _free_username() -> str:
    """A user name for someone on a sign-in sheet: short, and easy to read out (``m`` + 6 digits)."""
    while True:
        candidate = "m" + "".join(secrets.choice("23456789") for _ in range(6))
        if not _username_taken(candidate):
            return candidate


def _send_invitation_mail(invitation: Invitation, token: str) -> None:
    expires = timezone.localtime(invitation.expires_at)
    lines = [
        _("%(name)s 様")
        % {"name": str(invitation.user) if invitation.user else invitation.display_name or invitation.email},
        "",
        _("%(council)s の「ささえあい」（地域福祉活動計画のシステム）に、%(role)sとして招待されました。")
        % {"council": invitation.council.name, "role": invitation.get_role_display()},
        "",
    ]
    if invitation.user_id is not None and invitation.user is not None:
        lines += [
            _("すでにお持ちのアカウント（ユーザー名 %(username)s）でログインしてから、次のリンクを開いてください。")
            % {"username": invitation.user.get_username()},
        ]
    else:
        lines += [_("次のリンクを開き、ユーザー名とご自分のパスワードを決めてください。")]
    lines += [
        invitation_url(token),
        "",
        _("このリンクは %(date)s まで、一度だけ使えます。") % {"date": expires.strftime("%Y年%m月%d日 %H:%M")},
        _("心当たりのない場合は、このメールを破棄してください。"),
        "",
        _("ささえあい"),
    ]
    subject = _("「ささえあい」への招待（%(council)s）") % {"council": invitation.council.name}
    try:
        send_mail(subject, "\n".join(lines), None, [invitation.email])
    except (smtplib.SMTPException, OSError):
        raise ValidationError(
            _("招待のメールを送れませんでした。時間をおいてもう一度お試しください。招待は保存していません。")
        ) from None


def _invitation_snapshot(invitation: Invitation) -> dict[str, str]:
    snapshot = {
        "社協": invitation.council.name,
        "役割": invitation.get_role_display(),
        "渡し方": invitation.get_delivery_display(),
        "氏名": invitation.display_name,
        "メールアドレス": invitation.email,
        "ユーザー名": invitation.username,
        "有効期限": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
    }
    return {k: v for k, v in snapshot.items() if v}


def _label(invitation: Invitation) -> str:
    return invitation.display_name or invitation.email or invitation.username


@transaction.atomic
def invitation_create(
    *,
    council: Council,
    role: str,
    by: User | None,
    delivery: str = Invitation.Delivery.EMAIL,
    email: str = "",
    display_name: str = "",
    username: str = "",
) -> IssuedInvitation:
    """Invite someone to ``council`` with ``role``: by e-mail (sent now) or on a sign-in sheet."""
    _check_may_grant(by, council, role)
    email, display_name, username = email.strip(), display_name.strip(), username.strip()
    existing: User | None = None
    if delivery == Invitation.Delivery.EMAIL:
        if not email:
            raise ValidationError({"email": _("メールアドレスを入力してください。")})
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": _("メールアドレスの形が正しくありません。")}) from None
        existing = User.objects.filter(email__iexact=email).order_by("pk").first()
        if existing is not None and Membership.objects.filter(user=existing, council=council).exists():
            raise ValidationError(
                {
                    "email": _("%(email)s の方は、すでに %(council)s のメンバーです。")
                    % {"email": email, "council": council}
                }
            )
        if Invitation.objects.filter(
            council=council, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).exists():
            raise ValidationError(
                {"email": _("%(email)s の方はすでに招待中です。一覧から招待を送り直せます。") % {"email": email}}
            )
        username = ""
        if existing is not None:
            # The account's own name, not what the inviter typed: the e-mail is addressed to that person.
            display_name = str(existing)
    elif delivery == Invitation.Delivery.SHEET:
        if not display_name:
            raise ValidationError({"display_name": _("ログイン用紙に印刷する氏名を入力してください。")})
        username = username or _free_username()
        check_username(username)
    else:
        raise ValidationError(_("招待の方法を選んでください。"))
    token = _new_token(delivery)
    invitation = Invitation(
        council=council,
        role=role,
        delivery=delivery,
        email=email,
        display_name=display_name,
        username=username,
        token_hash=tokens.token_hash(token),
        expires_at=timezone.now() + timedelta(days=invitation_days()),
        created_by=by,
        user=existing,
    )
    invitation.full_clean()
    invitation.save()
    log_action(
        council=council,
        actor=by,
        action="member.invite",
        target_label=_label(invitation),
        after=_invitation_snapshot(invitation),
        obj=invitation,
    )
    if delivery == Invitation.Delivery.EMAIL:
        _send_invitation_mail(invitation, token)
    return IssuedInvitation(invitation, token, invitation_url(token))


def _lock_open(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError(_("この招待はすでに使われています。"))
    if locked.revoked_at is not None:
        raise ValidationError(_("この招待は取り消されています。"))
    return locked


@transaction.atomic
def invitation_reissue(*, invitation: Invitation, by: User | None) -> IssuedInvitation:
    """A new link or sheet for an open invitation, valid for the full period again; the old one dies."""
    locked = _lock_open(invitation)
    if locked.purpose == Invitation.Purpose.RESET:
        membership = Membership.objects.filter(user=locked.user, council_id=locked.council_id).first()
        refusal = _reset_refusal(membership) if membership is not None else _("この社協の所属がありません。")
        if refusal:
            raise ValidationError(refusal)
    before = {"有効期限": timezone.localtime(locked.expires_at).strftime("%Y-%m-%d %H:%M")}
    token = _new_token(locked.delivery)
    locked.token_hash = tokens.token_hash(token)
    locked.expires_at = timezone.now() + timedelta(days=invitation_days())
    locked.save(update_fields=["token_hash", "expires_at"])
    log_action(
        council=locked.council,
        actor=by,
        action="member.reissue",
        target_label=_label(locked),
        before={**before, "リンク・用紙": "以前のもの"},
        after={
            "有効期限": timezone.localtime(locked.expires_at).strftime("%Y-%m-%d %H:%M"),
            "リンク・用紙": "新しく発行（以前のものは無効）",
        },
        obj=locked,
    )
    if locked.delivery == Invitation.Delivery.EMAIL:
        _send_invitation_mail(locked, token)
    return IssuedInvitation(locked, token, invitation_url(token))


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User | None) -> Invitation:
    locked = _lock_open(invitation)
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    log_action(
        council=locked.council,
        actor=by,
        action="member.revoke",
        target_label=_label(locked),
        before={"状態": "招待中"},
        after={"状態": "取り消し"},
        obj=locked,
    )
    return locked


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why an invitation cannot be used now, in Japanese; ``None`` when it can."""
    if invitation is None:
        return _(
            "この招待のリンク（コード）は正しくありません。最後まで正しく開いたか確かめるか、"
            "社協に新しい招待を依頼してください。"
        )
    if invitation.accepted_at is not None:
        return _("この招待はすでに使われています。決めたユーザー名とパスワードでログインしてください。")
    if invitation.revoked_at is not None:
        return _("この招待は取り消されています。社協にお問い合わせください。")
    if invitation.expires_at <= timezone.now():
        return _("この招待の有効期限（%(date)s）が過ぎています。社協に新しい招待を依頼してください。") % {
            "date": timezone.localtime(invitation.expires_at).strftime("%Y年%m月%d日 %H:%M")
        }
    return None


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None,
    username: str = "",
    display_name: str = "",
    password: str = "",
) -> User:
    """Join the invitation's council. For an existing account ``user`` must be that account (signed in);
    otherwise a new account is made with the chosen user name and password (Django's validators apply)."""
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("council").get(pk=invitation.pk)
    problem = invitation_problem(locked)
    if problem:
        raise ValidationError(problem)
    if locked.purpose == Invitation.Purpose.RESET:
        raise ValidationError(_("この用紙はパスワードを決め直すためのものです。"))
    if locked.user_id is not None:
        if user is None or user.pk != locked.user_id:
            raise ValidationError(
                _("この招待は別のアカウント宛てです。招待されたアカウントでログインしてから開いてください。")
            )
        member = user
        if Membership.objects.filter(user=member, council=locked.council).exists():
            raise ValidationError(_("すでに %(council)s のメンバーです。") % {"council": locked.council})
    else:
        display_name = display_name.strip() or locked.display_name
        if not display_name:
            raise ValidationError({"display_name": _("氏名を入力してください。")})
        username = locked.username or username.strip()
        check_username(username, exclude_invitation=locked.pk)
        member = User(username=username, email=locked.email, display_name=display_name)
        try:
            password_validation.validate_password(password, member)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from None
        member.set_password(password)
        member.full_clean(exclude=["password"])
        member.save()
    Membership.objects.create(user=member, council=locked.council, role=locked.role)
    locked.accepted_at = timezone.now()
    locked.user = member
    locked.save(update_fields=["accepted_at", "user"])
    roles_cache_clear(member)
    log_action(
        council=locked.council,
        actor=member,
        action="member.join",
        target_label=str(member),
        after={"氏名": str(member), "ユーザー名": member.get_username(), "役割": locked.get_role_display()},
        obj=locked,
    )
    return member


# --- A new sign-in sheet for a member who forgot their password -----------------------------------


def _reset_refusal(membership: Membership) -> str | None:
    """Why a reset sheet cannot be issued or used for ``membership`` (Japanese), or ``None``."""
    if membership.suspended_at is not None or not membership.user.is_active:
        return _(
            "%(name)s さんの利用は停止しているので、ログイン用紙は発行できません（使えません）。"
            "先に利用を再開してください。"
        ) % {"name": membership.user}
    return None


@transaction.atomic
def reset_sheet_issue(*, membership: Membership, by: User) -> IssuedInvitation:
    """A new sign-in sheet for an existing member (no e-mail needed): its code lets them set a new password
    without signing in. Earlier reset sheets of that person stop working."""
    locked = _lock_membership(membership)
    _check_may_manage(by, locked)
    refusal = _reset_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    person = locked.user
    now = timezone.now()
    revoked = Invitation.objects.filter(
        user=person, purpose=Invitation.Purpose.RESET, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = _new_token(Invitation.Delivery.SHEET)
    invitation = Invitation(
        council=locked.council,
        role=locked.role,
        delivery=Invitation.Delivery.SHEET,
        purpose=Invitation.Purpose.RESET,
        display_name=str(person),
        username=person.get_username(),
        token_hash=tokens.token_hash(token),
        expires_at=now + timedelta(days=invitation_days()),
        created_by=by,
        user=person,
    )
    invitation.full_clean()
    invitation.save()
    log_action(
        council=locked.council,
        actor=by,
        action="member.reset_sheet",
        target_label=str(person),
        before={"以前の再設定用紙": "無効にした" if revoked else "なし"},
        after={
            "ログイン用紙": "パスワード再設定用を発行",
            "ユーザー名": person.get_username(),
            "有効期限": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
        },
        obj=invitation,
    )
    return IssuedInvitation(invitation, token, invitation_url(token))


@transaction.atomic
def reset_sheet_accept(*, invitation: Invitation, password: str) -> User:
    """The person of a reset sheet sets a new password (Django's validators apply). The changed password
    ends their other sessions, and their sign-in lock-out is cleared."""
    from .account import account_lockout_clear

    locked = Invitation.objects.select_for_update(of=("self",)).select_related("council", "user").get(pk=invitation.pk)
    problem = invitation_problem(locked)
    if problem:
        raise ValidationError(problem)
    if locked.purpose != Invitation.Purpose.RESET or locked.user is None:
        raise ValidationError(_("この用紙ではパスワードを決め直せません。"))
    person = locked.user
    membership = Membership.objects.filter(user=person, council=locked.council).select_related("user").first()
    if membership is None:
        raise ValidationError(
            _("この社協の所属がなくなっているため、この用紙は使えません。社協にお問い合わせください。")
        )
    refusal = _reset_refusal(membership)
    if refusal:
        raise ValidationError(refusal)
    try:
        password_validation.validate_password(password, person)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    person.set_password(password)
    person.save(update_fields=["password"])
    account_lockout_clear(user=person)
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    log_action(
        council=locked.council,
        actor=person,
        action="member.reset_password",
        target_label=str(person),
        before={"パスワード": "以前のもの"},
        after={"パスワード": "ログイン用紙で決め直した", "ほかの画面": "ログアウト", "ログインのロック": "解除"},
        obj=locked,
    )
    return person


def _last_active_admin(membership: Membership) -> bool:
    return (
        membership.role == Role.ADMIN
        and membership.suspended_at is None
        and not Membership.objects.filter(council_id=membership.council_id, role=Role.ADMIN, suspended_at__isnull=True)
        .exclude(pk=membership.pk)
        .exists()
    )


def _lock_membership(membership: Membership) -> Membership:
    return Membership.objects.select_for_update(of=("self",)).select_related("user", "council").get(pk=membership.pk)


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, by: User) -> Membership:
    locked = _lock_membership(membership)
    _check_may_grant(by, locked.council, role)
    if locked.role == role:
        return locked
    if locked.user_id == by.pk and role != Role.ADMIN and _last_active_admin(locked):
        raise ValidationError(
            _(
                "あなたは %(council)s で最後の社協管理者なので、自分の役割は変えられません。"
                "先にほかの方を社協管理者にしてください。"
            )
            % {"council": locked.council}
        )
    before = _role_label(locked.role)
    locked.role = role
    locked.full_clean()
    locked.save(update_fields=["role"])
    roles_cache_clear(locked.user)
    log_action(
        council=locked.council,
        actor=by,
        action="member.role",
        target_label=str(locked.user),
        before={"役割": before},
        after={"役割": _role_label(role)},
        obj=locked,
    )
    return locked


def _check_may_manage(by: User, membership: Membership) -> None:
    if not (by.is_superuser or user_can(by, MEMBERS_MANAGE, membership.council_id)):
        raise ValidationError(_("この社協のメンバーを管理する権限がありません。"))


@transaction.atomic
def membership_suspend(*, membership: Membership, by: User) -> Membership:
    """Stop a membership (it grants nothing); a person with no active membership left can no longer sign in,
    and their open sessions end on the next request. Nothing is deleted."""
    locked = _lock_membership(membership)
    _check_may_manage(by, locked)
    if locked.suspended_at is not None:
        raise ValidationError(_("%(name)s さんの利用はすでに停止しています。") % {"name": locked.user})
    if locked.user_id == by.pk and _last_active_admin(locked):
        raise ValidationError(
            _(
                "あなたは %(council)s で最後の社協管理者なので、自分の利用は停止できません。"
                "先にほかの方を社協管理者にしてください。"
            )
            % {"council": locked.council}
        )
    locked.suspended_at = timezone.now()
    locked.suspended_by = by
    locked.save(update_fields=["suspended_at", "suspended_by"])
    person = locked.user
    after = {"状態": STATUS_SUSPENDED}
    if (
        person.is_active
        and not person.is_superuser
        and not person.memberships.filter(suspended_at__isnull=True).exists()
    ):
        person.is_active = False
        person.save(update_fields=["is_active"])
        after["ログイン"] = "できない（有効な所属がありません）"
    roles_cache_clear(person)
    log_action(
        council=locked.council,
        actor=by,
        action="member.suspend",
        target_label=str(person),
        before={"状態": STATUS_ACTIVE},
        after=after,
        obj=locked,
    )
    return locked


@transaction.atomic
def membership_restore(*, membership: Membership, by: User) -> Membership:
    locked = _lock_membership(membership)
    _check_may_manage(by, locked)
    if locked.suspended_at is None:
        raise ValidationError(_("%(name)s さんの利用は停止していません。") % {"name": locked.user})
    locked.suspended_at = None
    locked.suspended_by = None
    locked.save(update_fields=["suspended_at", "suspended_by"])
    person = locked.user
    after = {"状態": STATUS_ACTIVE}
    if not person.is_active:
        person.is_active = True
        person.save(update_fields=["is_active"])
        after["ログイン"] = "できる"
    roles_cache_clear(person)
    log_action(
        council=locked.council,
        actor=by,
        action="member.restore",
        target_label=str(person),
        before={"状態": STATUS_SUSPENDED},
        after=after,
        obj=locked,
    )
    return locked


@transaction.atomic
def council_create_with_admin(
    *,
    name: str,
    kind: str,
    parent: Council | None,
    by: User | None,
    admin_email: str = "",
    admin_name: str = "",
    admin_username: str = "",
) -> IssuedInvitation:
    """A new council (``core.services.council_create``: set up for every app, audited) and the invitation
    of its first 社協管理者: by e-mail, or on a sign-in sheet when there is no e-mail address.

    An operator (superuser, or ``by=None`` for the command) creates any council; a council admin creates
    councils below their own (``councils.create`` on the parent)."""
    name = name.strip()
    if by is not None and not by.is_superuser and (parent is None or not user_can(by, COUNCILS_CREATE, parent.pk)):
        raise ValidationError({"parent": _("この社協の下に社協をつくる権限がありません。")})
    if not name:
        raise ValidationError({"name": _("社協の名称を入力してください。")})
    if kind not in Council.Kind.values:
        raise ValidationError({"kind": _("種別を一覧から選んでください。")})
    if Council.objects.filter(name=name).exists():
        raise ValidationError({"name": _("「%(name)s」という社協はすでにあります。") % {"name": name}})
    council = council_create(name=name, kind=kind, parent=parent, by=by)
    if by is not None:
        roles_cache_clear(by)
    delivery = Invitation.Delivery.EMAIL if admin_email.strip() else Invitation.Delivery.SHEET
    try:
        return invitation_create(
            council=council,
            role=Role.ADMIN,
            by=by,
            delivery=delivery,
            email=admin_email,
            display_name=admin_name,
            username=admin_username,
        )
    except ValidationError as exc:
        # The form's fields for the first admin are named admin_*.
        if hasattr(exc, "error_dict"):
            names = {"email": "admin_email", "display_name": "admin_name", "username": "admin_username"}
            raise ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()}) from None
        raise
