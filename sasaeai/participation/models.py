"""Formulating the plan with residents (策定・住民参加): the formulation steps, questionnaires (one engine
for surveys and the public-comment form), what people said (voices) from workshops, hearings, surveys
and public comment, traced to life issues and plan items, public comment periods, and committees."""

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.forms import validate_era_date
from sasaeai.core.models import Council
from sasaeai.plans.models import CommunityIssue, Plan, PlanNode, PlanSection


class FormulationStep(models.Model):
    """A step of formulating a plan (現状把握・課題抽出 → 協議 → 素案 → パブリックコメント → 完成), editable."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="formulation_steps")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("段階"), max_length=100)
    start_date = models.DateField(_("開始日"), null=True, blank=True, validators=[validate_era_date])
    end_date = models.DateField(_("終了日"), null=True, blank=True, validators=[validate_era_date])
    description = models.TextField(_("行ったこと"), blank=True)
    outputs = models.TextField(_("生まれたもの"), blank=True, help_text=_("例: 地域生活課題 12項目、素案"))

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class Questionnaire(models.Model):
    """A questionnaire: a survey (アンケート) or the form of a public comment. Respondents are anonymous."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("アンケート")
        PUBLIC_COMMENT = "public_comment", _("パブリックコメントの様式")

    class Status(models.TextChoices):
        DRAFT = "draft", _("準備中")
        OPEN = "open", _("回答受付中")
        CLOSED = "closed", _("締切")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="questionnaires")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="questionnaires")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices, default=Kind.SURVEY)
    title = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    audience = models.CharField(
        _("対象"), max_length=200, blank=True, help_text=_("例: 市内在住の18歳以上の方 2,000人（無作為抽出）")
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_on = models.DateField(_("開始日"), null=True, blank=True, validators=[validate_era_date])
    closes_on = models.DateField(_("締切日"), null=True, blank=True, validators=[validate_era_date])
    distributed = models.PositiveIntegerField(_("配布数"), null=True, blank=True)
    returned = models.PositiveIntegerField(
        _("回収数（紙など、取り込んでいない分を含む記録）"),
        null=True,
        blank=True,
        help_text=_("空欄なら取り込んだ回答の数を使います"),
    )
    public_key = models.CharField(
        max_length=32, unique=True, null=True, blank=True, help_text=_("オンライン回答の公開URLに使う鍵")
    )
    is_sample = models.BooleanField(_("サンプル"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    data_version = models.PositiveIntegerField(
        default=0, editable=False, help_text=_("回答が変わるたびに増える（集計の作り直しに使う）")
    )
    # Per-request cache of surveys.questionnaire_spec (not a database field).
    _survey_spec: Any

    class Meta:
        ordering = ["council", "-pk"]

    def __str__(self):
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("単一選択")
        MULTIPLE = "multiple", _("複数選択")
        SCALE = "scale", _("段階（尺度）")
        NUMBER = "number", _("数値")
        TEXT = "text", _("自由記述")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("列名"), max_length=30, help_text=_("取り込むファイルの列見出し（例: Q1、年代）"))
    text = models.TextField(_("質問"))
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    is_attribute = models.BooleanField(
        _("回答者の属性"), default=False, help_text=_("年代・性別・地区など、クロス集計の軸")
    )
    required = models.BooleanField(_("必須"), default=False)
    scale_min = models.SmallIntegerField(_("尺度の最小"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("尺度の最大"), null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(_("選べる数の上限"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("文字数の上限"), null=True, blank=True)

    class Meta:
        ordering = ["questionnaire", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "code"], name="question_unique_code")]

    def __str__(self):
        return f"{self.code} {self.text[:30]}"


class Choice(models.Model):
    """A choice of a single/multiple question, or the label of one point of a scale."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    code = models.CharField(_("コード"), max_length=20, help_text=_("ファイルでの値（例: 1）"))
    label = models.CharField(_("選択肢"), max_length=200)

    class Meta:
        ordering = ["question", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="choice_unique_code")]

    def __str__(self):
        return self.label


class Response(models.Model):
    """One respondent's answers, keyed by question code. No names: respondents stay anonymous."""

    class Source(models.TextChoices):
        IMPORT = "import", _("ファイルから取り込み")
        ONLINE = "online", _("オンライン回答")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="responses")
    respondent = models.CharField(_("回答者番号"), max_length=50)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.IMPORT)
    answers = models.JSONField(default=dict, help_text=_("質問の列名 → 値（複数選択はコードの一覧）"))
    submitted_at = models.DateTimeField(auto_now_add=True)
    client_hash = models.CharField(
        max_length=64, blank=True, help_text=_("オンライン回答の送信元（ハッシュ、連投の制限に使う）")
    )
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["questionnaire", "pk"]
        indexes = [models.Index(fields=["client_hash", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "respondent"], name="response_unique_respondent")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}: {self.respondent}"


class TabulationCache(models.Model):
    """The answers of a questionnaire as compact columns (one array of codes per question), rebuilt when
    ``Questionnaire.data_version`` moves on, so a cross tabulation reads two arrays, not every response."""

    questionnaire = models.OneToOneField(Questionnaire, on_delete=models.CASCADE, related_name="tabulation_cache")
    data_version = models.PositiveIntegerField()
    data = models.BinaryField()
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.questionnaire_id}: v{self.data_version}"


