"""The plan form with a blank or mistyped 終了年度 while 中間評価の年度 is set: a form error, not a 500."""

import pytest
from django.urls import reverse

from sasaeai.plans.forms import PlanForm


def edit_data(plan, **override):
    data = {f: getattr(plan, f) for f in PlanForm.Meta.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()} | {"version": plan.version}
    data |= {
        "phases-TOTAL_FORMS": "0",
        "phases-INITIAL_FORMS": "0",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }
    return data | override


@pytest.mark.parametrize(
    "end, message",
    [
        ("", "計画期間は開始年度と終了年度の両方を入力してください。"),
        ("令和九十九年度", "年度として読み取れません"),
        ("0202", "対応範囲"),
    ],
    ids=["blank", "unreadable", "out-of-range"],
)
def test_blank_or_mistyped_end_year_with_a_midterm_year_is_a_form_error(small_plan, users, client_for, end, message):
    client = client_for(users["editor"])
    response = client.post(
        reverse("plans:edit", args=[small_plan.pk]),
        edit_data(small_plan, period_start="2026", period_end=end, midterm_review_year="2028"),
    )
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    small_plan.refresh_from_db()
    assert small_plan.midterm_review_year != 2028


def test_midterm_year_outside_the_period_is_still_refused(small_plan):
    form = PlanForm(edit_data(small_plan, period_start="2026", period_end="2030", midterm_review_year="2035"))
    assert not form.is_valid()
    assert form.errors["midterm_review_year"] == ["中間評価の年度は計画期間の中にしてください。"]
