"""Forms of パブリックコメント: the residents' form (no login) and the staff's triage forms.

The forms check shapes only; the rules (open period, length, URLs, rate limit, versions) are the
services' in ``comments.py``, whose field-named errors land next to these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sasaeai.core.forms import EraDateField

from .models import PublicComment

TEXTAREA = forms.Textarea(attrs={"rows": 4})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PublicCommentForm(forms.Form):
    """A resident's comment. ``website`` is a honeypot (hidden from people, filled in by robots);
    ``issued`` is the signed time the form was opened."""

    section = forms.ChoiceField(label=_("意見の対象"), required=False)
    text = forms.CharField(
        label=_("ご意見"),
        widget=forms.Textarea(attrs={"rows": 10}),
        strip=True,
        error_messages={"required": _("ご意見を入力してください。")},
    )
    name = forms.CharField(label=_("お名前（任意）"), required=False, max_length=100)
    district = forms.CharField(
        label=_("お住まいの地区（任意）"), required=False, max_length=100, help_text=_("例: 〇〇地区、〇〇町")
    )
    contact = forms.CharField(
        label=_("連絡先（任意・公表しません）"),
        required=False,
        max_length=200,
        help_text=_("電話番号・メールアドレスなど。ご意見の内容を確かめるときだけ使います。公表しません。"),
    )
    consent = forms.BooleanField(
        label=_("上の「ご意見の取り扱い」に同意して送信します"),
        error_messages={"required": _("「ご意見の取り扱い」に同意する場合は、チェックを入れてください。")},
    )
    website = forms.CharField(
        label=_("この欄には何も入力しないでください"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    issued = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, sections=(), max_chars=4000, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", _("計画全体への意見"))] + [(str(s.pk), s.title) for s in sections]
        self.fields["text"].help_text = _("%(max)s字以内。ホームページなどのURLは10件までです。") % {
            "max": f"{max_chars:,}"
        }

    @property
    def person_fields(self):
        return [self[name] for name in ("name", "district", "contact")]


class PeriodForm(forms.Form):
    title = forms.CharField(
        label=_("名称"), max_length=200, help_text=_("例: 第5次地域福祉活動計画（素案）へのご意見を募集します")
    )
    description = forms.CharField(
        label=_("説明"),
        required=False,
        widget=TEXTAREA,
        help_text=_("公開のページの最初に表示します。意見の出し方・問い合わせ先など。"),
    )
    opens_on = EraDateField(label=_("受付開始日"), widget=DATE)
    closes_on = EraDateField(label=_("受付終了日"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommentForm(forms.Form):
    """Triage of one comment."""

    status = forms.ChoiceField(label=_("状態"), choices=PublicComment.Status.choices)
    group_label = forms.CharField(
        label=_("まとめ（同じ趣旨の意見の見出し）"),
        required=False,
        max_length=200,
        help_text=_("同じ見出しの意見は、結果の公表でひとまとめに表示します。"),
        widget=forms.TextInput(attrs={"list": "group-labels"}),
    )
    answer = forms.CharField(
        label=_("社協の考え方"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("結果の公表で、意見と並べて表示します。"),
    )
    reflection = forms.ChoiceField(
        label=_("反映の状況"), required=False, choices=[("", "—"), *list(PublicComment.Reflection.choices)]
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class IdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for item in value or []:
            try:
                ids.append(int(item))
            except (TypeError, ValueError):
                raise forms.ValidationError(
                    _("選んだ意見の番号が正しくありません。画面を開き直してください。")
                ) from None
        return ids


class BulkForm(forms.Form):
    """The same change for the comments ticked in the list (blank = unchanged)."""

    ids = IdsField(required=False)
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=[("", _("（変更しない）")), *list(PublicComment.Status.choices)]
    )
    group_label = forms.CharField(
        label=_("まとめ"), required=False, max_length=200, widget=forms.TextInput(attrs={"list": "group-labels"})
    )
    clear_group = forms.BooleanField(label=_("まとめを外す"), required=False)
    reflection = forms.ChoiceField(
        label=_("反映の状況"),
        required=False,
        choices=[("", _("（変更しない）")), *list(PublicComment.Reflection.choices)],
    )
    answer = forms.CharField(
        label=_("社協の考え方"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("空欄なら変更しません。"),
    )
