"""Writes for running the plan: indicators and targets, status scale, reporting calendar, reports.

Every function is keyword-only, atomic, validated and audited, like ``plans.services``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from sasaeai.core.audit import RESTORABLE_ACTIONS, audit_entry, diff, log_action
from sasaeai.core.concurrency import ConcurrentEditError, created_once
from sasaeai.core.concurrency import check_version as _check_version
from sasaeai.core.models import AuditEntry

from . import periods as periods_module
from .midterm import latest_midterm
from .models import (
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    ProgressReport,
    ProgressStatus,
    ReportingSchedule,
    TargetChange,
)

INDICATOR_FIELDS = [
    "name",
    "unit",
    "kind",
    "direction",
    "baseline_value",
    "baseline_year",
    "final_target",
    "final_target_year",
    "note",
]
REPORT_FIELDS = ["status", "done_text", "results", "problems"]
DEFAULT_STATUSES = [  # name, colour, score (進捗点)
    ("未着手", "#6e7781", 0),
    ("遅れ", "#cf222e", 25),
    ("やや遅れ", "#9a6700", 50),
    ("順調", "#1a7f37", 75),
    ("完了", "#0969da", 100),
]
MAX_VALUE = Decimal("999999999999")


def _plain(value):
    """Decimals as people write them: 50.0000 → "50", 45.5000 → "45.5"."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else str(value)
    return value


def _snapshot(obj, fields):
    return {f: _plain(getattr(obj, f)) for f in fields}


def _plan_years(plan):
    if plan.period_start is None:
        return None
    return range(plan.period_start, plan.period_end + 1)


def _clean_targets(plan, targets: dict):
    years = _plan_years(plan)
    clean = {}
    for year, value in targets.items():
        year = int(year)
        if years is not None and year not in years:
            raise ValidationError(_("%(year)s年度は計画期間の外です。") % {"year": year})
        clean[year] = _number(value, _("%(year)s年度の目標値") % {"year": year})
    return dict(sorted(clean.items()))


def _number(value, what):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("%(what)sは数字で入力してください。") % {"what": what}) from None
    if not number.is_finite() or abs(number) > MAX_VALUE:
        raise ValidationError(_("%(what)sの値が大きすぎます。") % {"what": what})
    return number


# --------------------------------------------------------------------------- indicators


@transaction.atomic
def indicator_create(*, node, by, name, targets=None, **fields) -> Indicator:
    position = (Indicator.objects.filter(node=node).aggregate(m=Max("position"))["m"] or 0) + 1
    indicator = Indicator(node=node, name=name, position=position, **fields)
    indicator.full_clean()
    targets = _clean_targets(node.plan, targets or {})
    indicator.save()
    IndicatorTarget.objects.bulk_create(
        IndicatorTarget(indicator=indicator, fiscal_year=y, value=v) for y, v in targets.items()
    )
    log_action(
        council=node.plan.council,
        actor=by,
        action="indicator.create",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=f"{node.label} / {indicator.name}",
        after=_snapshot(indicator, INDICATOR_FIELDS) | {"targets": {str(y): _plain(v) for y, v in targets.items()}},
        obj=indicator,
    )
    return indicator


