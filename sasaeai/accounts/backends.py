"""Django's ModelBackend, with one change: a suspended person (no active membership left, so
``is_active`` is false) who types the right password is told so, instead of being told the password
is wrong; their open sessions still end, because ``get_user`` refuses an inactive person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend


class ModelBackend(DjangoModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        # authenticate() returns the inactive person; LoginForm.confirm_login_allowed then shows its
        # "このアカウントは使えません" message. Only after the right password, so nothing leaks.
        return True

    def get_user(self, user_id: Any) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
