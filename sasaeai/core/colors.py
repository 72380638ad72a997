"""Coloured badges without inline styles.

A council picks the colour of each status and grade, so the colour cannot live in app.css, and the
Content-Security-Policy (``style-src 'self'``) forbids ``style=`` attributes. The colour is drawn as the
``fill`` of an SVG rectangle behind the text instead: a presentation attribute, which the policy allows.
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

DEFAULT_COLOR = "#57606a"
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def safe_color(value: object) -> str:
    """A ``#rgb`` / ``#rrggbb`` colour as given, anything else the default grey."""
    text = str(value or "").strip()
    return text if _HEX.fullmatch(text) else DEFAULT_COLOR


def color_chip(color: object, text: object = "", css_class: str = "status-badge") -> SafeString:
    """``<span class="status-badge colored">`` with the colour as an SVG fill behind the escaped text."""
    fill = safe_color(color)
    label = f'<span class="chip-text">{escape(text)}</span>' if text != "" else ""
    return mark_safe(
        f'<span class="{escape(css_class)} colored">'
        f'<svg class="chip-fill" aria-hidden="true" focusable="false" viewBox="0 0 1 1" preserveAspectRatio="none">'
        f'<rect x="-1" y="-1" width="3" height="3" fill="{fill}"/></svg>{label}</span>'
    )
