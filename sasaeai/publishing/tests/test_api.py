"""The read-only API: only what is published; pagination; ETag/304; Japanese 404 and 422; OpenAPI; flat queries."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

API = "/public/api/v1"
STAFF_NAME, STAFF_EMAIL = "api_tantou_zz", "api-tantou-zz@example.jp"


@pytest.fixture
def published(councils, make_user):
    """Real progress and final evaluations for FY2026 and FY2027; only FY2026's are published."""
    from sasaeai.demo.generator import create_running_plan, fill_evaluations
    from sasaeai.evaluation.models import Evaluation, StageEntry
    from sasaeai.progress.models import Indicator, ProgressReport
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish, site_update

    staff = make_user(STAFF_NAME, "admin", councils["a"])
    staff.email = STAFF_EMAIL
    staff.save()
    plan = create_running_plan(
        council=councils["a"], projects=6, goals=2, indicators=2, years=3, start=2026, title="API の計画"
    )
    for year in (2026, 2027):
        fill_evaluations(plan, fiscal_year=year, stages=("final",), seed=year)
    Indicator.objects.filter(node__plan=plan).update(is_sample=False)
    ProgressReport.objects.filter(node__plan=plan).update(is_sample=False)
    Evaluation.objects.filter(node__plan=plan).update(is_sample=False)
    StageEntry.objects.filter(evaluation__node__plan=plan, evaluation__fiscal_year=2027).update(comment="未公表2027")
    site = site_update(council=councils["a"], slug="api-city", is_open=True, by=staff)
    publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=staff)
    publication_publish(plan=plan, part=Publication.Part.PROGRESS, fiscal_year=2026, by=staff)
    publication_publish(plan=plan, part=Publication.Part.EVALUATION, fiscal_year=2026, by=staff)
    return {"site": site, "plan": plan, "staff": staff, "base": f"{API}/councils/api-city/plans/{plan.pk}"}


def get(client, path, **headers):
    response = client.get(path, **headers)
    return response, (json.loads(response.content) if response.content else None)


def test_councils_lists_open_sites_with_their_plan_counts(client, published, councils):
    from sasaeai.publishing.services import site_update

    site_update(council=councils["b"], slug="closed-city", is_open=False, by=None)
    response, body = get(client, f"{API}/councils")
    assert response.status_code == 200
    assert body == [{"slug": "api-city", "name": "テスト市社会福祉協議会", "plans": 1}]
    assert "テスト市".encode() in response.content  # readable UTF-8, not \\u escapes
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_plans_plan_and_years_show_only_published_years(client, published):
    plan = published["plan"]
    _r, plans = get(client, f"{API}/councils/api-city/plans")
    assert [p["plan"]["plan_id"] for p in plans] == [plan.pk]
    assert plans[0]["years"] == [
        {"fiscal_year": 2026, "fiscal_year_label": "令和8年度 (2026年度)", "parts": ["progress", "evaluation"]}
    ]
    assert plans[0]["data_url"].endswith(f"/public/api-city/plans/{plan.pk}/data/")
    _r, detail = get(client, published["base"])
    assert detail["plan"]["title"] == "API の計画" and detail["nodes_count"] == 8
    assert [lv["name"] for lv in detail["levels"]] == ["基本目標", "推進事業"]
    _r, years = get(client, published["base"] + "/years")
    assert [y["fiscal_year"] for y in years] == [2026]


def test_a_year_returns_its_published_parts_and_an_unpublished_year_is_404(client, published):
    response, year = get(client, published["base"] + "/years/2026")
    assert response.status_code == 200
    assert len(year["progress"]) == 8 and len(year["indicators"]) == 12 and len(year["evaluations"]) == 6
    assert year["opinion"] is None and "達成率" in year["achievement_rule"]
    assert all(isinstance(i["target"], int) for i in year["indicators"])
    response, body = get(client, published["base"] + "/years/2027")
    assert response.status_code == 404 and body["detail"].startswith("見つかりません")
    _r, indicators = get(client, published["base"] + "/indicators?fiscal_year=2027")
    assert indicators == []
    _r, indicators = get(client, published["base"] + "/indicators")
    assert {i["fiscal_year"] for i in indicators} == {2026} and len(indicators) == 12


