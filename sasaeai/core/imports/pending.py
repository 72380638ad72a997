"""Uploads waiting for confirmation: one store for every importer.

The checked file is saved in Django's storage under a random token, with a small JSON record of
who uploaded it, for which council and importer, its name, its sha256 and what the importer needs
to read it again (a period, a mode…). The session holds only the token, one per importer kind.
Confirming takes the upload out of the store (it can be used once), after checking the user,
council, kind, expiry and the sha shown on the preview; the importer then reads the file again
from the start. Uploads nobody confirmed are deleted after ``SASAEAI_IMPORT_PENDING_SECONDS``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.utils import timezone

DIRECTORY = "pending_imports"
_TOKEN = re.compile(r"[0-9a-f]{32}")


def session_key(kind: str) -> str:
    return f"sasaeai_pending_import_{kind}"


def max_age() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "SASAEAI_IMPORT_PENDING_SECONDS", 24 * 60 * 60)))


@dataclass
class PendingUpload:
    token: str
    kind: str
    user_id: int
    council_id: int
    filename: str
    sha: str
    created: float
    raw: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)


def _paths(token: str) -> tuple[str, str]:
    return f"{DIRECTORY}/{token}.upload", f"{DIRECTORY}/{token}.json"


def _delete(token: str) -> None:
    for path in _paths(token):
        with contextlib.suppress(OSError):
            default_storage.delete(path)


def purge_expired() -> int:
    """Delete uploads older than ``max_age()``; returns how many files were deleted."""
    try:
        _dirs, files = default_storage.listdir(DIRECTORY)
    except (FileNotFoundError, NotImplementedError, OSError):
        return 0
    limit = timezone.now() - max_age()
    deleted = 0
    for name in files:
        path = f"{DIRECTORY}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
                deleted += 1
        except (OSError, NotImplementedError):
            continue
    return deleted


def discard(request: HttpRequest, kind: str) -> None:
    """Forget the upload of ``kind`` waiting in this session, and delete its file."""
    token = request.session.pop(session_key(kind), None)
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        _delete(token)


def save(
    request: HttpRequest, *, kind: str, council_id: int, raw: bytes, filename: str, extra: dict[str, Any] | None = None
) -> PendingUpload:
    """Keep ``raw`` until it is confirmed (replacing this session's earlier upload of ``kind``)."""
    discard(request, kind)
    purge_expired()
    token = secrets.token_hex(16)
    user_id = request.user.pk
    assert isinstance(user_id, int)
    upload = PendingUpload(
        token=token,
        kind=kind,
        user_id=user_id,
        council_id=council_id,
        filename=filename,
        sha=hashlib.sha256(raw).hexdigest(),
        created=timezone.now().timestamp(),
        extra=dict(extra or {}),
    )
    data_path, meta_path = _paths(token)
    default_storage.save(data_path, ContentFile(raw))
    meta = {
        "kind": kind,
        "user": upload.user_id,
        "council": council_id,
        "filename": filename,
        "sha": upload.sha,
        "created": upload.created,
        "extra": upload.extra,
    }
    default_storage.save(meta_path, ContentFile(json.dumps(meta, ensure_ascii=False).encode("utf-8")))
    request.session[session_key(kind)] = token
    return upload


def take(request: HttpRequest, *, kind: str, council_id: int, sha: str | None) -> PendingUpload | None:
    """The upload of ``kind`` waiting in this session, removed from the store; None when there is
    none, or it belongs to another user, council or importer, has expired, or ``sha`` (posted
    from the preview) is not its sha256."""
    token = request.session.pop(session_key(kind), None)
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    data_path, meta_path = _paths(token)
    try:
        with default_storage.open(meta_path, "rb") as handle:
            meta = json.loads(handle.read().decode("utf-8"))
        with default_storage.open(data_path, "rb") as handle:
            raw = handle.read()
    except (OSError, ValueError):
        _delete(token)
        return None
    _delete(token)
    if not isinstance(meta, dict):
        return None
    owner, council = meta.get("user"), meta.get("council")
    if not isinstance(owner, int) or not isinstance(council, int):
        return None
    upload = PendingUpload(
        token=token,
        kind=str(meta.get("kind")),
        user_id=owner,
        council_id=council,
        filename=str(meta.get("filename", "")),
        sha=str(meta.get("sha", "")),
        created=float(meta.get("created", 0)),
        raw=raw,
        extra=meta.get("extra") or {},
    )
    fresh = timezone.now().timestamp() - upload.created <= max_age().total_seconds()
    if (
        upload.kind != kind
        or upload.user_id != request.user.pk
        or upload.council_id != council_id
        or not fresh
        or not sha
        or sha != upload.sha
        or hashlib.sha256(raw).hexdigest() != upload.sha
    ):
        return None
    return upload
