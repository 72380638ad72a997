"""Reporting periods of a fiscal year: 年1回, 上半期・下半期, or four quarters.

A period is due ``due_days`` after it ends and counts as overdue after a further ``grace_days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sasaeai.core import fiscal

MONTHS = {"yearly": 12, "half": 6, "quarterly": 3}


@dataclass(frozen=True)
class Period:
    fiscal_year: int
    number: int
    start: dt.date
    end: dt.date
    due: dt.date
    overdue_after: dt.date
    label: str

    @property
    def key(self):
        return (self.fiscal_year, self.number)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _label(frequency, fiscal_year, number):
    year = fiscal.format_fiscal_year(fiscal_year, style="wareki")
    if frequency == "half":
        return year + (_("上半期") if number == 1 else _("下半期"))
    if frequency == "quarterly":
        return year + _("第%(n)s四半期") % {"n": number}
    return year


def periods(*, frequency: str, fiscal_year: int, due_days: int, grace_days: int) -> list[Period]:
    months = MONTHS[frequency]
    start_of_year, _end = fiscal.fiscal_year_bounds(fiscal_year)
    result = []
    for number in range(1, 12 // months + 1):
        start = _add_months(start_of_year, (number - 1) * months)
        end = _add_months(start, months) - dt.timedelta(days=1)
        due = end + dt.timedelta(days=due_days)
        result.append(
            Period(
                fiscal_year,
                number,
                start,
                end,
                due,
                due + dt.timedelta(days=grace_days),
                _label(frequency, fiscal_year, number),
            )
        )
    return result


def period_of(*, frequency, day: dt.date, due_days: int, grace_days: int) -> Period:
    """The period a day falls in."""
    fy = fiscal.fiscal_year_of(day)
    return next(
        p
        for p in periods(frequency=frequency, fiscal_year=fy, due_days=due_days, grace_days=grace_days)
        if p.start <= day <= p.end
    )
