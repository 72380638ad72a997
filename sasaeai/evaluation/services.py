"""Writes for evaluation: the council's scale, directions and criteria; each stage of a project's
evaluation (save, submit, reopen); the committee's 答申; closing a year (carry-over).

Every function is keyword-only, atomic, validated and audited, like ``plans.services``.

The stage rules, in one place:
- stages go in order (自己評価 → 確認 → 内部評価 → 外部評価 → 最終評価): a stage can be entered only
  when every earlier stage is submitted;
- a submitted stage is locked; only a council admin reopens it, with a reason, and only when no
  later stage is submitted;
- nothing of a closed year changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import permissions_for
from sasaeai.core import fiscal
from sasaeai.core.audit import log_action
from sasaeai.core.concurrency import check_version, created_once

from .models import (
    STAGE_ORDER,
    CommitteeOpinion,
    Criterion,
    Direction,
    Evaluation,
    EvaluationScale,
    Grade,
    Stage,
    StageEntry,
    YearClosing,
)
from .permissions import CLOSE_YEAR, OPINION, REOPEN, can_enter

if TYPE_CHECKING:
    from sasaeai.core.models import Council
    from sasaeai.plans.models import Plan, PlanNode
    from sasaeai.progress.models import AnnualPlan

# --------------------------------------------------------------------------- scales and lists

# Scales seen in real councils (best first): code, label, score (0–100), colour.
SCALE_PRESETS = {
    "five": (
        _("5段階"),
        [
            ("5", "目標を大幅に上回る", 100, "#0969da"),
            ("4", "目標を上回る", 75, "#1a7f37"),
            ("3", "目標どおり", 50, "#4d7c0f"),
            ("2", "目標を下回る", 25, "#9a6700"),
            ("1", "全く実施できていない", 0, "#cf222e"),
        ],
    ),
    "abcd": (
        _("A〜D"),
        [
            ("A", "達成し特筆すべき点あり", 100, "#0969da"),
            ("B", "達成", 75, "#1a7f37"),
            ("C", "達成したが改善要", 50, "#9a6700"),
            ("D", "改善要", 0, "#cf222e"),
        ],
    ),
    "marks": (
        _("○△×"),
        [
            ("○", "できた", 100, "#1a7f37"),
            ("△", "一部できた", 50, "#9a6700"),
            ("×", "できなかった", 0, "#cf222e"),
        ],
    ),
    "bands": (
        _("4区分（順調〜遅れ）"),
        [
            ("順調", "計画どおり進んでいる", 100, "#1a7f37"),
            ("概ね順調", "おおむね計画どおり", 67, "#4d7c0f"),
            ("やや遅れ", "やや遅れている", 33, "#9a6700"),
            ("遅れ", "遅れている", 0, "#cf222e"),
        ],
    ),
}
DEFAULT_SCALE = "abcd"
DEFAULT_DIRECTIONS = [
    ("拡充", Direction.Carry.ATTENTION),
    ("継続", Direction.Carry.CARRY),
    ("見直し", Direction.Carry.ATTENTION),
    ("縮小", Direction.Carry.CARRY),
    ("廃止", Direction.Carry.STOP),
    ("完了", Direction.Carry.STOP),
]
ENTRY_FIELDS = ["grade", "results", "comment", "challenges", "improvements", "direction", "criteria"]
TEXT_LIMIT = 20000


def _scale_rows(preset):
    return [{"code": c, "label": label, "score": s, "color": col} for c, label, s, col in SCALE_PRESETS[preset][1]]


@transaction.atomic
def evaluation_setup(council) -> EvaluationScale:
    """The council's scale, directions and criteria, created from the defaults the first time."""
    scale = EvaluationScale.objects.filter(council=council).first()
    if scale is None:
        name, rows = SCALE_PRESETS[DEFAULT_SCALE]
        scale = EvaluationScale.objects.create(council=council, name=str(name))
        Grade.objects.bulk_create(
            Grade(scale=scale, position=i, code=c, label=label, score=s, color=col)
            for i, (c, label, s, col) in enumerate(rows)
        )
    if not Direction.objects.filter(council=council).exists():
        Direction.objects.bulk_create(
            Direction(council=council, position=i, name=n, carry=c) for i, (n, c) in enumerate(DEFAULT_DIRECTIONS)
        )
    return scale


def _used_grade_ids(council):
    used = set(StageEntry.objects.filter(grade__scale__council=council).values_list("grade_id", flat=True))
    for criteria in (
        StageEntry.objects.filter(evaluation__node__plan__council=council)
        .exclude(criteria={})
        .values_list("criteria", flat=True)
    ):
        used.update(criteria.values())
    return used


