"""Forms of the survey screens and of the public answer form. They parse input only: the rules live in
``surveys`` (``validate_answers``, ``question_save`` …), whose errors the views put back on the fields."""

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.core.forms import EraDateField

from . import surveys_import
from .models import Question, Questionnaire
from .services import surveys

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("名称"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("説明（回答する人に見せる文）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    audience = forms.CharField(
        label=gettext_lazy("対象"),
        max_length=200,
        required=False,
        help_text=Questionnaire._meta.get_field("audience").help_text,
    )
    opens_on = EraDateField(label=gettext_lazy("開始日"), required=False, widget=DATE)
    closes_on = EraDateField(label=gettext_lazy("締切日"), required=False, widget=DATE)
    distributed = forms.IntegerField(label=gettext_lazy("配布数"), required=False, min_value=0)
    returned = forms.IntegerField(
        label=gettext_lazy("回収数"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("紙で回収した数など。空欄なら、取り込んだ回答とオンライン回答の数で回収率を出します。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def values(self):
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


CHOICE_LINE = re.compile(r"^\s*(\S+?)(?:\s*[\t:：=＝]\s*|\s+)(.*)$")


def parse_choice_lines(text):
    """「1 男性」「1:男性」「1<Tab>男性」 per line → [(code, label)]; a line with only a code has no label."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        m = CHOICE_LINE.match(line)
        if m:
            rows.append((m.group(1).strip(), m.group(2).strip()))
        else:
            rows.append((line.strip(), ""))
    return rows


class QuestionForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("列名"),
        max_length=30,
        help_text=gettext_lazy("取り込むファイルの列見出しと同じにします（例: Q1、問2、年代）。"),
    )
    text = forms.CharField(label=gettext_lazy("質問"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=gettext_lazy("種類"), choices=Question.Kind.choices)
    choices = forms.CharField(
        label=gettext_lazy("選択肢（1行に1つ、コードと文字）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": gettext_lazy("1 男性\n2 女性\n3 答えたくない")}),
        help_text=gettext_lazy(
            "「コード 選択肢」を1行ずつ。コードはファイルでの値です。Excel の2列をそのまま貼り付けても"
            "読めます。尺度では目盛りの名前（例: 1 そう思わない、5 そう思う）を書けます。"
        ),
    )
    scale_min = forms.IntegerField(label=gettext_lazy("尺度の最小"), required=False)
    scale_max = forms.IntegerField(label=gettext_lazy("尺度の最大"), required=False)
    max_choices = forms.IntegerField(label=gettext_lazy("選べる数の上限（複数選択）"), required=False, min_value=1)
    max_length = forms.IntegerField(label=gettext_lazy("文字数の上限（自由記述）"), required=False, min_value=1)
    is_attribute = forms.BooleanField(
        label=gettext_lazy("回答者の属性（年代・性別・地区など、クロス集計の軸）"), required=False
    )
    required = forms.BooleanField(label=gettext_lazy("オンライン回答で必須にする"), required=False)

    def values(self):
        data = dict(self.cleaned_data)
        data["choices"] = parse_choice_lines(data.get("choices"))
        return data

    @staticmethod
    def initial_for(question):
        return {
            "code": question.code,
            "text": question.text,
            "kind": question.kind,
            "choices": "\n".join(f"{c.code} {c.label}".strip() for c in question.choices.all()),
            "scale_min": question.scale_min,
            "scale_max": question.scale_max,
            "max_choices": question.max_choices,
            "max_length": question.max_length,
            "is_attribute": question.is_attribute,
            "required": question.required,
        }


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("回答のファイル（CSV か Excel の .xlsx）"))
    mode = forms.ChoiceField(
        label=gettext_lazy("今ある回答の扱い"),
        widget=forms.RadioSelect,
        initial=surveys_import.MODE_APPEND,
        choices=[
            (
                surveys_import.MODE_APPEND,
                gettext_lazy(
                    "追加する: 今ある回答はそのままにして、ファイルの回答を加えます（回答者番号が重なるとエラー）"
                ),
            ),
            (
                surveys_import.MODE_REPLACE,
                gettext_lazy(
                    "置き換える: 前にファイルから取り込んだ回答をすべて削除してから"
                    "取り込みます（オンライン回答は残ります）"
                ),
            ),
        ],
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Questionnaire.Status.choices)


class CrossForm(forms.Form):
    question = forms.ChoiceField(label=gettext_lazy("集計する質問"))
    attribute = forms.ChoiceField(label=gettext_lazy("回答者の属性（行）"))

    def __init__(self, *args, spec, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [(q.code, f"{q.code} {q.label[:40]}") for q in spec.questions]
        self.fields["attribute"].choices = [(q.code, f"{q.code} {q.label[:40]}") for q in spec.attributes()]


class TagForm(forms.Form):
    tags = forms.MultipleChoiceField(label=gettext_lazy("タグ"), required=False, widget=forms.CheckboxSelectMultiple)
    new_tags = forms.CharField(label=gettext_lazy("新しいタグ（「、」で区切って複数）"), required=False, max_length=200)

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = [(str(t.pk), t.name) for t in tags]


# --------------------------------------------------------------------------- public answer form


class _Single(forms.ChoiceField):
    """A radio group whose value the engine checks (with its own Japanese messages)."""

    def validate(self, value):
        pass


class _Multiple(forms.MultipleChoiceField):
    def validate(self, value):
        pass


class HoneypotInput(forms.TextInput):
    def __init__(self):
        super().__init__(attrs={"autocomplete": "off", "tabindex": "-1"})


class AnswerForm(forms.Form):
    """Every question of a survey as one field named ``q<question id>``; ``answers`` holds the clean
    answers after ``is_valid()``. ``website`` is a honeypot: people never see it, robots fill it."""

    website = forms.CharField(
        required=False, label=gettext_lazy("ホームページ（入力しないでください）"), widget=HoneypotInput()
    )

    def __init__(self, *args, spec, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.names = {}
        for q in spec.questions:
            name = f"q{q.question.pk}"
            self.names[q.code] = name
            attrs = {}
            if q.kind == Question.Kind.SINGLE or q.kind == Question.Kind.SCALE:
                field = _Single(
                    required=False,
                    choices=[(c, _scale_label(q, c, label)) for c, label in q.categories],
                    widget=forms.RadioSelect,
                )
            elif q.kind == Question.Kind.MULTIPLE:
                field = _Multiple(required=False, choices=q.categories, widget=forms.CheckboxSelectMultiple)
            elif q.kind == Question.Kind.NUMBER:
                field = forms.CharField(
                    required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12})
                )
            else:
                limit = q.max_length or surveys.TEXT_MAX_LENGTH
                attrs = {"rows": 5 if limit > 200 else 2, "maxlength": limit}
                field = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs=attrs))
            field.label = q.label
            field.spec = q
            self.fields[name] = field

    def question_fields(self):
        return [(q, self[self.names[q.code]]) for q in self.spec.questions]

    @property
    def is_spam(self):
        return bool((self.data.get("website") or "").strip())

    def clean(self):
        data = super().clean()
        raw = {}
        for q in self.spec.questions:
            value = data.get(self.names[q.code])
            raw[q.code] = value if value not in ("", [], None) else None
        answers, errors = surveys.check_answers(self.spec, raw)
        for code, message in errors.items():
            self.add_error(self.names[code], message)
        self.answers = answers
        return data

    def apply_errors(self, exc):
        """Put a ValidationError from ``response_submit_online`` (keyed by question code) on the fields."""
        if hasattr(exc, "error_dict"):
            for code, errors in exc.message_dict.items():
                self.add_error(self.names.get(code), errors)
        else:
            self.add_error(None, exc.messages)


def _scale_label(q, code, label):
    if q.kind == Question.Kind.SCALE and label != code:
        return _("%(code)s（%(label)s）") % {"code": code, "label": label}
    return label
