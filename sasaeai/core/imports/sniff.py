"""What an uploaded file is, from its first bytes (never from its name or the browser's word)."""

from __future__ import annotations

import codecs
from typing import Literal

Kind = Literal["empty", "zip", "ole", "utf16", "binary", "text"]

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, and any password-protected Office file
# Signatures a text file cannot plausibly start with (short ones like "BM" or "MZ" could be a CSV
# header; such files hold NUL bytes anyway, which refuses them below).
BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"II*\x00",
    b"MM\x00*",
    b"\x7fELF",
)


def sniff(raw: bytes) -> Kind:
    """``zip`` (an xlsx, or any zip), ``ole`` (.xls), ``utf16`` text, ``binary`` (images, PDF, any
    file with a NUL byte), ``empty`` or ``text`` (CSV, YAML, anything else readable)."""
    if not raw.removeprefix(codecs.BOM_UTF8).strip():
        return "empty"
    if raw.startswith(ZIP_MAGIC):
        return "zip"
    if raw.startswith(OLE_MAGIC):
        return "ole"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf16"
    if raw.startswith(BINARY_MAGIC) or b"\x00" in raw:
        return "binary"
    return "text"
