"""Optimistic concurrency: a form carries the version it was opened with; saving checks it.

A form opened on an object that does not exist yet carries version 0: if someone creates the
object in between, the save is refused the same way (``check_version`` against 0, or
``created_once`` when both inserts race)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _


class Versioned(Protocol):
    """A model with an edit counter (``version``) bumped by every save of a service."""

    version: int


class ConcurrentEditError(ValidationError):
    """Someone saved the same object after this form was opened."""


def conflict_error() -> ConcurrentEditError:
    return ConcurrentEditError(
        _(
            "この画面を開いた後に、他の人がこの内容を更新しました。"
            "入力内容は保存していません。画面を開き直して最新の内容を確認してから、もう一度編集してください。"
        )
    )


def check_version(obj: Versioned, expected_version: int | str | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise conflict_error()


@contextmanager
def created_once() -> Iterator[None]:
    """Wrap the INSERT of a row with a unique key: if another request inserted the same row after
    this one looked (two first saves at once), raise ``ConcurrentEditError`` instead of letting the
    IntegrityError end the request. The savepoint keeps the outer transaction usable (PostgreSQL)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise conflict_error() from None
