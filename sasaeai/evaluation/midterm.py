"""中間評価・中間見直し: dated, read-only snapshots of a plan, and what changed since.

- ``snapshot_take`` (a service) stores a JSON copy of the plan as it stands: structure, indicators
  and targets, 進捗・達成率 of every item for every year so far, and the submitted evaluation stages.
  A snapshot is never edited afterwards.
- ``snapshot_data`` builds that JSON; with ``with_figures=False`` it describes the current plan's
  structure and targets only, for comparing a snapshot with today's plan.
- ``diff_plans`` is pure: two such dicts (and the recorded target changes) → what was added,
  removed, renamed, moved, made (non-)priority, and which targets changed.
- ``snapshot_rows`` is pure too: the rows the read-only snapshot page shows for one year.

Decimals are stored as plain strings ("100", "92.5", never "1E+2"); figures are rounded to four
decimal places, like the values the database keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import permissions_for
from sasaeai.core import fiscal
from sasaeai.core.audit import log_action
from sasaeai.core.forms import validate_era_date
from sasaeai.progress.models import TargetChange

from .models import STAGE_ORDER, Grade, PlanSnapshot, Stage, StageEntry
from .permissions import MIDTERM

FORMAT_VERSION = 1
FOUR_PLACES = Decimal("0.0001")
TITLE_LIMIT = 200
NOTE_LIMIT = 5000


def plain(value, places: Decimal | None = None) -> str | None:
    """A Decimal (or number) as people write it: 100.0000 → "100", 45.50 → "45.5"; None stays None."""
    if value is None or value == "":
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return str(number)
    if places is not None:
        number = number.quantize(places, rounding=ROUND_HALF_UP)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _year(value):
    return None if value is None else int(value)


# --------------------------------------------------------------------------- building the copy


def _structure(plan, tree) -> dict:
    from sasaeai.progress.models import Indicator

    nodes = [
        {
            "id": node.pk,
            "parent": node.parent_id,
            "code": node.code,
            "title": node.title,
            "level": node.level.name,
            "level_depth": node.level.depth,
            "depth": depth,
            "is_priority": node.is_priority,
            "weight": plain(node.weight),
            "leaf": not node.children_list,
        }
        for node, depth in tree.rows()
    ]
    order = {n["id"]: i for i, n in enumerate(nodes)}
    indicators = list(Indicator.objects.filter(node__plan=plan).prefetch_related("targets"))
    indicators.sort(key=lambda i: (order.get(i.node_id, 0), i.position, i.pk))
    return {
        "plan": {
            "id": plan.pk,
            "title": plan.title,
            "generation": plan.generation,
            "kind": plan.kind,
            "status": plan.status,
            "period_start": plan.period_start,
            "period_end": plan.period_end,
            "vision": plan.vision,
            "levels": [lv.name for lv in tree.levels],
        },
        "nodes": nodes,
        "indicators": [
            {
                "id": i.pk,
                "node": i.node_id,
                "name": i.name,
                "unit": i.unit,
                "kind": i.kind,
                "direction": i.direction,
                "baseline": plain(i.baseline_value),
                "baseline_year": i.baseline_year,
                "final_target": plain(i.final_target),
                "final_target_year": i.final_target_year,
                "targets": {
                    str(t.fiscal_year): plain(t.value) for t in sorted(i.targets.all(), key=lambda t: t.fiscal_year)
                },
            }
            for i in indicators
        ],
    }


def snapshot_years(plan, fiscal_year: int) -> list[int]:
    """The years a snapshot taken in ``fiscal_year`` records: from the plan's start up to that year."""
    if plan.period_start is None:
        return [fiscal_year]
    return list(range(plan.period_start, min(fiscal_year, plan.period_end) + 1))


