"""Dates a person types must be ones 和暦 can show, and showing a date must never break a page."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from sasaeai.core import fiscal
from sasaeai.core.forms import EraDateField, validate_era_date
from sasaeai.core.templatetags.sasaeai import fiscal_period, fiscal_year, wareki_date

RANGE_TEXT = "1868-09-08（明治元年9月8日）から 2200-12-31 までの日付を入力してください"


@given(st.dates(min_value=date.min, max_value=date.max))
@settings(max_examples=500, deadline=None)
def test_wareki_date_never_raises_and_falls_back_to_iso(value):
    text = wareki_date(value)
    if date(1868, 9, 8) <= value <= date(2200, 12, 31):
        assert text == fiscal.format_date(value)
    else:
        assert text == value.isoformat()


@given(st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=st.just(timezone.get_current_timezone())))
@settings(max_examples=200, deadline=None)
def test_wareki_date_of_a_datetime_never_raises(value):
    assert wareki_date(value)


@given(st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.text(max_size=10), st.none()))
@settings(max_examples=300, deadline=None)
def test_fiscal_year_tags_never_raise(value):
    assert isinstance(fiscal_year(value), str)
    assert isinstance(fiscal_period(value, value), str)


def test_out_of_range_values_render_in_seireki_inside_a_template():
    html = Template("{% load sasaeai %}{{ d|wareki_date }} / {{ y|fiscal_year }} / {% fiscal_period y y %}").render(
        Context({"d": date(202, 2, 2), "y": 202})
    )
    assert html == "0202-02-02 / 202年度 / 202\u301c202年度"


@pytest.mark.parametrize(
    "value, ok",
    [
        (date(202, 2, 2), False),
        (date(1868, 9, 7), False),
        (date(1868, 9, 8), True),
        (date(2200, 12, 31), True),
        (date(2201, 1, 1), False),
        (date(9999, 12, 31), False),
    ],
)
def test_validator_allows_exactly_the_wareki_range(value, ok):
    if ok:
        validate_era_date(value)
    else:
        with pytest.raises(ValidationError) as exc:
            validate_era_date(value)
        assert RANGE_TEXT in exc.value.messages[0]


def test_form_field_refuses_a_typo_year_in_japanese():
    field = EraDateField()
    with pytest.raises(ValidationError) as exc:
        field.clean("0202-04-01")
    assert RANGE_TEXT in exc.value.messages[0]
    assert field.clean("2026-04-01") == date(2026, 4, 1)
    from django import forms

    class DateForm(forms.Form):
        day = EraDateField(widget=forms.DateInput(attrs={"type": "date"}))

    html = str(DateForm()["day"])
    assert 'min="1868-09-08"' in html and 'max="2200-12-31"' in html


def test_every_user_entered_date_field_is_limited():
    """Every DateField of the project's models carries the validator (found by walking the models)."""
    from django.apps import apps
    from django.db import models

    missing = [
        f"{m.__name__}.{f.name}"
        for m in apps.get_models()
        if m.__module__.startswith("sasaeai.")
        for f in m._meta.get_fields()
        if type(f) is models.DateField and validate_era_date not in f.validators
    ]
    assert missing == []


def test_comment_period_with_a_typo_year_is_refused_and_public_page_stays_up(small_plan, users, client_for):
    client = client_for(users["editor"])
    today = timezone.localdate()
    response = client.post(
        reverse("comments:period_new", args=[small_plan.pk]),
        {
            "title": "素案へのご意見募集",
            "description": "",
            "opens_on": "0202-04-01",
            "closes_on": (today + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert RANGE_TEXT in response.content.decode()
    from sasaeai.participation.models import PublicCommentPeriod
    from sasaeai.participation.services import comments

    assert not PublicCommentPeriod.objects.exists()
    with pytest.raises(ValidationError):
        comments.period_save(plan=small_plan, by=users["editor"], title="x", opens_on=date(202, 4, 1), closes_on=today)
    # A bad date already stored (from before this check) still shows the public page.
    period = comments.period_save(
        plan=small_plan, by=users["editor"], title="募集", opens_on=today, closes_on=today + timedelta(days=5)
    )
    PublicCommentPeriod.objects.filter(pk=period.pk).update(opens_on=date(2999, 4, 1), closes_on=date(2999, 5, 1))
    client.logout()
    page = client.get(reverse("public:comment", args=[period.public_key]))
    assert page.status_code == 200
    assert "2999-04-01" in page.content.decode()


def test_midterm_snapshot_with_a_typo_date_is_refused(evaluated_plan, users, client_for):
    from sasaeai.evaluation import midterm
    from sasaeai.evaluation.models import PlanSnapshot

    client = client_for(users["editor"])
    url = reverse("midterm:list", args=[evaluated_plan.pk])
    response = client.post(
        url, {"title": "中間評価", "kind": "midterm", "taken_on": "0202-10-01", "fiscal_year": "2028", "note": ""}
    )
    assert response.status_code == 200
    assert RANGE_TEXT in response.content.decode()
    assert not PlanSnapshot.objects.exists()
    with pytest.raises(ValidationError) as exc:
        midterm.snapshot_take(plan=evaluated_plan, by=users["editor"], title="中間評価", taken_on=date(202, 10, 1))
    assert "taken_on" in exc.value.message_dict
    # An old snapshot with such a date is still readable.
    snapshot = midterm.snapshot_take(plan=evaluated_plan, by=users["editor"], title="中間評価", fiscal_year=2028)
    PlanSnapshot.objects.filter(pk=snapshot.pk).update(taken_on=date(202, 10, 1))
    assert client.get(url).status_code == 200
    assert client.get(reverse("midterm:snapshot", args=[evaluated_plan.pk, snapshot.pk])).status_code == 200
