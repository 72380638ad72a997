"""Forms of the ふりがな dictionary pages: a word with its reading, the search box and the 試してみる box."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import furigana


class ReadingEntryForm(forms.Form):
    surface = forms.CharField(
        label=_("語"),
        max_length=60,
        help_text=_("ふりがなを直したい語（地名・団体名など）。例: 玖珠町、愛育委員"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reading = forms.CharField(
        label=_("読み（ひらがな）"),
        max_length=120,
        help_text=_("語全体の読み。例: くすまち。カタカナで入力してもひらがなにして保存します。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = forms.CharField(label=_("メモ"), max_length=200, required=False, help_text=_("出典など（任意）"))

    def clean_surface(self) -> str:
        return furigana.normalise_surface(self.cleaned_data["surface"])

    def clean_reading(self) -> str:
        return furigana.normalise_reading(self.cleaned_data["reading"])


def save_warning(surface: str) -> str:
    """A warning to show after saving, or "": a one-character word reads only where it stands as a word alone."""
    if len(surface) != 1:
        return ""
    return str(
        _(
            "1文字の語は、その字を含むほかの語には使われません（文の中でその字だけで一語になっているときだけ使われます）。"
            "例：「方」を登録しても「方法」「方々」の読みは変わりません。"
        )
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("語・読みで探す"), max_length=60, required=False)


class TryForm(forms.Form):
    text = forms.CharField(
        label=_("文を入力すると、住民向けページと同じふりがなで表示します"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
