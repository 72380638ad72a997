from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Collection
from typing import Any

from django import template

from sasaeai.accounts.permissions import holds
from sasaeai.core import fiscal
from sasaeai.core.colors import color_chip as _color_chip

register = template.Library()


# The display tags below never raise: a value 和暦 cannot show (out of range, not a number) is shown
# in 西暦 instead, so one bad value can never break a page.


@register.filter
def fiscal_year(value: int | str | None, style: str = "both") -> str:
    """2026 → 令和8年度 (2026年度)."""
    if value in (None, ""):
        return ""
    try:
        return fiscal.format_fiscal_year(int(value), style=style)
    except (TypeError, ValueError, OverflowError):
        return f"{value}年度"


@register.simple_tag
def fiscal_period(start: int | str | None, end: int | str | None) -> str:
    if start in (None, ""):
        return ""
    try:
        return fiscal.format_fiscal_period(int(start), int(end or start))
    except (TypeError, ValueError, OverflowError):
        return f"{start}{fiscal.PERIOD_SEPARATOR}{end or start}年度"


@register.filter
def wareki_date(value: dt.date | dt.datetime | None) -> str:
    if not value:
        return ""
    from django.utils import timezone

    if isinstance(value, dt.datetime):
        # A naive value, or one at the very edge of the calendar, is shown as it is.
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            value = timezone.localtime(value)
        return f"{fiscal.display_date(value.date())} {value:%H:%M}"
    return fiscal.display_date(value)


@register.filter
def get_item(mapping: Any, key: object) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def audit_value(value: object) -> object:
    if value is None or value == "":
        return "（なし）"
    if value is True:
        return "はい"
    if value is False:
        return "いいえ"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "（なし）"
    return value


@register.filter
def has_perm_here(perms: Collection[str] | None, name: str) -> bool:
    """``{% if perms_here|has_perm_here:"plans.edit" %}``: raises ``ValueError`` for an unknown name,
    so a typo fails the first test that renders the template instead of hiding a link for good."""
    return holds(perms, name)


@register.simple_tag
def color_chip(color: object, text: object = "", css_class: str = "status-badge") -> str:
    """A badge in a council-chosen colour without an inline style (see sasaeai.core.colors)."""
    return _color_chip(color, text, css_class)