@transaction.atomic
def scale_update(*, council, by, name, rows, expected_version=None) -> EvaluationScale:
    """Replace the scale's grades with ``rows`` (dicts of code, label, score, color, and ``id`` for a kept
    grade), best first. A grade already used by an evaluation can be renamed but not removed."""
    scale = evaluation_setup(council)
    scale = EvaluationScale.objects.select_for_update().get(pk=scale.pk)
    check_version(scale, expected_version)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("尺度の名称を入力してください。")})
    rows = [r for r in rows if (r.get("code") or "").strip()]
    if len(rows) < 2:
        raise ValidationError(_("評価の段階は2つ以上にしてください。"))
    codes = [r["code"].strip() for r in rows]
    if len(set(codes)) != len(codes):
        raise ValidationError(
            _("同じ記号が二つあります: %(codes)s")
            % {"codes": "、".join(sorted({c for c in codes if codes.count(c) > 1}))}
        )
    existing = {g.pk: g for g in Grade.objects.filter(scale=scale)}
    kept = {int(r["id"]) for r in rows if r.get("id")}
    if kept - set(existing):
        raise ValidationError(_("この社協の尺度にない段階が含まれています。"))
    removed = set(existing) - kept
    used = _used_grade_ids(council)
    in_use = [existing[pk] for pk in removed if pk in used or existing[pk].code in used]
    if in_use:
        raise ValidationError(
            _("評価に使われている段階は削除できません: %(codes)s") % {"codes": "、".join(g.code for g in in_use)}
        )
    before = {"name": scale.name, "grades": [f"{g.code} {g.label}" for g in existing.values()]}
    Grade.objects.filter(pk__in=removed).delete()
    # Codes must stay unique while rows swap codes: park the kept ones first.
    for pk in kept:
        Grade.objects.filter(pk=pk).update(code=f"\x01{pk}")
    for position, row in enumerate(rows):
        grade = existing[int(row["id"])] if row.get("id") else Grade(scale=scale)
        grade.position, grade.code = position, row["code"].strip()
        grade.label = (row.get("label") or "").strip()
        grade.score = row.get("score") if row.get("score") is not None else 0
        grade.color = row.get("color") or "#57606a"
        grade.full_clean(exclude=["scale"], validate_unique=False)
        grade.save()
    scale.name = name
    scale.version = F("version") + 1
    scale.save()
    scale.refresh_from_db()
    log_action(
        council=council,
        actor=by,
        action="evaluation.settings",
        target_label=_("評価の尺度"),
        before=before,
        after={"name": name, "grades": [f"{r['code'].strip()} {r.get('label', '')}".strip() for r in rows]},
    )
    return scale


@transaction.atomic
def scale_apply_preset(*, council, by, preset) -> EvaluationScale:
    if preset not in SCALE_PRESETS:
        raise ValidationError(_("選べない尺度です。"))
    scale = evaluation_setup(council)
    name, _rows = SCALE_PRESETS[preset]
    existing = list(Grade.objects.filter(scale=scale).order_by("position"))
    used = _used_grade_ids(council)
    if any(g.pk in used or g.code in used for g in existing):
        # Past evaluations would silently read as another scale's grades.
        raise ValidationError(
            _(
                "この尺度はすでに評価に使われているため、別の尺度に切り替えられません。"
                "段階の意味や色は下の表で直せます。"
            )
        )
    rows = _scale_rows(preset)
    for row, grade in zip(rows, existing, strict=False):
        row["id"] = grade.pk
    return scale_update(council=council, by=by, name=str(name), rows=rows)


def _named_list_update(*, model, council, by, rows, label, extra_fields, in_use):
    rows = [r for r in rows if (r.get("name") or "").strip()]
    names = [r["name"].strip() for r in rows]
    if len(set(names)) != len(names):
        raise ValidationError(
            _("同じ名称が二つあります: %(names)s")
            % {"names": "、".join(sorted({n for n in names if names.count(n) > 1}))}
        )
    existing = {o.pk: o for o in model.objects.filter(council=council)}
    kept = {int(r["id"]) for r in rows if r.get("id")}
    if kept - set(existing):
        raise ValidationError(_("この社協の一覧にない行が含まれています。"))
    removed = set(existing) - kept
    blocked = [existing[pk].name for pk in removed if pk in in_use]
    if blocked:
        raise ValidationError(_("評価に使われているものは削除できません: %(names)s") % {"names": "、".join(blocked)})
    before = [o.name for o in existing.values()]
    model.objects.filter(pk__in=removed).delete()
    for pk in kept:
        model.objects.filter(pk=pk).update(name=f"\x01{pk}")
    for position, row in enumerate(rows):
        obj = existing.get(int(row["id"])) if row.get("id") else model(council=council)
        obj.position, obj.name = position, row["name"].strip()
        for f in extra_fields:
            if f in row:
                setattr(obj, f, row[f])
        obj.full_clean(exclude=["council"], validate_unique=False)
        obj.save()
    log_action(
        council=council,
        actor=by,
        action="evaluation.settings",
        target_label=label,
        before={"names": before},
        after={"names": names},
    )