def snapshot_data(plan, fiscal_year: int | None = None, *, with_figures=True) -> dict:
    """The JSON copy of ``plan``: structure and targets, and (``with_figures``) the figures and the
    submitted evaluation stages of every year up to ``fiscal_year``. A fixed number of queries per year."""
    from sasaeai.plans.selectors import plan_tree
    from sasaeai.progress.selectors import plan_figures

    tree = plan_tree(plan)
    data = {"format": FORMAT_VERSION, **_structure(plan, tree)}
    if not with_figures:
        return data
    if fiscal_year is None:
        raise ValueError("snapshot_data needs the fiscal year whose figures it records")
    years = snapshot_years(plan, fiscal_year)
    data["fiscal_year"] = fiscal_year
    data["years"] = years
    figures_by_year = {}
    for year in years:
        _tree, figures = plan_figures(plan, year, tree=tree)
        nodes, indicators = {}, {}
        for node_id, f in figures.items():
            row = {
                k: plain(v, FOUR_PLACES)
                for k, v in (("progress", f.progress), ("achievement", f.achievement))
                if v is not None
            }
            if f.report is not None and f.report.status is not None:
                row["status"] = f.report.status.name
            if row:
                nodes[str(node_id)] = row
            for figure in f.indicators:
                if figure.actual is None and not figure.actual_text:
                    continue
                indicators[str(figure.indicator.pk)] = {
                    "actual": plain(figure.actual),
                    "text": figure.actual_text,
                    "rate": plain(figure.rate, FOUR_PLACES),
                }
        figures_by_year[str(year)] = {"nodes": nodes, "indicators": indicators}
    data["figures"] = figures_by_year
    grades = list(Grade.objects.filter(scale__council_id=plan.council_id).order_by("position", "pk"))
    data["grades"] = [{"code": g.code, "label": g.label, "color": g.color} for g in grades]
    entries = (
        StageEntry.objects.filter(
            evaluation__node__plan=plan, evaluation__fiscal_year__in=years, state=StageEntry.State.SUBMITTED
        )
        .select_related("grade", "direction", "evaluation")
        .order_by("evaluation__fiscal_year", "evaluation__period", "evaluation__node_id", "pk")
    )
    order: dict[str, int] = {s: i for i, s in enumerate(STAGE_ORDER)}
    evaluations: list[dict[str, Any]] = [
        {
            "node": e.evaluation.node_id,
            "fiscal_year": e.evaluation.fiscal_year,
            "period": e.evaluation.period,
            "stage": e.stage,
            "grade": e.grade.code if e.grade else "",
            "direction": e.direction.name if e.direction else "",
            "challenges": e.challenges,
            "improvements": e.improvements,
        }
        for e in entries
    ]
    evaluations.sort(key=lambda e: (e["fiscal_year"], e["period"], e["node"], order.get(e["stage"], 0)))
    data["evaluations"] = evaluations
    return data


def latest_midterm_of(plan_id: int) -> PlanSnapshot | None:
    """The plan's latest midterm snapshot (only its key): what progress asks before a target changes."""
    return (
        PlanSnapshot.objects.filter(plan_id=plan_id, kind=PlanSnapshot.Kind.MIDTERM)
        .only("pk")
        .order_by("-taken_on", "-pk")
        .first()
    )


def latest_midterm(plan) -> PlanSnapshot | None:
    return (
        PlanSnapshot.objects.filter(plan=plan, kind=PlanSnapshot.Kind.MIDTERM)
        .defer("data")
        .order_by("-taken_on", "-pk")
        .first()
    )


def default_fiscal_year(plan, taken_on) -> int:
    year = fiscal.fiscal_year_of(taken_on)
    if plan.period_start is None:
        return year
    return min(max(year, plan.period_start), plan.period_end)


