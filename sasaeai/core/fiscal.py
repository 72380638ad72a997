"""Japanese fiscal years (年度) and eras (和暦).

Pure standard-library Python, with no Django import, so it can be used from models,
forms, template tags, management commands and plain scripts alike. Identifiers
and comments are in English. Strings meant for users, including error messages,
are in Japanese.

Fiscal years
    A fiscal year (年度) runs from April 1 to March 31 of the next year and is
    identified by the Gregorian (西暦) year of its April: 2027-03-31 lies in
    fiscal year 2026 (令和8年度). In this module a fiscal year is always a
    plain ``int``.

Eras
    ``ERAS`` uses the era start dates of the ICU/CLDR Japanese calendar
    (明治 1868-09-08, 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08,
    令和 2019-05-01). Year 1 of an era is written 元年 by default.

    Dates before 1873 (明治5年) are proleptic Gregorian: Japan used the
    lunisolar calendar until 明治5年12月2日 (1872-12-31 Gregorian), so for
    example "明治元年9月8日" here means 1868-09-08 Gregorian, not the lunisolar
    date with that name. The April–March fiscal year itself only dates from
    1886, so fiscal years before then are proleptic too.

Naming a fiscal year by era
    A fiscal year takes the era in effect on its April 1. The exception is an
    era that begins in April or May of the fiscal year: by default that new
    era names the whole fiscal year. This is how government offices (官公庁)
    usually name FY2019 (令和元年度). Pass ``reiwa_first_year=False`` to get
    平成31年度 instead. Only FY2019 is affected.

Supported range
    Years 1868 through 2200 (``MIN_YEAR``..``MAX_YEAR``). Anything outside
    raises ``ValueError``, and so do dates before 明治 began (1868-09-08).
    FY1868 exists as a Western-calendar fiscal year, but on 1868-04-01 no era
    in ``ERAS`` had begun, so it has no era name and naming it by era raises
    ``ValueError``. Years after the present era are assumed to be 令和. When
    a new era is announced, add it to ``ERAS``.

Dates and datetimes
    Functions that take a date accept ``datetime.date`` only. A
    ``datetime.datetime`` raises ``TypeError``, because the date it stands
    for depends on the time zone. In Django, pass ``timezone.localdate()``
    and not ``timezone.now()``.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import NamedTuple

__all__ = [
    "ERAS",
    "MAX_YEAR",
    "MIN_YEAR",
    "Era",
    "display_date",
    "era_of",
    "fiscal_year_bounds",
    "fiscal_year_era",
    "fiscal_year_of",
    "format_date",
    "format_era_year",
    "format_fiscal_period",
    "format_fiscal_year",
    "is_supported_date",
    "parse_fiscal_year",
    "wareki",
]

MIN_YEAR = 1868
MAX_YEAR = 2200

STYLES = ("wareki", "seireki", "both")

# Separator used between the two ends of a period (WAVE DASH, U+301C).
PERIOD_SEPARATOR = "\u301c"


class Era(NamedTuple):
    """A Japanese era: kanji name, romanized name and first day (Gregorian)."""

    name: str
    romaji: str
    start: date


ERAS: tuple[Era, ...] = (
    Era("明治", "Meiji", date(1868, 9, 8)),
    Era("大正", "Taisho", date(1912, 7, 30)),
    Era("昭和", "Showa", date(1926, 12, 25)),
    Era("平成", "Heisei", date(1989, 1, 8)),
    Era("令和", "Reiwa", date(2019, 5, 1)),
)

_FIRST_DAY = ERAS[0].start
_LAST_DAY = date(MAX_YEAR, 12, 31)


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _check_date(d: object) -> date:
    if isinstance(d, datetime):
        raise TypeError(
            "datetime ではなく date を渡してください（Django では timezone.localdate() を使ってください）。"
        )
    if not isinstance(d, date):
        raise TypeError(f"日付（date）が必要です: {d!r}")
    return d


def _check_era_date(d: object) -> date:
    d = _check_date(d)
    if d < _FIRST_DAY or d > _LAST_DAY:
        raise ValueError(
            f"{d.isoformat()} は扱えません。対応範囲は 1868-09-08（明治元年9月8日）"
            f"から {_LAST_DAY.isoformat()} までです。"
        )
    return d


def _check_int(value: object, what: str) -> int:
    # bool is a subclass of int, but True/False as a year is always a bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what}は整数で指定してください: {value!r}")
    return value


def _check_fiscal_year(fy: object) -> int:
    fy = _check_int(fy, "年度")
    if not MIN_YEAR <= fy <= MAX_YEAR:
        raise ValueError(f"{fy}年度は扱えません。対応範囲は{MIN_YEAR}〜{MAX_YEAR}年度です。")
    return fy


def _era_last_day(era: Era) -> date:
    """Last day of ``era`` (for the current era, the end of the range)."""
    index = ERAS.index(era)
    if index + 1 < len(ERAS):
        return ERAS[index + 1].start - timedelta(days=1)
    return _LAST_DAY


def _era_or_none(d: date) -> Era | None:
    for era in reversed(ERAS):
        if era.start <= d:
            return era
    return None


# --------------------------------------------------------------------------
# Eras
# --------------------------------------------------------------------------


def era_of(d: date) -> Era:
    """The era in effect on ``d``."""
    d = _check_era_date(d)
    era = _era_or_none(d)
    assert era is not None  # guaranteed by _check_era_date
    return era


def wareki(d: date) -> tuple[Era, int]:
    """``(era, year within era)`` for ``d``. Year 1 is 元年."""
    era = era_of(d)
    return era, d.year - era.start.year + 1


def format_era_year(era: Era, year: int, *, gannen: bool = True) -> str:
    """Format an era year, e.g. "令和8年", or "令和元年" for year 1.

    With ``gannen=False`` year 1 is written "令和1年". ``ValueError`` if the
    era has no such calendar year (e.g. 平成32年, 令和0年).
    """
    if era not in ERAS:
        raise ValueError(f"未知の元号です: {era!r}")
    year = _check_int(year, "年")
    last_year = _era_last_day(era).year - era.start.year + 1
    if not 1 <= year <= last_year:
        raise ValueError(f"{era.name}{year}年は存在しません（{era.name}は1〜{last_year}年です）。")
    number = "元" if year == 1 and gannen else str(year)
    return f"{era.name}{number}年"


def format_date(d: date, *, gannen: bool = True) -> str:
    """Format a date in 和暦, e.g. "令和8年3月1日" (no zero padding)."""
    era, year = wareki(d)
    return f"{format_era_year(era, year, gannen=gannen)}{d.month}月{d.day}日"


def is_supported_date(d: date) -> bool:
    """True if ``d`` can be written in 和暦 here (1868-09-08 … 2200-12-31)."""
    return _FIRST_DAY <= d <= _LAST_DAY


def display_date(d: date) -> str:
    """``format_date`` for display: never raises. A date outside the supported range (or
    anything that is not a date) is shown as its ISO (西暦) text instead."""
    if isinstance(d, date) and not isinstance(d, datetime) and is_supported_date(d):
        return format_date(d)
    return d.isoformat() if isinstance(d, date) else str(d)


# --------------------------------------------------------------------------
# Fiscal years
# --------------------------------------------------------------------------


def fiscal_year_of(d: date) -> int:
    """The fiscal year containing ``d`` (the 西暦 year of its April).

    The range check applies to the resulting fiscal year, so 2201-03-31
    (FY2200) is accepted and 1868-03-31 (FY1867) is not.
    """
    d = _check_date(d)
    fy = d.year if d.month >= 4 else d.year - 1
    if not MIN_YEAR <= fy <= MAX_YEAR:
        raise ValueError(f"{d.isoformat()} は{fy}年度の日付で、対応範囲（{MIN_YEAR}〜{MAX_YEAR}年度）の外です。")
    return fy


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of fiscal year ``fy``: (April 1, March 31)."""
    fy = _check_fiscal_year(fy)
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_year_era(fy: int, *, reiwa_first_year: bool = True) -> tuple[Era, int]:
    """``(era, year within era)`` that names fiscal year ``fy``.

    This is the era in effect on April 1. If ``reiwa_first_year`` is true (the
    default) and an era begins in April or May of the fiscal year, that era is
    used instead, so FY2019 is 令和元年度 (平成31年度 when false).
    ``ValueError`` for FY1868, which began before 明治.
    """
    fy = _check_fiscal_year(fy)
    april_first = date(fy, 4, 1)
    era: Era | None = None
    if reiwa_first_year:
        june_first = date(fy, 6, 1)
        for candidate in reversed(ERAS):
            if april_first < candidate.start < june_first:
                era = candidate
                break
    if era is None:
        era = _era_or_none(april_first)
    if era is None:
        raise ValueError(
            f"{fy}年度は始まり（{fy}年4月1日）が明治改元（1868年9月8日）より前のため、和暦では表せません。"
        )
    return era, fy - era.start.year + 1


