"""A plan (地域福祉活動計画 …), its named levels, its structure tree and community life issues."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sasaeai.core import fiscal
from sasaeai.core.models import BaseModel, Council

YEAR_VALIDATORS = [MinValueValidator(1869), MaxValueValidator(2200)]


class Plan(BaseModel):
    class Kind(models.TextChoices):
        ACTIVITY = "activity", _("地域福祉活動計画")
        COUNCIL_DEVELOPMENT = "council_development", _("社協発展強化計画・アクションプラン")
        DISTRICT = "district", _("地区別計画")

    class Status(models.TextChoices):
        DRAFTING = "drafting", _("策定中")
        ACTIVE = "active", _("推進中")
        FINISHED = "finished", _("終了")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="plans", verbose_name=_("社協"))
    title = models.CharField(_("計画名"), max_length=200)
    generation = models.CharField(_("期・次"), max_length=50, blank=True, help_text=_("例: 第4次、第6期"))
    kind = models.CharField(_("計画の種類"), max_length=30, choices=Kind.choices, default=Kind.ACTIVITY)
    document = models.CharField(
        _("冊子名"),
        max_length=200,
        blank=True,
        help_text=_("一つの冊子に複数の計画が載っている場合の冊子名（例: 柏市の計画Ⅰ〜Ⅲ）"),
    )
    part = models.CharField(_("冊子内の区分"), max_length=50, blank=True, help_text=_("例: 計画Ⅰ"))
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    period_start = models.PositiveSmallIntegerField(
        _("計画期間（開始年度）"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    period_end = models.PositiveSmallIntegerField(
        _("計画期間（終了年度）"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    midterm_review_year = models.PositiveSmallIntegerField(
        _("中間評価の年度"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    vision = models.TextField(_("基本理念"), blank=True)
    vision_explanation = models.TextField(_("基本理念の説明"), blank=True)
    purpose = models.TextField(_("計画の目的"), blank=True)
    municipal_plan_name = models.CharField(_("連携する地域福祉計画（行政計画）"), max_length=200, blank=True)
    municipal_plan_generation = models.CharField(_("地域福祉計画の期・次"), max_length=50, blank=True)
    municipal_plan_start = models.PositiveSmallIntegerField(
        _("地域福祉計画の開始年度"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    municipal_plan_end = models.PositiveSmallIntegerField(
        _("地域福祉計画の終了年度"), null=True, blank=True, validators=YEAR_VALIDATORS
    )
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("前計画"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="successors",
    )
    predecessor_title = models.CharField(_("前計画の名称"), max_length=200, blank=True)
    predecessor_carried_over = models.TextField(_("前計画から引き継ぐもの"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("計画")
        verbose_name_plural = _("計画")
        ordering = ["council", "-period_start", "document", "part", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def period_label(self) -> str:
        if self.period_start is None:
            return ""
        return fiscal.format_fiscal_period(self.period_start, self.period_end or self.period_start)

    @property
    def municipal_plan_period_label(self) -> str:
        if self.municipal_plan_start is None:
            return ""
        return fiscal.format_fiscal_period(
            self.municipal_plan_start, self.municipal_plan_end or self.municipal_plan_start
        )

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        start, end = self.period_start, self.period_end
        if (start is None) != (end is None):
            errors["period_end"] = _("計画期間は開始年度と終了年度の両方を入力してください。")
        elif start is not None and end is not None and end < start:
            errors["period_end"] = _("終了年度は開始年度以降にしてください。")
        if (
            self.municipal_plan_start
            and self.municipal_plan_end
            and self.municipal_plan_end < self.municipal_plan_start
        ):
            errors["municipal_plan_end"] = _("終了年度は開始年度以降にしてください。")
        # Only against a whole period: a missing end year is already reported above.
        if (
            self.midterm_review_year
            and start is not None
            and end is not None
            and not (start <= self.midterm_review_year <= end)
        ):
            errors["midterm_review_year"] = _("中間評価の年度は計画期間の中にしてください。")
        if errors:
            raise ValidationError(errors)


class PlanPhase(models.Model):
    """前期 / 後期 with their own fiscal years."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("名称"), max_length=50)
    start_year = models.PositiveSmallIntegerField(_("開始年度"), validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(_("終了年度"), validators=YEAR_VALIDATORS)

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_year}–{self.end_year})"

    @property
    def period_label(self) -> str:
        return fiscal.format_fiscal_period(self.start_year, self.end_year)


