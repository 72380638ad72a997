"""Optimistic concurrency: a form carries the version it was opened with; saving checks it."""

from typing import Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class Versioned(Protocol):
    """A model with an edit counter (``version``) bumped by every save of a service."""

    version: int


class ConcurrentEditError(ValidationError):
    """Someone saved the same object after this form was opened."""


def check_version(obj: Versioned, expected_version: int | str | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise ConcurrentEditError(
            _(
                "この画面を開いた後に、他の人がこの内容を更新しました。"
                "入力内容は保存していません。画面を開き直して最新の内容を確認してから、もう一度編集してください。"
            )
        )
