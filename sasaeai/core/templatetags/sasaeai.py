from __future__ import annotations

from collections.abc import Collection

from django import template

from sasaeai.accounts.permissions import holds
from sasaeai.core import fiscal

register = template.Library()


@register.filter
def fiscal_year(value, style="both"):
    """2026 → 令和8年度 (2026年度)."""
    if value in (None, ""):
        return ""
    return fiscal.format_fiscal_year(int(value), style=style)


@register.simple_tag
def fiscal_period(start, end):
    if start in (None, ""):
        return ""
    return fiscal.format_fiscal_period(int(start), int(end or start))


@register.filter
def wareki_date(value):
    if not value:
        return ""
    from django.utils import timezone

    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    date = value.date() if hasattr(value, "date") else value
    text = fiscal.format_date(date)
    if hasattr(value, "hour"):
        text += f" {value:%H:%M}"
    return text


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def audit_value(value):
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