def _format_wareki_fiscal_year(fy: int, *, gannen: bool, reiwa_first_year: bool) -> str:
    era, year = fiscal_year_era(fy, reiwa_first_year=reiwa_first_year)
    return f"{format_era_year(era, year, gannen=gannen)}度"


def format_fiscal_year(
    fy: int,
    *,
    style: str = "both",
    gannen: bool = True,
    reiwa_first_year: bool = True,
) -> str:
    """Format a fiscal year.

    style "wareki"  -> "令和8年度"
    style "seireki" -> "2026年度"
    style "both"    -> "令和8年度 (2026年度)"
    """
    if style not in STYLES:
        raise ValueError(f"style は {', '.join(repr(s) for s in STYLES)} のいずれかです: {style!r}")
    fy = _check_fiscal_year(fy)
    seireki = f"{fy}年度"
    if style == "seireki":
        return seireki
    wareki_text = _format_wareki_fiscal_year(fy, gannen=gannen, reiwa_first_year=reiwa_first_year)
    if style == "wareki":
        return wareki_text
    return f"{wareki_text} ({seireki})"


def format_fiscal_period(
    start: int,
    end: int,
    *,
    gannen: bool = True,
    reiwa_first_year: bool = True,
) -> str:
    """Format a range of fiscal years, inclusive at both ends.

    "令和8年度〜令和12年度 (2026〜2030年度)". A single year gives
    "令和8年度 (2026年度)". The era name is repeated at both ends even when it
    is the same, so a period across an era change reads the same way
    ("平成30年度〜令和4年度 (2018〜2022年度)").
    """
    start = _check_fiscal_year(start)
    end = _check_fiscal_year(end)
    if start > end:
        raise ValueError(f"期間の始まり（{start}年度）が終わり（{end}年度）より後になっています。")
    if start == end:
        return format_fiscal_year(start, style="both", gannen=gannen, reiwa_first_year=reiwa_first_year)
    first = _format_wareki_fiscal_year(start, gannen=gannen, reiwa_first_year=reiwa_first_year)
    last = _format_wareki_fiscal_year(end, gannen=gannen, reiwa_first_year=reiwa_first_year)
    sep = PERIOD_SEPARATOR
    return f"{first}{sep}{last} ({start}{sep}{end}年度)"


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

