"""Writes to a person's own account and its sign-in security, each audited.

An account belongs to no one council, so an entry about it is written in every council the person
is a member of (the history of each council shows it); an admin's action is written in the admin's
council. A person with no membership leaves no entry (there is no council history to write it in).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.core.audit import log_action
from sasaeai.core.models import Council

from ..models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

EMAIL_CHANGE_SALT = "sasaeai.accounts.email_change"


def _log_for_account(
    user: User,
    *,
    actor: User | AnonymousUser | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    council: Council | None = None,
) -> None:
    councils = [council] if council is not None else list(Council.objects.filter(memberships__user=user).distinct())
    for target in councils:
        log_action(
            council=target,
            actor=actor,
            action=action,
            target_label=user.get_username(),
            before=before,
            after=after,
            obj=user,
        )


def base_url() -> str:
    return str(settings.SASAEAI_BASE_URL).rstrip("/")


@transaction.atomic
def account_update(*, user: User, display_name: str) -> User:
    """Change the name shown for the person (表示名)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    before = user.display_name
    user.display_name = display_name.strip()
    user.full_clean(exclude=["password"])
    if user.display_name != before:
        user.save(update_fields=["display_name"])
        _log_for_account(
            user, actor=user, action="account.update", before={"表示名": before}, after={"表示名": user.display_name}
        )
    return user


@transaction.atomic
def account_password_set(*, user: User, password: str, by_email_link: bool = False) -> User:
    """A new password (already validated by the form), changed on the account page or reset by e-mail.

    The password hash is part of the session hash, so every other session of the person ends."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    via = _("メールのリンクで再設定") if by_email_link else _("アカウントのページで変更")
    _log_for_account(user, actor=user, action="account.password", after={"方法": via})
    if by_email_link:  # whoever can read the account's e-mail may sign in again at once
        account_lockout_clear(user=user)
    return user


def _email_taken(email: str, user: User) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()


def _email_change_hash(user: User) -> str:
    """Ties a link to the account's current and pending addresses: a later request or a change spends it."""
    return salted_hmac(EMAIL_CHANGE_SALT, f"{user.pk}:{user.email}:{user.pending_email}").hexdigest()[:32]


def email_change_token(user: User) -> str:
    """A signed token naming only the account and a hash (the new address stays on the server, expires by max_age)."""
    return signing.dumps({"u": user.pk, "h": _email_change_hash(user)}, salt=EMAIL_CHANGE_SALT)


