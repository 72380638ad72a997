from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    # Raised by "sign out everywhere": it is part of the session hash, so every session of the user ends.
    session_generation = models.PositiveIntegerField(_("セッションの世代"), default=0, editable=False)
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

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")
        constraints = [models.UniqueConstraint(fields=["user", "council"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} / {self.council} / {self.get_role_display()}"
