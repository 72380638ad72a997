from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    # Raised by "sign out everywhere": it is part of the session hash, so every session of the user ends.
    session_generation = models.PositiveIntegerField(_("セッションの世代"), default=0, editable=False)
    # An address asked for on the account page, not yet confirmed by the link sent to it (kept here, not in the link).
    pending_email = models.EmailField(_("確認待ちのメールアドレス"), blank=True, default="", editable=False)
    # Per-request cache of accounts.selectors.roles_by_council (not a database field).
    _sasaeai_roles: dict[int, str]

    def __str__(self) -> str:
        return self.display_name or self.get_username()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password, with the session generation mixed in (sign out everywhere)."""
        key_salt = "sasaeai.accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class Role(models.TextChoices):
    ADMIN = "admin", _("社協管理者")
    EDITOR = "editor", _("計画編集者")
    LEADER = "leader", _("ワーキンググループリーダー")
    REPORTER = "reporter", _("報告担当者")
    VIEWER = "viewer", _("閲覧者")
    COMMITTEE = "committee", _("評価委員")


class Membership(models.Model):
    """A user's role in a council; it also applies to the council's child councils."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    council = models.ForeignKey("core.Council", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    # A suspended membership grants nothing (accounts.selectors); it is kept, so history keeps the name.
    suspended_at = models.DateTimeField(_("利用停止日時"), null=True, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")
        constraints = [models.UniqueConstraint(fields=["user", "council"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} / {self.council} / {self.get_role_display()}"


# --- Members: suspension and invitations (issue 10) -------------------------------------------


class Invitation(models.Model):
    """An invitation to a council with a role: by e-mail (a link) or on a printed sign-in sheet (a code).

    The token is kept only as its SHA-256 hash; it works once and until ``expires_at``. Issuing it again
    replaces the hash, so the old link or sheet stops working.
    """

    class Delivery(models.TextChoices):
        EMAIL = "email", _("メール")
        SHEET = "sheet", _("ログイン用紙")

    class Purpose(models.TextChoices):
        INVITE = "invite", _("招待")
        # A new sign-in sheet for an existing member who forgot their password: opening it sets a new one.
        RESET = "reset", _("パスワードの再設定")

    council = models.ForeignKey("core.Council", on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    delivery = models.CharField(_("渡し方"), max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    purpose = models.CharField(_("目的"), max_length=10, choices=Purpose.choices, default=Purpose.INVITE)
    email = models.EmailField(_("メールアドレス"), blank=True)
    display_name = models.CharField(_("氏名"), max_length=100, blank=True)
    # The user name a person invited without an e-mail signs in with (printed on the sheet).
    username = models.CharField(_("ユーザー名"), max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("有効期限"))
    accepted_at = models.DateTimeField(_("参加日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The existing account the invitation is for (its e-mail matched), or the account made on accepting.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["council", "accepted_at", "revoked_at"], name="invitation_council_open")]

    def __str__(self) -> str:
        return f"{self.display_name or self.email or self.username} / {self.council_id} / {self.get_role_display()}"
