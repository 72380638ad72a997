from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.core import fiscal
from sasaeai.plans.forms import FiscalYearField

from .models import Indicator, ReportingSchedule


class IndicatorForm(forms.ModelForm):
    baseline_year = FiscalYearField(label=_("基準値の年度"))
    final_target_year = FiscalYearField(label=_("目標値の年度"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Indicator
        fields = ["name", "unit", "kind", "direction", "baseline_value", "baseline_year", "final_target",
                  "final_target_year", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = list(years)
        for year in self.years:
            self.fields[f"target_{year}"] = forms.DecimalField(
                label=_("%(year)s の目標値") % {"year": fiscal.format_fiscal_year(year)}, required=False,
                max_digits=16, decimal_places=4)

    def targets(self):
        return {y: self.cleaned_data[f"target_{y}"] for y in self.years
                if self.cleaned_data.get(f"target_{y}") is not None}

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

    def __init__(self, *args, statuses, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.statuses = {str(s.pk): s for s in statuses}
        self.fields["status"].choices = [("", _("（未選択）"))] + [(str(s.pk), s.name) for s in statuses]
        self.indicators = indicators
        for indicator in indicators:
            label = indicator.name + (f"（{indicator.unit}）" if indicator.unit else "")
            name = f"actual_{indicator.pk}"
            if indicator.kind == Indicator.Kind.YES_NO:
                self.fields[name] = forms.ChoiceField(label=label, required=False, choices=[
                    ("", _("（未入力）")), ("1", _("実施")), ("0", _("未実施"))])
            elif indicator.kind == Indicator.Kind.QUALITATIVE:
                self.fields[name] = forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))
            else:
                self.fields[name] = forms.CharField(label=label, required=False,
                                                    widget=forms.TextInput(attrs={"inputmode": "decimal"}))
            self.fields[name].indicator = indicator

    def status_object(self):
        return self.statuses.get(self.cleaned_data.get("status") or "")

    def actuals(self):
        return {i: self.cleaned_data.get(f"actual_{i.pk}", "") for i in self.indicators}