@transaction.atomic
def snapshot_take(
    *, plan, by, title, kind=PlanSnapshot.Kind.MIDTERM, taken_on=None, fiscal_year=None, note=""
) -> PlanSnapshot:
    """Record the plan as it stands (中間評価の記録). Snapshots are never edited afterwards."""
    if MIDTERM not in permissions_for(by, plan.council_id):
        raise PermissionDenied(_("中間評価の記録を作る権限がありません。"))
    title = (title or "").strip()
    note = (note or "").replace("\r\n", "\n").strip()
    errors = {}
    if not title:
        errors["title"] = _("名称を入力してください（例: 中間評価）。")
    elif len(title) > TITLE_LIMIT:
        errors["title"] = _("名称は%(n)s文字以内で入力してください。") % {"n": TITLE_LIMIT}
    if kind not in PlanSnapshot.Kind.values:
        errors["kind"] = _("種類を選んでください。")
    if len(note) > NOTE_LIMIT:
        errors["note"] = _("メモは%(n)s文字以内で入力してください。") % {"n": NOTE_LIMIT}
    taken_on = taken_on or timezone.localdate()
    try:
        validate_era_date(taken_on)
    except ValidationError as exc:
        errors["taken_on"] = exc.messages[0]
    if "taken_on" in errors:
        pass
    elif fiscal_year is None:
        fiscal_year = default_fiscal_year(plan, taken_on)
    elif plan.period_start is not None and not plan.period_start <= int(fiscal_year) <= plan.period_end:
        errors["fiscal_year"] = _("%(year)sは計画期間（%(period)s）の外です。") % {
            "year": fiscal.format_fiscal_year(int(fiscal_year)),
            "period": plan.period_label,
        }
    if errors:
        raise ValidationError(errors)
    fiscal_year = int(fiscal_year)
    data = snapshot_data(plan, fiscal_year)
    snapshot = PlanSnapshot(
        plan=plan,
        kind=kind,
        title=title,
        taken_on=taken_on,
        fiscal_year=fiscal_year,
        note=note,
        data=data,
        created_by=by if getattr(by, "pk", None) else None,
    )
    snapshot.full_clean(exclude=["plan", "created_by"])
    snapshot.save()
    log_action(
        council=plan.council,
        actor=by,
        action="snapshot.create",
        plan_id=plan.pk,
        target_label=f"{plan.title} / {title}",
        after={
            "title": title,
            "kind": kind,
            "taken_on": taken_on.isoformat(),
            "fiscal_year": fiscal_year,
            "nodes": len(data["nodes"]),
            "indicators": len(data["indicators"]),
        },
        obj=snapshot,
    )
    return snapshot


# --------------------------------------------------------------------------- reading a snapshot


def _label(node: dict | None) -> str:
    if node is None:
        return ""
    return f"{node.get('code') or ''} {node.get('title') or ''}".strip()


@dataclass
class SnapshotRow:
    node: dict
    depth: int
    figures: dict
    indicators: list
    entries: list  # visible submitted stages, in order: dicts with stage, stage_label, grade …
    current: dict | None  # the latest of them


def snapshot_rows(data: dict, fiscal_year: int, stages) -> list[SnapshotRow]:
    """Rows of the read-only snapshot page for one recorded year; ``stages`` are the visible stages."""
    stages = [str(s) for s in stages]
    labels = {str(s): str(Stage(s).label) for s in STAGE_ORDER}
    grades = {g["code"]: g for g in data.get("grades", [])}
    year_figures = data.get("figures", {}).get(str(fiscal_year), {"nodes": {}, "indicators": {}})
    by_node: dict[int, list[dict[str, Any]]] = {}
    for indicator in data.get("indicators", []):
        actual = year_figures["indicators"].get(str(indicator["id"]), {})
        target = indicator["targets"].get(str(fiscal_year))
        if target is None and indicator.get("final_target_year") == fiscal_year:
            target = indicator.get("final_target")
        by_node.setdefault(indicator["node"], []).append(
            {
                **indicator,
                "target": target,
                "actual": actual.get("actual"),
                "text": actual.get("text", ""),
                "rate": actual.get("rate"),
                "rate_display": display(actual.get("rate")),
                "target_list": [(int(y), v) for y, v in indicator["targets"].items()],
            }
        )
    entries: dict[int, list[dict[str, Any]]] = {}
    for e in data.get("evaluations", []):
        if e["fiscal_year"] == fiscal_year and e["period"] == 0 and e["stage"] in stages:
            grade = grades.get(e["grade"], {})
            entries.setdefault(e["node"], []).append(
                {
                    **e,
                    "stage_label": labels.get(e["stage"], e["stage"]),
                    "grade_label": grade.get("label", ""),
                    "grade_color": grade.get("color", ""),
                }
            )
    rows = []
    for node in data.get("nodes", []):
        node_entries = entries.get(node["id"], [])
        figures = dict(year_figures["nodes"].get(str(node["id"]), {}))
        figures["progress_display"] = display(figures.get("progress"))
        figures["achievement_display"] = display(figures.get("achievement"))
        rows.append(
            SnapshotRow(
                node=node,
                depth=node.get("depth", 0),
                figures=figures,
                indicators=by_node.get(node["id"], []),
                entries=node_entries,
                current=node_entries[-1] if node_entries else None,
            )
        )
    return rows


