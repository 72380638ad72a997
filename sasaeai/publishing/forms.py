"""Forms of the staff pages of the public site: its settings, and the note or reason of a publication decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Licence, PublicSite
from .services import slug_problem

if TYPE_CHECKING:
    from sasaeai.core.models import Council


class SiteForm(forms.Form):
    slug = forms.CharField(
        label=gettext_lazy("公開アドレス"),
        max_length=200,  # the length is checked in slug_problem, with a message that says how long it is
        help_text=gettext_lazy(
            "/public/ の後に続く名前。半角の英小文字・数字・ハイフン（-）で2〜60文字（例: kurashiki）。"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )
    is_open = forms.BooleanField(
        label=gettext_lazy("公開サイトを開く"),
        required=False,
        help_text=gettext_lazy("オフの間は、公表した内容も住民からは見えません。"),
    )
    introduction = forms.CharField(
        label=gettext_lazy("紹介文"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("公開サイトの最初に載せる、社協からのあいさつ"),
    )
    licence = forms.ChoiceField(
        label=gettext_lazy("オープンデータのライセンス"),
        choices=Licence.choices,
        initial=Licence.CC_BY_4,
        help_text=gettext_lazy("公表した内容を、住民や研究者がどんな条件で使えるか。標準は CC BY 4.0 です。"),
    )

    def __init__(self, *args: Any, council: Council | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.council = council

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].strip()
        problem = slug_problem(slug)
        if problem:
            raise forms.ValidationError(problem)
        taken = PublicSite.objects.filter(slug=slug)
        if self.council is not None:
            taken = taken.exclude(council=self.council)
        if taken.exists():
            raise forms.ValidationError(
                _("「%(slug)s」はほかの社協が使っています。別の名前にしてください。") % {"slug": slug}
            )
        return slug


class PublishForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("メモ（公表の理由など）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("例: 理事会で承認（令和8年11月20日）。変更履歴に残り、住民には見えません。"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("取り下げる理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("変更履歴に残ります。住民には見えません。"),
        error_messages={"required": gettext_lazy("取り下げる理由を書いてください（変更履歴に残ります）。")},
    )
