"""The reports page and downloads: permission, filters from the query string, file names."""

import csv
import io
from urllib.parse import quote

import pytest
from django.urls import reverse

from sasaeai.demo.generator import create_plan
from sasaeai.evaluation import services
from sasaeai.evaluation.models import Grade
from sasaeai.plans.models import PlanNode
from sasaeai.progress.models import ReportingSchedule, WorkingGroup
from sasaeai.progress.selectors import default_fiscal_year

FORMATS = ["xlsx", "pdf", "docx", "csv"]


@pytest.fixture
def plan(evaluated_plan, users):
    node = PlanNode.objects.get(plan=evaluated_plan, code="1-1")
    grade = Grade.objects.get(scale__council=evaluated_plan.council, code="B")
    services.stage_save(
        node=node,
        fiscal_year=2026,
        stage="self",
        by=users["admin"],
        submit=True,
        grade=grade,
        comment="自己評価の所見",
        improvements="声かけを増やす",
    )
    return evaluated_plan


def url(name, plan, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse(f"evaluation_reports:{name}", args=[plan.pk]) + (f"?{query}" if query else "")


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_page_lists_downloads_with_filters(client_for, users, plan):
    response = client_for(users["viewer"]).get(url("page", plan, year=2027))
    assert response.status_code == 200
    html = response.content.decode()
    for fmt in FORMATS:
        assert reverse(f"evaluation_reports:{fmt}", args=[plan.pk]) + "?year=2027" in html
    assert "基本目標1" in html and "WG1" in html and "令和9年度" in html
    assert 'name="period"' not in html  # a yearly plan has no 上半期
    ReportingSchedule.objects.update_or_create(plan=plan, defaults={"frequency": "half"})
    html = client_for(users["viewer"]).get(url("page", plan, period=1)).content.decode()
    assert 'name="period"' in html and "period=1" in html


@pytest.mark.parametrize(
    "fmt, content_type, ascii_name, japanese",
    [
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "evaluation-sheet-2026.xlsx",
            "評価シート_令和8年度.xlsx",
        ),
        ("pdf", "application/pdf", "evaluation-report-2026.pdf", "事業評価報告書_令和8年度.pdf"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "evaluation-report-2026.docx",
            "事業評価報告書_令和8年度.docx",
        ),
        ("csv", "text/csv; charset=utf-8", "evaluation-figures-2026.csv", "評価データ_令和8年度.csv"),
    ],
)
def test_download_each_format(client_for, users, plan, fmt, content_type, ascii_name, japanese):
    response = client_for(users["admin"]).get(url(fmt, plan, year=2026))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="{ascii_name}"' in disposition
    assert f"filename*=UTF-8''{quote(japanese)}" in disposition
    assert response["Cache-Control"] == "no-store"
    assert len(response.content) > 500


def test_committee_and_outsiders_cannot_download(client_for, users, plan):
    for user in ("committee", "outsider", "nobody"):
        client = client_for(users[user])
        for name in ["page", *FORMATS]:
            assert client.get(url(name, plan, year=2026)).status_code == 404, (user, name)
    client.logout()
    assert client.get(url("csv", plan)).status_code == 302  # to the login page


def test_bad_query_parameters_never_fail(client_for, users, plan):
    client = client_for(users["admin"])
    default = default_fiscal_year(plan)
    for params in (
        {"year": "abc"},
        {"year": "1900"},
        {"year": "99999999999999999999"},
        {"period": "7"},
        {"period": "x", "year": ""},
    ):
        response = client.get(url("csv", plan, **params))
        assert response.status_code == 200, params
        assert f"evaluation-figures-{default}.csv" in response["Content-Disposition"]
        assert client.get(url("page", plan, **params)).status_code == 200
    other_plan = create_plan(council=plan.council, nodes=4, issues=0, title="同じ社協の別の計画")
    other_goal = PlanNode.objects.filter(plan=other_plan, parent=None).first()
    project = PlanNode.objects.get(plan=plan, code="1-1")
    for params in ({"goal": "abc"}, {"goal": "999999"}, {"goal": project.pk}, {"wg": "999999"}, {"wg": "x"}):
        for name in ("page", "xlsx", "csv"):
            assert client.get(url(name, plan, **params)).status_code == 404, (params, name)
    assert other_goal is not None
    # A goal of another plan of the same council is not a goal of this plan.
    for name in ("page", "xlsx", "csv"):
        assert client.get(url(name, plan, goal=other_goal.pk)).status_code == 404, name


def test_goal_and_group_filters_in_downloads(client_for, users, plan):
    import openpyxl

    client = client_for(users["admin"])
    goal2 = PlanNode.objects.get(plan=plan, code="2")
    response = client.get(url("xlsx", plan, year=2026, goal=goal2.pk))
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames == ["総括", "2 基本目標2"]
    assert f"-goal{goal2.pk}.xlsx" in response["Content-Disposition"]
    rows = csv_rows(client.get(url("csv", plan, year=2026, goal=goal2.pk)))
    assert {r[2] for r in rows[1:]} == {"2-1", "2-2", "2-3"}
    group = WorkingGroup.objects.get(plan=plan, name="WG1")
    response = client.get(url("csv", plan, year=2026, wg=group.pk))
    assert {r[2] for r in csv_rows(response)[1:]} == {"1-1", "1-2", "1-3"}
    assert quote("評価データ_令和8年度_WG1.csv") in response["Content-Disposition"]
    line = next(r for r in csv_rows(response) if r[2] == "1-1")
    assert line[11:15] == ["B", "自己評価", "", "B"]


def test_leader_and_viewer_get_every_stage(client_for, users, plan):
    for role in ("viewer", "leader"):
        rows = csv_rows(client_for(users[role]).get(url("csv", plan, year=2026)))
        assert "自己評価（記号）" in rows[0], role