@transaction.atomic
def indicator_update(
    *, indicator: Indicator, by, expected_version=None, targets=None, target_change_reason=None, **fields
) -> Indicator:
    """Update an indicator and, when given, replace its per-year targets.

    After a midterm review (the plan has a snapshot of kind 中間評価), changing a target value (a
    year's or the final one) needs ``target_change_reason``: the old value, the new one and the
    reason are kept as a ``TargetChange`` per changed value (千歳市 changed targets at midterm).
    """
    indicator = (
        Indicator.objects.select_for_update(of=("self",)).select_related("node__plan__council").get(pk=indicator.pk)
    )
    _check_version(indicator, expected_version)
    before = _snapshot(indicator, INDICATOR_FIELDS)
    old_final = indicator.final_target
    for key, value in fields.items():
        if key not in INDICATOR_FIELDS:
            raise TypeError(f"indicator_update() got an unexpected field {key!r}")
        setattr(indicator, key, value)
    indicator.full_clean()
    b, a = diff(before, _snapshot(indicator, INDICATOR_FIELDS))
    old, new = {}, None
    if targets is not None:
        new = _clean_targets(indicator.node.plan, targets)
        old = {y: Decimal(v) for y, v in indicator.targets.values_list("fiscal_year", "value")}
        if old == new:
            new = None
    # Target values that change: (fiscal year or None for the final target, old, new).
    changed_targets = []
    if new is not None:
        changed_targets = [(y, old.get(y), new.get(y)) for y in sorted(set(old) | set(new)) if old.get(y) != new.get(y)]
    if "final_target" in a:
        changed_targets.append((None, old_final, indicator.final_target))
    midterm = None
    if changed_targets:
        midterm = latest_midterm(indicator.node.plan_id)
        target_change_reason = (target_change_reason or "").replace("\r\n", "\n").strip()
        if midterm is not None and not target_change_reason:
            raise ValidationError(
                {
                    "target_change_reason": _(
                        "中間評価の後に目標値を変えるときは「目標値の変更理由」を入力してください。変更前の値と理由を記録します。"
                    )
                }
            )
    if new is not None:
        indicator.targets.all().delete()
        IndicatorTarget.objects.bulk_create(
            IndicatorTarget(indicator=indicator, fiscal_year=y, value=v) for y, v in new.items()
        )
        b["targets"] = {str(y): _plain(v) for y, v in sorted(old.items())}
        a["targets"] = {str(y): _plain(v) for y, v in new.items()}
    if not a:
        return indicator
    indicator.version = F("version") + 1
    indicator.save()
    indicator.refresh_from_db()
    node = indicator.node
    log_action(
        council=node.plan.council,
        actor=by,
        action="indicator.update",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=f"{node.label} / {indicator.name}",
        before=b,
        after=a,
        obj=indicator,
    )
    if midterm is not None:
        actor = by if getattr(by, "pk", None) else None
        TargetChange.objects.bulk_create(
            TargetChange(
                indicator=indicator,
                fiscal_year=y,
                old_value=o,
                new_value=n,
                reason=target_change_reason,
                snapshot=midterm,
                changed_by=actor,
            )
            for y, o, n in changed_targets
        )
        year_key = lambda y: str(y) if y is not None else "final"  # noqa: E731
        log_action(
            council=node.plan.council,
            actor=by,
            action="target.change",
            plan_id=node.plan_id,
            node_id=node.pk,
            target_label=f"{node.label} / {indicator.name}",
            before={year_key(y): _plain(o) for y, o, _n in changed_targets},
            after={year_key(y): _plain(n) for y, _o, n in changed_targets} | {"reason": target_change_reason},
            obj=indicator,
        )
    return indicator


@transaction.atomic
def indicator_delete(*, indicator: Indicator, by) -> None:
    node = indicator.node
    log_action(
        council=node.plan.council,
        actor=by,
        action="indicator.delete",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=f"{node.label} / {indicator.name}",
        before=_snapshot(indicator, INDICATOR_FIELDS) | {"actuals": indicator.actuals.count()},
    )
    indicator.delete()


# --------------------------------------------------------------------------- status scale & calendar


def statuses_setup(council) -> None:
    """The default status scale for a new council (run by core.services.council_setup)."""
    if not ProgressStatus.objects.filter(council=council).exists():
        ProgressStatus.objects.bulk_create(
            [
                ProgressStatus(council=council, position=i, name=n, color=c, score=s)
                for i, (n, c, s) in enumerate(DEFAULT_STATUSES)
            ],
            ignore_conflicts=True,
        )


def statuses_for(council) -> list[ProgressStatus]:
    """The council's status scale (made when the council was created; reading writes nothing)."""
    return list(ProgressStatus.objects.filter(council=council).order_by("position", "pk"))


def schedule_for(plan) -> ReportingSchedule:
    """The plan's reporting schedule; the defaults (yearly), unsaved, until someone changes them."""
    return ReportingSchedule.objects.filter(plan=plan).first() or ReportingSchedule(plan=plan)