class PlanLevel(models.Model):
    """The name a plan gives to one depth of its hierarchy (基本目標, 推進目標 …)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="levels")
    depth = models.PositiveSmallIntegerField()
    name = models.CharField(_("階層名"), max_length=50)

    class Meta:
        ordering = ["plan", "depth"]
        constraints = [models.UniqueConstraint(fields=["plan", "depth"], name="level_unique_depth")]

    def __str__(self) -> str:
        return self.name


class CommunityIssue(models.Model):
    """地域生活課題: a numbered life issue of the community the plan answers."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="issues")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("番号"), max_length=20)
    title = models.CharField(_("課題"), max_length=200)
    description = models.TextField(_("説明"), blank=True)

    class Meta:
        ordering = ["plan", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="issue_unique_code")]
        verbose_name = _("地域生活課題")
        verbose_name_plural = _("地域生活課題")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PlanSection(models.Model):
    """Other printed text of the plan (推進体制, 計画の位置づけ …), kept word for word."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("見出し"), max_length=200)
    body = models.TextField(_("本文"), blank=True)

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class PlanNode(models.Model):
    """One item of the plan's structure at one of its levels."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    level = models.ForeignKey(PlanLevel, on_delete=models.CASCADE, related_name="nodes", verbose_name=_("階層"))
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(
        _("番号"), max_length=50, blank=True, help_text=_("計画書に印刷されている番号（例: １-③、（１）、方針２）")
    )
    title = models.CharField(_("名称"), max_length=300)
    summary = models.TextField(_("要旨"), blank=True)
    description = models.TextField(_("説明"), blank=True)
    is_priority = models.BooleanField(_("重点"), default=False)
    desired_state = models.TextField(_("目指す姿"), blank=True)
    plain_summary = models.TextField(
        _("やさしい日本語の説明"),
        blank=True,
        help_text=_("公開サイトで「やさしい日本語」を選んだ人に見せる、短い文のわかりやすい説明（任意）"),
    )
    previous_evaluation = models.TextField(_("前計画の評価"), blank=True)
    challenges = models.TextField(_("課題"), blank=True)
    targets_text = models.TextField(_("数値目標（計画書の記載）"), blank=True)
    issues = models.ManyToManyField(
        CommunityIssue, blank=True, related_name="nodes", verbose_name=_("対応する地域生活課題")
    )
    weight = models.DecimalField(
        _("重み"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("上位の項目の進捗・達成率を計算するときの重み（標準は 1）"),
    )
    previous_node = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_nodes",
        verbose_name=_("前計画の項目"),
        help_text=_("次期計画を前計画から作ったときの元の項目"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    # Set on the nodes of a tree read whole by plans.selectors.PlanTree (not database fields).
    children_list: list["PlanNode"]
    issue_list: list[CommunityIssue]
    action_list: list["NodeAction"]
    parent_node: "PlanNode | None"
    skip_range: range

    class Meta:
        ordering = ["plan", "parent_id", "position", "pk"]
        verbose_name = _("項目")
        verbose_name_plural = _("項目")
        indexes = [models.Index(fields=["plan", "parent", "position"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()

    @property
    def label(self) -> str:
        return str(self)


class NodeAction(models.Model):
    """An action under a node, split by who acts (倉敷市: 地域での取り組み / 社協の取り組み)."""

    class Actor(models.TextChoices):
        COMMUNITY = "community", _("地域での取り組み")
        COUNCIL = "council", _("社協の取り組み")

    node = models.ForeignKey(PlanNode, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField(default=0)
    actor = models.CharField(_("取り組む主体"), max_length=20, choices=Actor.choices)
    text = models.TextField(_("内容"), blank=True)
    examples = models.JSONField(_("例"), default=list, blank=True)
    steps = models.JSONField(_("段階"), default=list, blank=True)

    class Meta:
        ordering = ["node", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.actor}"