# --------------------------------------------------------------------------- comparing


@dataclass
class PlanDiff:
    added: list = field(default_factory=list)  # node dicts of the newer plan
    removed: list = field(default_factory=list)  # node dicts of the older plan
    renamed: list = field(default_factory=list)  # {"node", "old_label", "new_label"}
    moved: list = field(default_factory=list)  # {"node", "old_parent", "new_parent"}
    priority: list = field(default_factory=list)  # {"node", "old", "new"}
    targets: list = field(default_factory=list)  # {"node", "indicator", "unit", "fiscal_year", "old", "new", "reasons"}
    indicators_added: list = field(default_factory=list)  # {"node", "indicator"}
    indicators_removed: list = field(default_factory=list)  # {"node", "indicator"}

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.added,
                self.removed,
                self.renamed,
                self.moved,
                self.priority,
                self.targets,
                self.indicators_added,
                self.indicators_removed,
            )
        )


def _same(a, b) -> bool:
    """Two stored numbers are the same value ("50" and "50.0" are)."""
    if a is None or b is None:
        return a is b
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except ArithmeticError:
        return str(a) == str(b)


def diff_plans(old: dict, new: dict, changes=()) -> PlanDiff:
    """What changed from ``old`` to ``new`` (two ``snapshot_data`` dicts of the same plan).

    Items and indicators are matched by id. ``changes`` are recorded target changes (dicts with
    indicator, fiscal_year (None = final target) and reason) made between the two; each changed
    target lists the reasons recorded for it.
    """
    result = PlanDiff()
    old_nodes = {n["id"]: n for n in old.get("nodes", [])}
    new_nodes = {n["id"]: n for n in new.get("nodes", [])}
    _diff_nodes(result, old_nodes, new_nodes, new.get("nodes", []), old.get("nodes", []))
    _diff_indicators(result, old, new, old_nodes, new_nodes, _change_reasons(changes))
    return result


def _diff_nodes(result: PlanDiff, old_nodes: dict, new_nodes: dict, new_list: list, old_list: list) -> None:
    for node in new_list:
        before = old_nodes.get(node["id"])
        if before is None:
            result.added.append(node | {"parent_label": _label(new_nodes.get(node["parent"]))})
            continue
        if (before.get("code") or "") != (node.get("code") or "") or before["title"] != node["title"]:
            result.renamed.append({"node": node, "old_label": _label(before), "new_label": _label(node)})
        if before.get("parent") != node.get("parent"):
            result.moved.append(
                {
                    "node": node,
                    "old_parent": _label(old_nodes.get(before.get("parent"))),
                    "new_parent": _label(new_nodes.get(node.get("parent"))),
                }
            )
        if bool(before.get("is_priority")) != bool(node.get("is_priority")):
            result.priority.append(
                {"node": node, "old": bool(before.get("is_priority")), "new": bool(node.get("is_priority"))}
            )
    for node in old_list:
        if node["id"] not in new_nodes:
            result.removed.append(node | {"parent_label": _label(old_nodes.get(node["parent"]))})


