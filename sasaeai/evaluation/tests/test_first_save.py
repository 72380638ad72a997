"""The first save of a stage or of the committee opinion carries a version too, so two people
who opened the empty form at the same time never silently overwrite each other."""

import re

import pytest
from django.db.models.signals import pre_save
from django.urls import reverse

from sasaeai.evaluation import services
from sasaeai.evaluation.models import CommitteeOpinion, StageEntry

CONFLICT = "この画面を開いた後に、他の人がこの内容を更新しました"


def project(plan):
    return plan.nodes.filter(parent__isnull=False).order_by("pk").first()


def url(plan, node=None, name="project", year=2026):
    args = [plan.pk] + ([node.pk] if node is not None else [])
    return reverse(f"evaluation:{name}", args=args) + f"?year={year}"


def hidden_version(html, prefix=""):
    match = re.search(rf'name="{prefix}version" value="(\d+)"', html)
    assert match, "the form carries no version"
    return match.group(1)


def test_second_first_save_of_a_stage_is_refused(evaluated_plan, users, client_for):
    node = project(evaluated_plan)
    client = client_for(users["editor"])
    version = hidden_version(client.get(url(evaluated_plan, node)).content.decode(), "self-")
    assert version == "0"
    # Someone else saves the empty stage first, after this form was opened.
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["admin"], results="先に保存した内容")
    response = client.post(
        url(evaluated_plan, node),
        {"stage": "self", "action": "save", "year": 2026, "self-results": "後から上書き", "self-version": version},
    )
    assert response.status_code == 400
    assert CONFLICT in response.content.decode()
    assert StageEntry.objects.get(stage="self").results == "先に保存した内容"


def test_second_first_save_of_the_opinion_is_refused(evaluated_plan, users, client_for):
    client = client_for(users["committee"])
    version = hidden_version(client.get(url(evaluated_plan, name="opinion")).content.decode())
    assert version == "0"
    services.opinion_save(plan=evaluated_plan, fiscal_year=2026, by=users["committee"], text="先に保存した総評")
    response = client.post(
        url(evaluated_plan, name="opinion"),
        {"year": 2026, "action": "save", "text": "後から上書き", "version": version},
    )
    assert CONFLICT in response.content.decode()
    assert CommitteeOpinion.objects.get().text == "先に保存した総評"


@pytest.fixture
def racing_insert():
    """Insert a competing row just before the service's own INSERT (both saw no row yet)."""
    handlers = []

    def install(model, **values):
        def sneak_in(sender, instance, **kwargs):
            if instance.pk is None:
                fields = {
                    f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key
                } | values
                model.objects.bulk_create([model(**fields)])  # no signal, no recursion

        pre_save.connect(sneak_in, sender=model, weak=False)
        handlers.append((sneak_in, model))

    yield install
    for handler, model in handlers:
        pre_save.disconnect(handler, sender=model)


def test_two_opinions_created_at_once_give_the_conflict_message(evaluated_plan, users, client_for, racing_insert):
    racing_insert(CommitteeOpinion, text="同時に保存された総評")
    response = client_for(users["committee"]).post(
        url(evaluated_plan, name="opinion"), {"year": 2026, "action": "save", "text": "総評", "version": "0"}
    )
    assert response.status_code != 500
    assert CONFLICT in response.content.decode()


def test_two_stage_entries_created_at_once_give_the_conflict_message(evaluated_plan, users, client_for, racing_insert):
    node = project(evaluated_plan)
    racing_insert(StageEntry, results="同時に保存された内容")
    response = client_for(users["editor"]).post(
        url(evaluated_plan, node),
        {"stage": "self", "action": "save", "year": 2026, "self-results": "内容", "self-version": "0"},
    )
    assert response.status_code == 400
    assert CONFLICT in response.content.decode()