@transaction.atomic
def schedule_update(*, plan, by, frequency, due_days, grace_days) -> ReportingSchedule:
    schedule = schedule_for(plan)
    before = {"frequency": schedule.frequency, "due_days": schedule.due_days, "grace_days": schedule.grace_days}
    if frequency != schedule.frequency and ProgressReport.objects.filter(node__plan=plan).exists():
        raise ValidationError(_("進捗報告が既にあるため、報告の頻度は変えられません。"))
    schedule.frequency, schedule.due_days, schedule.grace_days = frequency, due_days, grace_days
    schedule.full_clean()
    schedule.save()
    b, a = diff(before, {"frequency": frequency, "due_days": due_days, "grace_days": grace_days})
    if a:
        log_action(
            council=plan.council,
            actor=by,
            action="schedule.update",
            plan_id=plan.pk,
            target_label=plan.title,
            before=b,
            after=a,
        )
    return schedule


def plan_periods(plan, fiscal_year):
    schedule = schedule_for(plan)
    return periods_module.periods(
        frequency=schedule.frequency,
        fiscal_year=fiscal_year,
        due_days=schedule.due_days,
        grace_days=schedule.grace_days,
    )


# --------------------------------------------------------------------------- reports


@transaction.atomic
def report_save(
    *, node, fiscal_year: int, period: int, by, expected_version=None, actuals=None, is_sample=False, **fields
) -> ProgressReport:
    """Create or update the report of ``node`` for one period; ``actuals`` maps indicator → value.

    ``expected_version`` is the version the form was opened with (0 for a new report): a report
    saved by someone else in between is refused, never overwritten. The rules live in
    ``reports_save_bulk``; this is the one-item case, raising the same errors a form expects.
    """
    for key in fields:
        if key not in REPORT_FIELDS:
            raise TypeError(f"report_save() got an unexpected field {key!r}")
    try:
        reports_save_bulk(
            plan=node.plan,
            fiscal_year=fiscal_year,
            period=period,
            by=by,
            items=[
                {
                    "node": node,
                    "expected_version": expected_version,
                    "actuals": actuals,
                    "fields": fields,
                    "is_sample": is_sample,
                }
            ],
        )
    except BulkItemError as exc:
        raise exc.original from None
    return ProgressReport.objects.select_related("status").get(node=node, fiscal_year=fiscal_year, period=period)


def _actual(indicator, value):
    """(value, text) for one actual, checked against the indicator's kind."""
    if value in (None, ""):
        return (None, "")
    name = indicator.name
    if indicator.kind == Indicator.Kind.QUALITATIVE:
        return (None, str(value).strip())
    if indicator.kind == Indicator.Kind.YES_NO:
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "はい", "実施", "あり", "○"):
            return (Decimal(1), "")
        if text in ("0", "false", "no", "いいえ", "未実施", "なし", "×"):
            return (Decimal(0), "")
        raise ValidationError(_("「%(name)s」は「実施」か「未実施」で入力してください。") % {"name": name})
    number = _number(value, _("「%(name)s」の実績値") % {"name": name})
    if number < 0:
        raise ValidationError(_("「%(name)s」の実績値にマイナスは入力できません。") % {"name": name})
    if indicator.kind == Indicator.Kind.RATIO and number > 100:
        raise ValidationError(_("「%(name)s」は割合（％）です。0〜100 で入力してください。") % {"name": name})
    return (number, "")


# --------------------------------------------------------------------------- working groups & meetings


def _users_of(users):
    return sorted(str(u) for u in users)


def _check_plan_nodes(plan, nodes):
    if any(n.plan_id != plan.pk for n in nodes):
        raise ValidationError(_("別の計画の項目は選べません。"))


