"""Per-client rate limits of residents' submissions (public comments, online survey answers).

Each kind has its own budget (``ClientGate.Scope``): comments are counted over every comment period
(``SASAEAI_COMMENT_RATE_LIMITS``), online answers over every survey (``SASAEAI_SURVEY_RATE_LIMIT`` /
``_WINDOW``), and one never uses up the other.

The check and the insert are atomic per client: ``gate(scope, client)`` is the first statement of the
submission's transaction and writes the client's ``ClientGate`` row. The write holds the row's lock
until the transaction ends (PostgreSQL), or the database's single write lock (SQLite), so a second
submission from the same client — to the same period or another one — waits, then counts the first
one. The gate is taken before any other row is locked (the period, the questionnaire), so submissions
never wait on each other in opposite orders.

SQLite answers "database is locked" instead of waiting in a few cases (a connection that read before
it wrote, the shared in-memory database of the tests): ``retry_when_locked`` runs the whole
transaction again, for at most ``LOCK_WAIT_SECONDS``.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, transaction

from ..models import ClientGate

P = ParamSpec("P")
R = TypeVar("R")

LOCK_WAIT_SECONDS = 15.0

COMMENT = ClientGate.Scope.COMMENT
SURVEY = ClientGate.Scope.SURVEY


def gate(scope: str, client: str, now: datetime) -> None:
    """Take the client's gate for ``scope`` (call first, inside the submission's transaction)."""
    if not client:
        return
    if ClientGate.objects.filter(scope=scope, client_hash=client).update(touched_at=now):
        return
    try:
        with transaction.atomic():
            ClientGate.objects.create(scope=scope, client_hash=client, touched_at=now)
    except IntegrityError:  # made meanwhile by the client's other submission: wait for it, then hold it
        ClientGate.objects.filter(scope=scope, client_hash=client).update(touched_at=now)


def retry_when_locked(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` (a whole transaction) again when SQLite reports a lock, for a while. On other
    databases, or inside an outer transaction (which cannot be retried from here), runs it once."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        connection = transaction.get_connection()
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return func(*args, **kwargs)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        delay = 0.005
        while True:
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(delay * random.uniform(0.5, 1.5))  # jitter, not security
            delay = min(delay * 2, 0.1)

    return wrapper
