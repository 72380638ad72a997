"""ふりがな: readings for the text of a publication, computed once when it is published.

``readings_for(council_id, data)`` walks every string of a publication's frozen ``data`` and returns, for each
text that has kanji, its segments ``[[surface, reading-or-""], ...]``: the surfaces concatenate back to the
text, and a reading (hiragana) sits only on a segment with kanji, its okurigana split off (支える →
``[["支", "ささ"], ["える", ""]]``). The public pages print them with ``{% rb %}`` (``templatetags.public``).

Readings come from two places, the council's first:

1. the council's ふりがな dictionary (``ReadingEntry``): the longest dictionary word found at each place in the
   text wins, so a council fixes a place or group name the analyser reads wrongly. A dictionary word applies only
   where it covers whole words of the analyser: its start and end must fall on word boundaries of Sudachi's
   split mode A (the shortest units) over the whole text. So 方=かた reads 方 standing alone but never the 方 of
   方法 or 方々 (each one word), while 愛育委員 still applies inside 愛育委員会 (愛育|委員|会). Mode A rather than
   C: C would join 委員会 or 一関市 into one unit and refuse the words a council most often registers;
2. SudachiPy with its core dictionary for the rest of the text. ``々`` (and any word of symbols only) never
   carries a reading of its own: it belongs to the kanji before it.

Sudachi runs in split mode C (the longest units) for the *reading*: a whole place name such as 美郷町
(みさとちょう) or 日出町 (ひじまち) is one entry of its dictionary with its official reading, so 町 and 村 are read
まち/ちょう and むら/そん as that municipality reads them, and compounds keep their sound changes (一人暮らし →
ひとりぐらし). For the *ruby*, a long unit is split again into its mode-A parts when their readings add up to the
whole (社会福祉協議会 → 社会|福祉|協議|会): shorter ruby groups wrap better on a phone and read more easily.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import ReadingEntry

if TYPE_CHECKING:
    from sudachipy import Tokenizer

# Texts longer than this are left without readings (a publication holds titles, summaries and paragraphs).
MAX_TEXT = 5000
# Sudachi refuses very long input (bytes); a long text is analysed in pieces cut after 。 or a line break.
_CHUNK = 1000

Segments = list[list[str]]


def is_kanji(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= o <= 0x4DBF  # extension A
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= o <= 0x3134F  # extensions B–G
        or ch in "々〆"
    )


# Characters read together with the kanji next to them (霞ヶ関: the ヶ is inside the ruby group).
_KANJI_LIKE = frozenset("ヶヵ")

_KANJI_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f々〆]")


def has_kanji(text: str) -> bool:
    return bool(_KANJI_RE.search(text))


# 々 repeats the kanji before it: it is read with that kanji and never alone (方々, 人々, 佐々木).
_REPEAT = "々"
_READABLE_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f〆]")


def _readable(text: str) -> bool:
    """Whether a word can carry a reading: it has a kanji other than 々 (a lone 々 or symbol has none)."""
    return bool(_READABLE_RE.search(text))


_TO_HIRAGANA = {o: o - 0x60 for o in [*range(0x30A1, 0x30F7), 0x30FD, 0x30FE]}


def to_hiragana(text: str) -> str:
    """Katakana ァ..ヶ and ヽヾ become hiragana; everything else is left as it is."""
    return text.translate(_TO_HIRAGANA)


# ---------------------------------------------------------------------------------------------------------
# Readings of the council dictionary
# ---------------------------------------------------------------------------------------------------------

_HIRAGANA_OK = re.compile(r"[\u3041-\u3096\u309d\u309eー]")


def normalise_reading(text: str) -> str:
    """A reading as the dictionary keeps it: hiragana only (katakana and half-width kana are converted, spaces
    removed). Anything else (kanji, letters, digits, symbols other than ー) is a ``ValidationError``."""
    value = unicodedata.normalize("NFKC", text or "")
    value = "".join(value.split())  # any spaces, full-width included
    if not value:
        raise ValidationError(_("読みをひらがなで入力してください。"), code="required")
    value = to_hiragana(value)
    wrong = []
    for ch in value:
        if not _HIRAGANA_OK.fullmatch(ch) and ch not in wrong:
            wrong.append(ch)
    if wrong:
        raise ValidationError(
            _("読みはひらがなで入力してください（漢字・英字・数字・記号は使えません）。使えない文字：%(chars)s")
            % {"chars": "".join(wrong[:10])},
            code="script",
        )
    return value


def normalise_surface(text: str) -> str:
    """A dictionary word: one word with at least one kanji (ruby is put only over kanji)."""
    value = unicodedata.normalize("NFC", (text or "").strip())
    if not value:
        raise ValidationError(_("語を入力してください。"), code="required")
    if any(ch.isspace() for ch in value):
        raise ValidationError(_("語に空白や改行は入れられません。一語ずつ登録してください。"), code="space")
    if not has_kanji(value):
        raise ValidationError(_("漢字を含む語を入力してください（ふりがなは漢字にだけ付きます）。"), code="no_kanji")
    return value


# ---------------------------------------------------------------------------------------------------------
# Putting a reading on a word: ruby only over the kanji
# ---------------------------------------------------------------------------------------------------------


def _runs(surface: str) -> list[tuple[str, bool]]:
    """The surface cut into runs of kanji (True) and of other characters (False)."""
    runs: list[tuple[str, bool]] = []
    for i, ch in enumerate(surface):
        kanji = is_kanji(ch) or (
            ch in _KANJI_LIKE and 0 < i < len(surface) - 1 and is_kanji(surface[i - 1]) and is_kanji(surface[i + 1])
        )
        if runs and runs[-1][1] == kanji:
            runs[-1] = (runs[-1][0] + ch, kanji)
        else:
            runs.append((ch, kanji))
    return runs


@lru_cache(maxsize=20000)
def _align(surface: str, reading: str) -> tuple[tuple[str, str], ...]:
    """``surface`` with ``reading`` (hiragana) as segments, the reading on the kanji runs only.

    The kana of the surface are matched in the reading (見守り/みまもり → 見守|まも… → 見守:みまも, り); when they
    cannot be (an irregular reading), the whole surface carries the whole reading."""
    runs = _runs(surface)
    if not any(k for _, k in runs):
        return ((surface, ""),)
    if len(runs) == 1:
        return ((surface, reading),)
    pattern = "".join("(.+?)" if kanji else "(" + re.escape(to_hiragana(text)) + ")" for text, kanji in runs)
    match = re.fullmatch(pattern, reading)
    if match is None:
        return ((surface, reading),)
    return tuple((text, match.group(i + 1) if kanji else "") for i, (text, kanji) in enumerate(runs))


_READING = re.compile(r"[\u3041-\u3096\u309d\u309eー]+")


def _is_reading(text: str) -> bool:
    return _READING.fullmatch(text) is not None


# ---------------------------------------------------------------------------------------------------------
# The analyser
# ---------------------------------------------------------------------------------------------------------

_lock = threading.Lock()
_tokenizer: Tokenizer | None = None


def _analyser() -> Tokenizer:
    """One Sudachi tokenizer per process, loaded on first use (about a quarter of a second)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                from sudachipy import Dictionary, SplitMode

                _tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)
    return _tokenizer