@transaction.atomic
def account_email_change_request(*, user: User, email: str) -> None:
    """Keep ``email`` as the pending address and send a confirmation link to it; the address changes only
    when the link is opened (a newer request replaces the pending address and spends earlier links)."""
    email = email.strip()
    if email.lower() == (user.email or "").lower():
        raise ValidationError({"email": _("今のメールアドレスと同じです。")})
    if _email_taken(email, user):
        raise ValidationError(
            {"email": _("このメールアドレスは別のアカウントで使われています。別のアドレスを入力してください。")}
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    user.pending_email = email
    user.save(update_fields=["pending_email"])
    token = email_change_token(user)
    link = base_url() + reverse("accounts:email_confirm", kwargs={"token": token})
    hours = max(1, settings.SASAEAI_EMAIL_CHANGE_SECONDS // 3600)
    body = render_to_string("accounts/email/email_change.txt", {"user": user, "link": link, "hours": hours})
    subject = _("【ささえあい】メールアドレス変更の確認")
    EmailMessage(subject=subject, body=body, to=[email]).send()


def _email_change_new_address(user: User, token: str) -> str:
    """The new address a confirmation link names, if it is valid for ``user`` now; ValidationError otherwise."""
    invalid = _(
        "このリンクは使えません。期限が切れたか、すでに使われたか、別のアカウントのものです。もう一度やり直してください。"
    )
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.SASAEAI_EMAIL_CHANGE_SECONDS)
    except signing.SignatureExpired:
        raise ValidationError(
            _("このリンクは期限が切れています。アカウントのページからもう一度変更してください。")
        ) from None
    except signing.BadSignature:
        raise ValidationError(invalid) from None
    if (
        not isinstance(data, dict)
        or data.get("u") != user.pk
        or not user.pending_email
        or not constant_time_compare(str(data.get("h", "")), _email_change_hash(user))
    ):
        raise ValidationError(invalid)
    new = user.pending_email
    if _email_taken(new, user):
        raise ValidationError(_("このメールアドレスは別のアカウントで使われています。別のアドレスを入力してください。"))
    return new


def email_change_pending(*, user: User, token: str) -> str:
    """What the confirmation page shows: the address the link will switch to (ValidationError if it cannot)."""
    return _email_change_new_address(user, token)


@transaction.atomic
def account_email_change_confirm(*, user: User, token: str) -> User:
    """Apply a confirmation link: wrong, expired, reused or another person's links change nothing.

    The old address (if any) is told of the change, so a person whose account was taken over learns it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    new = _email_change_new_address(user, token)
    before = user.email
    user.email = new
    user.pending_email = ""
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email", "pending_email"])
    _log_for_account(
        user, actor=user, action="account.email", before={"メールアドレス": before}, after={"メールアドレス": new}
    )
    if before:
        body = render_to_string("accounts/email/email_changed_notice.txt", {"user": user, "old": before, "new": new})
        message = EmailMessage(subject=_("【ささえあい】メールアドレスが変更されました"), body=body, to=[before])
        transaction.on_commit(message.send)
    return user


@transaction.atomic
def account_sign_out_everywhere(*, user: User) -> None:
    """End every session of the person (the session hash includes the generation raised here)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    _log_for_account(user, actor=user, action="account.sign_out_everywhere")


def account_lockout_clear(*, user: User) -> int:
    """Forget the failed sign-ins recorded for the account (not for addresses)."""
    from axes.utils import reset

    return int(reset(username=user.get_username()))


@transaction.atomic
def account_unlock(*, actor: User, user: User, council: Council | None = None) -> int:
    """An admin lifts a lock-out of ``user`` (the caller checks the admin's permission there)."""
    count = account_lockout_clear(user=user)
    _log_for_account(user, actor=actor, action="account.unlock", after={"削除した失敗の記録": count}, council=council)
    return count


# --- Two-step sign-in (TOTP) ---


def two_factor_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


@transaction.atomic
def two_factor_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator key (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("認証アプリ"), confirmed=False)


# Wrong codes allowed in a row before a wait (django-otp's own back-off is off: OTP_TOTP_THROTTLE_FACTOR = 0).
FREE_WRONG_CODES = 3
MAX_CODE_WAIT_SECONDS = 15 * 60


def _code_wait_seconds(device: TOTPDevice) -> int:
    """Seconds still to wait before another code may be tried: none for the first few mistakes, then 2, 4, 8 …"""
    extra: int = device.throttling_failure_count - FREE_WRONG_CODES
    if extra < 0 or device.throttling_failure_timestamp is None:
        return 0
    wait: int = min(2 ** (extra + 1), MAX_CODE_WAIT_SECONDS)
    waited: float = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    return max(0, math.ceil(wait - waited))


def _is_replay(device: TOTPDevice, code: str) -> bool:
    """True if ``code`` is right for the current time but was refused because it was used already."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return bool(totp.verify(int(code), device.tolerance)) and totp.t() <= device.last_t


def _check_code(device: TOTPDevice, token: str) -> None:
    wait = _code_wait_seconds(device)
    if wait:
        raise ValidationError(
            {
                "token": _(
                    "確認コードを%(count)d回続けて間違えたため、%(seconds)d秒ほど待ってからもう一度入力してください。"
                )
                % {"count": device.throttling_failure_count, "seconds": wait}
            }
        )
    code = (token or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationError(
            {"token": _("確認コードは6桁の数字です。認証アプリに今表示されている数字を入力してください。")}
        )
    count, at = device.throttling_failure_count, device.throttling_failure_timestamp
    if device.verify_token(code):
        return
    if _is_replay(device, code):  # the right code, typed again: not counted as a mistake
        device.throttling_failure_count, device.throttling_failure_timestamp = count, at
        device.save(update_fields=["throttling_failure_count", "throttling_failure_timestamp"])
        raise ValidationError({"token": _("このコードはもう使われました。次のコードが表示されるまでお待ちください。")})
    raise ValidationError(
        {"token": _("確認コードが違います。認証アプリに今表示されている6桁の数字を入力してください。")}
    )


def two_factor_confirm(*, user: User, token: str) -> TOTPDevice:
    """Turn two-step sign-in on once the person typed a code from the new key."""
    device = two_factor_device(user, confirmed=False)
    if device is None:
        raise ValidationError(_("設定を始めてから確認コードを入力してください。"))
    _check_code(device, token)  # outside the transaction: a failure is counted (throttled) even so
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _log_for_account(user, actor=user, action="account.two_factor", after={"2段階認証": "オン"})
    return device


def two_factor_verify(*, user: User, token: str) -> TOTPDevice:
    """The confirmed device, if ``token`` is a valid code for it; ValidationError otherwise."""
    device = two_factor_device(user)
    if device is None:
        raise ValidationError(_("2段階認証が設定されていません。"))
    _check_code(device, token)
    return device


def two_factor_disable(*, user: User, token: str) -> None:
    """Turn two-step sign-in off (with a current code); refused where the council requires it."""
    from ..selectors import two_factor_required

    if two_factor_required(user):
        raise ValidationError(_("所属する社協の設定により、社協管理者は2段階認証をやめられません。"))
    two_factor_verify(user=user, token=token)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        _log_for_account(user, actor=user, action="account.two_factor", after={"2段階認証": "オフ"})


@transaction.atomic
def two_factor_reset(*, actor: User, user: User, council: Council) -> None:
    """An admin removes a member's two-step setting (lost phone); the member sets it up again."""
    TOTPDevice.objects.filter(user=user).delete()
    _log_for_account(user, actor=actor, action="account.two_factor_reset", council=council)
