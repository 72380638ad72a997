"""Open data files: only what is published, ever; valid Frictionless packages; CSV with BOM; xlsx; caching."""

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

STAFF_NAME, STAFF_EMAIL = "koukai_tantou_zz", "tantou-zz@example.jp"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def published(councils, make_user):
    """A running plan with real (not sample) progress for FY2026 and FY2027 and final evaluations for both;
    the site publishes the structure, FY2026's progress and FY2026's evaluation only."""
    from sasaeai.demo.generator import create_running_plan, fill_evaluations
    from sasaeai.evaluation.models import Evaluation, StageEntry
    from sasaeai.progress.models import Indicator, ProgressReport
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish, site_update

    staff = make_user(STAFF_NAME, "admin", councils["a"])
    staff.email = STAFF_EMAIL
    staff.first_name, staff.last_name = "公表", "担当者"
    staff.save()
    plan = create_running_plan(
        council=councils["a"], projects=4, goals=2, indicators=2, years=3, start=2026, title="公開する計画"
    )
    for year in (2026, 2027):
        fill_evaluations(plan, fiscal_year=year, stages=("final",), seed=year)
    Indicator.objects.filter(node__plan=plan).update(is_sample=False)
    ProgressReport.objects.filter(node__plan=plan).update(is_sample=False)
    Evaluation.objects.filter(node__plan=plan).update(is_sample=False)
    # A marker only FY2027 has: it must never leave the office.
    ProgressReport.objects.filter(node__plan=plan, fiscal_year=2027).update(done_text="未公表2027")
    StageEntry.objects.filter(evaluation__node__plan=plan, evaluation__fiscal_year=2027).update(
        comment="未公表の所見2027", challenges="未公表の課題2027"
    )
    site = site_update(council=councils["a"], slug="test-city", is_open=True, by=staff)
    publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=staff)
    publication_publish(plan=plan, part=Publication.Part.PROGRESS, fiscal_year=2026, by=staff)
    publication_publish(plan=plan, part=Publication.Part.EVALUATION, fiscal_year=2026, by=staff)
    return {"site": site, "plan": plan, "staff": staff}


def url(published, name):
    return reverse("site:opendata_file", args=[published["site"].slug, published["plan"].pk, name])


def read_csv(content):
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def all_files(client, published):
    from sasaeai.publishing import opendata

    return {name: client.get(url(published, name)) for name in opendata.file_names()}