@transaction.atomic
def directions_update(*, council, by, rows):
    """The council's 方向性 list, in order, each with what closing a year does with it."""
    evaluation_setup(council)
    if not any((r.get("name") or "").strip() for r in rows):
        raise ValidationError(_("方向性を一つ以上入力してください。"))
    used = set(StageEntry.objects.filter(direction__council=council).values_list("direction_id", flat=True))
    _named_list_update(
        model=Direction, council=council, by=by, rows=rows, label=_("方向性"), extra_fields=["carry"], in_use=used
    )


@transaction.atomic
def criteria_update(*, council, by, rows):
    """評価の観点 (may be empty: criteria are optional)."""
    used = set()
    for criteria in (
        StageEntry.objects.filter(evaluation__node__plan__council=council)
        .exclude(criteria={})
        .values_list("criteria", flat=True)
    ):
        used.update(int(k) for k in criteria)
    _named_list_update(
        model=Criterion,
        council=council,
        by=by,
        rows=rows,
        label=_("評価の観点"),
        extra_fields=["description"],
        in_use=used,
    )


# --------------------------------------------------------------------------- who may act on a stage


# ``can_enter`` and the stage permissions are in ``permissions.py``.


# --------------------------------------------------------------------------- stages


def _stage_label(stage):
    return str(Stage(stage).label)


def _check_open(plan, fiscal_year):
    closing = YearClosing.objects.filter(plan=plan, fiscal_year=fiscal_year).first()
    if closing is not None:
        raise ValidationError(
            _("%(year)sは締められています。締めた年度の評価は変更できません。")
            % {"year": fiscal.format_fiscal_year(fiscal_year)}
        )


def _check_period(plan, fiscal_year, period):
    if plan.period_start is not None and not plan.period_start <= fiscal_year <= plan.period_end:
        raise ValidationError(_("%(year)sは計画期間の外です。") % {"year": fiscal.format_fiscal_year(fiscal_year)})
    if period not in (Evaluation.Period.YEAR, Evaluation.Period.FIRST_HALF):
        raise ValidationError(_("評価の期間が正しくありません。"))
    if period == Evaluation.Period.FIRST_HALF:
        from sasaeai.progress.services import schedule_for

        if schedule_for(plan).frequency == "yearly":
            raise ValidationError(_("この計画は年1回の報告なので、上半期の評価はありません。"))


def _own_grade(council: Council, value: Any) -> Grade | None:
    """The council's grade for ``value`` (a Grade or its id); None for no value."""
    if value is None:
        return None
    if isinstance(value, Grade):
        if value.scale.council_id != council.pk:
            raise ValidationError({"grade": _("評価はこの社協の尺度から選んでください。")})
        return value
    grade = Grade.objects.filter(scale__council=council, pk=value).first() if str(value).isdigit() else None
    if grade is None:
        raise ValidationError({"grade": _("評価はこの社協の尺度から選んでください。")})
    return grade


def _own_direction(council: Council, value: Any) -> Direction | None:
    """The council's direction for ``value`` (a Direction or its id); None for no value."""
    if value is None:
        return None
    if isinstance(value, Direction):
        if value.council_id != council.pk:
            raise ValidationError({"direction": _("方向性はこの社協の一覧から選んでください。")})
        return value
    direction = Direction.objects.filter(council=council, pk=value).first() if str(value).isdigit() else None
    if direction is None:
        raise ValidationError({"direction": _("方向性はこの社協の一覧から選んでください。")})
    return direction


def _clean_criteria(council: Council, ratings: dict[Any, Any], criteria_ids: set[str]) -> dict[str, str]:
    """{criterion id: grade code} with empty ratings dropped; ids and codes must be the council's own."""
    codes = set(Grade.objects.filter(scale__council=council).values_list("code", flat=True))
    criteria: dict[str, str] = {}
    for key, code in ratings.items():
        if code in (None, ""):
            continue
        if str(key) not in criteria_ids:
            raise ValidationError({"criteria": _("この社協にない観点です。")})
        if code not in codes:
            raise ValidationError({"criteria": _("観点別の評価「%(code)s」は尺度にありません。") % {"code": code}})
        criteria[str(key)] = code
    return criteria