def _change_reasons(changes) -> dict[tuple[int, int | None], list[str]]:
    """(indicator id, fiscal year or None) → the distinct reasons recorded for its target changes."""
    reasons: dict[tuple[int, int | None], list[str]] = {}
    for change in changes:
        key = (change["indicator"], _year(change.get("fiscal_year")))
        reason = (change.get("reason") or "").strip()
        if reason and reason not in reasons.setdefault(key, []):
            reasons[key].append(reason)
    return reasons


def _diff_indicators(
    result: PlanDiff,
    old: dict,
    new: dict,
    old_nodes: dict,
    new_nodes: dict,
    reasons: dict[tuple[int, int | None], list[str]],
) -> None:
    old_indicators = {i["id"]: i for i in old.get("indicators", [])}
    new_indicators = {i["id"]: i for i in new.get("indicators", [])}
    for indicator in new.get("indicators", []):
        node_label = _label(new_nodes.get(indicator["node"]))
        before = old_indicators.get(indicator["id"])
        if before is None:
            result.indicators_added.append({"node": node_label, "indicator": indicator["name"]})
            continue
        years = sorted({int(y) for y in before.get("targets", {})} | {int(y) for y in indicator.get("targets", {})})
        pairs: list[tuple[int | None, Any, Any]] = [
            (y, before["targets"].get(str(y)), indicator["targets"].get(str(y))) for y in years
        ]
        pairs.append((None, before.get("final_target"), indicator.get("final_target")))
        for year, a, b in pairs:
            if not _same(a, b):
                result.targets.append(
                    {
                        "node": node_label,
                        "indicator": indicator["name"],
                        "unit": indicator.get("unit", ""),
                        "fiscal_year": year,
                        "old": a,
                        "new": b,
                        "reasons": reasons.get((indicator["id"], year), []),
                    }
                )
    for indicator in old.get("indicators", []):
        if indicator["id"] not in new_indicators:
            result.indicators_removed.append(
                {"node": _label(old_nodes.get(indicator["node"])), "indicator": indicator["name"]}
            )


def target_changes_between(plan, after=None, before=None) -> list[dict]:
    """Recorded target changes of ``plan`` made after ``after`` and before ``before`` (datetimes)."""
    qs = TargetChange.objects.filter(indicator__node__plan=plan)
    if after is not None:
        qs = qs.filter(changed_at__gt=after)
    if before is not None:
        qs = qs.filter(changed_at__lte=before)
    return [
        {
            "indicator": c.indicator_id,
            "fiscal_year": c.fiscal_year,
            "old": plain(c.old_value),
            "new": plain(c.new_value),
            "reason": c.reason,
        }
        for c in qs.order_by("changed_at", "pk")
    ]


# --------------------------------------------------------------------------- selectors for the screens


def plan_snapshots(plan) -> list[PlanSnapshot]:
    """A plan's snapshots, newest first, without their (large) data."""
    return list(
        PlanSnapshot.objects.filter(plan=plan).defer("data").select_related("created_by").order_by("-taken_on", "-pk")
    )


def snapshot_get(plan, snapshot_id, *, with_data=True) -> PlanSnapshot:
    """One snapshot of ``plan``; the same 404 for missing and foreign ones."""
    from django.http import Http404

    qs = PlanSnapshot.objects.filter(plan=plan).select_related("created_by")
    if not with_data:
        qs = qs.defer("data")
    try:
        return qs.get(pk=int(snapshot_id))
    except (PlanSnapshot.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def display(value) -> str:
    """A stored figure for people: one decimal place ("92.3333" → "92.3"), "—" when there is none."""
    from sasaeai.progress import rollup

    if value in (None, ""):
        return "—"
    return rollup.display(Decimal(str(value)))