def test_every_file_is_served_with_type_disposition_etag_and_cache(client, published):
    from sasaeai.publishing import opendata

    files = all_files(client, published)
    assert len(files) == len(opendata.TABLES) * 3 + 2
    for name, response in files.items():
        assert response.status_code == 200, name
        assert response["ETag"].startswith('"'), name
        assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert files["nodes.csv"]["Content-Type"] == "text/csv; charset=utf-8"
    assert files["nodes.xlsx"]["Content-Type"].startswith("application/vnd.openxmlformats")
    assert files["nodes.json"]["Content-Type"].startswith("application/json")
    disposition = files["nodes.csv"]["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E5%85%AC%E9%96%8B" in disposition  # 公開する計画_計画の体系.csv, RFC 5987 encoded


def test_etag_answers_304_and_changes_when_something_is_published(client, published):
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish

    first = client.get(url(published, "progress.csv"))
    again = client.get(url(published, "progress.csv"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    publication_publish(plan=published["plan"], part=Publication.Part.PROGRESS, fiscal_year=2027, by=published["staff"])
    after = client.get(url(published, "progress.csv"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert {r["fiscal_year"] for r in read_csv(after.content)} == {"2026", "2027"}


def test_an_unpublished_year_is_in_no_file(client, published):
    files = all_files(client, published)
    progress = read_csv(files["progress.csv"].content)
    indicators = read_csv(files["indicators.csv"].content)
    evaluations = read_csv(files["evaluations.csv"].content)
    assert progress and indicators and evaluations
    assert {r["fiscal_year"] for r in progress + indicators + evaluations} == {"2026"}
    assert read_csv(files["opinions.csv"].content) == []  # the opinion was never published
    for name, response in files.items():
        text = response.content.decode("utf-8", errors="replace") if not name.endswith("xlsx") else ""
        if name.endswith(".xlsx"):
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(response.content))
            text = "\n".join(
                str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
            )
        assert "2027" not in text.replace("2026", ""), name  # no FY2027 row, target or year anywhere
        assert "未公表" not in text, name
        assert STAFF_NAME not in text and STAFF_EMAIL not in text and "担当者" not in text, name


def test_withdrawn_and_closed_mean_404_everywhere(client, published):
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_withdraw

    staff, plan = published["staff"], published["plan"]
    progress = Publication.objects.get(plan=plan, part="progress", is_current=True)
    client.get(url(published, "progress.csv"))  # cached now
    publication_withdraw(publication=progress, reason="誤り", by=staff)
    assert read_csv(client.get(url(published, "progress.csv")).content) == []
    assert read_csv(client.get(url(published, "indicators.csv")).content) == []
    structure = Publication.objects.get(plan=plan, part="structure", is_current=True)
    publication_withdraw(publication=structure, reason="誤り", by=staff)
    for name in ("nodes.csv", "plan.json", "all.xlsx", "datapackage.json"):
        assert client.get(url(published, name)).status_code == 404, name
    assert client.get(reverse("site:opendata", args=["test-city", plan.pk])).status_code == 404


def test_closed_site_unknown_names_and_odd_ids_are_404(client, published):
    from sasaeai.publishing.services import site_update

    plan = published["plan"]
    for path in (
        url(published, "secrets.csv"),
        url(published, "nodes.exe"),
        url(published, "nodes"),
        f"/public/test-city/plans/{plan.pk}/data/../../",
        f"/public/test-city/plans/{10**30}/data/nodes.csv",
        f"/public/test-city/plans/{10**30}/data/",
        f"/public/nowhere/plans/{plan.pk}/data/nodes.csv",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(url(published, "nodes.csv")).status_code == 405
    site_update(council=plan.council, slug="test-city", is_open=False, by=published["staff"])
    assert client.get(url(published, "nodes.csv")).status_code == 404
    assert client.get(reverse("site:opendata", args=["test-city", plan.pk])).status_code == 404


def test_another_councils_plan_is_not_reachable_through_this_site(client, published, councils):
    from sasaeai.demo.generator import create_plan
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish, site_update

    other = create_plan(council=councils["b"], nodes=5, issues=1, title="よその計画")
    site_update(council=councils["b"], slug="other-city", is_open=True, by=None)
    publication_publish(plan=other, part=Publication.Part.STRUCTURE, by=None)
    assert client.get(f"/public/other-city/plans/{other.pk}/data/nodes.csv").status_code == 200
    assert client.get(f"/public/test-city/plans/{other.pk}/data/nodes.csv").status_code == 404


def test_csv_has_bom_and_opens_in_pandas_with_the_schema_columns(client, published):
    pandas = pytest.importorskip("pandas")
    from sasaeai.publishing import opendata

    for table in opendata.TABLES:
        content = client.get(url(published, f"{table.name}.csv")).content
        assert content[:3] == b"\xef\xbb\xbf"
        frame = pandas.read_csv(io.BytesIO(content), encoding="utf-8-sig")
        assert list(frame.columns) == table.names, table.name
    nodes = pandas.read_csv(io.BytesIO(client.get(url(published, "nodes.csv")).content), encoding="utf-8-sig")
    assert len(nodes) == 6 and set(nodes["title"]) >= {"基本目標1", "推進事業1-1"}
    indicators = pandas.read_csv(io.BytesIO(client.get(url(published, "indicators.csv")).content), encoding="utf-8-sig")
    assert len(indicators) == 4 * 2 and set(indicators["target"]) == {100}
    assert indicators["achievement_rate"].notna().all()


def test_xlsx_reads_back_one_sheet_per_table_with_japanese_headers(client, published):
    from openpyxl import load_workbook

    from sasaeai.publishing import opendata

    book = load_workbook(io.BytesIO(client.get(url(published, "all.xlsx")).content))
    assert book.sheetnames == [str(t.title) for t in opendata.TABLES]
    sheet = book["指標"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["年度", "項目ID", "指標ID", "指標"]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 8 and all(isinstance(v[header.index("目標値")], int) for v in values)
    one = load_workbook(io.BytesIO(client.get(url(published, "nodes.xlsx")).content))
    assert one.sheetnames == ["計画の体系"] and one.active.max_row == 7


def test_text_that_looks_like_a_formula_stays_text(client, published):
    from openpyxl import load_workbook

    from sasaeai.publishing.models import Publication

    structure = Publication.objects.get(plan=published["plan"], part="structure", is_current=True)
    structure.data["nodes"][0]["title"] = '=HYPERLINK("http://evil.example")'
    structure.data["nodes"][1]["summary"] = "改ページ\x0cと制御文字\x01"
    structure.save()
    rows = read_csv(client.get(url(published, "nodes.csv")).content)
    assert rows[0]["title"].startswith("'=")
    book = load_workbook(io.BytesIO(client.get(url(published, "nodes.xlsx")).content))
    assert book.active["F2"].data_type == "s" and book.active["F2"].value.startswith("=HYPERLINK")
    assert book.active["H3"].value == "改ページと制御文字"  # control characters would break the workbook


def test_json_has_licence_attribution_and_typed_numbers(client, published):
    body = json.loads(client.get(url(published, "indicators.json")).content)
    assert body["license"]["name"] == "CC-BY-4.0" and body["license"]["path"].startswith("https://creativecommons")
    assert body["attribution"].startswith("出典：テスト市社会福祉協議会「公開する計画」")
    assert body["data"] and all(isinstance(r["target"], int) and r["fiscal_year"] == 2026 for r in body["data"])
    assert [f["name"] for f in body["fields"]][:3] == ["fiscal_year", "node_id", "indicator_id"]


def test_datapackage_has_absolute_paths_licence_and_names_matching_the_csv_headers(client, published, settings):
    from sasaeai.publishing import opendata

    settings.SASAEAI_BASE_URL = "https://sasaeai.example.jp"
    cache.clear()
    package = json.loads(client.get(url(published, "datapackage.json")).content)
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/deed.ja",
            "title": "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）",
        }
    ]
    assert [r["name"] for r in package["resources"]] == [t.name for t in opendata.TABLES]
    for resource in package["resources"]:
        assert resource["path"] == "https://sasaeai.example.jp" + url(published, resource["name"] + ".csv")
        assert resource["encoding"] == "utf-8-sig" and resource["mediatype"] == "text/csv"
        header = next(csv.reader(io.StringIO(client.get(resource["path"][26:]).content.decode("utf-8-sig"))))
        assert [f["name"] for f in resource["schema"]["fields"]] == header
        assert all(f["title"] and f["type"] and f["description"] for f in resource["schema"]["fields"])
    nodes = package["resources"][1]["schema"]
    assert nodes["primaryKey"] == ["id"]
    assert nodes["foreignKeys"] == [{"fields": "parent_id", "reference": {"resource": "", "fields": "id"}}]


def _local_package(client, published, tmp_path, tamper=None):
    from frictionless import Package

    from sasaeai.publishing import datapackage, opendata, selectors

    site = selectors.site_get("test-city")
    source = opendata.Source(site, selectors.site_plan(site, published["plan"].pk))
    for table in opendata.TABLES:
        content = client.get(url(published, f"{table.name}.csv")).content
        if tamper and table.name == tamper[0]:
            content = tamper[1](content)
        (tmp_path / f"{table.name}.csv").write_bytes(content)
    descriptor = datapackage.descriptor(source, path_for=lambda _source, table: f"{table.name}.csv")
    return Package(descriptor, basepath=str(tmp_path))


def test_the_package_validates_with_frictionless(client, published, tmp_path):

    report = _local_package(client, published, tmp_path).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 7


def test_frictionless_catches_a_wrong_type_and_a_broken_foreign_key(client, published, tmp_path):

    def wrong_number(content):
        text = content.decode("utf-8-sig").splitlines()
        cells = text[1].split(",")
        cells[0] = "二〇二六"  # fiscal_year is an integer
        return ("\ufeff" + "\r\n".join([text[0], ",".join(cells), *text[2:]]) + "\r\n").encode("utf-8")

    report = _local_package(client, published, tmp_path, ("progress", wrong_number)).validate()
    assert not report.valid
    assert "type-error" in {e[0] for e in report.flatten(["type"])}

    def orphan(content):
        text = content.decode("utf-8-sig").splitlines()
        cells = text[1].split(",")
        cells[1] = "999999"  # node_id that nodes.csv does not have
        return ("\ufeff" + "\r\n".join([text[0], ",".join(cells), *text[2:]]) + "\r\n").encode("utf-8")

    report = _local_package(client, published, tmp_path, ("progress", orphan)).validate()
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


def test_the_download_page_lists_every_file_with_sizes_licence_and_schema(client, published):
    from sasaeai.publishing import opendata

    response = client.get(reverse("site:opendata", args=["test-city", published["plan"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for name in opendata.file_names():
        assert url(published, name) in html, name
    assert "KB" in html or "バイト" in html
    assert "https://creativecommons.org/licenses/by/4.0/deed.ja" in html
    assert "出典：テスト市社会福祉協議会「公開する計画」" in html
    assert "achievement_rate" in html and "達成率（％）" in html
    assert "/public/api/v1/councils/test-city/plans/" in html
    assert STAFF_NAME not in html and STAFF_EMAIL not in html
    assert "style=" not in html and "<script" not in html


def test_the_licence_a_council_chose_is_stated_everywhere(client, published):
    from sasaeai.publishing.services import site_update

    site_update(council=published["plan"].council, slug="test-city", is_open=True, licence="CC0-1.0", by=None)
    package = json.loads(client.get(url(published, "datapackage.json")).content)
    assert package["licenses"][0]["name"] == "CC0-1.0"
    assert json.loads(client.get(url(published, "nodes.json")).content)["license"]["name"] == "CC0-1.0"
    page = client.get(reverse("site:opendata", args=["test-city", published["plan"].pk])).content.decode()
    assert "publicdomain/zero/1.0" in page


def test_query_count_does_not_grow_with_the_plan(client, councils, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sasaeai.demo.generator import create_plan
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish, site_update

    site_update(council=councils["a"], slug="test-city", is_open=True, by=None)
    counts = []
    for size in (5, 60):
        plan = create_plan(council=councils["a"], nodes=size, issues=3, title=f"計画{size}")
        publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=None)
        cache.clear()
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("site:opendata", args=["test-city", plan.pk])).status_code == 200
        cache.clear()
        with CaptureQueriesContext(connection) as package:
            assert client.get(f"/public/test-city/plans/{plan.pk}/data/all.xlsx").status_code == 200
        counts.append((len(page), len(package)))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(4):
        client.get(f"/public/test-city/plans/{plan.pk}/data/nodes.csv")


def test_the_demo_plans_have_valid_open_data(client, db, tmp_path):
    from django.core.management import call_command
    from frictionless import Package

    from sasaeai.publishing import datapackage, opendata, selectors

    call_command("demo", stdout=io.StringIO())
    sites = list(selectors.open_sites())
    assert len(sites) >= 5
    checked = 0
    for site in sites:
        for public_plan in selectors.site_plans(site):
            folder = tmp_path / f"{site.slug}-{public_plan.plan_id}"
            folder.mkdir()
            for table in opendata.TABLES:
                response = client.get(f"/public/{site.slug}/plans/{public_plan.plan_id}/data/{table.name}.csv")
                assert response.status_code == 200
                (folder / f"{table.name}.csv").write_bytes(response.content)
            source = opendata.Source(site, public_plan)
            descriptor = datapackage.descriptor(source, path_for=lambda _s, t: f"{t.name}.csv")
            report = Package(descriptor, basepath=str(folder)).validate()
            assert report.valid, (site.slug, report.flatten(["resourceName", "rowNumber", "fieldName", "note"])[:5])
            checked += 1
    assert checked >= 5


def test_a_published_opinion_is_a_row_and_an_unpublished_one_is_not(client, published):
    from django.utils import timezone

    from sasaeai.evaluation.models import CommitteeOpinion
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish

    plan = published["plan"]
    for year in (2026, 2027):
        CommitteeOpinion.objects.create(
            plan=plan, fiscal_year=year, text=f"総評{year}の本文", is_submitted=True, submitted_at=timezone.now()
        )
    publication_publish(plan=plan, part=Publication.Part.OPINION, fiscal_year=2026, by=published["staff"])
    rows = read_csv(client.get(url(published, "opinions.csv")).content)
    assert [(r["fiscal_year"], r["text"]) for r in rows] == [("2026", "総評2026の本文")]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0]["submitted_on"])
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get(url(published, "all.xlsx")).content))["評価委員会の総評"]
    assert [row[:2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [(2026, "総評2026の本文")]
    assert "総評2027".encode() not in client.get(url(published, "opinions.json")).content