def _chunks(text: str) -> Iterator[str]:
    """Pieces of at most about ``_CHUNK`` characters, cut after a line break or 。 where possible."""
    while len(text) > _CHUNK:
        cut = max(text.rfind("\n", 0, _CHUNK), text.rfind("。", 0, _CHUNK))
        cut = cut + 1 if cut > 0 else _CHUNK
        yield text[:cut]
        text = text[cut:]
    if text:
        yield text


# Short texts (titles, one-line summaries: most of a plan) are remembered, so recomputing a council's readings after a
# dictionary change analyses again only what changed. Bounded: at most about 30 MB per process.
_CACHED_TEXT = 400


def _analyse(text: str) -> tuple[tuple[str, str], ...]:
    return _analyse_cached(text) if len(text) <= _CACHED_TEXT else _analyse_text(text)


@lru_cache(maxsize=30000)
def _analyse_cached(text: str) -> tuple[tuple[str, str], ...]:
    return _analyse_text(text)


def _analyse_text(text: str) -> tuple[tuple[str, str], ...]:
    """Segments of ``text`` read by Sudachi."""
    from sudachipy import SplitMode

    tokenizer = _analyser()
    out: list[tuple[str, str]] = []
    for chunk in _chunks(text):
        position = 0
        for morpheme in tokenizer.tokenize(chunk):
            surface = morpheme.surface()
            position += len(surface)
            if not _readable(surface):
                out.append((surface, ""))
                continue
            reading = to_hiragana(morpheme.reading_form())
            if not _is_reading(reading):  # an unknown word: Sudachi echoes the kanji back
                out.append((surface, ""))
                continue
            parts = morpheme.split(SplitMode.A) if len(surface) > 2 else []
            part_readings = [to_hiragana(p.reading_form()) for p in parts]
            if len(parts) > 1 and "".join(part_readings) == reading and all(map(_is_reading, part_readings)):
                for part, part_reading in zip(parts, part_readings, strict=True):
                    out.extend(
                        _align(part.surface(), part_reading) if _readable(part.surface()) else [(part.surface(), "")]
                    )
            else:
                out.extend(_align(surface, reading))
        if position != len(chunk):  # never expected; keep the text whole rather than lose characters
            return ((text, ""),)
    return tuple(out)


def _boundaries(text: str) -> frozenset[int]:
    return _boundaries_cached(text) if len(text) <= _CACHED_TEXT else _boundaries_text(text)


@lru_cache(maxsize=5000)
def _boundaries_cached(text: str) -> frozenset[int]:
    return _boundaries_text(text)


