"""Checking and improving (評価・改善): the council's own grading scale, directions (方向性) and
criteria, the evaluation of each project in each year through its stages, the committee's
答申, year closings (carry-over) and dated snapshots of the plan (中間評価)."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.forms import validate_era_date
from sasaeai.core.models import Council
from sasaeai.plans.models import YEAR_VALIDATORS, Plan, PlanNode


class EvaluationScale(models.Model):
    """The council's grading scale (評価の段階): 5段階, A〜D, ○△×, four bands, or its own."""

    council = models.OneToOneField(Council, on_delete=models.CASCADE, related_name="evaluation_scale")
    name = models.CharField(_("評価の尺度の名称"), max_length=50)
    version = models.PositiveIntegerField(default=1, editable=False)

    def __str__(self):
        return self.name


class Grade(models.Model):
    """One step of a scale, best first: code (A, 5, ○), label and a 0–100 score for charts."""

    scale = models.ForeignKey(EvaluationScale, on_delete=models.CASCADE, related_name="grades")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("記号"), max_length=10)
    label = models.CharField(_("意味"), max_length=100, blank=True)
    score = models.PositiveSmallIntegerField(
        _("点数"), validators=[MaxValueValidator(100)], help_text=_("集計・グラフに使う 0〜100 の点数")
    )
    color = models.CharField(_("色"), max_length=7, default="#57606a")

    class Meta:
        ordering = ["scale", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["scale", "code"], name="grade_unique_code")]

    def __str__(self):
        return f"{self.code} {self.label}".strip()


class Direction(models.Model):
    """方向性 (拡充・継続・見直し・縮小・廃止・完了), the council's own list, and what closing a year does."""

    class Carry(models.TextChoices):
        CARRY = "carry", _("次年度に引き継ぐ")
        ATTENTION = "attention", _("引き継ぎ、要検討の印を付ける")
        STOP = "stop", _("引き継がない")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="evaluation_directions")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("名称"), max_length=30)
    carry = models.CharField(_("年度を締めるとき"), max_length=10, choices=Carry.choices, default=Carry.CARRY)

    class Meta:
        ordering = ["council", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="direction_unique_name")]

    def __str__(self):
        return self.name


class Criterion(models.Model):
    """評価の観点 (必要性・有効性・効率性 …), optional, rated on the council's scale."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="evaluation_criteria")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("観点"), max_length=30)
    description = models.CharField(_("説明"), max_length=200, blank=True)

    class Meta:
        ordering = ["council", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="criterion_unique_name")]

    def __str__(self):
        return self.name


class Stage(models.TextChoices):
    """The stages, in order. Each is entered and submitted (locked) before the next may start."""

    SELF = "self", _("自己評価")
    REVIEW = "review", _("ワーキンググループ・事務局の確認")
    INTERNAL = "internal", _("内部評価")
    EXTERNAL = "external", _("外部評価")
    FINAL = "final", _("最終評価")


STAGE_ORDER = [Stage.SELF, Stage.REVIEW, Stage.INTERNAL, Stage.EXTERNAL, Stage.FINAL]


class Evaluation(models.Model):
    """The evaluation of one project (a plan item) for one fiscal year (period 0) or its first half (1)."""

    class Period(models.IntegerChoices):
        YEAR = 0, _("年間")
        FIRST_HALF = 1, _("上半期")

    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="evaluations")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    period = models.PositiveSmallIntegerField(_("期間"), choices=Period.choices, default=Period.YEAR)
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["node", "fiscal_year", "period"]
        constraints = [
            models.UniqueConstraint(fields=["node", "fiscal_year", "period"], name="evaluation_unique_period")
        ]
        indexes = [models.Index(fields=["fiscal_year", "period"])]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.fiscal_year} ({self.period})"


class StageEntry(models.Model):
    """One stage of an evaluation: grade, 成果, 所見, 課題, 改善策, 方向性, criteria; draft or submitted."""

    class State(models.TextChoices):
        DRAFT = "draft", _("入力中")
        SUBMITTED = "submitted", _("確定")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("段階"), max_length=10, choices=Stage.choices)
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.DRAFT)
    grade = models.ForeignKey(
        Grade, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("評価")
    )
    results = models.TextField(_("成果"), blank=True)
    comment = models.TextField(_("評価の理由・所見"), blank=True)
    challenges = models.TextField(_("課題"), blank=True)
    improvements = models.TextField(_("改善策"), blank=True)
    direction = models.ForeignKey(
        Direction, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("今後の方向性")
    )
    criteria = models.JSONField(_("観点別の評価"), default=dict, blank=True, help_text=_("観点の番号 → 評価の記号"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["evaluation", "pk"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "stage"], name="stage_entry_unique")]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.stage} ({self.state})"

    @property
    def is_submitted(self):
        return self.state == self.State.SUBMITTED


class CommitteeOpinion(models.Model):
    """評価委員会の総評・答申 for one plan and fiscal year."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="committee_opinions")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    text = models.TextField(_("委員会の総評・答申"))
    is_submitted = models.BooleanField(_("確定"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["plan", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["plan", "fiscal_year"], name="opinion_unique_year")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.fiscal_year}"


class YearClosing(models.Model):
    """A fiscal year closed: its evaluations are locked and next year's annual plans were made from them."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="year_closings")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["plan", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["plan", "fiscal_year"], name="year_closing_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.fiscal_year}"


class PlanSnapshot(models.Model):
    """A dated, read-only copy of the plan, its targets and evaluations (中間評価・中間見直し, 年度末)."""

    class Kind(models.TextChoices):
        MIDTERM = "midterm", _("中間評価")
        YEAR_END = "year_end", _("年度末")
        OTHER = "other", _("その他")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="snapshots")
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices, default=Kind.MIDTERM)
    title = models.CharField(_("名称"), max_length=200)
    taken_on = models.DateField(_("基準日"), validators=[validate_era_date])
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    note = models.TextField(_("メモ"), blank=True)
    data = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "-taken_on", "-pk"]

    def __str__(self) -> str:
        return self.title