@transaction.atomic
def working_group_save(
    *, plan, by, group=None, name, nodes=(), leader=None, sub_leader=None, members=(), is_sample=False
):
    from .models import WorkingGroup

    nodes, members = list(nodes), list(members)
    _check_plan_nodes(plan, nodes)
    if WorkingGroup.objects.filter(plan=plan, name=name).exclude(pk=getattr(group, "pk", None)).exists():
        raise ValidationError({"name": _("「%(name)s」というワーキンググループは既にあります。") % {"name": name}})
    before = None
    if group is None:
        group = WorkingGroup(plan=plan, is_sample=is_sample)
    else:
        before = {
            "name": group.name,
            "leader": str(group.leader or ""),
            "sub_leader": str(group.sub_leader or ""),
            "members": _users_of(group.members.all()),
            "nodes": sorted(n.label for n in group.nodes.all()),
        }
    group.name, group.leader, group.sub_leader = name, leader, sub_leader
    group.full_clean(exclude=["plan"])
    group.save()
    group.nodes.set(nodes)
    group.members.set(members)
    after = {
        "name": name,
        "leader": str(leader or ""),
        "sub_leader": str(sub_leader or ""),
        "members": _users_of(members),
        "nodes": sorted(n.label for n in nodes),
    }
    b, a = diff(before, after) if before else (None, after)
    if a:
        log_action(
            council=plan.council,
            actor=by,
            action="working_group.save",
            plan_id=plan.pk,
            target_label=name,
            before=b,
            after=a,
        )
    return group


@transaction.atomic
def working_group_delete(*, group, by):
    log_action(
        council=group.plan.council,
        actor=by,
        action="working_group.delete",
        plan_id=group.plan_id,
        target_label=group.name,
        before={"name": group.name},
    )
    group.delete()


MEETING_FIELDS = ["title", "held_on", "attendees", "agenda", "minutes", "decisions", "working_group"]


def _meeting_snapshot(meeting):
    snapshot = {f: getattr(meeting, f) for f in MEETING_FIELDS}
    snapshot["held_on"] = meeting.held_on.isoformat() if meeting.held_on else ""
    snapshot["working_group"] = str(meeting.working_group) if meeting.working_group_id else ""
    if meeting.pk:
        snapshot["nodes"] = sorted(n.label for n in meeting.nodes.all())
    return snapshot


@transaction.atomic
def meeting_save(*, plan, by, meeting=None, nodes=(), is_sample=False, **fields):
    from .models import Meeting

    nodes = list(nodes)
    _check_plan_nodes(plan, nodes)
    group = fields.get("working_group")
    if group is not None and group.plan_id != plan.pk:
        raise ValidationError(_("別の計画のワーキンググループは選べません。"))
    created = meeting is None
    meeting = meeting or Meeting(plan=plan, is_sample=is_sample)
    before = None if created else _meeting_snapshot(meeting)
    for key, value in fields.items():
        if key not in MEETING_FIELDS:
            raise TypeError(f"meeting_save() got an unexpected field {key!r}")
        setattr(meeting, key, value)
    meeting.full_clean(exclude=["plan"])
    meeting.save()
    meeting.nodes.set(nodes)
    after = _meeting_snapshot(meeting) | {"nodes": sorted(n.label for n in nodes)}
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v})
    if a:
        log_action(
            council=plan.council,
            actor=by,
            action="meeting.save",
            plan_id=plan.pk,
            target_label=f"{meeting.held_on} {meeting.title}",
            before=b,
            after=a,
        )
    return meeting


@transaction.atomic
def meeting_delete(*, meeting, by):
    log_action(
        council=meeting.plan.council,
        actor=by,
        action="meeting.delete",
        plan_id=meeting.plan_id,
        target_label=f"{meeting.held_on} {meeting.title}",
        before={"title": meeting.title},
    )
    meeting.delete()


# --------------------------------------------------------------------------- annual plans

MONTHS_OF_FY = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]