class Tag(models.Model):
    """A council's own label for free answers and voices (e.g. 移動支援, 居場所)."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="voice_tags")
    name = models.CharField(_("タグ"), max_length=50)

    class Meta:
        ordering = ["council", "name"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="tag_unique_name")]

    def __str__(self):
        return self.name


class EngagementSession(models.Model):
    """A 住民懇談会・談笑会 (workshop) or a 団体ヒアリング (group hearing)."""

    class Kind(models.TextChoices):
        WORKSHOP = "workshop", _("住民懇談会・談笑会")
        HEARING = "hearing", _("団体ヒアリング")
        OTHER = "other", _("その他")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="engagement_sessions")
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices, default=Kind.WORKSHOP)
    title = models.CharField(_("名称"), max_length=200)
    held_on = models.DateField(_("開催日"), null=True, blank=True, validators=[validate_era_date])
    place = models.CharField(_("会場・地区"), max_length=200, blank=True)
    occurrences = models.PositiveSmallIntegerField(
        _("開催回数"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("同じ内容で複数回開いたときの回数（参加者数はその合計）"),
    )
    participants = models.PositiveIntegerField(_("参加者数（延べ）"), null=True, blank=True)
    group_name = models.CharField(_("団体名"), max_length=200, blank=True)
    field = models.CharField(_("分野"), max_length=50, blank=True, help_text=_("例: 介護、児童、障がい、子育て"))
    notes = models.TextField(_("記録"), blank=True)
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["plan", "held_on", "pk"]

    def __str__(self):
        return self.title


class Voice(models.Model):
    """What someone said (意見): from a workshop, hearing, survey free answer or public comment,
    traced to life issues and plan items."""

    class Source(models.TextChoices):
        WORKSHOP = "workshop", _("住民懇談会・談笑会")
        HEARING = "hearing", _("団体ヒアリング")
        SURVEY = "survey", _("アンケートの自由記述")
        PUBLIC_COMMENT = "public_comment", _("パブリックコメント")
        OTHER = "other", _("その他")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="voices")
    source = models.CharField(_("出どころ"), max_length=20, choices=Source.choices)
    session = models.ForeignKey(
        EngagementSession,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="voices",
        verbose_name=_("懇談会・ヒアリング"),
    )
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.CASCADE, related_name="voices")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="voices")
    comment = models.ForeignKey("PublicComment", null=True, blank=True, on_delete=models.CASCADE, related_name="voices")
    text = models.TextField(_("意見"))
    speaker = models.CharField(
        _("発言者の属性"), max_length=100, blank=True, help_text=_("例: 70代・女性（氏名は記録しません）")
    )
    issues = models.ManyToManyField(CommunityIssue, blank=True, related_name="voices", verbose_name=_("地域生活課題"))
    nodes = models.ManyToManyField(PlanNode, blank=True, related_name="voices", verbose_name=_("計画の項目"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="voices", verbose_name=_("タグ"))
    is_sample = models.BooleanField(_("サンプル"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class PublicCommentPeriod(models.Model):
    """パブリックコメント: the draft plan published for comment for a period, then the results."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comment_periods")
    title = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("説明"), blank=True)
    opens_on = models.DateField(_("受付開始日"), validators=[validate_era_date])
    closes_on = models.DateField(_("受付終了日"), validators=[validate_era_date])
    questionnaire = models.ForeignKey(
        Questionnaire, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("意見の様式")
    )
    public_key = models.CharField(max_length=32, unique=True)
    results_published = models.BooleanField(_("結果を公表する"), default=False)
    results_published_on = models.DateField(_("結果の公表日"), null=True, blank=True, validators=[validate_era_date])
    is_sample = models.BooleanField(_("サンプル"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["plan", "-opens_on", "pk"]

    def __str__(self):
        return self.title


class PublicComment(models.Model):
    """One resident's comment. The name is optional; the contact is never published."""

    class Status(models.TextChoices):
        NEW = "new", _("未対応")
        TRIAGED = "triaged", _("整理済み")
        ANSWERED = "answered", _("回答済み")
        EXCLUDED = "excluded", _("対象外（いたずら等）")

    class Reflection(models.TextChoices):
        REFLECTED = "reflected", _("反映")
        PARTLY = "partly", _("一部反映")
        ALREADY = "already", _("既に記載")
        REFERENCE = "reference", _("参考")
        NOT_REFLECTED = "not_reflected", _("反映しない")

    period = models.ForeignKey(PublicCommentPeriod, on_delete=models.CASCADE, related_name="comments")
    number = models.PositiveIntegerField(_("番号"))
    section = models.ForeignKey(
        PlanSection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("意見の対象（章・節）"),
    )
    node = models.ForeignKey(
        PlanNode,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("意見の対象（項目）"),
    )
    text = models.TextField(_("意見"))
    name = models.CharField(_("氏名（任意）"), max_length=100, blank=True)
    district = models.CharField(_("お住まいの地区"), max_length=100, blank=True)
    contact = models.CharField(_("連絡先（公表しません）"), max_length=200, blank=True)
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.NEW)
    group_label = models.CharField(_("まとめ（同じ趣旨の意見の見出し）"), max_length=200, blank=True)
    answer = models.TextField(_("社協の考え方"), blank=True)
    reflection = models.CharField(_("反映の状況"), max_length=20, choices=Reflection.choices, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    client_hash = models.CharField(max_length=64, blank=True, help_text=_("送信元の識別（ハッシュ、連投の制限に使う）"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    is_sample = models.BooleanField(_("サンプル"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Set by comments.results for the published list (not a database field).
    reflection_label: str

    class Meta:
        ordering = ["period", "number"]
        constraints = [models.UniqueConstraint(fields=["period", "number"], name="comment_unique_number")]
        indexes = [models.Index(fields=["period", "status"]), models.Index(fields=["client_hash", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.period_id}: {self.number}"


class Committee(models.Model):
    """策定委員会・評価委員会 (and other committees), with members and meetings."""

    class Kind(models.TextChoices):
        FORMULATION = "formulation", _("策定委員会")
        EVALUATION = "evaluation", _("評価委員会")
        OTHER = "other", _("その他")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="committees")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="committees")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices, default=Kind.FORMULATION)
    name = models.CharField(_("名称"), max_length=200)
    term_start = models.DateField(_("任期の開始"), null=True, blank=True, validators=[validate_era_date])
    term_end = models.DateField(_("任期の終了"), null=True, blank=True, validators=[validate_era_date])
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["council", "kind", "name"]

    def __str__(self):
        return self.name


class CommitteeMember(models.Model):
    class Category(models.TextChoices):
        ACADEMIC = "academic", _("学識経験者")
        RESIDENT = "resident", _("住民代表")
        ORGANISATION = "organisation", _("関係団体")
        PROFESSIONAL = "professional", _("福祉・医療の専門職")
        GOVERNMENT = "government", _("行政")
        PUBLIC = "public", _("公募")
        OTHER = "other", _("その他")

    class Role(models.TextChoices):
        CHAIR = "chair", _("委員長")
        VICE_CHAIR = "vice_chair", _("副委員長")
        MEMBER = "member", _("委員")

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("氏名"), max_length=100)
    affiliation = models.CharField(_("所属・役職"), max_length=200, blank=True)
    category = models.CharField(_("区分"), max_length=20, choices=Category.choices, default=Category.OTHER)
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_memberships",
        verbose_name=_("ささえあいの利用者"),
        help_text=_("評価委員として評価を入力する人は、利用者と結び付けます"),
    )

    class Meta:
        ordering = ["committee", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class CommitteeMeeting(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="meetings")
    number = models.PositiveSmallIntegerField(_("回"), validators=[MinValueValidator(1), MaxValueValidator(999)])
    held_on = models.DateField(_("開催日"), null=True, blank=True, validators=[validate_era_date])
    date_note = models.CharField(
        _("開催時期（日付が分からないとき）"), max_length=100, blank=True, help_text=_("例: 令和7年5月〜10月の間")
    )
    place = models.CharField(_("会場"), max_length=200, blank=True)
    agenda = models.TextField(_("議題"), blank=True)
    minutes = models.TextField(_("議事の概要"), blank=True)
    attendees = models.ManyToManyField(
        CommitteeMember, blank=True, related_name="meetings_attended", verbose_name=_("出席した委員")
    )
    is_sample = models.BooleanField(_("サンプル"), default=False)

    class Meta:
        ordering = ["committee", "number"]
        constraints = [models.UniqueConstraint(fields=["committee", "number"], name="committee_meeting_unique_number")]

    def __str__(self) -> str:
        return f"{self.committee_id}: {self.number}"


class MeetingMaterial(models.Model):
    """資料 of a committee meeting. Served only through a permission check."""

    meeting = models.ForeignKey(CommitteeMeeting, on_delete=models.CASCADE, related_name="materials")
    file = models.FileField(upload_to="committees/%Y/%m/")
    name = models.CharField(_("ファイル名"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class ClientGate(models.Model):
    """One row per (scope, client): written first and held locked while one resident's submission is
    counted against the rate limit and stored, so the check and the insert are atomic per client across
    every period and questionnaire (``participation/ratelimit.py``). Only the hash is kept."""

    class Scope(models.TextChoices):
        COMMENT = "comment", _("パブリックコメント")
        SURVEY = "survey", _("オンラインアンケート")

    scope = models.CharField(max_length=10, choices=Scope.choices)
    client_hash = models.CharField(max_length=64)
    touched_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "client_hash"], name="client_gate_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.client_hash[:8]}"
