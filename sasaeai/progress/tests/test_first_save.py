"""Two people creating the same report or annual plan at once: the second gets the Japanese
conflict message, never an IntegrityError (500)."""

import pytest
from django.db.models.signals import pre_save
from django.urls import reverse

from sasaeai.progress import services
from sasaeai.progress.models import AnnualPlan, ProgressReport

CONFLICT = "この画面を開いた後に、他の人がこの内容を更新しました"


def project(plan):
    """A project with no report and no annual plan yet (the running plan has some)."""
    node = plan.nodes.filter(parent__isnull=False).order_by("pk").first()
    ProgressReport.objects.filter(node=node).delete()
    AnnualPlan.objects.filter(node=node).delete()
    return node


def test_report_created_meanwhile_by_someone_else_is_not_overwritten(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    url = reverse("progress:report", args=[evaluated_plan.pk, node.pk]) + "?year=2026&period=1"
    client = client_for(users["editor"])
    assert 'name="version" value="0"' in client.get(url).content.decode()
    services.report_save(node=node, fiscal_year=2026, period=1, by=users["admin"], done_text="先に保存")
    response = client.post(url, {"done_text": "後から上書き", "version": "0"})
    assert CONFLICT in response.content.decode()
    assert ProgressReport.objects.get(node=node, fiscal_year=2026, period=1).done_text == "先に保存"


def test_two_reports_created_at_once_give_the_conflict_message(evaluated_plan, users, client_for, monkeypatch):
    node = project(evaluated_plan)
    url = reverse("progress:report", args=[evaluated_plan.pk, node.pk]) + "?year=2026&period=1"
    manager = ProgressReport.objects
    original = manager.bulk_create

    def racing_bulk_create(objs, *args, **kwargs):
        # Another request inserted the same report after this one looked for it.
        for obj in objs:
            original(
                [ProgressReport(node=obj.node, fiscal_year=obj.fiscal_year, period=obj.period, done_text="同時に保存")]
            )
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", racing_bulk_create)
    response = client_for(users["editor"]).post(url, {"done_text": "内容", "version": "0"})
    assert response.status_code != 500
    assert CONFLICT in response.content.decode()


@pytest.fixture
def racing_annual_plan():
    def sneak_in(sender, instance, **kwargs):
        if instance.pk is None:
            AnnualPlan.objects.bulk_create(
                [AnnualPlan(node=instance.node, fiscal_year=instance.fiscal_year, content="同時に保存")]
            )

    pre_save.connect(sneak_in, sender=AnnualPlan, weak=False)
    yield
    pre_save.disconnect(sneak_in, sender=AnnualPlan)


def test_two_annual_plans_created_at_once_give_the_conflict_message(
    evaluated_plan, users, client_for, racing_annual_plan
):
    node = project(evaluated_plan)
    url = reverse("progress:annual_plan_edit", args=[evaluated_plan.pk, node.pk]) + "?year=2027"
    response = client_for(users["editor"]).post(url, {"content": "講座を開く", "months": ["6"], "version": "0"})
    assert response.status_code != 500
    assert CONFLICT in response.content.decode()


def test_annual_plan_created_meanwhile_is_not_overwritten(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    url = reverse("progress:annual_plan_edit", args=[evaluated_plan.pk, node.pk]) + "?year=2027"
    client = client_for(users["editor"])
    assert 'name="version" value="0"' in client.get(url).content.decode()
    services.annual_plan_save(node=node, fiscal_year=2027, by=users["admin"], content="先に保存")
    response = client.post(url, {"content": "後から上書き", "version": "0"})
    assert CONFLICT in response.content.decode()
    assert AnnualPlan.objects.get(node=node, fiscal_year=2027).content == "先に保存"