@transaction.atomic
def annual_plan_save(
    *,
    node,
    fiscal_year: int,
    by,
    expected_version=None,
    content="",
    months=(),
    working_group=None,
    owners=(),
    budget=None,
    is_sample=False,
):
    from .models import AnnualPlan

    plan = node.plan
    years = _plan_years(plan)
    if years is not None and fiscal_year not in years:
        raise ValidationError(_("%(year)s年度は計画期間の外です。") % {"year": fiscal_year})
    if working_group is not None and working_group.plan_id != plan.pk:
        raise ValidationError(_("別の計画のワーキンググループは選べません。"))
    months = [int(m) for m in months]
    if any(m not in MONTHS_OF_FY for m in months):
        raise ValidationError(_("月は 1〜12 で選んでください。"))
    months = [m for m in MONTHS_OF_FY if m in months]
    owners = list(owners)
    budget = None if budget in (None, "") else _number(budget, _("予算"))
    annual = AnnualPlan.objects.select_for_update().filter(node=node, fiscal_year=fiscal_year).first()
    if annual is None:
        if expected_version not in (None, 0, "0", ""):
            raise ConcurrentEditError(
                _("この年次計画は削除されたか、まだ作成されていません。画面を開き直してください。")
            )
        annual, before = AnnualPlan(node=node, fiscal_year=fiscal_year, is_sample=is_sample), None
    else:
        _check_version(annual, expected_version)
        before = {
            "content": annual.content,
            "months": annual.months,
            "working_group": str(annual.working_group or ""),
            "owners": _users_of(annual.owners.all()),
            "budget": _plain(annual.budget),
        }
    annual.content, annual.months, annual.working_group, annual.budget = content, months, working_group, budget
    annual.full_clean(exclude=["node"])
    after = {
        "content": content,
        "months": months,
        "working_group": str(working_group or ""),
        "owners": _users_of(owners),
        "budget": _plain(budget),
    }
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v not in ("", [], None)})
    if before is not None and not a:
        return annual
    if before is not None:
        annual.version = F("version") + 1
        annual.save()
    else:
        with created_once():  # two first saves at once: the second is told, not a 500
            annual.save()
    annual.refresh_from_db()
    annual.owners.set(owners)
    log_action(
        council=plan.council,
        actor=by,
        action="annual_plan.save",
        plan_id=plan.pk,
        node_id=node.pk,
        target_label=f"{node.label} / {fiscal_year}",
        before=b,
        after=a,
    )
    return annual


# --------------------------------------------------------------------------- restoring earlier values

ACTUAL_PREFIX = "実績: "


@transaction.atomic
def audit_restore(*, entry, by):
    """Put back the values an audit entry shows as "before". The restore is itself a normal,
    audited change, so it can be undone the same way."""
    if entry.action not in RESTORABLE_ACTIONS or not entry.before:
        raise ValidationError(_("この変更は元に戻せません。"))
    if entry.action == "indicator.update":
        indicator = Indicator.objects.filter(pk=entry.object_id).select_related("node__plan").first()
        if indicator is None:
            raise ValidationError(_("この指標は削除されています。"))
        before = dict(entry.before)
        targets = before.pop("targets", None)
        fields = {k: v for k, v in before.items() if k in INDICATOR_FIELDS}
        return indicator_update(indicator=indicator, by=by, targets=targets, **fields)
    report = ProgressReport.objects.filter(pk=entry.object_id).select_related("node__plan__council").first()
    if report is None:
        raise ValidationError(_("この報告は削除されています。"))
    fields, actuals = {}, {}
    indicators = {i.name: i for i in Indicator.objects.filter(node=report.node)}
    for key, value in entry.before.items():
        if key == "status":
            fields["status"] = (
                ProgressStatus.objects.filter(council=report.node.plan.council, name=value).first() if value else None
            )
            if value and fields["status"] is None:
                raise ValidationError(_("状況「%(name)s」は今の状況の一覧にありません。") % {"name": value})
        elif key in ("done_text", "results", "problems"):
            fields[key] = value or ""
        elif key.startswith(ACTUAL_PREFIX) and key[len(ACTUAL_PREFIX) :] in indicators:
            actuals[indicators[key[len(ACTUAL_PREFIX) :]]] = value
    return report_save(
        node=report.node, fiscal_year=report.fiscal_year, period=report.period, by=by, actuals=actuals, **fields
    )


# --------------------------------------------------------------------------- many reports at once


class BulkItemError(ValidationError):
    """A problem with one item of a bulk save; ``index`` says which, ``original`` is the error."""

    def __init__(self, index, original):
        super().__init__(original.messages)
        self.index = index
        self.original = original


