from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from sasaeai.core.forms import EraDateField, ModelMultipleChoiceField

from .models import Committee, CommitteeMember, EngagementSession, Voice

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FIELD_SUGGESTIONS = [
    "介護",
    "高齢者福祉",
    "児童福祉",
    "障がい者福祉",
    "子育て支援",
    "地域福祉",
    "ボランティア",
    "医療",
    "生活困窮",
    "防災",
    "教育",
    "民生委員・児童委員",
]

if TYPE_CHECKING:
    from sasaeai.accounts.models import User
    from sasaeai.plans.models import CommunityIssue, Plan

    from .models import Tag


class NodeSelect(forms.SelectMultiple):
    """A multiple select of plan items rendered without a template per option (a plan may have
    thousands of items)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in (value or [])}
        final_attrs = self.build_attrs(self.attrs, attrs)
        parts = [format_html('<select name="{}" multiple{}>', name, flatatt(final_attrs))]
        for option_value, label in self.choices:
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option_value,
                    mark_safe(" selected") if str(option_value) in selected else "",
                    label,
                )
            )
        parts.append("</select>")
        return mark_safe("".join(parts))


def node_field_choices(rows):
    """(id, indented label) from PlanTree.rows()."""
    return [(n.pk, "\u3000" * depth + f"{n.level.name}: {n.label}") for n, depth in rows]


class LinkForm(forms.Form):
    """Base of the forms that link voices: issues / nodes / tags / new_tags, filled from the plan."""

    issues: forms.ModelMultipleChoiceField[CommunityIssue] = ModelMultipleChoiceField(
        label=_("地域生活課題"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    nodes = forms.TypedMultipleChoiceField(
        label=_("計画の項目"),
        coerce=int,
        required=False,
        widget=NodeSelect(attrs={"size": 8}),
        help_text=_("Ctrl（Macは⌘）を押しながら選ぶと複数選べます。"),
    )
    tags: forms.ModelMultipleChoiceField[Tag] = ModelMultipleChoiceField(
        label=_("タグ"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    new_tags = forms.CharField(
        label=_("新しいタグ"),
        required=False,
        max_length=300,
        help_text=_("読点（、）かカンマで区切ると複数つくれます。例: 移動支援、居場所"),
    )

    def __init__(self, *args, issues, node_rows, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issues"].queryset = issues
        self.fields["issues"].label_from_instance = lambda i: f"{i.code} {i.title}"
        self.fields["nodes"].choices = node_field_choices(node_rows)
        self.fields["tags"].queryset = tags
        self.fields["tags"].label_from_instance = lambda t: t.name


# --------------------------------------------------------------------------- steps


class StepRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("段階"), max_length=100, required=False)
    start_date = EraDateField(label=_("開始日"), required=False, widget=DATE)
    end_date = EraDateField(label=_("終了日"), required=False, widget=DATE)
    description = forms.CharField(label=_("行ったこと"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outputs = forms.CharField(
        label=_("生まれたもの"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例: 地域生活課題 12項目、素案"),
    )


class _StepFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("順番")
        form.fields["ORDER"].help_text = _("数の小さい順に並びます")
        form.fields["DELETE"].label = _("この段階を削除")


StepFormSet = forms.formset_factory(
    StepRowForm, formset=_StepFormSet, extra=1, max_num=30, validate_max=True, can_order=True, can_delete=True
)


def step_rows(formset):
    """The rows to save, in the order asked for; blank rows are left out."""
    rows = []
    for form in formset.ordered_forms:
        data = form.cleaned_data
        if not any(data.get(k) for k in ("name", "start_date", "end_date", "description", "outputs")):
            continue
        rows.append({k: data.get(k) for k in ("id", "name", "start_date", "end_date", "description", "outputs")})
    return rows


# --------------------------------------------------------------------------- sessions and voices


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("種類"), choices=EngagementSession.Kind.choices)
    title = forms.CharField(
        label=_("名称"), max_length=200, help_text=_("例: 住民ふくし談笑会（第1回）、〇〇会ヒアリング")
    )
    held_on = EraDateField(label=_("開催日"), required=False, widget=DATE)
    place = forms.CharField(label=_("会場・地区"), max_length=200, required=False)
    occurrences = forms.IntegerField(
        label=_("開催回数"),
        min_value=1,
        max_value=999,
        initial=1,
        required=False,
        help_text=_("同じ内容で複数回開いたときは回数を入れ、参加者数は延べ人数にします。"),
    )
    participants = forms.IntegerField(label=_("参加者数（延べ）"), min_value=0, max_value=100000, required=False)
    group_name = forms.CharField(label=_("団体名（ヒアリング）"), max_length=200, required=False)
    field = forms.CharField(
        label=_("分野（ヒアリング）"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"list": "field-suggestions"}),
        help_text=_("例: 介護、児童福祉、障がい者福祉、子育て支援（候補から選ぶか入力）"),
    )
    notes = forms.CharField(label=_("記録"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class QuickVoicesForm(LinkForm):
    field_order = ["texts", "speaker", "issues", "nodes", "tags", "new_tags"]
    texts = forms.CharField(
        label=_("意見（1行に1つ）"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("1行が1つの意見になります。発言者の氏名は書かないでください。"),
    )
    speaker = forms.CharField(
        label=_("発言者の属性（全員に共通）"),
        max_length=100,
        required=False,
        help_text=_("例: 70代・女性、民生委員。氏名は記録しません。"),
    )

    def lines(self):
        return self.cleaned_data["texts"].splitlines()


class VoiceForm(LinkForm):
    field_order = ["text", "speaker", "source", "session", "issues", "nodes", "tags", "new_tags"]
    text = forms.CharField(label=_("意見"), widget=forms.Textarea(attrs={"rows": 4}))
    speaker = forms.CharField(
        label=_("発言者の属性"), max_length=100, required=False, help_text=_("例: 70代・女性（氏名は記録しません）")
    )
    source = forms.ChoiceField(
        label=_("出どころ"),
        required=False,
        choices=[
            (Voice.Source.WORKSHOP.value, Voice.Source.WORKSHOP.label),
            (Voice.Source.HEARING.value, Voice.Source.HEARING.label),
            (Voice.Source.OTHER.value, Voice.Source.OTHER.label),
        ],
        help_text=_("懇談会・ヒアリングを選んだときは、その種類になります。"),
    )
    session: forms.ModelChoiceField[EngagementSession] = forms.ModelChoiceField(
        label=_("懇談会・ヒアリング"), queryset=None, required=False
    )

    def __init__(self, *args, sessions, fixed_origin=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["session"].label_from_instance = lambda s: (
            f"{s.get_kind_display()}: {s.title}" + (f"（{s.held_on:%Y-%m-%d}）" if s.held_on else "")
        )
        if fixed_origin:  # survey free answers and public comments keep where they came from
            del self.fields["source"]
            del self.fields["session"]


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("選んだ意見の番号が正しくありません。")}

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkLinkForm(LinkForm):
    voice = IdListField(label=_("意見"), required=False)
    mode = forms.ChoiceField(
        label=_("操作"),
        choices=[("add", _("結び付ける")), ("remove", _("結び付きを外す"))],
        initial="add",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nodes"].widget.attrs["size"] = 6


class TagForm(forms.Form):
    name = forms.CharField(label=_("タグの名前"), max_length=50)


# --------------------------------------------------------------------------- committees


class CommitteeForm(forms.Form):
    kind = forms.ChoiceField(label=_("種類"), choices=Committee.Kind.choices)
    name = forms.CharField(label=_("名称"), max_length=200, help_text=_("例: 第4次地域福祉活動計画策定委員会"))
    plan: forms.ModelChoiceField[Plan] = forms.ModelChoiceField(
        label=_("計画"),
        queryset=None,
        required=False,
        help_text=_("計画ごとの委員会なら選びます。社協全体の委員会なら空欄にします。"),
    )
    term_start = EraDateField(label=_("任期の開始"), required=False, widget=DATE)
    term_end = EraDateField(label=_("任期の終了"), required=False, widget=DATE)

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["plan"].label_from_instance = lambda p: f"{p.part} {p.title}".strip()


class MemberRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("氏名"), max_length=100, required=False)
    affiliation = forms.CharField(label=_("所属・役職"), max_length=200, required=False)
    category = forms.ChoiceField(
        label=_("区分"),
        choices=CommitteeMember.Category.choices,
        required=False,
        initial=CommitteeMember.Category.OTHER,
    )
    role = forms.ChoiceField(
        label=_("役割"), choices=CommitteeMember.Role.choices, required=False, initial=CommitteeMember.Role.MEMBER
    )
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("ささえあいの利用者"), queryset=None, required=False, help_text=_("評価委員として評価を入力する人だけ")
    )

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: u.display_name or u.get_username()


class _MemberFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("順番")
        form.fields["DELETE"].label = _("この委員を外す")


MemberFormSet = forms.formset_factory(
    MemberRowForm, formset=_MemberFormSet, extra=3, max_num=200, validate_max=True, can_order=True, can_delete=True
)


def member_rows(formset):
    rows = []
    for form in formset.ordered_forms:
        data = form.cleaned_data
        if not (data.get("name") or data.get("affiliation") or data.get("id")):
            continue
        rows.append({k: data.get(k) for k in ("id", "name", "affiliation", "category", "role", "user")})
    return rows


class MembersQuickForm(forms.Form):
    """Many members at once: one per line, 氏名 and 所属・役職 separated by a tab or a comma."""

    lines = forms.CharField(
        label=_("まとめて追加（1行に1人）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("「氏名, 所属・役職」の形で、1行に1人ずつ。Excelからそのまま貼り付けられます。"),
    )

    @staticmethod
    def _parse(text: str | None) -> list[tuple[int, dict[str, str]]]:
        """(line number, {"name", "affiliation"}) for each filled line."""
        result = []
        for number, line in enumerate((text or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            for sep in ("\t", ",", "，", "、"):
                if sep in line:
                    name, affiliation = line.split(sep, 1)
                    break
            else:
                name, affiliation = line, ""
            result.append((number, {"name": name.strip(), "affiliation": affiliation.strip()}))
        return result

    def clean_lines(self) -> str:
        text: str = self.cleaned_data.get("lines") or ""
        limits = {
            "name": (_("氏名"), CommitteeMember._meta.get_field("name").max_length),
            "affiliation": (_("所属・役職"), CommitteeMember._meta.get_field("affiliation").max_length),
        }
        errors: list[forms.ValidationError] = []
        for number, person in self._parse(text):
            for key, (label, limit) in limits.items():
                if limit is not None and len(person[key]) > limit:
                    errors.append(
                        forms.ValidationError(
                            _("%(n)s行目: %(label)sは%(limit)s文字以内にしてください（%(length)s文字あります）。"),
                            params={"n": number, "label": label, "limit": limit, "length": len(person[key])},
                        )
                    )
        if errors:
            raise forms.ValidationError(errors)
        return text

    def people(self) -> list[dict[str, str]]:
        return [person for _number, person in self._parse(self.cleaned_data.get("lines"))]


class MeetingForm(forms.Form):
    number = forms.IntegerField(label=_("回"), min_value=1, max_value=999, help_text=_("第何回の会議か（数字）"))
    held_on = EraDateField(label=_("開催日"), widget=DATE, required=False)
    date_note = forms.CharField(
        label=_("開催時期（日付が分からないとき）"),
        max_length=100,
        required=False,
        help_text=_("例: 令和7年5月〜10月の間"),
    )
    place = forms.CharField(label=_("会場"), max_length=200, required=False)
    agenda = forms.CharField(label=_("議題"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label=_("議事の概要"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    attendees: forms.ModelMultipleChoiceField[CommitteeMember] = ModelMultipleChoiceField(
        label=_("出席した委員"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    material = forms.FileField(
        label=_("資料を添付"), required=False, help_text=_("PDF、Word・Excel・PowerPoint、写真（JPEG・PNG など）。")
    )

    def __init__(self, *args, members, materials=(), max_material_bytes=10 * 1024 * 1024, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = members
        self.fields["attendees"].label_from_instance = lambda m: (
            f"{m.name}（{m.get_role_display()}）" if m.role != CommitteeMember.Role.MEMBER else m.name
        )
        self.max_material_bytes = max_material_bytes
        self.fields["material"].help_text = _(
            "PDF、Word・Excel・PowerPoint、写真（JPEG・PNG など）。%(mb)s MB まで。"
        ) % {"mb": max_material_bytes // 1048576}
        self.material_list = list(materials)
        for material in self.material_list:
            self.fields[f"remove_{material.pk}"] = forms.BooleanField(
                label=_("資料「%(name)s」を削除") % {"name": material.name}, required=False
            )

    def clean_material(self):
        from django.core.exceptions import ValidationError

        from sasaeai.progress.services import attachment_check

        upload = self.cleaned_data.get("material")
        if upload:
            try:
                attachment_check(upload, max_bytes=self.max_material_bytes)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return upload

    def removed_materials(self):
        return [m for m in self.material_list if self.cleaned_data.get(f"remove_{m.pk}")]

    def meeting_fields(self):
        return {k: self.cleaned_data[k] for k in ("number", "held_on", "date_note", "place", "agenda", "minutes")}
