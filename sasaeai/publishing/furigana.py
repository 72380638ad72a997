"""ふりがな: readings for the text of a publication, computed once when it is published.

(The analyser and the council dictionary are filled in by the ふりがな work.)
"""

from __future__ import annotations

from typing import Any


def readings_for(council_id: int, data: Any) -> dict[str, list[list[str]]]:
    """text → [[surface, reading-or-""], ...] for every string in ``data`` that has kanji."""
    return {}


def normalise_reading(text: str) -> str:
    """A reading as the dictionary keeps it (hiragana); raises ``ValidationError`` for another script."""
    return (text or "").strip()
