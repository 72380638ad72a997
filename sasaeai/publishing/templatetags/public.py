"""Template tags of the public site: ``{% rb text %}`` prints text with ふりがな when the reader asked for it.

The readings were computed when the text was published (``furigana.readings_for``) and reach the page as
``readings`` in its context (``public_context``); ``ruby_on`` is the reader's choice (``?ruby=1``).

- ``{% rb text %}``: the text escaped, or as ``<ruby>`` with its readings.
- ``{% rb text linebreaks=True %}``: the same, with blank lines as paragraphs and single line breaks as
  ``<br>`` (for multi-line text; use it where a ``<p>`` may stand). ``linebreaks="br"``: ``<br>`` only.

Everything the tag prints is escaped first: a text cannot bring its own markup.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.html import linebreaks as paragraphs
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The same characters as django.utils.html.escape, by one str.translate (many calls on a page).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})

_RP_OPEN = "<rp>（</rp><rt>"
_RP_CLOSE = "</rt><rp>）</rp></ruby>"


def ruby_html(segments: list[list[str]]) -> SafeString:
    """Segments ``[[surface, reading], ...]`` as HTML: ``<ruby>`` where there is a reading, escaped text elsewhere."""
    parts = []
    for segment in segments:
        surface, reading = str(segment[0]).translate(_ESCAPES), str(segment[1])
        if reading:
            parts.append(f"<ruby>{surface}{_RP_OPEN}{reading.translate(_ESCAPES)}{_RP_CLOSE}")
        else:
            parts.append(surface)
    return mark_safe("".join(parts))  # every piece is escaped


def _breaks(html: str, mode: Any) -> str:
    html = html.replace("\r\n", "\n").replace("\r", "\n")
    if mode == "br":
        return html.replace("\n", "<br>")
    return paragraphs(html, autoescape=False)


@register.simple_tag(takes_context=True)
def rb(context: template.Context, text: Any, linebreaks: Any = False) -> SafeString:
    """``text`` escaped; as ``<ruby>`` with readings when ``ruby_on`` and the page's ``readings`` have them."""
    if text is None:
        text = ""
    elif not isinstance(text, str):
        text = str(text)
    readings = context.get("readings") if context.get("ruby_on") else None
    segments = readings.get(text) if readings else None
    html: str = ruby_html(segments) if segments else escape(text)
    if linebreaks and text:
        html = _breaks(html, linebreaks)
    return mark_safe(html)  # every piece was escaped above