def _clean_values(plan: Plan, values: dict[str, Any], criteria_ids: set[str]) -> dict[str, Any]:
    """Check that grade, direction and criteria ratings belong to the council's own lists."""
    council = plan.council
    clean: dict[str, Any] = {
        "grade": _own_grade(council, values.get("grade")),
        "direction": _own_direction(council, values.get("direction")),
        "criteria": _clean_criteria(council, values.get("criteria") or {}, criteria_ids),
    }
    for f in ("results", "comment", "challenges", "improvements"):
        text = (values.get(f) or "").replace("\r\n", "\n").strip()
        if len(text) > TEXT_LIMIT:
            raise ValidationError({f: _("%(limit)s文字以内で入力してください。") % {"limit": TEXT_LIMIT}})
        clean[f] = text
    return clean


def _snapshot(entry):
    return {
        "state": entry.state,
        "grade": entry.grade.code if entry.grade_id else "",
        "direction": entry.direction.name if entry.direction_id else "",
        "results": entry.results,
        "comment": entry.comment,
        "challenges": entry.challenges,
        "improvements": entry.improvements,
        "criteria": dict(entry.criteria),
    }


def _label(node, fiscal_year, period, stage):
    period_label = "" if period == 0 else f" {Evaluation.Period(period).label}"
    return f"{node.label} / {fiscal.format_fiscal_year(fiscal_year)}{period_label} / {_stage_label(stage)}"


def prefill(evaluation: Evaluation | None, stage, report=None) -> dict:
    """Initial values for a stage not yet entered: the previous submitted stage's, so each stage
    starts from what the one before said; the self-evaluation starts from the progress report's 成果・課題."""
    index = STAGE_ORDER.index(stage)
    if evaluation is not None and index > 0:
        previous = StageEntry.objects.filter(evaluation=evaluation, stage=STAGE_ORDER[index - 1]).first()
        if previous is not None:
            return {
                "grade": previous.grade_id,
                "results": previous.results,
                "challenges": previous.challenges,
                "improvements": previous.improvements,
                "direction": previous.direction_id,
                "criteria": dict(previous.criteria),
                "comment": "",
            }
    if stage == Stage.SELF and report is not None:
        return {"results": report.results, "challenges": report.problems}
    return {}


def _check_can_enter(*, node: PlanNode, fiscal_year: int, stage: Stage, by: Any, perms: Any) -> None:
    """The node must be a project (a leaf) and ``by`` allowed to enter ``stage`` of it."""
    from sasaeai.plans.models import PlanNode

    if PlanNode.objects.filter(parent=node).exists():
        raise ValidationError(_("評価するのは事業（いちばん下の項目）です。"))
    if not can_enter(by, node.plan, node, fiscal_year, stage, perms):
        raise PermissionDenied(_("%(stage)sを入力する権限がありません。") % {"stage": _stage_label(stage)})


def _editable_entry(
    entries: dict[str, StageEntry], stage: Stage, expected_version: int | str | None
) -> StageEntry | None:
    """The stage's entry (None if not entered yet), once every earlier stage is submitted, the stage
    itself is not, and the form's version is current."""
    for earlier in STAGE_ORDER[: STAGE_ORDER.index(stage)]:
        e = entries.get(earlier)
        if e is None or not e.is_submitted:
            raise ValidationError(
                _("%(earlier)sが確定していないため、%(stage)sはまだ入力できません。")
                % {"earlier": _stage_label(earlier), "stage": _stage_label(stage)}
            )
    entry = entries.get(stage)
    if entry is None:
        return None
    if entry.is_submitted:
        raise ValidationError(
            _("%(stage)sは確定済みです。変更するには社協管理者が差し戻す必要があります。")
            % {"stage": _stage_label(stage)}
        )
    # A form opened before the first save carries version 0, so a second first save is refused.
    check_version(entry, expected_version)
    return entry


def _check_submittable(clean: dict[str, Any], stage: Stage) -> None:
    """Submitting needs a grade; the internal and final evaluations also need a direction."""
    errors = {}
    if clean["grade"] is None:
        errors["grade"] = _("確定するには評価を選んでください。")
    if stage in (Stage.INTERNAL, Stage.FINAL) and clean["direction"] is None:
        errors["direction"] = _("確定するには今後の方向性を選んでください。")
    if errors:
        raise ValidationError(errors)


