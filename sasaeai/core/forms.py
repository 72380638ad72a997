from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import fiscal
from .models import Branch, Council

ERA_DATE_MIN = "1868-09-08"
ERA_DATE_MAX = f"{fiscal.MAX_YEAR}-12-31"


def validate_era_date(value: date) -> None:
    """Refuse a date that 和暦 cannot show (before 明治 or after 2200), e.g. a typo year 0202.

    Used by every date a person enters: on the model fields and on the form fields."""
    if isinstance(value, date) and not fiscal.is_supported_date(value):
        raise ValidationError(
            _("%(value)s は入力できません。%(min)s（明治元年9月8日）から %(max)s までの日付を入力してください。"),
            code="date_range",
            params={"value": value.isoformat(), "min": ERA_DATE_MIN, "max": ERA_DATE_MAX},
        )


class EraDateField(forms.DateField):
    """A date field limited to what 和暦 can show, with the browser's date picker limited the same way."""

    default_validators = [validate_era_date]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.DateInput):
            attrs.update({"min": ERA_DATE_MIN, "max": ERA_DATE_MAX})
        return attrs


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, except that an id no database integer can hold (``-9223372036854775809``) is an
    invalid choice like any other unknown id, instead of an OverflowError from the database."""

    def clean(self, value: Any) -> Any:
        self._refuse_out_of_range(value)
        return super().clean(value)

    def _refuse_out_of_range(self, value: Any) -> None:
        queryset = self.queryset
        if queryset is None or not isinstance(value, (list, tuple)):
            return  # Django's own checks report a missing queryset or a value that is not a list
        key = self.to_field_name or "pk"
        field = queryset.model._meta.get_field(key) if key != "pk" else queryset.model._meta.pk
        if not isinstance(field, (models.IntegerField, models.AutoField)):
            return
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own check reports it
            if not -(2**63) <= number < 2**63:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )


def clean_search_text(value: object, limit: int, *, strip: bool = True) -> str:
    """A search word from the query string: stripped, cut to ``limit`` characters and without NUL
    characters (PostgreSQL cannot compare text with NUL, so ``?q=%00`` would end in an error)."""
    text = (value if isinstance(value, str) else "").replace("\x00", "")
    return (text.strip() if strip else text)[:limit]


class CouncilForm(forms.ModelForm):
    url = forms.URLField(label=_("ホームページ"), required=False, assume_scheme="https")

    class Meta:
        model = Council
        fields = ["postal_code", "address", "phone", "fax", "email", "url", "require_admin_two_factor"]


class BranchForm(forms.ModelForm):
    class Meta:
        model = Branch
        fields = ["name", "postal_code", "address", "phone", "fax", "email"]
        labels = {"name": _("支部名")}


BranchFormSet = forms.formset_factory(BranchForm, extra=1, can_delete=True, max_num=200, validate_max=True)