def _bulk_report(plan, item, report, fiscal_year, period):
    """(report with the item's fields set, unsaved; its audit fields before; after) for one bulk item."""
    node, fields = item["node"], dict(item.get("fields") or {})
    status = fields.get("status")
    if status is not None and status.council_id != plan.council_id:
        raise ValidationError(_("この社協の状況を選んでください。"))
    expected = item.get("expected_version")
    if report is None:
        if expected not in (None, 0, "0", ""):
            raise ConcurrentEditError(_("この報告は削除されたか、まだ作成されていません。画面を開き直してください。"))
        report = ProgressReport(
            node=node, fiscal_year=fiscal_year, period=period, is_sample=bool(item.get("is_sample"))
        )
        before = {}
    else:
        _check_version(report, expected)
        before = _snapshot(report, REPORT_FIELDS)
        before["status"] = report.status.name if report.status else None
    for key, value in fields.items():
        if key not in REPORT_FIELDS:
            raise TypeError(f"reports_save_bulk() got an unexpected field {key!r}")
        setattr(report, key, value)
    after = _snapshot(report, REPORT_FIELDS)
    after["status"] = report.status.name if report.status else None
    return report, before, after


def _bulk_actuals(own, actuals) -> dict:
    """indicator id → clean (value, text) of one bulk item's actuals, each an indicator of its own item."""
    new_values = {}
    for indicator, value in actuals.items():
        indicator_id = getattr(indicator, "pk", indicator)
        if indicator_id not in own:
            raise ValidationError(_("この項目の指標ではありません。"))
        new_values[indicator_id] = _actual(own[indicator_id], value)
    return new_values


@transaction.atomic
def reports_save_bulk(*, plan, fiscal_year: int, period: int, by, items) -> int:
    """``report_save`` for many items of one plan and period, with the same checks, version
    protection and one audit entry per item, but a fixed number of queries for reading and bulk
    writes. ``items`` are dicts: node, expected_version, actuals ({indicator: value}), fields.
    The first problem raises ``BulkItemError`` with the item's index and nothing is saved."""
    from django.utils import timezone

    years = _plan_years(plan)
    if years is not None and fiscal_year not in years:
        raise ValidationError(_("%(year)s年度は計画期間の外です。") % {"year": fiscal_year})
    if period not in {p.number for p in plan_periods(plan, fiscal_year)}:
        raise ValidationError(_("この計画の報告期間にない期間です。"))
    node_ids = [item["node"].pk for item in items]
    reports = {
        r.node_id: r
        for r in ProgressReport.objects.select_for_update(of=("self",))
        .filter(node_id__in=node_ids, fiscal_year=fiscal_year, period=period)
        .select_related("status")
    }
    indicators: dict[int, dict[int, Indicator]] = {}
    for indicator in Indicator.objects.filter(node_id__in=node_ids):
        indicators.setdefault(indicator.node_id, {})[indicator.pk] = indicator
    old_actuals: dict[tuple[int, int], IndicatorActual] = {}
    old_by_report: dict[int, dict[int, tuple[Decimal | None, str]]] = {}
    for actual in IndicatorActual.objects.filter(report__in=list(reports.values())):
        old_actuals[(actual.report_id, actual.indicator_id)] = actual
        old_by_report.setdefault(actual.report_id, {})[actual.indicator_id] = (actual.value, actual.text)
    now, user = timezone.now(), (by if getattr(by, "pk", None) else None)
    new_reports, changed_reports, pending = [], [], []
    for index, item in enumerate(items):
        node = item["node"]
        try:
            report, before, after = _bulk_report(plan, item, reports.get(node.pk), fiscal_year, period)
            new_values = _bulk_actuals(indicators.get(node.pk, {}), item.get("actuals") or {})
        except ValidationError as exc:
            raise BulkItemError(index, exc) from None
        created = report.pk is None
        old = {} if created else old_by_report.get(report.pk, {})
        changed = {k: v for k, v in new_values.items() if old.get(k) != v}
        b, a = diff(before, after) if not created else ({}, {k: v for k, v in after.items() if v})
        if not created and not a and not changed:
            continue
        report.updated_by, report.updated_at = user, now
        if created:
            new_reports.append(report)
        else:
            report.version += 1
            changed_reports.append(report)
        pending.append((report, node, changed, old, b, a, created))
    with created_once():  # a report created by someone else since we looked: refused, not a 500
        ProgressReport.objects.bulk_create(new_reports)
    # One UPDATE per changed existing report: Django's bulk_update builds a CASE per row and field,
    # which was over ten times slower here for a thousand rows.
    for report in changed_reports:
        ProgressReport.objects.filter(pk=report.pk).update(
            status=report.status,
            done_text=report.done_text,
            results=report.results,
            problems=report.problems,
            version=report.version,
            updated_by=report.updated_by,
            updated_at=report.updated_at,
        )
    _bulk_write_actuals(plan, by, pending, indicators, old_actuals, label=f"{fiscal_year}-{period}")
    return len(pending)