def _write_entry(
    *, entry: StageEntry | None, evaluation: Evaluation, stage: Stage, clean: dict[str, Any], by: Any, submit: bool
) -> StageEntry:
    """Save ``clean`` on the entry (a new one if None), submitting it if asked; the stored row is returned."""
    created = entry is None
    if entry is None:
        entry = StageEntry(evaluation=evaluation, stage=stage)
    for f, v in clean.items():
        setattr(entry, f, v)
    entry.updated_by = by
    if submit:
        entry.state = StageEntry.State.SUBMITTED
        entry.submitted_by, entry.submitted_at = by, timezone.now()
    if not created:
        entry.version = F("version") + 1
        entry.save()
    else:
        with created_once():
            entry.save()
    entry.refresh_from_db()
    return entry


@transaction.atomic
def stage_save(
    *,
    node: PlanNode,
    fiscal_year: int,
    stage: str,
    by: Any,
    submit: bool = False,
    period: int = 0,
    expected_version: int | str | None = None,
    perms: Any = None,
    is_sample: bool = False,
    **values: Any,
) -> StageEntry:
    """Enter (and with ``submit`` lock) one stage of a project's evaluation.

    ``values``: grade (Grade or id), results, comment, challenges, improvements, direction (Direction
    or id), criteria ({criterion id: grade code}). Submitting needs a grade; the internal and final
    evaluations also need a direction.
    """
    plan = node.plan
    if stage not in STAGE_ORDER:
        raise ValidationError(_("評価の段階が正しくありません。"))
    the_stage = Stage(stage)
    if set(values) - set(ENTRY_FIELDS):
        raise TypeError(f"stage_save() got unexpected fields {sorted(set(values) - set(ENTRY_FIELDS))}")
    _check_can_enter(node=node, fiscal_year=fiscal_year, stage=the_stage, by=by, perms=perms)
    _check_period(plan, fiscal_year, period)
    # Lock the evaluation row (created once), so two people submitting at once are serialised.
    evaluation, _created = Evaluation.objects.get_or_create(
        node=node, fiscal_year=fiscal_year, period=period, defaults={"is_sample": is_sample}
    )
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    _check_open(plan, fiscal_year)
    entries = {
        e.stage: e for e in StageEntry.objects.filter(evaluation=evaluation).select_related("grade", "direction")
    }
    entry = _editable_entry(entries, the_stage, expected_version)
    criteria_ids = {str(pk) for pk in Criterion.objects.filter(council=plan.council).values_list("pk", flat=True)}
    clean = _clean_values(plan, values, criteria_ids)
    if submit:
        _check_submittable(clean, the_stage)
    before = _snapshot(entry) if entry is not None else None
    entry = _write_entry(entry=entry, evaluation=evaluation, stage=the_stage, clean=clean, by=by, submit=submit)
    log_action(
        council=plan.council,
        actor=by,
        action="evaluation.submit" if submit else "evaluation.save",
        plan_id=plan.pk,
        node_id=node.pk,
        target_label=_label(node, fiscal_year, period, stage),
        before=before,
        after=_snapshot(entry),
        obj=entry,
    )
    return entry


