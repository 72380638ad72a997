from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sasaeai.core import fiscal
from sasaeai.core.forms import ModelMultipleChoiceField

from .models import CommunityIssue, NodeAction, Plan, PlanLevel, PlanNode


class FiscalYearField(forms.IntegerField):
    """A 年度 typed as 2026, 2026年度, 令和8年度 or R8."""

    widget = forms.TextInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("placeholder", _("例: 令和8年度 または 2026"))
        self.widget.attrs.setdefault("inputmode", "text")

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            return fiscal.parse_fiscal_year(str(value))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


class PlanForm(forms.ModelForm):
    period_start = FiscalYearField(label=_("計画期間（開始年度）"))
    period_end = FiscalYearField(label=_("計画期間（終了年度）"))
    midterm_review_year = FiscalYearField(label=_("中間評価の年度"))
    municipal_plan_start = FiscalYearField(label=_("地域福祉計画の開始年度"))
    municipal_plan_end = FiscalYearField(label=_("地域福祉計画の終了年度"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Plan
        fields = [
            "title",
            "generation",
            "kind",
            "status",
            "document",
            "part",
            "period_start",
            "period_end",
            "midterm_review_year",
            "vision",
            "vision_explanation",
            "purpose",
            "municipal_plan_name",
            "municipal_plan_generation",
            "municipal_plan_start",
            "municipal_plan_end",
            "predecessor_title",
            "predecessor_carried_over",
        ]
        widgets = {
            "vision": forms.Textarea(attrs={"rows": 2}),
            "vision_explanation": forms.Textarea(attrs={"rows": 4}),
            "purpose": forms.Textarea(attrs={"rows": 4}),
            "predecessor_carried_over": forms.Textarea(attrs={"rows": 3}),
        }


class PlanCreateForm(PlanForm):
    levels = forms.CharField(
        label=_("階層名"),
        initial="基本目標\n推進目標\n推進事業",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("上の階層から順に、1行に1つずつ書きます（例: 基本目標、推進目標）。"),
    )

    def clean_levels(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["levels"].splitlines() if line.strip()]
        if not names:
            raise forms.ValidationError(_("階層名を一つ以上入力してください。"))
        if len(set(names)) != len(names):
            raise forms.ValidationError(_("同じ階層名が二つあります。"))
        if len(names) > 8:
            raise forms.ValidationError(_("階層は8段までです。"))
        if any(len(name) > 50 for name in names):
            raise forms.ValidationError(_("階層名は50文字までです。"))
        return names


class LevelsForm(forms.Form):
    def __init__(self, *args: Any, levels: list[PlanLevel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level in levels:
            self.fields[f"level_{level.depth}"] = forms.CharField(
                label=_("%(n)s段目") % {"n": level.depth + 1}, initial=level.name, max_length=50
            )
        self.fields["new_level"] = forms.CharField(
            label=_("いちばん下に階層を追加"),
            required=False,
            max_length=50,
            help_text=_("追加しないときは空欄のままにします。"),
        )
        self.level_count = len(levels)

    def names(self) -> list[str]:
        names = [self.cleaned_data[f"level_{i}"] for i in range(self.level_count)]
        return [*names, self.cleaned_data.get("new_level") or ""]


class NodeForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PlanNode
        fields = [
            "level",
            "code",
            "title",
            "is_priority",
            "weight",
            "summary",
            "description",
            "desired_state",
            "plain_summary",
            "previous_evaluation",
            "challenges",
            "targets_text",
            "issues",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 5}),
            "desired_state": forms.Textarea(attrs={"rows": 3}),
            "plain_summary": forms.Textarea(attrs={"rows": 3}),
            "previous_evaluation": forms.Textarea(attrs={"rows": 3}),
            "challenges": forms.Textarea(attrs={"rows": 3}),
            "targets_text": forms.Textarea(attrs={"rows": 2}),
            "issues": forms.CheckboxSelectMultiple,
        }
        field_classes = {"issues": ModelMultipleChoiceField}  # an id too large is an invalid choice, not a 500

    def __init__(self, *args: Any, plan: Plan, parent: PlanNode | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        levels = PlanLevel.objects.filter(plan=plan).order_by("depth")
        parent_depth = parent.level.depth if parent is not None else -1
        level = cast(forms.ModelChoiceField, self.fields["level"])
        level.queryset = levels.filter(depth__gt=parent_depth)
        level.empty_label = None
        level.label_from_instance = lambda lv: lv.name  # type: ignore[method-assign, assignment]  # Django's documented hook
        issues = cast(forms.ModelMultipleChoiceField, self.fields["issues"])
        issues.queryset = CommunityIssue.objects.filter(plan=plan).order_by("position", "pk")
        issues.label_from_instance = lambda i: f"{i.code} {i.title}"  # type: ignore[method-assign, assignment]  # as above
        issues.required = False
        self.fields["weight"].required = False

    def clean_weight(self) -> int:
        weight = self.cleaned_data.get("weight")
        return 1 if weight is None else weight


class MoveForm(forms.Form):
    parent = forms.ChoiceField(label=_("移動先（この項目の下へ）"), required=False)
    position = forms.TypedChoiceField(
        label=_("位置"), coerce=int, choices=[(-1, _("最後")), (0, _("最初"))], initial=-1
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["parent"]).choices = choices


class IssueForm(forms.ModelForm):
    class Meta:
        model = CommunityIssue
        fields = ["code", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class IssueLinksForm(forms.Form):
    nodes = forms.MultipleChoiceField(
        label=_("この課題に対応する項目"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["nodes"]).choices = choices


class PlanFileUploadForm(forms.Form):
    file = forms.FileField(
        label=_("計画ファイル（.yaml）"),
        help_text=_("ささえあいの計画ファイル（UTF-8 の YAML、%(mb)s MB まで）を選んでください。")
        % {"mb": settings.SASAEAI_PLAN_FILE_MAX_BYTES // (1024 * 1024)},
    )


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PhaseForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50, widget=forms.TextInput(attrs={"placeholder": _("例: 前期")}))
    start_year = FiscalYearField(label=_("開始年度"))
    end_year = FiscalYearField(label=_("終了年度"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start_year") is None or data.get("end_year") is None:
            raise forms.ValidationError(_("開始年度と終了年度を入力してください。"))
        if data["end_year"] < data["start_year"]:
            raise forms.ValidationError(_("終了年度が開始年度より前です。"))
        return data


class SectionForm(forms.Form):
    title = forms.CharField(label=_("見出し"), max_length=200)
    body = forms.CharField(label=_("本文"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ActionForm(forms.Form):
    # An empty first choice, so an untouched extra row posts nothing and is ignored.
    actor = forms.ChoiceField(
        label=_("取り組む主体"), required=False, choices=[("", _("（選んでください）")), *NodeAction.Actor.choices]
    )
    text = forms.CharField(label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    examples = forms.CharField(label=_("例（1行に1つ）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    steps = forms.CharField(
        label=_("段階（1行に1つ）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例: ①：参加のきっかけをつくる"),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["examples"] = _lines(data.get("examples"))
        data["steps"] = _lines(data.get("steps"))
        data["text"] = (data.get("text") or "").strip()
        if not (data["text"] or data["examples"] or data["steps"]):
            raise forms.ValidationError(_("内容・例・段階のどれかを入力してください。"))
        if not data.get("actor"):
            self.add_error("actor", _("取り組む主体（地域／社協）を選んでください。"))
        return data


PhaseFormSet = forms.formset_factory(PhaseForm, extra=1, can_delete=True, max_num=10, validate_max=True)
SectionFormSet = forms.formset_factory(SectionForm, extra=1, can_delete=True, max_num=50, validate_max=True)
ActionFormSet = forms.formset_factory(ActionForm, extra=1, can_delete=True, max_num=50, validate_max=True)


def formset_rows(formset: forms.BaseFormSet[Any]) -> list[dict[str, Any]]:
    """The kept rows of a valid formset, in order, without the formset's own fields."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
    return rows
