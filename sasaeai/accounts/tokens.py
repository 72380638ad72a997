"""Invitation tokens: random codes people can type, kept in the database only as a hash.

A sign-in sheet prints a short code (``ABCD-EFGH-JKLM``) that a volunteer may type by hand; an e-mail
carries a long one in its link. Both use an alphabet without look-alike characters (no 0/O, 1/I),
are read case-insensitively, full-width or not, and ignore spaces, hyphens and dashes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each
EMAIL_TOKEN_LENGTH = 32  # 160 bits
SHEET_CODE_LENGTH = 12  # 60 bits, and a sheet dies after SASAEAI_INVITATION_DAYS


def new_token(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


# Separators people type, also with the Japanese IME on: hyphens, dashes, the long-vowel mark, spaces.
SEPARATORS = re.compile(r"[\s\-ー－‐‑‒–—―−ｰ]")


def normalize(raw: str) -> str:
    """Full-width letters and digits (``ＡＢＣ１２３``) become ASCII (NFKC), separators go, upper case."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()


def token_hash(raw: str) -> str:
    return hashlib.sha256(normalize(raw).encode("ascii", "ignore")).hexdigest()


def grouped(token: str, size: int = 4) -> str:
    """``ABCDEFGHJKLM`` → ``ABCD-EFGH-JKLM`` (easier to read out and to type)."""
    return "-".join(token[i : i + size] for i in range(0, len(token), size))
