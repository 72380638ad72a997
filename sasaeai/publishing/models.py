"""The public site of a council: its address, what it has published (frozen copies), and its ふりがな dictionary.

A publication is a *copy*: what staff published is stored as it was (``data``) with its readings, and the
public pages, open data and API read only those copies. Nothing on a public page is read from the live
plan, so an edit in the office never reaches residents until someone publishes again.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import BaseModel, Council
from sasaeai.plans.models import Plan

# Addresses the site itself uses under /public/ (a council cannot take them).
RESERVED_SLUGS = frozenset(
    {"api", "accessibility", "comment", "surveys", "static", "media", "admin", "help", "about", "data", "open-data"}
)

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$",
    _("公開アドレスは半角の英小文字・数字・ハイフン（-）で、2〜60文字にしてください（先頭と末尾はハイフン以外）。"),
)


class Licence(models.TextChoices):
    CC_BY_4 = "CC-BY-4.0", _("クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）")
    CC0 = "CC0-1.0", _("CC0 1.0（権利を主張しない）")
    CC_BY_SA_4 = "CC-BY-SA-4.0", _("クリエイティブ・コモンズ 表示-継承 4.0 国際（CC BY-SA 4.0）")
    PDL_1 = "PDL-1.0", _("公共データ利用規約（第1.0版）（PDL1.0）")


LICENCE_URLS = {
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/deed.ja",
    Licence.CC0: "https://creativecommons.org/publicdomain/zero/1.0/deed.ja",
    Licence.CC_BY_SA_4: "https://creativecommons.org/licenses/by-sa/4.0/deed.ja",
    Licence.PDL_1: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
}


class PublicSite(BaseModel):
    """A council's public site at /public/<slug>/. It is shown only while ``is_open``."""

    council = models.OneToOneField(Council, on_delete=models.CASCADE, related_name="public_site")
    slug = models.CharField(
        _("公開アドレス"),
        max_length=60,
        unique=True,
        validators=[slug_validator],
        help_text=_(
            "/public/ の後に続く英字の名前（例: kurashiki）。印刷物に載せるので、一度決めたら変えないでください。"
        ),
    )
    is_open = models.BooleanField(
        _("公開サイトを開く"), default=False, help_text=_("オフの間は、公表した内容も住民からは見えません。")
    )
    introduction = models.TextField(
        _("紹介文"), blank=True, help_text=_("公開サイトの最初に載せる、社協からのあいさつ")
    )
    licence = models.CharField(
        _("オープンデータのライセンス"), max_length=20, choices=Licence.choices, default=Licence.CC_BY_4
    )
    # Bumped by every publication, withdrawal, settings or dictionary change: the public pages' cache key.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("公開サイト")
        verbose_name_plural = _("公開サイト")

    def __str__(self) -> str:
        return self.slug

    @property
    def licence_url(self) -> str:
        return LICENCE_URLS.get(Licence(self.licence), "")


class Publication(models.Model):
    """One published part of a plan (for one fiscal year, or ``fiscal_year`` 0 for the plan itself)."""

    class Part(models.TextChoices):
        STRUCTURE = "structure", _("計画の内容（基本理念・体系・地域生活課題・策定の経過）")
        PROGRESS = "progress", _("進捗と指標（目標値・実績値・達成率）")
        EVALUATION = "evaluation", _("最終評価と今後の方向性")
        OPINION = "opinion", _("評価委員会の総評")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="publications")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="publications")
    part = models.CharField(_("公表する内容"), max_length=20, choices=Part.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), default=0, help_text=_("0 は年度によらない内容"))
    # The frozen public content (publishing.snapshot) and its readings (publishing.furigana).
    data = models.JSONField(default=dict)
    readings = models.JSONField(default=dict, blank=True)
    note = models.TextField(_("メモ（公表の理由など）"), blank=True)
    is_current = models.BooleanField(default=True)
    published_at = models.DateTimeField(_("公表日時"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("取り下げ日時"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdraw_reason = models.TextField(_("取り下げの理由"), blank=True)

    class Meta:
        verbose_name = _("公表")
        verbose_name_plural = _("公表")
        ordering = ["plan", "part", "-fiscal_year", "-published_at", "-pk"]
        indexes = [
            models.Index(fields=["council", "is_current"]),
            models.Index(fields=["plan", "part", "fiscal_year", "is_current"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "part", "fiscal_year"],
                condition=models.Q(is_current=True),
                name="publication_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.part} {self.fiscal_year}"


class ReadingEntry(models.Model):
    """A council's reading for a word the analyser reads wrongly (place and group names): 玖珠 → くす."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="reading_entries")
    surface = models.CharField(_("語"), max_length=60)
    reading = models.CharField(_("読み（ひらがな）"), max_length=120)
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ふりがな辞書の語")
        verbose_name_plural = _("ふりがな辞書")
        ordering = ["council", "surface"]
        constraints = [models.UniqueConstraint(fields=["council", "surface"], name="reading_unique_surface")]

    def __str__(self) -> str:
        return f"{self.surface}（{self.reading}）"
