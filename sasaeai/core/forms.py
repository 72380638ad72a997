from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Branch, Council


class CouncilForm(forms.ModelForm):
    url = forms.URLField(label=_("ホームページ"), required=False, assume_scheme="https")

    class Meta:
        model = Council
        fields = ["postal_code", "address", "phone", "fax", "email", "url"]


class BranchForm(forms.ModelForm):
    class Meta:
        model = Branch
        fields = ["name", "postal_code", "address", "phone", "fax", "email"]
        labels = {"name": _("支部名")}


BranchFormSet = forms.formset_factory(BranchForm, extra=1, can_delete=True, max_num=200, validate_max=True)