@transaction.atomic
def stage_reopen(*, node, fiscal_year: int, stage: str, by, reason: str, period: int = 0) -> StageEntry:
    """Unlock a submitted stage (社協管理者 only), logging why. Later stages must not be submitted."""
    plan = node.plan
    perms = permissions_for(by, plan.council_id)
    if REOPEN not in perms:
        raise PermissionDenied(_("確定した評価を差し戻せるのは社協管理者だけです。"))
    if stage not in STAGE_ORDER:
        raise ValidationError(_("評価の段階が正しくありません。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("差し戻す理由を入力してください。")})
    evaluation = (
        Evaluation.objects.select_for_update().filter(node=node, fiscal_year=fiscal_year, period=period).first()
    )
    entry = StageEntry.objects.filter(evaluation=evaluation, stage=stage).first() if evaluation else None
    if entry is None or not entry.is_submitted:
        raise ValidationError(
            _("%(stage)sは確定していないため、差し戻す必要はありません。") % {"stage": _stage_label(stage)}
        )
    _check_open(plan, fiscal_year)
    later = STAGE_ORDER[STAGE_ORDER.index(Stage(stage)) + 1 :]
    submitted_later = StageEntry.objects.filter(
        evaluation=evaluation, stage__in=later, state=StageEntry.State.SUBMITTED
    )
    blocking = [_stage_label(e.stage) for e in sorted(submitted_later, key=lambda e: STAGE_ORDER.index(Stage(e.stage)))]
    if blocking:
        raise ValidationError(
            _("後の段階（%(later)s）が確定済みです。先にそちらを差し戻してください。") % {"later": "、".join(blocking)}
        )
    before = _snapshot(entry)
    entry.state = StageEntry.State.DRAFT
    entry.submitted_by, entry.submitted_at = None, None
    entry.version = F("version") + 1
    entry.save()
    entry.refresh_from_db()
    log_action(
        council=plan.council,
        actor=by,
        action="evaluation.reopen",
        plan_id=plan.pk,
        node_id=node.pk,
        target_label=_label(node, fiscal_year, period, stage),
        before=before,
        after=_snapshot(entry) | {"reason": reason},
        obj=entry,
    )
    return entry


# --------------------------------------------------------------------------- committee


@transaction.atomic
def opinion_save(*, plan, fiscal_year: int, by, text: str, submit=False, expected_version=None) -> CommitteeOpinion:
    """評価委員会の総評・答申. Locked once submitted (a council admin reopens it like a stage)."""
    if OPINION not in permissions_for(by, plan.council_id):
        raise PermissionDenied(_("評価委員会の総評を入力する権限がありません。"))
    _check_period(plan, fiscal_year, 0)
    _check_open(plan, fiscal_year)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": _("総評・答申を入力してください。")})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"text": _("%(limit)s文字以内で入力してください。") % {"limit": TEXT_LIMIT}})
    opinion = CommitteeOpinion.objects.select_for_update().filter(plan=plan, fiscal_year=fiscal_year).first()
    before = None
    if opinion is not None:
        if opinion.is_submitted:
            raise ValidationError(_("総評・答申は確定済みです。変更するには社協管理者が差し戻す必要があります。"))
        # A form opened before the first save carries version 0, so a second first save is refused.
        check_version(opinion, expected_version)
        before = {"text": opinion.text}
        opinion.text = text
        opinion.version = F("version") + 1
    else:
        opinion = CommitteeOpinion(plan=plan, fiscal_year=fiscal_year, text=text)
    opinion.updated_by = by
    if submit:
        opinion.is_submitted, opinion.submitted_at = True, timezone.now()
    if before is None:
        with created_once():  # two first saves at once: the second is told, not a 500
            opinion.save()
    else:
        opinion.save()
    opinion.refresh_from_db()
    log_action(
        council=plan.council,
        actor=by,
        action="evaluation.opinion",
        plan_id=plan.pk,
        target_label=f"{plan.title} / {fiscal.format_fiscal_year(fiscal_year)}",
        before=before,
        after={"text": text, "submitted": opinion.is_submitted},
        obj=opinion,
    )
    return opinion


@transaction.atomic
def opinion_reopen(*, plan, fiscal_year: int, by, reason: str) -> CommitteeOpinion:
    if REOPEN not in permissions_for(by, plan.council_id):
        raise PermissionDenied(_("確定した評価を差し戻せるのは社協管理者だけです。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("差し戻す理由を入力してください。")})
    _check_open(plan, fiscal_year)
    opinion = CommitteeOpinion.objects.select_for_update().filter(plan=plan, fiscal_year=fiscal_year).first()
    if opinion is None or not opinion.is_submitted:
        raise ValidationError(_("総評・答申は確定していません。"))
    opinion.is_submitted, opinion.submitted_at = False, None
    opinion.version = F("version") + 1
    opinion.save()
    opinion.refresh_from_db()
    log_action(
        council=plan.council,
        actor=by,
        action="evaluation.reopen",
        plan_id=plan.pk,
        target_label=f"{plan.title} / {fiscal.format_fiscal_year(fiscal_year)} / {_('総評・答申')}",
        before={"submitted": True},
        after={"submitted": False, "reason": reason},
        obj=opinion,
    )
    return opinion


# --------------------------------------------------------------------------- closing a year


def _result_entries(plan, fiscal_year):
    """node id → the entry that decides carry-over: the final evaluation if submitted, else the latest
    submitted stage with a direction."""
    result = {}
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    entries = (
        StageEntry.objects.filter(
            evaluation__node__plan=plan,
            evaluation__fiscal_year=fiscal_year,
            evaluation__period=0,
            state=StageEntry.State.SUBMITTED,
        )
        .select_related("direction", "grade")
        .values_list("evaluation__node_id", "stage", "pk")
    )
    best = {}
    for node_id, stage, pk in entries:
        if node_id not in best or order[stage] > order[best[node_id][0]]:
            best[node_id] = (stage, pk)
    by_pk = {
        e.pk: e
        for e in StageEntry.objects.filter(pk__in=[pk for _s, pk in best.values()]).select_related("direction", "grade")
    }
    for node_id, (_stage, pk) in best.items():
        result[node_id] = by_pk[pk]
    return result


def year_close_preview(plan, fiscal_year: int) -> dict:
    """What closing the year would do, without doing it: counts and the projects in each group."""
    from sasaeai.plans.selectors import plan_tree

    tree = plan_tree(plan)
    leaves = [n for n in tree.walk() if not n.children_list]
    results = _result_entries(plan, fiscal_year)
    groups: dict[str, list[tuple[Any, StageEntry | None]]] = {
        "carry": [],
        "attention": [],
        "stop": [],
        "unevaluated": [],
    }
    for node in leaves:
        entry = results.get(node.pk)
        direction = entry.direction if entry is not None else None
        if direction is None:
            groups["unevaluated"].append((node, entry))
        else:
            groups[direction.carry].append((node, entry))
    final = set(
        StageEntry.objects.filter(
            evaluation__node__plan=plan,
            evaluation__fiscal_year=fiscal_year,
            evaluation__period=0,
            stage=Stage.FINAL,
            state=StageEntry.State.SUBMITTED,
        ).values_list("evaluation__node_id", flat=True)
    )
    return {
        "groups": groups,
        "projects": len(leaves),
        "final": len(final),
        "next_year": fiscal_year + 1,
        "next_in_period": plan.period_end is None or fiscal_year + 1 <= plan.period_end,
    }


def _check_not_closed(plan: Plan, fiscal_year: int) -> None:
    """Refuse to close a year twice, saying when it was closed."""
    existing = YearClosing.objects.filter(plan=plan, fiscal_year=fiscal_year).select_related("closed_by").first()
    if existing is not None:
        raise ValidationError(
            _("%(year)sは%(when)sにすでに締められています。年度を二度締めることはできません。")
            % {
                "year": fiscal.format_fiscal_year(fiscal_year),
                "when": fiscal.format_date(timezone.localtime(existing.closed_at).date()),
            }
        )


def _owners_by_annual_plan(plan: Plan, fiscal_year: int) -> dict[int, list[int]]:
    """annual plan id → its owners' user ids, for the year's annual plans of ``plan``."""
    from sasaeai.progress.models import AnnualPlan

    owners: dict[int, list[int]] = {}
    for annual_id, user_id in AnnualPlan.owners.through.objects.filter(
        annualplan__node__plan=plan, annualplan__fiscal_year=fiscal_year
    ).values_list("annualplan_id", "user_id"):
        owners.setdefault(annual_id, []).append(user_id)
    return owners


def _carried_notes(entry: StageEntry | None) -> tuple[str, str]:
    """The 改善策 and the direction's name that a carried plan takes from the deciding entry."""
    if entry is None:
        return "", ""
    return entry.improvements, entry.direction.name if entry.direction_id and entry.direction else ""


def _mark_carried(
    target: AnnualPlan, current: AnnualPlan | None, entry: StageEntry | None, attention: bool
) -> AnnualPlan:
    """Add the flag and the 改善策 to a next-year plan someone already wrote, keeping what it says."""
    improvements, direction = _carried_notes(entry)
    target.needs_attention = target.needs_attention or attention
    target.improvements = target.improvements or improvements
    target.carried_direction = direction
    target.carried_from = target.carried_from or current
    return target


def _new_carried_plan(
    *, node_id: int, next_year: int, current: AnnualPlan | None, entry: StageEntry | None, attention: bool
) -> AnnualPlan:
    """Next year's plan for a project: a copy of this year's (content, months, group, budget), if any."""
    from sasaeai.progress.models import AnnualPlan

    improvements, direction = _carried_notes(entry)
    new = AnnualPlan(
        node_id=node_id,
        fiscal_year=next_year,
        carried_from=current,
        needs_attention=attention,
        carried_direction=direction,
        improvements=improvements,
    )
    if current is not None:
        new.content, new.months = current.content, list(current.months)
        new.working_group_id, new.budget = current.working_group_id, current.budget
        new.is_sample = current.is_sample
    return new


def _copy_owners(
    *, plan: Plan, next_year: int, created: list[AnnualPlan], copy_owners: list[tuple[AnnualPlan, list[int]]]
) -> None:
    """Give the newly created plans the owners of the plans they were copied from."""
    from sasaeai.progress.models import AnnualPlan

    if not any(users for _n, users in copy_owners):
        return
    if created and created[0].pk is None:  # backends that do not return ids from bulk_create
        ids = dict(AnnualPlan.objects.filter(node__plan=plan, fiscal_year=next_year).values_list("node_id", "pk"))
        for new in created:
            new.pk = ids[new.node_id]
    AnnualPlan.owners.through.objects.bulk_create(
        [AnnualPlan.owners.through(annualplan_id=new.pk, user_id=u) for new, users in copy_owners for u in users],
        batch_size=1000,
    )


def _carry_over(
    *, plan: Plan, fiscal_year: int, groups: dict[str, list[tuple[PlanNode, StageEntry | None]]]
) -> tuple[int, int, int]:
    """Make (or mark) next year's annual plans from this year's, by group; returns the numbers carried,
    flagged 要検討 and stopped."""
    from sasaeai.progress.models import AnnualPlan

    next_year = fiscal_year + 1
    this_year = {a.node_id: a for a in AnnualPlan.objects.filter(node__plan=plan, fiscal_year=fiscal_year)}
    owners = _owners_by_annual_plan(plan, fiscal_year)
    next_plans = {a.node_id: a for a in AnnualPlan.objects.filter(node__plan=plan, fiscal_year=next_year)}
    create: list[AnnualPlan] = []
    update: list[AnnualPlan] = []
    copy_owners: list[tuple[AnnualPlan, list[int]]] = []
    carried = flagged = stopped = 0
    for group in ("carry", "attention", "unevaluated", "stop"):
        for node, entry in groups[group]:
            if group == "stop":
                stopped += 1
                continue
            current = this_year.get(node.pk)
            if current is None and entry is None:
                continue  # nothing planned and nothing evaluated: nothing to carry
            attention = group == "attention"
            carried += 1
            flagged += attention
            target = next_plans.get(node.pk)
            if target is not None:
                update.append(_mark_carried(target, current, entry, attention))
                continue
            new = _new_carried_plan(
                node_id=node.pk, next_year=next_year, current=current, entry=entry, attention=attention
            )
            if current is not None:
                copy_owners.append((new, owners.get(current.pk, [])))
            create.append(new)
    AnnualPlan.objects.bulk_create(create, batch_size=500)
    AnnualPlan.objects.bulk_update(
        update, ["needs_attention", "improvements", "carried_direction", "carried_from"], batch_size=500
    )
    _copy_owners(plan=plan, next_year=next_year, created=create, copy_owners=copy_owners)
    return carried, flagged, stopped


@transaction.atomic
def year_close(*, plan: Plan, fiscal_year: int, by: Any) -> YearClosing:
    """Close ``fiscal_year``: lock its evaluations and make next year's annual plans from this year's,
    following each project's direction (方向性):

    - a direction that carries (継続・縮小 by default): next year's plan copies this year's content, months,
      working group, owners and budget, with the 改善策 attached;
    - one marked for attention (拡充・見直し): the same, flagged 要検討;
    - one that stops (廃止・完了): not carried;
    - a project without a submitted direction is carried as 継続 and listed as 未評価.
    A next-year plan someone already wrote is kept; only the 改善策 and the flag are added to it.
    """
    from sasaeai.plans.models import Plan

    if CLOSE_YEAR not in permissions_for(by, plan.council_id):
        raise PermissionDenied(_("年度を締める権限がありません。"))
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _check_period(plan, fiscal_year, 0)
    _check_not_closed(plan, fiscal_year)
    earlier_open = (
        plan.period_start is not None
        and fiscal_year > plan.period_start
        and not YearClosing.objects.filter(plan=plan, fiscal_year=fiscal_year - 1).exists()
    )
    preview = year_close_preview(plan, fiscal_year)
    next_year = fiscal_year + 1
    if preview["next_in_period"]:
        carried, flagged, stopped = _carry_over(plan=plan, fiscal_year=fiscal_year, groups=preview["groups"])
    else:
        carried, flagged, stopped = 0, 0, len(preview["groups"]["stop"])
    summary = {
        "projects": preview["projects"],
        "carried": carried,
        "attention": flagged,
        "stopped": stopped,
        "unevaluated": len(preview["groups"]["unevaluated"]),
        "final": preview["final"],
        "next_year": next_year if preview["next_in_period"] else None,
        "earlier_year_open": bool(earlier_open),
    }
    try:
        with transaction.atomic():
            closing = YearClosing.objects.create(plan=plan, fiscal_year=fiscal_year, closed_by=by, summary=summary)
    except IntegrityError:
        raise ValidationError(
            _("%(year)sはすでに締められています。") % {"year": fiscal.format_fiscal_year(fiscal_year)}
        ) from None
    log_action(
        council=plan.council,
        actor=by,
        action="year.close",
        plan_id=plan.pk,
        target_label=f"{plan.title} / {fiscal.format_fiscal_year(fiscal_year)}",
        after=summary,
        obj=closing,
    )
    return closing
