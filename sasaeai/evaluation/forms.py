from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Direction

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class StageForm(forms.Form):
    """One stage of a project's evaluation. Choices are the council's own scale, directions, criteria."""

    grade = forms.TypedChoiceField(
        label=_("評価"), required=False, coerce=int, empty_value=None, widget=forms.RadioSelect
    )
    results = forms.CharField(
        label=_("成果"),
        required=False,
        widget=TEXTAREA,
        help_text=_("この年度に生まれた成果。自己評価では進捗報告の成果が最初に入っています。"),
    )
    comment = forms.CharField(label=_("評価の理由・所見"), required=False, widget=TEXTAREA)
    challenges = forms.CharField(label=_("課題"), required=False, widget=TEXTAREA)
    improvements = forms.CharField(
        label=_("改善策"),
        required=False,
        widget=TEXTAREA,
        help_text=_("年度を締めると、次年度の年次計画に引き継がれます。"),
    )
    direction = forms.TypedChoiceField(label=_("今後の方向性"), required=False, coerce=int, empty_value=None)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, grades, directions, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [(g.pk, f"{g.code}  {g.label}".strip()) for g in grades]
        self.fields["direction"].choices = [("", "—")] + [(d.pk, d.name) for d in directions]
        codes = [("", "—")] + [(g.code, g.code) for g in grades]
        self.criteria = criteria
        for c in criteria:
            self.fields[f"criterion_{c.pk}"] = forms.ChoiceField(
                label=_("観点: %(name)s") % {"name": c.name}, required=False, choices=codes, help_text=c.description
            )

    def values(self):
        data = self.cleaned_data
        return {
            "grade": data["grade"],
            "results": data["results"],
            "comment": data["comment"],
            "challenges": data["challenges"],
            "improvements": data["improvements"],
            "direction": data["direction"],
            "criteria": {
                str(c.pk): data.get(f"criterion_{c.pk}") for c in self.criteria if data.get(f"criterion_{c.pk}")
            },
        }


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("差し戻す理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OpinionForm(forms.Form):
    text = forms.CharField(label=_("評価委員会の総評・答申"), widget=forms.Textarea(attrs={"rows": 12}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ScaleForm(forms.Form):
    name = forms.CharField(label=_("尺度の名称"), max_length=50)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class GradeRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    code = forms.CharField(label=_("記号"), max_length=10, required=False)
    label = forms.CharField(label=_("意味"), max_length=100, required=False)
    score = forms.IntegerField(label=_("点数"), min_value=0, max_value=100, required=False)
    color = forms.RegexField(
        label=_("色"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        error_messages={"invalid": _("色は #1a7f37 のように入力してください。")},
        widget=forms.TextInput(attrs={"type": "color"}),
    )


class DirectionRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("名称"), max_length=30, required=False)
    carry = forms.ChoiceField(label=_("年度を締めるとき"), choices=Direction.Carry.choices, required=False)


class CriterionRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("観点"), max_length=30, required=False)
    description = forms.CharField(label=_("説明"), max_length=200, required=False)


GradeFormSet = forms.formset_factory(GradeRowForm, extra=2, max_num=20, validate_max=True)
DirectionFormSet = forms.formset_factory(DirectionRowForm, extra=2, max_num=20, validate_max=True)
CriterionFormSet = forms.formset_factory(CriterionRowForm, extra=2, max_num=20, validate_max=True)
