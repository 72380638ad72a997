"""Inputs the fuzz test (tests/test_fuzz.py) found ending in a 500, each kept as a regression test."""

from django.urls import reverse


def test_node_with_an_issue_id_too_large_for_the_database_is_a_form_error(small_plan, users, client_for):
    """An OverflowError (500) on SQLite before."""
    from sasaeai.plans.models import PlanNode

    before = PlanNode.objects.count()
    response = client_for(users["editor"]).post(
        reverse("plans:node_create", args=[small_plan.pk]),
        {
            "title": "新しい項目",
            "weight": "1",
            "issues": ["9" * 40],
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 400)
    assert f"“{'9' * 40}” は無効な値です。" in response.content.decode()
    assert PlanNode.objects.count() == before