def _boundaries_text(text: str) -> frozenset[int]:
    """Offsets in ``text`` where a word of Sudachi's split mode A starts or ends (0 and ``len(text)`` included),
    never just before a 々 (it belongs to the kanji before it)."""
    from sudachipy import SplitMode

    tokenizer = _analyser()
    found = {0, len(text)}
    offset = 0
    for chunk in _chunks(text):
        for morpheme in tokenizer.tokenize(chunk):
            position = offset + morpheme.begin()
            for part in morpheme.split(SplitMode.A):
                found.add(position)
                position += len(part.surface())
            found.add(position)
        offset += len(chunk)
    return frozenset(i for i in found if i >= len(text) or text[i] != _REPEAT)


# ---------------------------------------------------------------------------------------------------------
# The council dictionary over the analyser
# ---------------------------------------------------------------------------------------------------------


class Reader:
    """Reads texts with one council's dictionary first and the analyser for the rest."""

    def __init__(self, entries: dict[str, str]):
        self.entries = {s: r for s, r in entries.items() if s and r}
        surfaces = sorted(self.entries, key=lambda s: (-len(s), s))
        # A quick test whether a text holds any dictionary word at all (most texts hold none).
        self.pattern = re.compile("|".join(map(re.escape, surfaces))) if surfaces else None
        # Words by their first character, longest first: the longest dictionary word at each place wins.
        self.by_first: dict[str, list[str]] = {}
        for surface in surfaces:
            self.by_first.setdefault(surface[0], []).append(surface)

    def _matches(self, text: str) -> Iterator[tuple[int, str]]:
        """(start, word) of the dictionary words that cover whole analyser words, left to right, not overlapping."""
        if self.pattern is None or self.pattern.search(text) is None:
            return
        bounds = _boundaries(text)
        position = 0
        for start in sorted(bounds):
            if start < position or start >= len(text):
                continue
            for surface in self.by_first.get(text[start], ()):
                if text.startswith(surface, start) and start + len(surface) in bounds:
                    yield start, surface
                    position = start + len(surface)
                    break

    def segments(self, text: str) -> Segments:
        raw: list[tuple[str, str]] = []
        position = 0
        for start, surface in self._matches(text):
            if start > position:
                raw.extend(_analyse(text[position:start]))
            raw.extend(_align(surface, self.entries[surface]))
            position = start + len(surface)
        if position < len(text):
            raw.extend(_analyse(text[position:]))
        return _merge(raw)


def _merge(raw: list[tuple[str, str]]) -> Segments:
    """Neighbouring segments without a reading become one."""
    out: Segments = []
    for surface, reading in raw:
        if not surface:
            continue
        if not reading and out and not out[-1][1]:
            out[-1][0] += surface
        else:
            out.append([surface, reading])
    return out


def _strings(data: Any) -> Iterator[str]:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)


def dictionary_of(council_id: int | None) -> dict[str, str]:
    if council_id is None:
        return {}
    return dict(ReadingEntry.objects.filter(council_id=council_id).values_list("surface", "reading"))


def reader_for(council_id: int | None) -> Reader:
    return Reader(dictionary_of(council_id))


def readings_for(council_id: int | None, data: Any) -> dict[str, Segments]:
    """text → [[surface, reading-or-""], ...] for every string in ``data`` that has kanji (each text once)."""
    reader: Reader | None = None
    result: dict[str, Segments] = {}
    for text in _strings(data):
        if text in result or len(text) > MAX_TEXT or not has_kanji(text):
            continue
        if reader is None:
            reader = reader_for(council_id)
        result[text] = reader.segments(text)
    return result


def ruby_preview(council_id: int | None, text: str) -> Segments:
    """Segments of one text as the council's site would show them (the dictionary page's 試してみる box)."""
    text = (text or "")[:MAX_TEXT]
    return reader_for(council_id).segments(text) if has_kanji(text) else ([[text, ""]] if text else [])


# ---------------------------------------------------------------------------------------------------------
# Dictionary reads for the staff pages
# ---------------------------------------------------------------------------------------------------------


def dictionary_entries(council_id: int, query: str = "") -> QuerySet[ReadingEntry]:
    """The council's dictionary, by word; ``query`` narrows it to words or readings that contain it."""
    entries = ReadingEntry.objects.filter(council_id=council_id).order_by("surface")
    query = (query or "").strip()[:60]
    if query:
        entries = entries.filter(Q(surface__icontains=query) | Q(reading__icontains=to_hiragana(query)))
    return entries


def dictionary_entry_get(council_id: int, entry_id: object) -> ReadingEntry:
    """One entry of the council's dictionary; the same 404 for a missing entry and another council's."""
    try:
        pk = int(str(entry_id))
    except ValueError:
        raise Http404 from None
    entry = ReadingEntry.objects.filter(council_id=council_id, pk=pk).select_related("council").first()
    if entry is None:
        raise Http404
    return entry
