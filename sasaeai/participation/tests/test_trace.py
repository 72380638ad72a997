"""Traceability: voice → life issue → goal/item (→ indicator), shown on the node page, the issue page,
the plan's trace view and the voice's own page; flags; and query counts that do not grow with voices."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.participation.models import Voice
from sasaeai.participation.selectors import voices as voice_selectors
from sasaeai.participation.services import voices as voice_services
from sasaeai.plans.models import CommunityIssue, PlanNode


@pytest.fixture
def chain(small_plan, users):
    """Issue 01 answered by a goal; one workshop voice linked to issue 01 only."""
    issue = CommunityIssue.objects.get(plan=small_plan, code="01")
    goal = PlanNode.objects.filter(plan=small_plan, parent=None).order_by("position").first()
    goal.issues.add(issue)
    session = voice_services.session_save(plan=small_plan, by=users["editor"], kind="workshop", title="懇談会A")
    voice = voice_services.voice_save(
        plan=small_plan,
        by=users["editor"],
        session=session,
        text="一人暮らしの高齢者が増えて、見守りが足りない",
        speaker="70代・女性",
        issues=[issue],
    )
    return {"plan": small_plan, "issue": issue, "goal": goal, "voice": voice}


def test_goal_page_shows_a_voice_linked_only_to_its_issue(chain, users, client_for):
    plan, goal = chain["plan"], chain["goal"]
    html = client_for(users["viewer"]).get(reverse("plans:node", args=[plan.pk, goal.pk])).content.decode()
    assert "この項目につながる住民の声" in html
    assert "一人暮らしの高齢者が増えて、見守りが足りない" in html
    assert "この項目の地域生活課題につながる声 1件" in html and "住民懇談会・談笑会 1件" in html
    assert reverse("participation:issue", args=[plan.pk, chain["issue"].pk]) in html


def test_node_page_section_is_hidden_without_participation_view(chain, users, client_for):
    plan, goal = chain["plan"], chain["goal"]
    html = client_for(users["reporter"]).get(reverse("plans:node", args=[plan.pk, goal.pk])).content.decode()
    assert "見守りが足りない" not in html and "この項目につながる住民の声" not in html


def test_voice_linked_directly_and_via_issue_is_counted_once(chain, users, client_for):
    voice_services.voices_link(plan=chain["plan"], by=None, voices=[chain["voice"]], nodes=[chain["goal"]])
    data = voice_selectors.node_voices(chain["goal"], issue_ids=[chain["issue"].pk])
    assert data["direct_total"] == 1 and data["via_total"] == 0


def test_trace_view_lists_the_chain_and_flags_the_rest(chain, users, client_for):
    plan, goal = chain["plan"], chain["goal"]
    data = voice_selectors.trace(plan)
    rows = {r.issue.code: r for r in data["rows"]}
    assert rows["01"].total == 1 and goal.pk in [n.pk for n in rows["01"].nodes]
    assert dict((code, n) for code, _label, n in rows["01"].counts)["workshop"] == 1
    assert rows["01"].few and not rows["01"].no_goal  # 1 voice < 3
    answered = {i.pk for n in PlanNode.objects.filter(plan=plan) for i in n.issues.all()}
    for code in ("02", "03"):
        assert rows[code].total == 0 and rows[code].few
        assert rows[code].no_goal == (rows[code].issue.pk not in answered)
    assert goal.pk not in {n.pk for n in data["bare_goals"]}
    html = client_for(users["viewer"]).get(reverse("participation:trace", args=[plan.pk])).content.decode()
    assert "声が3件未満" in html and reverse("plans:node", args=[plan.pk, goal.pk]) in html
    # With the threshold at 1, issue 01 is no longer "few".
    assert not {r.issue.code: r for r in voice_selectors.trace(plan, threshold=1)["rows"]}["01"].few


def test_issue_without_goal_and_goal_without_anything_are_flagged(small_plan):
    issue = CommunityIssue.objects.create(plan=small_plan, code="99", title="誰も応えない課題", position=99)
    data = voice_selectors.trace(small_plan)
    row = {r.issue.code: r for r in data["rows"]}["99"]
    assert row.no_goal and row.few and row.total == 0
    roots = list(PlanNode.objects.filter(plan=small_plan, parent=None))
    PlanNode.issues.through.objects.filter(plannode__plan=small_plan).delete()
    data = voice_selectors.trace(small_plan)
    assert {n.pk for n in data["bare_goals"]} == {n.pk for n in roots}
    assert len(data["bare_nodes"]) == PlanNode.objects.filter(plan=small_plan).count()
    voice = voice_services.voice_save(plan=small_plan, by=None, text="声", nodes=[roots[0]])
    assert roots[0].pk not in {n.pk for n in voice_selectors.trace(small_plan)["bare_goals"]}
    assert voice.issues.count() == 0 and issue.nodes.count() == 0


def test_issue_page_shows_its_voices_and_the_goals_answering_it(chain, users, client_for):
    plan = chain["plan"]
    html = (
        client_for(users["viewer"])
        .get(reverse("participation:issue", args=[plan.pk, chain["issue"].pk]))
        .content.decode()
    )
    assert "この課題に応える目標・項目" in html and chain["goal"].title in html
    assert "一人暮らしの高齢者が増えて" in html and "住民懇談会・談笑会（1件）" in html
    other = CommunityIssue.objects.get(plan=plan, code="02")
    assert (
        client_for(users["outsider"]).get(reverse("participation:issue", args=[plan.pk, other.pk])).status_code == 404
    )


def test_voice_page_follows_the_chain_to_the_indicator(chain, users, client_for):
    from sasaeai.progress.services import indicator_create

    plan, goal = chain["plan"], chain["goal"]
    indicator_create(node=goal, by=None, name="見守り訪問の件数", unit="件", kind="quantity", direction="higher")
    html = (
        client_for(users["viewer"])
        .get(reverse("participation:voice", args=[plan.pk, chain["voice"].pk]))
        .content.decode()
    )
    assert chain["issue"].title in html and goal.title in html and "見守り訪問の件数" in html
    assert "達成率 —" in html


def _voices(plan, n, issue, node):
    made = Voice.objects.bulk_create(
        [Voice(plan=plan, source=("workshop", "survey", "hearing")[i % 3], text=f"声{i}") for i in range(n)]
    )
    Voice.issues.through.objects.bulk_create(
        [Voice.issues.through(voice_id=v.pk, communityissue_id=issue.pk) for v in made]
    )
    Voice.nodes.through.objects.bulk_create(
        [Voice.nodes.through(voice_id=v.pk, plannode_id=node.pk) for v in made[::2]]
    )
    tag = voice_services.tag_save(council=plan.council, by=None, name=f"タグ{n}")
    Voice.tags.through.objects.bulk_create([Voice.tags.through(voice_id=v.pk, tag_id=tag.pk) for v in made])
    return made


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["trace", "voices", "node", "issue", "overview", "voice"])
def test_query_count_is_flat_from_20_to_200_voices(chain, users, client_for, page):
    plan, issue, goal = chain["plan"], chain["issue"], chain["goal"]
    client = client_for(users["editor"])
    urls = {
        "trace": reverse("participation:trace", args=[plan.pk]),
        "voices": reverse("participation:voices", args=[plan.pk]),
        "node": reverse("plans:node", args=[plan.pk, goal.pk]),
        "issue": reverse("participation:issue", args=[plan.pk, issue.pk]),
        "overview": reverse("participation:overview", args=[plan.pk]),
    }
    _voices(plan, 19, issue, goal)
    urls["voice"] = reverse("participation:voice", args=[plan.pk, chain["voice"].pk])
    small = _count(client, urls[page])
    _voices(plan, 180, issue, goal)
    assert Voice.objects.filter(plan=plan).count() == 200
    large = _count(client, urls[page])
    assert large == small, (page, small, large)
