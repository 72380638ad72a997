"""Bytes → text for CSV and text files: UTF-8 (with or without BOM), or Shift_JIS (cp932)."""

from __future__ import annotations

import codecs

from django.utils.translation import gettext as _

from .problems import ImportRefused, Problem

UTF8 = "utf-8"
CP932 = "cp932"


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _refuse(message: str, line: int) -> ImportRefused:
    return ImportRefused([Problem(message, row=line)])


def _unreadable(line: int) -> ImportRefused:
    return _refuse(
        _(
            "文字コードを読み取れません。%(line)s行目が UTF-8 でも Shift_JIS でもありません。"
            "CSV は UTF-8 か Shift_JIS で保存してください。"
        )
        % {"line": f"{line:,}"},
        line,
    )


def _guess(body: bytes) -> str:
    """What a text that is not UTF-8 seems to be, as the start of a message."""
    for encoding, name in (("shift_jis", "Shift_JIS"), (CP932, _("Shift_JIS（Windows）")), ("euc_jp", "EUC-JP")):
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _("文字コードが %(encoding)s のようです。") % {"encoding": name}
    return _("文字コードを読み取れません。")


def _mixed(first: tuple[int, str], number: int, encoding: str) -> ImportRefused:
    names = {UTF8: _("UTF-8"), CP932: _("Shift_JIS")}
    return _refuse(
        _(
            "ファイルの中で文字コードが混ざっています。%(first)s行目は %(a)s ですが、"
            "%(line)s行目は %(b)s です。一つの文字コード（UTF-8 か Shift_JIS）で保存し直してください。"
        )
        % {"first": f"{first[0]:,}", "a": names[first[1]], "line": f"{number:,}", "b": names[encoding]},
        number,
    )


def _line_encoding(line: bytes, number: int) -> str:
    for encoding in (UTF8, CP932):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _unreadable(number)


def decode(raw: bytes, *, shift_jis: bool = True, utf8_only_advice: str = "") -> tuple[str, str]:
    """(text, encoding label). A BOM → UTF-8; else strict UTF-8; else (when ``shift_jis``) cp932.

    Refuses (``ImportRefused``, naming the line) a file that decodes in neither, or whose lines mix
    the two. With ``shift_jis=False`` a file that is not UTF-8 is refused with ``utf8_only_advice``
    after saying which encoding it seems to be in."""
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode(UTF8), (_("UTF-8（BOM付き）") if len(body) < len(raw) else _("UTF-8"))
    except UnicodeDecodeError as exc:
        first_bad = _line_of(body, exc.start)
    if not shift_jis:
        raise _refuse(_guess(body) + utf8_only_advice, first_bad)
    if len(body) < len(raw):
        raise _refuse(
            _(
                "ファイルの中で文字コードが混ざっています。先頭は %(enc)s（BOM付き）ですが、%(line)s行目は "
                "%(enc)s ではありません。一つの文字コード（UTF-8 か Shift_JIS）で保存し直してください。"
            )
            % {"enc": _("UTF-8"), "line": f"{first_bad:,}"},
            first_bad,
        )
    # Not UTF-8 throughout: Shift_JIS, unless some lines are UTF-8 (a file pasted together).
    first: tuple[int, str] | None = None
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        encoding = _line_encoding(line, number)
        if first is None:
            first = (number, encoding)
        elif encoding != first[1]:
            raise _mixed(first, number, encoding)
    try:
        return raw.decode(CP932), _("Shift_JIS（cp932）")
    except UnicodeDecodeError as exc:
        raise _unreadable(_line_of(raw, exc.start)) from None