def _bulk_write_actuals(plan, by, pending, indicators, old_actuals, *, label) -> None:
    """The changed actuals of saved bulk items (replacing the old rows), and one audit entry per item."""
    create_actuals, replaced_actuals, entries = [], [], []
    for report, node, changed, old, b, a, created in pending:
        names = indicators.get(node.pk, {})
        for indicator_id, (value, text) in changed.items():
            existing = old_actuals.get((report.pk, indicator_id))
            if existing is not None:
                replaced_actuals.append(existing.pk)
            create_actuals.append(IndicatorActual(report=report, indicator_id=indicator_id, value=value, text=text))
            name = names[indicator_id].name
            if indicator_id in old:
                b[f"{ACTUAL_PREFIX}{name}"] = (
                    _plain(old[indicator_id][0]) if old[indicator_id][0] is not None else old[indicator_id][1]
                )
            a[f"{ACTUAL_PREFIX}{name}"] = _plain(value) if value is not None else text
        entries.append(
            audit_entry(
                council=plan.council,
                actor=by,
                action="report.create" if created else "report.update",
                plan_id=plan.pk,
                node_id=node.pk,
                target_label=f"{node.label} / {label}",
                before=b or None,
                after=a,
                obj=report,
            )
        )
    IndicatorActual.objects.filter(pk__in=replaced_actuals).delete()
    IndicatorActual.objects.bulk_create(create_actuals)
    AuditEntry.objects.bulk_create(entries)


# --------------------------------------------------------------------------- the council's status scale

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _check_status_rows(kept) -> None:
    """The statuses kept: at least one, named without repeats, each with a colour and a 0–100 score."""
    names = [(r.get("name") or "").strip() for r in kept]
    if not kept:
        raise ValidationError(_("状況を一つ以上残してください。"))
    if any(not n for n in names) or len(set(names)) != len(names):
        raise ValidationError(_("状況の名前は空にせず、重ならないようにしてください。"))
    for row in kept:
        if not HEX_COLOUR.fullmatch(row.get("color") or ""):
            raise ValidationError(
                _("色は #1a7f37 のように # と6桁で入力してください（「%(name)s」）。") % {"name": row["name"]}
            )
        if not 0 <= int(row.get("score", -1)) <= 100:
            raise ValidationError(_("点数は 0〜100 で入力してください（「%(name)s」）。") % {"name": row["name"]})


@transaction.atomic
def statuses_update(*, council, by, rows):
    """Replace the council's status scale with ``rows`` (dicts: id or None, name, color, score, delete).

    Existing statuses are renamed in place, so reports keep them; a status still used by a report
    cannot be deleted."""
    current = {s.pk: s for s in statuses_for(council)}
    before = [f"{s.name}（{s.score}・{s.color}）" for s in current.values()]
    ids = [r.get("id") for r in rows if r.get("id") is not None]
    if any(pk not in current for pk in ids) or len(set(ids)) != len(ids):
        # A forged or stale row id (another council's status, one deleted meanwhile, a duplicate).
        raise ValidationError(
            _(
                "状況の一覧が画面を開いた後に変わったか、正しくない行があります。"
                "画面を開き直してから、もう一度保存してください。"
            )
        )
    kept = [r for r in rows if not r.get("delete")]
    _check_status_rows(kept)
    for row in rows:
        if row.get("delete") and row.get("id") in current:
            status = current[row["id"]]
            if ProgressReport.objects.filter(status=status).exists():
                raise ValidationError(
                    _("「%(name)s」は進捗報告で使われているため削除できません。名前を変えることはできます。")
                    % {"name": status.name}
                )
            status.delete()
    # Two passes, so swapping two names never meets the unique constraint half-way.
    kept_ids = {r.get("id") for r in kept if r.get("id") is not None}
    for status in current.values():
        if status.pk is not None and status.pk in kept_ids:
            status.name = f"__renaming_{status.pk}"
            status.save(update_fields=["name"])
    for position, row in enumerate(kept):
        status = current.get(row.get("id")) or ProgressStatus(council=council)
        status.position, status.name, status.color, status.score = (
            position,
            row["name"].strip(),
            row["color"],
            int(row["score"]),
        )
        status.save()
    after = [
        f"{s.name}（{s.score}・{s.color}）" for s in ProgressStatus.objects.filter(council=council).order_by("position")
    ]
    if after != before:
        log_action(
            council=council,
            actor=by,
            action="statuses.update",
            target_label=council.name,
            before={"statuses": before},
            after={"statuses": after},
        )