_ERA_BY_TOKEN: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_TOKEN[_era.name] = _era
    _ERA_BY_TOKEN[_era.romaji[0].upper()] = _era
del _era

_ERA_TOKEN = "|".join([re.escape(era.name) for era in ERAS] + [f"[{''.join(e.romaji[0] for e in ERAS)}]"])

# Input is NFKC-normalized first, so full-width digits, letters, spaces and
# parentheses arrive here as ASCII, and the one-character era signs
# (㋿ ㍻ ㍼ ㍽ ㍾) arrive as two kanji. [0-9] (not \d) keeps other scripts' digits out.
_SEIREKI_RE = re.compile(r"(?P<year>[0-9]{1,4})\s*(?:年度)?", re.ASCII)
_WAREKI_RE = re.compile(
    rf"(?P<era>{_ERA_TOKEN})\s*(?P<number>[0-9]{{1,3}}|元)\s*(?P<nendo1>年度)?"
    r"\s*(?:\(\s*(?P<year>[0-9]{1,4})\s*(?:年度)?\s*\))?"
    r"\s*(?P<nendo2>年度)?",
    re.ASCII | re.IGNORECASE,
)


def _unreadable(text: str) -> ValueError:
    return ValueError(f"「{text}」は年度として読み取れません。例: 令和8年度、2026年度")


def _fiscal_year_names(fy: int) -> set[tuple[Era, int]]:
    """Every (era, year) that can name ``fy``: one, or two for FY2019."""
    names = set()
    for flag in (True, False):
        with contextlib.suppress(ValueError):
            names.add(fiscal_year_era(fy, reiwa_first_year=flag))
    return names


def parse_fiscal_year(text: str) -> int:
    """Read a fiscal year written by a person and return it as an int.

    Accepted forms include "2026", "2026年度", "令和8年度", "令和８年度",
    "令和元年度", "R8", "r8年度", "H30", "平成31年度" (= 2019),
    "令和8（2026）年度", "令和8(2026)年度" and "令和8年度 (2026年度)"
    (the output of ``format_fiscal_year``). Surrounding and inner spaces
    are ignored. When both the era year and the Western year are given
    they must agree.

    An era year is accepted only if it names a fiscal year under the
    naming rule of ``fiscal_year_era`` (either setting). So 平成31年度 and
    令和元年度 are both accepted for FY2019, but 昭和64年度 (FY1989 began
    under 平成), 平成32年度 and 令和0年度 are rejected. Everything else
    raises ``ValueError`` with a Japanese message.
    """
    if not isinstance(text, str):
        raise TypeError(f"文字列が必要です: {text!r}")
    normalized = unicodedata.normalize("NFKC", text).strip()

    match = _SEIREKI_RE.fullmatch(normalized)
    if match:
        year = int(match["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"「{text}」は対応範囲（{MIN_YEAR}〜{MAX_YEAR}年度）の外です。")
        return year

    match = _WAREKI_RE.fullmatch(normalized)
    if not match or (match["nendo1"] and match["nendo2"]):
        raise _unreadable(text)

    era = _ERA_BY_TOKEN[match["era"].upper()]
    number = 1 if match["number"] == "元" else int(match["number"])
    fy = era.start.year + number - 1
    if number < 1:
        raise ValueError(f"「{text}」という年度はありません（{era.name}は元年から始まります）。")
    if not MIN_YEAR <= fy <= MAX_YEAR:
        raise ValueError(f"「{text}」は{fy}年度にあたり、対応範囲（{MIN_YEAR}〜{MAX_YEAR}年度）の外です。")
    if (era, number) not in _fiscal_year_names(fy):
        if fy == MIN_YEAR:
            hint = f"{fy}年度は明治改元より前に始まるため、和暦では表せません"
        else:
            hint = f"{fy}年度は{format_fiscal_year(fy, style='wareki')}です"
        raise ValueError(f"「{text}」という年度はありません（{hint}）。")

    if match["year"] is not None and int(match["year"]) != fy:
        raise ValueError(f"「{text}」の和暦（{fy}年度）と西暦（{int(match['year'])}年度）が一致しません。")
    return fy