def test_nothing_unpublished_and_no_person_anywhere_in_the_api(client, published):
    base = published["base"]
    paths = [
        f"{API}/councils",
        f"{API}/councils/api-city/plans",
        base,
        base + "/nodes?limit=500",
        base + "/years",
        base + "/years/2026",
        base + "/indicators",
        f"{API}/openapi.json",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert "未公表" not in text and "2027" not in text, path
        assert STAFF_NAME not in text and STAFF_EMAIL not in text, path


def test_withdrawn_and_closed_are_404_with_japanese_detail(client, published):
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_withdraw, site_update

    plan, staff, base = published["plan"], published["staff"], published["base"]
    progress = Publication.objects.get(plan=plan, part="progress", is_current=True)
    publication_withdraw(publication=progress, reason="誤り", by=staff)
    _r, year = get(client, base + "/years/2026")
    assert year["progress"] is None and year["indicators"] is None and year["evaluations"]
    assert get(client, base + "/indicators")[1] == []
    structure = Publication.objects.get(plan=plan, part="structure", is_current=True)
    publication_withdraw(publication=structure, reason="誤り", by=staff)
    for path in (base, base + "/nodes", base + "/years", base + "/years/2026", base + "/indicators"):
        response, body = get(client, path)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/json")
        assert body == {"detail": "見つかりません。公開されていないか、アドレスが違います。"}
    assert get(client, f"{API}/councils")[1] == []
    site_update(council=plan.council, slug="api-city", is_open=False, by=staff)
    assert client.get(f"{API}/councils/api-city/plans").status_code == 404


@pytest.mark.parametrize(
    "suffix",
    [
        "/nodes?limit=abc",
        "/nodes?limit=0",
        "/nodes?offset=-1",
        "/indicators?fiscal_year=令和8",
        "/indicators?fiscal_year=0",
        "/years/abc",
    ],
)
def test_bad_parameters_are_422_in_japanese_not_500(client, published, suffix):
    response, body = get(client, published["base"] + suffix)
    assert response.status_code == 422, suffix
    assert body["detail"].startswith("指定の値が正しくありません")
    assert body["errors"] and all("loc" in e for e in body["errors"])


@pytest.mark.parametrize(
    "path",
    [
        "/councils/nowhere/plans",
        "/councils/api-city/plans/999999",
        "/councils/api-city/plans/99999999999999999999999",
        "/councils/api-city/plans/-1",
        "/councils/api-city/plans/{pk}/years/99999",
        "/councils/api-city/plans/{pk}/years/1999",
        "/councils/" + "x" * 200 + "/plans",
        "/nothing",
    ],
)
def test_unknown_addresses_are_404_not_500(client, published, path):
    response = client.get(API + path.replace("{pk}", str(published["plan"].pk)))
    assert response.status_code in (404, 422), path
    if response.status_code == 404 and response["Content-Type"].startswith("application/json"):
        assert "見つかりません" in json.loads(response.content)["detail"]


def test_big_plan_id_is_a_json_404(client, published):
    response, body = get(client, f"{API}/councils/api-city/plans/99999999999")
    assert response.status_code == 404 and "見つかりません" in body["detail"]


def test_only_get_is_allowed(client, published):
    for path in (f"{API}/councils", published["base"], published["base"] + "/nodes"):
        assert client.post(path, data={}).status_code == 405, path
        assert client.delete(path).status_code == 405, path
        assert client.put(path).status_code == 405, path


def test_nodes_are_paginated_with_count(client, published):
    base = published["base"]
    _r, page = get(client, base + "/nodes?limit=3&offset=0")
    assert page["count"] == 8 and len(page["items"]) == 3
    _r, rest = get(client, base + "/nodes?limit=3&offset=6")
    assert len(rest["items"]) == 2
    _r, everything = get(client, base + "/nodes")
    ids = [n["id"] for n in everything["items"]]
    assert len(ids) == 8 and ids[:3] == [n["id"] for n in page["items"]]
    root = everything["items"][0]
    assert root["parent_id"] is None and root["level"] == "基本目標" and root["is_priority"] is False
    _r, huge = get(client, base + "/nodes?limit=100000")
    assert huge["count"] == 8 and len(huge["items"]) == 8


def test_etag_and_304_on_every_get(client, published):
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish

    base = published["base"]
    for path in (f"{API}/councils", base, base + "/nodes", base + "/years", base + "/years/2026", base + "/indicators"):
        first = client.get(path)
        assert first.status_code == 200 and first["ETag"], path
        assert "public" in first["Cache-Control"]
        again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b"", path
        assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    before = client.get(base + "/years")
    publication_publish(plan=published["plan"], part=Publication.Part.PROGRESS, fiscal_year=2027, by=published["staff"])
    after = client.get(base + "/years", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and [y["fiscal_year"] for y in json.loads(after.content)] == [2027, 2026]


def test_openapi_lists_every_path_with_japanese_summaries(client, published):
    response, schema = get(client, f"{API}/openapi.json")
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "ささえあい 公開データAPI"
    expected = {
        f"{API}/councils",
        f"{API}/councils/{{slug}}/plans",
        f"{API}/councils/{{slug}}/plans/{{plan_id}}",
        f"{API}/councils/{{slug}}/plans/{{plan_id}}/nodes",
        f"{API}/councils/{{slug}}/plans/{{plan_id}}/years",
        f"{API}/councils/{{slug}}/plans/{{plan_id}}/years/{{fiscal_year}}",
        f"{API}/councils/{{slug}}/plans/{{plan_id}}/indicators",
    }
    assert set(schema["paths"]) == expected
    for path, operations in schema["paths"].items():
        assert set(operations) == {"get", "head"}, path  # read-only: GET, and HEAD like GET
        operation = operations["get"]
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in operation["summary"]), path
        assert operation["description"] and "200" in operation["responses"]
    indicator_fields = schema["components"]["schemas"]["IndicatorRow"]["properties"]
    assert indicator_fields["achievement_rate"]["title"] == "達成率（％）"
    params = {
        p["name"] for p in schema["paths"][f"{API}/councils/{{slug}}/plans/{{plan_id}}/nodes"]["get"]["parameters"]
    }
    assert {"limit", "offset", "slug", "plan_id"} <= params
    assert client.get(f"{API}/docs").status_code == 404  # no Swagger UI (CSP, and no JavaScript)


def test_the_api_docs_page_has_no_javascript(client, published):
    response = client.get("/public/api/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/public/api/v1" in html and "GET /councils/{slug}/plans/{plan_id}/nodes" in html
    assert f"/public/api/v1/councils/api-city/plans/{published['plan'].pk}" in html
    assert "<script" not in html and "style=" not in html
    assert "Content-Security-Policy" in response


def test_query_counts_do_not_grow_with_the_plan(client, councils):
    from sasaeai.demo.generator import create_running_plan
    from sasaeai.progress.models import Indicator, ProgressReport
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish, site_update

    site_update(council=councils["a"], slug="api-city", is_open=True, by=None)
    counts = []
    for projects in (4, 40):
        plan = create_running_plan(
            council=councils["a"],
            projects=projects,
            goals=2,
            indicators=2,
            years=2,
            start=2026,
            title=f"計画{projects}",
        )
        Indicator.objects.filter(node__plan=plan).update(is_sample=False)
        ProgressReport.objects.filter(node__plan=plan).update(is_sample=False)
        publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=None)
        publication_publish(plan=plan, part=Publication.Part.PROGRESS, fiscal_year=2026, by=None)
        base = f"{API}/councils/api-city/plans/{plan.pk}"
        run = []
        for path in (f"{API}/councils", f"{API}/councils/api-city/plans", base, base + "/nodes", base + "/years/2026"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200, path
            run.append(len(queries))
        counts.append(run)
    assert counts[0] == counts[1], counts
    assert max(counts[1]) <= 3, counts


def test_the_demo_through_the_api(client, db):
    from django.core.management import call_command

    call_command("demo", stdout=io.StringIO())
    _r, councils = get(client, f"{API}/councils")
    assert len(councils) >= 5 and all(c["plans"] >= 1 for c in councils)
    kurashiki = next(c for c in councils if "倉敷" in c["name"])
    _r, plans = get(client, f"{API}/councils/{kurashiki['slug']}/plans")
    plan_id = plans[0]["plan"]["plan_id"]
    _r, nodes = get(client, f"{API}/councils/{kurashiki['slug']}/plans/{plan_id}/nodes?limit=5")
    assert nodes["count"] > 5 and len(nodes["items"]) == 5
    assert plans[0]["years"] == []  # the demo's progress is sample data, which is never published


def test_a_year_with_only_its_opinion_published(client, published):
    from django.utils import timezone

    from sasaeai.evaluation.models import CommitteeOpinion
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish

    plan = published["plan"]
    CommitteeOpinion.objects.create(
        plan=plan, fiscal_year=2028, text="総評の本文", is_submitted=True, submitted_at=timezone.now()
    )
    publication_publish(plan=plan, part=Publication.Part.OPINION, fiscal_year=2028, by=published["staff"])
    response, year = get(client, published["base"] + "/years/2028")
    assert response.status_code == 200
    assert year["opinion"]["text"] == "総評の本文"
    assert year["progress"] is None and year["indicators"] is None and year["evaluations"] is None
    _r, years = get(client, published["base"] + "/years")
    assert [(y["fiscal_year"], y["parts"]) for y in years] == [(2028, ["opinion"]), (2026, ["progress", "evaluation"])]


def test_head_answers_like_get_and_errors_are_japanese(client, published):
    """HEAD works on every read (as on the HTML pages); a bad parameter's every message is Japanese."""
    head = client.head(published["base"])
    assert head.status_code == 200 and head["ETag"]
    response = client.get(published["base"] + "/nodes?limit=-1&offset=x")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] and all(any("\u3040" <= ch <= "\u30ff" for ch in e["msg"]) for e in body["errors"])
    assert not any("Input should" in e["msg"] for e in body["errors"])