# --------------------------------------------------------------------------- attachments

ATTACHMENT_TYPES = {  # extension → (content type, leading bytes it must start with, or None for zip-based)
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "gif": ("image/gif", b"GIF8"),
    "webp": ("image/webp", b"RIFF"),
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", b"PK\x03\x04"),
}
MAX_ATTACHMENTS = 20


def attachment_check(upload, *, max_bytes):
    """(content type, clean name) for an acceptable upload, else a ValidationError in Japanese."""
    import os

    name = os.path.basename(upload.name or "").strip()[:200] or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ATTACHMENT_TYPES:
        raise ValidationError(
            _(
                "「%(name)s」は添付できない種類のファイルです。写真（JPEG・PNG・GIF・WebP）、PDF、"
                "Word・Excel・PowerPoint のファイルを選んでください。"
            )
            % {"name": name}
        )
    if upload.size > max_bytes:
        raise ValidationError(
            _("「%(name)s」は大きすぎます（%(mb).1f MB）。%(max)s MB までです。")
            % {"name": name, "mb": upload.size / 1048576, "max": max_bytes // 1048576}
        )
    content_type, magic = ATTACHMENT_TYPES[extension]
    head = upload.read(len(magic))
    upload.seek(0)
    if not head.startswith(magic):
        raise ValidationError(
            _("「%(name)s」の中身がファイル名（.%(ext)s）と合いません。") % {"name": name, "ext": extension}
        )
    return content_type, name


@transaction.atomic
def report_submit(
    *,
    node,
    fiscal_year: int,
    period: int,
    by,
    expected_version,
    actuals,
    status,
    done_text: str,
    results: str,
    problems: str,
    remove_attachments=(),
    attachment=None,
    attachment_info=None,
) -> ProgressReport:
    """The report form's one write: the report, the attachments removed and the one added, all or nothing."""
    with transaction.atomic():
        saved = report_save(
            node=node,
            fiscal_year=fiscal_year,
            period=period,
            by=by,
            expected_version=expected_version,
            actuals=actuals,
            status=status,
            done_text=done_text,
            results=results,
            problems=problems,
        )
        for removed in remove_attachments:
            attachment_delete(attachment=removed, by=by)
        if attachment:
            content_type, name = attachment_info
            attachment_add(report=saved, by=by, upload=attachment, content_type=content_type, name=name)
    return saved


def attachment_add(*, report, by, upload, content_type, name):
    from .models import ReportAttachment

    if report.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(_("添付は一つの報告に %(n)s 件までです。") % {"n": MAX_ATTACHMENTS})
    attachment = ReportAttachment(
        report=report,
        name=name,
        size=upload.size,
        content_type=content_type,
        uploaded_by=by if getattr(by, "pk", None) else None,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    node = report.node
    log_action(
        council=node.plan.council,
        actor=by,
        action="report.attachment_add",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=f"{node.label} / {report.fiscal_year}-{report.period}",
        after={"添付": name},
        obj=report,
    )
    return attachment


@transaction.atomic
def attachment_delete(*, attachment, by):
    report = attachment.report
    node = report.node
    log_action(
        council=node.plan.council,
        actor=by,
        action="report.attachment_delete",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=f"{node.label} / {report.fiscal_year}-{report.period}",
        before={"添付": attachment.name},
        obj=report,
    )
    stored = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
