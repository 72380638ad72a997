from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.core import fiscal
from sasaeai.core.forms import EraDateField, ModelMultipleChoiceField
from sasaeai.plans.forms import FiscalYearField

from .models import Indicator, ReportingSchedule

if TYPE_CHECKING:
    from sasaeai.accounts.models import User
    from sasaeai.plans.models import PlanNode

    from .models import WorkingGroup


class IndicatorForm(forms.ModelForm):
    baseline_year = FiscalYearField(label=_("基準値の年度"))
    final_target_year = FiscalYearField(label=_("目標値の年度"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Indicator
        fields = [
            "name",
            "unit",
            "kind",
            "direction",
            "baseline_value",
            "baseline_year",
            "final_target",
            "final_target_year",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    target_change_reason = forms.CharField(
        label=_("目標値の変更理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "中間評価の後に目標値（年度ごと・最終）を変えるときは必ず入力してください。"
            "変更前の値と理由が記録され、項目のページに変更の履歴として表示されます。"
        ),
    )

    def __init__(self, *args, years, ask_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = list(years)
        for year in self.years:
            self.fields[f"target_{year}"] = forms.DecimalField(
                label=_("%(year)s の目標値") % {"year": fiscal.format_fiscal_year(year)},
                required=False,
                max_digits=16,
                decimal_places=4,
            )
        if ask_reason:
            # Shown last, after the targets it explains.
            self.fields["target_change_reason"] = self.fields.pop("target_change_reason")
        else:
            del self.fields["target_change_reason"]

    def change_reason(self):
        return self.cleaned_data.get("target_change_reason", "")

    def targets(self):
        return {
            y: self.cleaned_data[f"target_{y}"] for y in self.years if self.cleaned_data.get(f"target_{y}") is not None
        }

    def model_fields(self):
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = ReportingSchedule
        fields = ["frequency", "due_days", "grace_days"]


class ReportForm(forms.Form):
    status = forms.ChoiceField(label=_("状況"), required=False, widget=forms.RadioSelect)
    done_text = forms.CharField(label=_("実施内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    results = forms.CharField(label=_("成果"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    problems = forms.CharField(label=_("課題"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    attachment = forms.FileField(
        label=_("写真・資料を添付"),
        required=False,
        help_text=_("写真（JPEG・PNG など）、PDF、Word・Excel・PowerPoint。10 MB まで。"),
    )

    def __init__(self, *args, statuses, indicators, attachments=(), max_attachment_bytes=10 * 1024 * 1024, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_attachment_bytes = max_attachment_bytes
        self.attachment_list = list(attachments)
        for attachment in self.attachment_list:
            self.fields[f"remove_{attachment.pk}"] = forms.BooleanField(
                label=_("「%(name)s」を削除") % {"name": attachment.name}, required=False
            )
        self.statuses = {str(s.pk): s for s in statuses}
        self.fields["status"].choices = [("", _("（未選択）"))] + [(str(s.pk), s.name) for s in statuses]
        self.indicators = indicators
        for indicator in indicators:
            label = indicator.name + (f"（{indicator.unit}）" if indicator.unit else "")
            name = f"actual_{indicator.pk}"
            if indicator.kind == Indicator.Kind.YES_NO:
                self.fields[name] = forms.ChoiceField(
                    label=label, required=False, choices=[("", _("（未入力）")), ("1", _("実施")), ("0", _("未実施"))]
                )
            elif indicator.kind == Indicator.Kind.QUALITATIVE:
                self.fields[name] = forms.CharField(
                    label=label, required=False, widget=forms.Textarea(attrs={"rows": 2})
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            self.fields[name].indicator = indicator

    def clean_attachment(self):
        from django.core.exceptions import ValidationError

        from .services import attachment_check

        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                self.attachment_info = attachment_check(upload, max_bytes=self.max_attachment_bytes)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return upload

    def removed_attachments(self):
        return [a for a in self.attachment_list if self.cleaned_data.get(f"remove_{a.pk}")]

    def status_object(self):
        return self.statuses.get(self.cleaned_data.get("status") or "")

    def actuals(self):
        return {i: self.cleaned_data.get(f"actual_{i.pk}", "") for i in self.indicators}


class WorkingGroupForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("例: 基本目標1 推進ワーキンググループ"))
    nodes: forms.ModelMultipleChoiceField[PlanNode] = ModelMultipleChoiceField(
        label=_("担当する項目"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    leader: forms.ModelChoiceField[User] = forms.ModelChoiceField(label=_("リーダー"), queryset=None, required=False)
    sub_leader: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("サブリーダー"), queryset=None, required=False
    )
    members: forms.ModelMultipleChoiceField[User] = ModelMultipleChoiceField(
        label=_("メンバー"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, nodes, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nodes"].queryset = nodes
        self.fields["nodes"].label_from_instance = lambda n: f"{n.level.name}: {n.label}"
        for name in ("leader", "sub_leader", "members"):
            self.fields[name].queryset = users
            self.fields[name].label_from_instance = str


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会議名"), max_length=200, help_text=_("例: 第2回 推進会議"))
    held_on = EraDateField(label=_("開催日"), widget=forms.DateInput(attrs={"type": "date"}))
    working_group: forms.ModelChoiceField[WorkingGroup] = forms.ModelChoiceField(
        label=_("ワーキンググループ"), queryset=None, required=False
    )
    attendees = forms.CharField(label=_("出席者"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    agenda = forms.CharField(label=_("議題"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label=_("議事の概要"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.CharField(label=_("決定事項"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    nodes: forms.ModelMultipleChoiceField[PlanNode] = ModelMultipleChoiceField(
        label=_("話し合った項目"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, nodes, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nodes"].queryset = nodes
        self.fields["nodes"].label_from_instance = lambda n: f"{n.level.name}: {n.label}"
        self.fields["working_group"].queryset = groups


class AnnualPlanForm(forms.Form):
    content = forms.CharField(
        label=_("この年度に実施すること"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    months = forms.TypedMultipleChoiceField(
        label=_("実施する月"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        choices=[(m, _("%(m)s月") % {"m": m}) for m in [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]],
    )
    working_group: forms.ModelChoiceField[WorkingGroup] = forms.ModelChoiceField(
        label=_("担当ワーキンググループ"), queryset=None, required=False
    )
    owners: forms.ModelMultipleChoiceField[User] = ModelMultipleChoiceField(
        label=_("担当者"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    budget = forms.DecimalField(label=_("予算（円）"), required=False, min_value=0, max_digits=14, decimal_places=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, groups, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["working_group"].queryset = groups
        self.fields["owners"].queryset = users
        self.fields["owners"].label_from_instance = str


class StatusForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("名前"), max_length=30)
    color = forms.CharField(
        label=_("色"), max_length=7, initial="#57606a", widget=forms.TextInput(attrs={"type": "color"})
    )
    score = forms.IntegerField(label=_("点数（0〜100）"), min_value=0, max_value=100)


StatusFormSet = forms.formset_factory(StatusForm, extra=1, can_delete=True, max_num=20, validate_max=True)
