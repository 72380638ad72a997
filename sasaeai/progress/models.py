"""Running the plan: indicators and targets, the council's status scale, the reporting
calendar and progress reports. Figures are rolled up explicitly (see ``rollup.py``)."""

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.forms import validate_era_date
from sasaeai.core.models import Council
from sasaeai.plans.models import YEAR_VALIDATORS, Plan, PlanNode

VALUE: dict[str, Any] = {"max_digits": 16, "decimal_places": 4, "null": True, "blank": True}


class Indicator(models.Model):
    """指標: what is measured for a node, with its baseline and targets."""

    class Kind(models.TextChoices):
        QUANTITY = "quantity", _("数量")
        RATIO = "ratio", _("割合（％）")
        YES_NO = "yes_no", _("実施の有無")
        QUALITATIVE = "qualitative", _("定性（文章で記録）")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("多いほどよい")
        LOWER = "lower", _("少ないほどよい")

    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("指標名"), max_length=200)
    unit = models.CharField(_("単位"), max_length=30, blank=True, help_text=_("例: 人、回、％"))
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices, default=Kind.QUANTITY)
    direction = models.CharField(_("よい方向"), max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    baseline_value = models.DecimalField(_("基準値"), **VALUE)
    baseline_year = models.PositiveSmallIntegerField(
        _("基準値の年度"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    final_target = models.DecimalField(_("目標値（最終）"), **VALUE)
    final_target_year = models.PositiveSmallIntegerField(
        _("目標値の年度"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    note = models.TextField(_("備考"), blank=True)
    is_sample = models.BooleanField(_("サンプル"), default=False, help_text=_("デモ用の架空のデータ"))
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["node", "position", "pk"]
        verbose_name = _("指標")
        verbose_name_plural = _("指標")

    def __str__(self):
        return self.name


class IndicatorTarget(models.Model):
    """目標値 for one fiscal year."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    value = models.DecimalField(_("目標値"), max_digits=16, decimal_places=4)

    class Meta:
        ordering = ["indicator", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "fiscal_year"], name="target_unique_year")]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.fiscal_year} = {self.value}"


class ProgressStatus(models.Model):
    """One step of a council's own status scale (未着手 / 順調 / やや遅れ / 遅れ / 完了 …)."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="progress_statuses")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("名称"), max_length=30)
    color = models.CharField(_("色"), max_length=7, default="#57606a", help_text=_("例: #1a7f37"))
    score = models.PositiveSmallIntegerField(
        _("点数"), validators=[MaxValueValidator(100)], help_text=_("進捗の集計に使う 0〜100 の点数")
    )

    class Meta:
        ordering = ["council", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="status_unique_name")]

    def __str__(self):
        return self.name


class ReportingSchedule(models.Model):
    """How often a plan's progress is reported, and when each report is due."""

    class Frequency(models.TextChoices):
        YEARLY = "yearly", _("年1回")
        HALF = "half", _("半期ごと（上半期・下半期）")
        QUARTERLY = "quarterly", _("四半期ごと")

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="reporting_schedule")
    frequency = models.CharField(_("報告の頻度"), max_length=10, choices=Frequency.choices, default=Frequency.YEARLY)
    due_days = models.PositiveSmallIntegerField(
        _("締切（期間終了の何日後）"), default=30, validators=[MaxValueValidator(365)]
    )
    grace_days = models.PositiveSmallIntegerField(
        _("猶予（締切の何日後まで）"), default=14, validators=[MaxValueValidator(180)]
    )

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.frequency}"


class ProgressReport(models.Model):
    """進捗報告: one node in one reporting period."""

    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="progress_reports")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    period = models.PositiveSmallIntegerField(_("期間"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    status = models.ForeignKey(ProgressStatus, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("状況"))
    done_text = models.TextField(_("実施内容"), blank=True)
    results = models.TextField(_("成果"), blank=True)
    problems = models.TextField(_("課題"), blank=True)
    is_sample = models.BooleanField(_("サンプル"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["node", "fiscal_year", "period"]
        constraints = [models.UniqueConstraint(fields=["node", "fiscal_year", "period"], name="report_unique_period")]
        indexes = [models.Index(fields=["fiscal_year", "period"])]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.fiscal_year}/{self.period}"


class IndicatorActual(models.Model):
    """実績値 of one indicator in one report."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="actuals")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    value = models.DecimalField(_("実績値"), **VALUE)
    text = models.TextField(_("実績（文章）"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="actual_unique_indicator")]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.indicator_id}: {self.value}"


class WorkingGroup(models.Model):
    """推進ワーキンググループ: owns goals or any nodes of a plan, with a leader and sub-leader."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="working_groups")
    name = models.CharField(_("名称"), max_length=100)
    nodes = models.ManyToManyField(PlanNode, blank=True, related_name="working_groups", verbose_name=_("担当する項目"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_working_groups",
        verbose_name=_("リーダー"),
    )
    sub_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sub_led_working_groups",
        verbose_name=_("サブリーダー"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="working_groups", verbose_name=_("メンバー")
    )
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["plan", "name"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="working_group_unique_name")]

    def __str__(self):
        return self.name


class Meeting(models.Model):
    """推進会議: a progress meeting, linked to the nodes discussed."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="meetings")
    working_group = models.ForeignKey(
        WorkingGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
        verbose_name=_("ワーキンググループ"),
    )
    title = models.CharField(_("会議名"), max_length=200)
    held_on = models.DateField(_("開催日"), validators=[validate_era_date])
    attendees = models.TextField(_("出席者"), blank=True)
    agenda = models.TextField(_("議題"), blank=True)
    minutes = models.TextField(_("議事の概要"), blank=True)
    decisions = models.TextField(_("決定事項"), blank=True)
    nodes = models.ManyToManyField(PlanNode, blank=True, related_name="meetings", verbose_name=_("話し合った項目"))
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["plan", "-held_on", "pk"]

    def __str__(self) -> str:
        return self.title


class AnnualPlan(models.Model):
    """年次計画・推進計画: what one node will do in one fiscal year, and who owns it."""

    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="annual_plans")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), validators=YEAR_VALIDATORS)
    content = models.TextField(_("実施すること"), blank=True)
    months = models.JSONField(_("実施する月"), default=list, blank=True, help_text=_("4〜3月のうち実施する月"))
    working_group = models.ForeignKey(
        WorkingGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annual_plans",
        verbose_name=_("担当ワーキンググループ"),
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="annual_plans", verbose_name=_("担当者")
    )
    budget = models.DecimalField(
        _("予算（円）"), max_digits=14, decimal_places=0, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("前年度の年次計画")
    )
    needs_attention = models.BooleanField(
        _("要検討"), default=False, help_text=_("前年度の評価で拡充・見直しとされた事業")
    )
    carried_direction = models.CharField(_("前年度の評価での方向性"), max_length=30, blank=True)
    improvements = models.TextField(_("前年度の評価からの改善策"), blank=True)
    is_sample = models.BooleanField(_("サンプル"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["node", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["node", "fiscal_year"], name="annual_plan_unique_year")]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.fiscal_year}"


class ReminderLog(models.Model):
    """A reminder e-mail sent, so the same reminder is never sent twice."""

    class Kind(models.TextChoices):
        DUE = "due", _("締切の案内")
        OVERDUE = "overdue", _("期限切れの連絡")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reminders")
    fiscal_year = models.PositiveSmallIntegerField()
    period = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    item_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "plan", "fiscal_year", "period", "kind"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.plan_id} {self.fiscal_year}/{self.period} {self.kind}"


class ReportAttachment(models.Model):
    """A photo or document attached to a progress report. Served only through a permission check."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="reports/%Y/%m/")
    name = models.CharField(_("ファイル名"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self):
        return self.content_type.startswith("image/")


class TargetChange(models.Model):
    """目標値の変更: the old value and the reason, kept when a target changes after a midterm review
    (the snapshot of that review is evaluation's; progress only refers to it by name)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="target_changes")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True, help_text=_("空欄は最終目標値"))
    old_value = models.DecimalField(_("変更前"), max_digits=16, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(_("変更後"), max_digits=16, decimal_places=4, null=True, blank=True)
    reason = models.TextField(_("変更の理由"))
    snapshot = models.ForeignKey(
        "evaluation.PlanSnapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.fiscal_year} {self.old_value} → {self.new_value}"
