"""Councils (the tenant tree), their branches, and the audit log."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        abstract = True


# The order of council kinds, from the top: a council's kind must be below its parent's.
KIND_ORDER = ("prefecture", "municipal", "ward", "district")


def council_kind_problem(kind: str, parent_kind: str | None) -> str | None:
    """Why a council of ``kind`` cannot sit below one of ``parent_kind`` (Japanese), or ``None``.

    The one place of the rule: 都道府県社協 > 市区町村社協 > 区社協 > 地区社協. A 都道府県社協 has no parent and a
    地区社協 no children; a child's kind is below its parent's."""
    if parent_kind is None or kind not in KIND_ORDER or parent_kind not in KIND_ORDER:
        return None
    labels = dict(Council.Kind.choices)
    if parent_kind == Council.Kind.DISTRICT:
        return str(_("地区社協の下には社協をつくれません。"))
    if kind == Council.Kind.PREFECTURE:
        return str(_("都道府県社協は、ほかの社協の下にはつくれません（上位の社協を「なし」にしてください）。"))
    if KIND_ORDER.index(kind) <= KIND_ORDER.index(parent_kind):
        return str(
            _(
                "%(parent)sの下に%(kind)sはつくれません。種別は上位の社協より下にしてください"
                "（都道府県社協 ＞ 市区町村社協 ＞ 区社協 ＞ 地区社協）。"
            )
            % {"parent": labels[parent_kind], "kind": labels[kind]}
        )
    return None


class Council(BaseModel):
    """A social welfare council (社会福祉協議会). Councils form a tree: 川崎市社協 → 中原区社協."""

    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", _("都道府県社協")
        MUNICIPAL = "municipal", _("市区町村社協")
        WARD = "ward", _("区社協")
        DISTRICT = "district", _("地区社協")

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices, default=Kind.MUNICIPAL)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上位の社協"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    postal_code = models.CharField(_("郵便番号"), max_length=10, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    phone = models.CharField(_("電話"), max_length=30, blank=True)
    fax = models.CharField(_("FAX"), max_length=30, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    url = models.URLField(_("ホームページ"), blank=True)
    require_admin_two_factor = models.BooleanField(
        _("管理者に2段階認証を求める"),
        default=False,
        help_text=_("オンにすると、この社協の社協管理者は2段階認証を設定しないと作業できません。"),
    )

    class Meta:
        verbose_name = _("社協")
        verbose_name_plural = _("社協")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="council_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        seen: set[int] = {self.pk} if self.pk else set()
        node = self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("上位の社協が循環しています。")})
            seen.add(node.pk)
            node = node.parent
        problem = council_kind_problem(self.kind, self.parent.kind if self.parent is not None else None)
        if problem is None and self.pk:
            for child_kind in Council.objects.filter(parent_id=self.pk).values_list("kind", flat=True):
                problem = council_kind_problem(child_kind, self.kind)
                if problem:
                    break
        if problem:
            raise ValidationError({"kind": problem})


class Branch(BaseModel):
    """A branch office (支部) of a council, e.g. 一関市社協's eight 支部."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="branches")
    name = models.CharField(_("名称"), max_length=200)
    position = models.PositiveIntegerField(_("表示順"), default=0)
    postal_code = models.CharField(_("郵便番号"), max_length=10, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    phone = models.CharField(_("電話"), max_length=30, blank=True)
    fax = models.CharField(_("FAX"), max_length=30, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)

    class Meta:
        verbose_name = _("支部")
        verbose_name_plural = _("支部")
        ordering = ["council", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """One recorded change: who, when, what, before → after. Written explicitly by services."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=60)
    # Plain ids rather than foreign keys: an entry outlives what it describes.
    plan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    node_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_label = models.CharField(max_length=300, blank=True)
    # What the entry describes, e.g. ("progress.progressreport", 12), so a change can be undone.
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    # DjangoJSONEncoder writes Decimal, date and datetime values as text.
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("変更履歴")
        verbose_name_plural = _("変更履歴")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"
