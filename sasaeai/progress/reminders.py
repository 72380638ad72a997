"""Who should be reminded of which progress reports on a given day (``manage.py send_reminders``).

The rules, for a day ``D`` (``timezone.localdate()`` in the command):

- Only plans whose status is 推進中 (``Plan.Status.ACTIVE``).
- Periods come from the plan's reporting schedule (``periods.periods``; an unsaved default schedule
  when the plan has none, so computing reminders never writes). Only the periods of the fiscal year
  of ``D`` and the two years before it are looked at, and only years inside the plan's period.
- An item still needs a report for a period when it has no ``ProgressReport`` for it, or one
  without a status (状況).
- Kind ``"due"`` (締切の案内) when ``D > period.end`` or ``D >= period.due - 14 days``, as long as
  ``D <= period.overdue_after``; kind ``"overdue"`` (期限切れの連絡) when ``D > period.overdue_after``.
- Owners of an item for a fiscal year: the rule of ``permissions.py`` (``plan_ownership``): the
  owners (担当者) of its annual plan for that year, and the leader and sub-leader of every working
  group that reaches it (its ``nodes`` or the annual plans of that year naming it, and everything
  below them).
- An owner is reminded only if they can open the report form the e-mail links to: an active user
  whose role in the plan's council (nearest membership, as in ``accounts.selectors``) gives
  ``progress.report`` or ``progress.report_own`` (``permissions.REPORT_ANY``).

One reminder is one (user, plan, fiscal year, period, kind) with the items, in the order of the
plan's tree. Each plan costs a fixed number of queries, whatever the number of items or owners.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from sasaeai.accounts.models import Membership, User
from sasaeai.accounts.permissions import ROLE_PERMISSIONS
from sasaeai.core import fiscal
from sasaeai.core.models import Council
from sasaeai.plans.models import Plan, PlanNode

from . import periods as periods_module
from .models import ProgressReport, ReminderLog, ReportingSchedule
from .permissions import REPORT_ANY, plan_ownership

DUE_SOON_DAYS = 14  # a "due" reminder may start this many days before the due date
YEARS_BACK = 2  # periods of the current fiscal year and of this many years before it
DUE, OVERDUE = ReminderLog.Kind.DUE.value, ReminderLog.Kind.OVERDUE.value


@dataclass(frozen=True)
class ReminderItem:
    node_id: int
    label: str
    path: str  # the report form, with ?year=&period=
    url: str  # SASAEAI_BASE_URL + path


@dataclass
class Reminder:
    user: User
    plan: Plan
    period: periods_module.Period
    kind: str
    items: list[ReminderItem] = field(default_factory=list)

    @property
    def fiscal_year(self):
        return self.period.fiscal_year

    @property
    def due(self):
        return self.period.due

    @property
    def overdue_after(self):
        return self.period.overdue_after

    @property
    def is_overdue(self):
        return self.kind == OVERDUE

    @property
    def key(self):
        return (self.user.pk, self.plan.pk, self.period.fiscal_year, self.period.number, self.kind)


def base_url() -> str:
    return getattr(settings, "SASAEAI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def reminder_kind(period: periods_module.Period, day: dt.date) -> str | None:
    """``"due"``, ``"overdue"`` or ``None`` for one period on ``day``."""
    if day > period.overdue_after:
        return OVERDUE
    if day > period.end or day >= period.due - dt.timedelta(days=DUE_SOON_DAYS):
        return DUE
    return None


def active_plans(plan_id=None):
    plans = Plan.objects.filter(status=Plan.Status.ACTIVE).select_related("reporting_schedule").order_by("pk")
    if plan_id is not None:
        plans = plans.filter(pk=plan_id)
    return plans


def _schedule(plan) -> ReportingSchedule:
    try:
        return plan.reporting_schedule
    except ReportingSchedule.DoesNotExist:
        return ReportingSchedule(plan=plan)  # the defaults, not saved


def open_periods(plan, day: dt.date) -> list[tuple[periods_module.Period, str]]:
    """(period, kind) of every period of ``plan`` that calls for a reminder on ``day``."""
    schedule = _schedule(plan)
    current = fiscal.fiscal_year_of(day)
    result = []
    for year in range(current - YEARS_BACK, current + 1):
        if plan.period_start is not None and not (plan.period_start <= year <= (plan.period_end or plan.period_start)):
            continue
        for period in periods_module.periods(
            frequency=schedule.frequency, fiscal_year=year, due_days=schedule.due_days, grace_days=schedule.grace_days
        ):
            kind = reminder_kind(period, day)
            if kind:
                result.append((period, kind))
    return result


def _council_chain(council_id, parents):
    chain, node = [], council_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    return chain


def _reporters(user_ids, council_id, parents) -> dict:
    """{user_id: user} of the active users among ``user_ids`` who may report in the council."""
    if not user_ids:
        return {}
    chain = _council_chain(council_id, parents)
    nearest: dict[int, tuple[int, str]] = {}  # user id → (rank of the council in the chain, role)
    for user_id, member_council, role in Membership.objects.filter(
        user_id__in=user_ids, council_id__in=chain
    ).values_list("user_id", "council_id", "role"):
        rank = chain.index(member_council)
        if user_id not in nearest or rank < nearest[user_id][0]:
            nearest[user_id] = (rank, role)
    allowed = {u for u, (_rank, role) in nearest.items() if REPORT_ANY & ROLE_PERMISSIONS.get(role, frozenset())}
    if not allowed:
        return {}
    users = get_user_model().objects.filter(pk__in=allowed, is_active=True).order_by("pk")
    return {user.pk: user for user in users}


def plan_reminders(plan: Plan, day: dt.date, parents: Mapping[int, int | None] | None = None) -> list[Reminder]:
    """Every reminder of one plan on ``day`` (sent or not). At most 8 queries (9 without ``parents``)."""
    open_ = open_periods(plan, day)
    if not open_:
        return []
    years = sorted({p.fiscal_year for p, _kind in open_})

    nodes = list(
        PlanNode.objects.filter(plan=plan)
        .order_by("parent_id", "position", "pk")
        .values_list("pk", "parent_id", "code", "title")
    )
    labels = {pk: f"{code} {title}".strip() for pk, _parent_id, code, title in nodes}
    position = _tree_positions([(pk, parent_id) for pk, parent_id, _c, _t in nodes])
    owned = _owned(plan, years, parents={pk: parent_id for pk, parent_id, _c, _t in nodes})

    user_ids = {u for year in years for u, items in owned[year].items() if items}
    if parents is None:
        parents = dict(Council.objects.values_list("pk", "parent_id"))
    users = _reporters(user_ids, plan.council_id, parents)
    if not users:
        return []

    reported = set(
        ProgressReport.objects.filter(node__plan=plan, fiscal_year__in=years, status__isnull=False).values_list(
            "node_id", "fiscal_year", "period"
        )
    )
    base = base_url()
    result = []
    for period, kind in open_:
        for user_id, user in users.items():
            items = [
                pk
                for pk in owned[period.fiscal_year].get(user_id, ())
                if pk in labels and (pk, period.fiscal_year, period.number) not in reported
            ]
            if items:
                items.sort(key=position.__getitem__)
                result.append(_reminder(user, plan, period, kind, items, labels=labels, base=base))
    return result


def _tree_positions(nodes: list[tuple[int, int | None]]) -> dict[int, int]:
    """node id → its place in pre-order, as the plan is printed; ``nodes`` are (id, parent id)
    in the order of (parent, position)."""
    children: defaultdict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in nodes:
        children[parent_id].append(pk)
    order = []
    stack = list(reversed(children[None]))
    while stack:
        pk = stack.pop()
        order.append(pk)
        stack.extend(reversed(children[pk]))
    return {pk: i for i, pk in enumerate(order)}


def _owned(plan: Plan, years: list[int], *, parents: dict[int, int | None]) -> dict[int, dict[int, set[int]]]:
    """owned[year][user id] = node ids: the one ownership rule, for every user at once."""
    ownership = plan_ownership(plan, years, parents=parents)
    owned: dict[int, dict[int, set[int]]] = {year: defaultdict(set) for year in years}
    for year in years:
        for node_id, owners in ownership.owners(year).items():
            for user_id in owners:
                owned[year][user_id].add(node_id)
    return owned


def _reminder(
    user: User,
    plan: Plan,
    period: periods_module.Period,
    kind: str,
    items: list[int],
    *,
    labels: dict[int, str],
    base: str,
) -> Reminder:
    reminder = Reminder(user=user, plan=plan, period=period, kind=kind)
    for pk in items:
        path = (
            reverse("progress:report", kwargs={"plan_id": plan.pk, "node_id": pk})
            + f"?year={period.fiscal_year}&period={period.number}"
        )
        reminder.items.append(ReminderItem(node_id=pk, label=labels[pk], path=path, url=base + path))
    return reminder


def reminders_for(day: dt.date, plan_id=None) -> list[Reminder]:
    """Every reminder due on ``day`` for every active plan (or the one plan ``plan_id``), sent or not."""
    plans = list(active_plans(plan_id))
    if not plans:
        return []
    parents = dict(Council.objects.values_list("pk", "parent_id"))
    result = []
    for plan in plans:
        result.extend(plan_reminders(plan, day, parents=parents))
    return result


def unsent(reminders: list[Reminder]) -> list[Reminder]:
    """The reminders not yet in ``ReminderLog`` (one query)."""
    if not reminders:
        return []
    sent = set(
        ReminderLog.objects.filter(
            plan_id__in={r.plan.pk for r in reminders},
            user_id__in={r.user.pk for r in reminders},
            fiscal_year__in={r.fiscal_year for r in reminders},
        ).values_list("user_id", "plan_id", "fiscal_year", "period", "kind")
    )
    return [r for r in reminders if r.key not in sent]
