"""The evaluation reports' one row source: ``PlanEvaluation`` (``selectors.plan_evaluation``) turned
into plain rows and sections that the four writers share (Excel 評価シート, PDF 事業評価報告書,
Word, CSV). Every figure and label a report prints is computed here, once:

- 達成率 of a project: the progress roll-up's (the mean of its indicators' rates, each capped at 100),
  rounded to one decimal place; an indicator's own rate is not capped (see ``progress/rollup.py``);
- 達成率 of a goal: the roll-up's figure for the goal; when the report is limited to a working
  group, the weighted average (重み) of the goal's projects in the report;
- the current evaluation (現在の評価) of a project: its latest *submitted* stage among the stages the
  user may see; 成果 / 課題 / 改善策 / 方向性 are the latest submitted visible stage's that has them
  (成果 and 課題 fall back to the progress report's);
- a stage still being entered shows 「入力中」 and nothing else: drafts are not reported;
- the committee's 総評 appears once it is submitted (確定).

No person's name is ever put in a report. Nothing here reads the request: views pass the plan, the
user's permissions and the filters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.core import fiscal
from sasaeai.progress import rollup

from .models import Evaluation, Stage
from .selectors import plan_evaluation


def stage_short_label(stage) -> str:
    """Short stage names for column headers (the model's labels are long for a printed column)."""
    return {
        Stage.SELF: _("自己評価"),
        Stage.REVIEW: _("確認"),
        Stage.INTERNAL: _("内部評価"),
        Stage.EXTERNAL: _("外部評価"),
        Stage.FINAL: _("最終評価"),
    }[stage]


DRAFT = "draft"
SUBMITTED = "submitted"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FILENAME_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
ONE_DECIMAL = Decimal("0.1")


def clean_text(value) -> str:
    """Text as every writer can take it: no control characters (Excel and Word refuse them), CRLF → LF."""
    if not value:
        return ""
    return _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()


def round1(value) -> Decimal | None:
    """A figure as reports print it: one decimal place, half up (the screens' rule)."""
    if value is None:
        return None
    return Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def plain(value) -> str:
    """Numbers as people write them (no exponent): Decimal 100.0000 → "100", 45.5000 → "45.5"."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value != value:  # NaN
            return str(value)
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return str(value)


def rate_text(value) -> str:
    """達成率 for text: "95.0", or "—" when there is none."""
    return "—" if value is None else f"{value}"


# --------------------------------------------------------------------------- rows


@dataclass
class StageMark:
    """One stage of one project as reported: submitted (記号・所見) or draft (入力中) or nothing."""

    stage: str
    label: str
    state: str = ""  # "", DRAFT or SUBMITTED
    grade: str = ""  # grade code when submitted
    comment: str = ""  # 所見 when submitted
    direction: str = ""

    @property
    def display(self) -> str:
        if self.state == SUBMITTED:
            return self.grade or "—"
        if self.state == DRAFT:
            return _("入力中")
        return ""


@dataclass
class IndicatorLine:
    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    actual: Decimal | None
    actual_text: str
    rate: Decimal | None  # rounded, not capped

    @property
    def label(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name

    @property
    def actual_display(self) -> str:
        return plain(self.actual) if self.actual is not None else self.actual_text


@dataclass
class ProjectLine:
    pk: int
    code: str
    title: str
    path: str  # the items between the goal and the project
    working_groups: list  # names
    indicators: list  # IndicatorLine
    achievement: Decimal | None  # rounded
    status: str  # progress status name
    done_text: str  # 実施内容
    results: str  # 成果
    challenges: str  # 課題
    improvements: str  # 改善策
    direction: str  # 方向性 (current)
    grade: str  # current grade code
    grade_label: str
    grade_stage: str  # label of the stage the current grade is from
    marks: list  # StageMark, one per visible stage
    weight: Decimal = Decimal(1)
    achievement_raw: Decimal | None = None  # unrounded, for averages

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}".strip()

    @property
    def performance(self) -> str:
        """実績・成果: what was done, then what came of it."""
        parts = []
        if self.done_text:
            parts.append(self.done_text)
        if self.results and self.results != self.done_text:
            parts.append(self.results)
        return "\n".join(parts)

    def mark(self, stage) -> StageMark | None:
        return next((m for m in self.marks if m.stage == stage), None)


@dataclass
class GoalLine:
    pk: int
    code: str
    title: str
    projects: list
    achievement: Decimal | None
    evaluated: int
    grade_counts: dict  # grade code → projects (in scale order)
    direction_counts: dict  # direction name → projects (in list order)
    sheet_title: str = ""

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}".strip()


@dataclass
class EvaluationReport:
    """Everything any of the four reports prints, already computed."""

    plan_pk: int
    plan_title: str
    council_name: str
    fiscal_year: int
    year_label: str  # 令和8年度 (2026年度)
    year_wareki: str  # 令和8年度
    period: int
    period_label: str  # "" or 上半期
    scope_label: str  # 計画全体 / a goal / a working group
    goal_filter: str
    group_filter: str
    stages: list  # (stage, short label)
    grades: list  # (code, label, colour)
    directions: list  # names
    goals: list  # GoalLine
    achievement: Decimal | None
    project_count: int
    evaluated: int
    grade_counts: dict
    direction_counts: dict
    opinion: str  # the committee's 総評, when submitted
    opinion_state: str  # "", DRAFT or SUBMITTED
    closed: bool
    issued_on: date
    issued_label: str  # 令和8年5月1日

    @property
    def title(self) -> str:
        period = f" {self.period_label}" if self.period_label else ""
        return _("%(year)s%(period)s 事業評価報告書") % {"year": self.year_label, "period": period}

    @property
    def sheet_heading(self) -> str:
        period = f" {self.period_label}" if self.period_label else ""
        return _("%(plan)s %(year)s%(period)s 事業評価シート") % {
            "plan": self.plan_title,
            "year": self.year_label,
            "period": period,
        }

    @property
    def stage_labels(self) -> str:
        return "・".join(label for _stage, label in self.stages)

    @property
    def projects(self):
        return [p for g in self.goals for p in g.projects]

    def grade_summary(self, counts=None) -> str:
        """ "A 2件・B 1件" for a count dict, or "—"."""
        counts = self.grade_counts if counts is None else counts
        parts = [_("%(code)s %(n)s件") % {"code": code, "n": n} for code, n in counts.items() if n]
        return "・".join(parts) or "—"

    def filename(self, kind: str, ext: str) -> str:
        """評価シート_令和8年度.xlsx (with 上半期 / the goal / the working group when filtered)."""
        parts = [kind, self.year_wareki]
        if self.period_label:
            parts.append(self.period_label)
        if self.goal_filter:
            parts.append(self.goal_filter)
        if self.group_filter:
            parts.append(self.group_filter)
        name = "_".join(
            _FILENAME_BAD.sub("", unicodedata.normalize("NFC", p)).strip().replace(" ", "_") for p in parts if p
        )
        return f"{name[:120]}.{ext}"

    def ascii_filename(self, kind: str, ext: str, goal_id=None, group_id=None) -> str:
        parts = [kind, str(self.fiscal_year)]
        if self.period:
            parts.append("h1")
        if goal_id:
            parts.append(f"goal{goal_id}")
        if group_id:
            parts.append(f"wg{group_id}")
        return "-".join(parts) + f".{ext}"


def sheet_titles(goals, reserved=()) -> list[str]:
    """Excel sheet names for goals: code + short title, at most 31 characters, unique, without
    the characters Excel forbids ([]:*?/\\) and not starting or ending with an apostrophe."""
    used = {r.casefold() for r in reserved}
    titles = []
    for index, goal in enumerate(goals, start=1):
        base = re.sub(r"[\[\]:*?/\\]", " ", f"{goal.code} {goal.title}".strip())
        base = re.sub(r"\s+", " ", clean_text(base)).strip().strip("'").strip() or _("目標%(n)s") % {"n": index}
        title = base[:31].strip()
        n = 2
        while title.casefold() in used:
            suffix = f"({n})"
            title = base[: 31 - len(suffix)].rstrip() + suffix
            n += 1
        used.add(title.casefold())
        titles.append(title)
    return titles


def _counter(keys):
    return {k: 0 for k in keys}


def _project_line(row, stages, labels) -> ProjectLine:
    figures = row.figures
    report = figures.report
    indicators = [
        IndicatorLine(
            name=clean_text(f.indicator.name),
            unit=clean_text(f.indicator.unit),
            baseline=f.indicator.baseline_value,
            target=f.target,
            actual=f.actual,
            actual_text=clean_text(f.actual_text),
            rate=round1(f.rate),
        )
        for f in figures.indicators
    ]
    marks = []
    for stage in stages:
        entry = row.entries.get(stage)
        mark = StageMark(stage=stage, label=labels[stage])
        if entry is not None:
            if entry.state == SUBMITTED:
                mark.state = SUBMITTED
                mark.grade = entry.grade.code if entry.grade_id else ""
                mark.comment = clean_text(entry.comment)
                mark.direction = entry.direction.name if entry.direction_id else ""
            else:
                mark.state = DRAFT
        marks.append(mark)
    # The latest submitted visible stage that says something, for each text (a stage left empty
    # does not hide what the stage before it said).
    submitted = [row.entries[s] for s in reversed(stages) if s in row.entries and row.entries[s].state == SUBMITTED]
    current = submitted[0] if submitted else None  # ProjectRow.current, without its per-call enum lookups

    def latest(attr):
        return next((getattr(e, attr) for e in submitted if getattr(e, attr)), None)

    results = clean_text(latest("results"))
    if not results and report is not None:
        results = clean_text(report.results)
    challenges = clean_text(latest("challenges"))
    if not challenges and report is not None:
        challenges = clean_text(report.problems)
    direction = latest("direction")
    node = row.node
    path = " › ".join(f"{n.code} {n.title}".strip() for n in row.path)
    return ProjectLine(
        pk=node.pk,
        code=clean_text(node.code),
        title=clean_text(node.title),
        path=clean_text(path),
        working_groups=[g.name for g in row.working_groups],
        indicators=indicators,
        achievement=round1(row.achievement),
        status=report.status.name if report is not None and report.status_id else "",
        done_text=clean_text(report.done_text) if report is not None else "",
        results=results,
        challenges=challenges,
        improvements=clean_text(latest("improvements")),
        direction=direction.name if direction is not None else "",
        grade=current.grade.code if current is not None and current.grade_id else "",
        grade_label=current.grade.label if current is not None and current.grade_id else "",
        grade_stage=labels.get(current.stage, "") if current is not None else "",
        marks=marks,
        weight=node.weight if node.weight is not None else Decimal(1),
        achievement_raw=row.achievement,
    )


def from_evaluation(ev, *, group=None, goal_filtered=False, today=None) -> EvaluationReport:
    """The report of a ``PlanEvaluation``; ``group`` is the working group it was limited to, if any,
    ``goal_filtered`` whether it was limited to one goal."""
    plan = ev.plan
    labels = {stage: stage_short_label(stage) for stage in ev.stages}
    grade_codes = [g.code for g in ev.grades]
    direction_names = [d.name for d in ev.directions]
    goals, raw = [], {}
    for section in ev.sections:
        projects = [_project_line(row, ev.stages, labels) for row in section.rows]
        if group is None:
            achievement = section.achievement
        else:
            achievement = rollup.weighted_average((p.weight, p.achievement_raw) for p in projects)
        raw[section.goal.pk] = achievement
        grade_counts, direction_counts = _counter(grade_codes), _counter(direction_names)
        for p in projects:
            if p.grade in grade_counts:
                grade_counts[p.grade] += 1
            if p.direction in direction_counts:
                direction_counts[p.direction] += 1
        goal = section.goal
        goals.append(
            GoalLine(
                pk=goal.pk,
                code=clean_text(goal.code),
                title=clean_text(goal.title),
                projects=projects,
                achievement=round1(achievement),
                evaluated=sum(1 for p in projects if p.grade),
                grade_counts=grade_counts,
                direction_counts=direction_counts,
            )
        )
    for goal, title in zip(goals, sheet_titles(goals, reserved=[_("総括")]), strict=False):
        goal.sheet_title = title
    # The plan's figure: the goals' weighted average (the roll-up of the roots), from unrounded figures.
    weights = {s.goal.pk: (s.goal.weight if s.goal.weight is not None else Decimal(1)) for s in ev.sections}
    total = rollup.weighted_average((weights[pk], value) for pk, value in raw.items())
    grade_counts, direction_counts = _counter(grade_codes), _counter(direction_names)
    for g in goals:
        for k, v in g.grade_counts.items():
            grade_counts[k] += v
        for k, v in g.direction_counts.items():
            direction_counts[k] += v
    opinion = ev.opinion
    opinion_state = "" if opinion is None else (SUBMITTED if opinion.is_submitted else DRAFT)
    # Only the stages a committee member or staff member may read reach the report; the 総評 is
    # the committee's own text, shown once submitted.
    opinion_text = clean_text(opinion.text) if opinion_state == SUBMITTED and ev.stages else ""
    today = today or timezone.localdate()
    goal_filter = goals[0].label if goal_filtered and goals else ""
    scope = []
    if goal_filter:
        scope.append(goal_filter)
    if group is not None:
        scope.append(_("%(name)s の担当事業") % {"name": group.name})
    return EvaluationReport(
        plan_pk=plan.pk,
        plan_title=clean_text(plan.title),
        council_name=clean_text(plan.council.name),
        fiscal_year=ev.fiscal_year,
        year_label=fiscal.format_fiscal_year(ev.fiscal_year),
        year_wareki=fiscal.format_fiscal_year(ev.fiscal_year, style="wareki"),
        period=ev.period,
        period_label=str(Evaluation.Period(ev.period).label) if ev.period else "",
        scope_label=" / ".join(scope) or _("計画全体"),
        goal_filter=goal_filter,
        group_filter=clean_text(group.name) if group is not None else "",
        stages=[(s, labels[s]) for s in ev.stages],
        grades=[(g.code, g.label, g.color) for g in ev.grades],
        directions=direction_names,
        goals=goals,
        achievement=round1(total),
        project_count=sum(len(g.projects) for g in goals),
        evaluated=sum(g.evaluated for g in goals),
        grade_counts=grade_counts,
        direction_counts=direction_counts,
        opinion=opinion_text,
        opinion_state=opinion_state,
        closed=ev.closing is not None,
        issued_on=today,
        issued_label=fiscal.format_date(today),
    )


def build_report(
    plan, fiscal_year: int, *, perms, period: int = 0, goal_id=None, group=None, today=None
) -> EvaluationReport:
    """The report of ``plan`` for one year (or its first half), limited to a goal and/or a working group."""
    ev = plan_evaluation(
        plan,
        fiscal_year,
        perms=perms,
        period=period,
        goal_id=goal_id,
        working_group_id=group.pk if group is not None else None,
    )
    return from_evaluation(ev, group=group, goal_filtered=goal_id is not None, today=today)


# --------------------------------------------------------------------------- choices for the page


@dataclass
class ReportChoices:
    years: list
    default_year: int
    half_yearly: bool
    goals: list  # PlanNode roots
    groups: list  # WorkingGroup


def report_choices(plan) -> ReportChoices:
    """What the reports page offers: the plan's years, whether it has a 上半期 evaluation, goals, groups."""
    from sasaeai.plans.models import PlanNode
    from sasaeai.progress.models import ReportingSchedule, WorkingGroup
    from sasaeai.progress.selectors import default_fiscal_year, plan_years

    frequency = ReportingSchedule.objects.filter(plan=plan).values_list("frequency", flat=True).first()
    return ReportChoices(
        years=plan_years(plan),
        default_year=default_fiscal_year(plan),
        half_yearly=frequency not in (None, ReportingSchedule.Frequency.YEARLY),
        goals=list(PlanNode.objects.filter(plan=plan, parent__isnull=True).order_by("position", "pk")),
        groups=list(WorkingGroup.objects.filter(plan=plan).order_by("name")),
    )


def choose(choices: ReportChoices, params) -> dict:
    """The filters from query parameters: a year outside the plan or a bad period → the default;
    an unknown goal or working group → 404 (same as a foreign one)."""
    try:
        year = int(params.get("year", ""))
    except (TypeError, ValueError):
        year = None
    if year not in choices.years:
        year = choices.default_year
    period = 1 if choices.half_yearly and params.get("period") == "1" else 0

    def pick(name, objects):
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        try:
            pk = int(raw)
        except ValueError:
            raise Http404 from None
        found = next((o for o in objects if o.pk == pk), None)
        if found is None:
            raise Http404
        return found

    return {"year": year, "period": period, "goal": pick("goal", choices.goals), "group": pick("wg", choices.groups)}
