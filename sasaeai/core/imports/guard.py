"""Opening a zip container (an xlsx) without trusting it, before any parser sees it.

The central directory is read first: too many entries, or declared sizes adding up to more than
the limit, refuse the file at once. Then every member is inflated as a stream, counting the bytes
(a hard cap however the sizes were declared), while XML parts are scanned for DTDs and entity
declarations (entity bombs) and worksheet rows are counted. Nothing is kept in memory beyond one
chunk; a 175 KB file that would inflate to 55 MB is refused after inflating at most the limit.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Literal

CHUNK = 64 * 1024
_OVERLAP = 16  # longer than any pattern below, so a match cut between two chunks is still seen
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_ROW = (b"<row", b":row ")  # <row …> and <x:row r=…>; an upper bound (<rowBreaks> counts too)


def _rows(data: bytes) -> int:
    return sum(data.count(pattern) for pattern in _ROW)


ZipRefusal = Literal["zip_corrupt", "zip_not_xlsx", "zip_too_large"]
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")


class ZipRefused(Exception):
    def __init__(self, reason: ZipRefusal) -> None:
        self.reason: ZipRefusal = reason
        super().__init__(reason)


@dataclass
class ZipSummary:
    entries: int = 0
    inflated: int = 0
    sheet_rows: dict[str, int] = field(default_factory=dict)  # worksheet part → row elements

    @property
    def most_rows(self) -> int:
        return max(self.sheet_rows.values(), default=0)


def inflate_limit(size: int, *, max_inflated: int, ratio: int, floor: int) -> int:
    """How far a file of ``size`` bytes may inflate: ``ratio`` times its size (at least ``floor``),
    never more than ``max_inflated``."""
    return min(max_inflated, max(floor, ratio * size))


def _scan(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, summary: ZipSummary) -> int:
    """Inflate one member, at most ``budget`` bytes; returns the bytes it inflated to."""
    xml = info.filename.endswith((".xml", ".rels", ".vml"))
    sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
    total = 0
    rows = 0
    tail = b""
    with zf.open(info) as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > budget:
                raise ZipRefused("zip_too_large")
            if not xml:
                continue
            window = tail + chunk
            if any(pattern in window for pattern in _DTD):
                raise ZipRefused("zip_corrupt")
            if sheet:
                rows += _rows(window) - _rows(tail)  # what the tail held was counted with the chunk before
            tail = window[-_OVERLAP:]
    if sheet:
        summary.sheet_rows[info.filename] = rows
    return total


def check_zip(raw: bytes, *, max_entries: int, max_inflated: int, require: tuple[str, ...] = XLSX_PARTS) -> ZipSummary:
    """Refuse (``ZipRefused``) a zip that is broken, encrypted, not an xlsx (``require``), has more
    than ``max_entries`` members, or inflates beyond ``max_inflated`` bytes in all."""
    summary = ZipSummary()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            summary.entries = len(infos)
            if len(infos) > max_entries or sum(i.file_size for i in infos) > max_inflated:
                raise ZipRefused("zip_too_large")
            names = {i.filename for i in infos}
            if any(part not in names for part in require):
                raise ZipRefused("zip_not_xlsx")
            for info in infos:
                if info.flag_bits & 0x1:
                    raise ZipRefused("zip_corrupt")  # encrypted
                summary.inflated += _scan(zf, info, max_inflated - summary.inflated, summary)
    except ZipRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
        KeyError,
        IndexError,
        OverflowError,
    ):
        raise ZipRefused("zip_corrupt") from None
    return summary
