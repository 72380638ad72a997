"""Evaluation reports: the row source (reports.py) and the four writers, read back with their own
libraries (openpyxl, pypdf, python-docx, csv)."""

import csv
import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from sasaeai.accounts.models import Role
from sasaeai.accounts.permissions import ROLE_PERMISSIONS
from sasaeai.evaluation import export_csv, export_docx, export_pdf, export_xlsx, reports, services
from sasaeai.evaluation.models import Direction, Grade
from sasaeai.plans.models import PlanNode
from sasaeai.progress.models import IndicatorActual, IndicatorTarget, WorkingGroup

YEAR = 2026
ISSUED = date(2026, 5, 1)
ADMIN = ROLE_PERMISSIONS[Role.ADMIN]
COMMITTEE = ROLE_PERMISSIONS[Role.COMMITTEE]


def raw_rate(node):
    """達成率 of a project computed from the stored targets and actuals, by hand: the mean of each
    indicator's actual ÷ target × 100, each capped at 100."""
    rates = []
    for indicator in node.indicators.order_by("position"):
        target = IndicatorTarget.objects.get(indicator=indicator, fiscal_year=YEAR).value
        actual = IndicatorActual.objects.get(indicator=indicator, report__fiscal_year=YEAR).value
        rates.append(min(actual / target * 100, Decimal(100)))
    return sum(rates) / len(rates)


def rounded(value):
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected_rate(node):
    return rounded(raw_rate(node))


@pytest.fixture
def evaluated(evaluated_plan, users):
    """Project 1-1 through 自己評価 → 確認 → 内部評価 (submitted), 2-1 with only a submitted 自己評価,
    1-2 with a draft 自己評価."""
    plan = evaluated_plan
    admin = users["admin"]
    grades = {g.code: g for g in Grade.objects.filter(scale__council=plan.council)}
    dirs = {d.name: d for d in Direction.objects.filter(council=plan.council)}
    p11 = PlanNode.objects.get(plan=plan, code="1-1")
    p12 = PlanNode.objects.get(plan=plan, code="1-2")
    p21 = PlanNode.objects.get(plan=plan, code="2-1")
    services.stage_save(
        node=p11,
        fiscal_year=YEAR,
        stage="self",
        by=admin,
        submit=True,
        grade=grades["B"],
        results="参加者が120人に増えた",
        comment="自己評価の所見",
        challenges="担い手の確保",
        improvements="自己評価の改善策",
        direction=dirs["継続"],
    )
    services.stage_save(
        node=p11,
        fiscal_year=YEAR,
        stage="review",
        by=admin,
        submit=True,
        grade=grades["B"],
        comment="確認の所見",
        challenges="担い手の確保",
        improvements="自己評価の改善策",
    )
    services.stage_save(
        node=p11,
        fiscal_year=YEAR,
        stage="internal",
        by=admin,
        submit=True,
        grade=grades["A"],
        comment="内部評価の所見",
        challenges="若い担い手が少ない",
        improvements="地区ごとに説明会を開く",
        direction=dirs["拡充"],
    )
    services.stage_save(
        node=p21,
        fiscal_year=YEAR,
        stage="self",
        by=admin,
        submit=True,
        grade=grades["C"],
        challenges="自己評価だけの課題",
        improvements="見守りの担い手を募集する",
        direction=dirs["見直し"],
    )
    services.stage_save(
        node=p12, fiscal_year=YEAR, stage="self", by=admin, submit=False, grade=grades["D"], comment="下書きの所見"
    )
    return {"plan": plan, "p11": p11, "p12": p12, "p21": p21, "admin": admin}


def build(evaluated, perms=ADMIN, **kwargs):
    return reports.build_report(evaluated["plan"], YEAR, perms=perms, today=ISSUED, **kwargs)


def project(report, code):
    return next(p for p in report.projects if p.code == code)


# --------------------------------------------------------------------------- row source


def test_row_source_figures_and_current_evaluation(evaluated):
    report = build(evaluated)
    assert report.year_label == "令和8年度 (2026年度)" and report.title == "令和8年度 (2026年度) 事業評価報告書"
    assert report.issued_label == "令和8年5月1日"
    assert [s for s, _label in report.stages] == ["self", "review", "internal", "external", "final"]
    assert report.project_count == 6 and report.evaluated == 2
    p11 = project(report, "1-1")
    assert p11.achievement == expected_rate(evaluated["p11"])
    assert (p11.grade, p11.grade_stage, p11.direction) == ("A", "内部評価", "拡充")
    assert (p11.challenges, p11.improvements) == ("若い担い手が少ない", "地区ごとに説明会を開く")
    assert [m.display for m in p11.marks] == ["B", "B", "A", "", ""]
    assert p11.mark("internal").comment == "内部評価の所見"
    p12 = project(report, "1-2")
    assert p12.grade == "" and p12.mark("self").display == "入力中" and p12.mark("self").comment == ""
    goal1, goal2 = report.goals
    assert goal1.grade_counts == {"A": 1, "B": 0, "C": 0, "D": 0}
    assert goal2.grade_counts == {"A": 0, "B": 0, "C": 1, "D": 0}
    assert goal2.direction_counts["見直し"] == 1
    assert report.grade_counts == {"A": 1, "B": 0, "C": 1, "D": 0}
    # goals and the plan: the roll-up with equal weights, from unrounded figures
    plan = evaluated["plan"]
    goal_raw = [sum(raw_rate(PlanNode.objects.get(plan=plan, code=f"{g}-{p}")) for p in (1, 2, 3)) / 3 for g in (1, 2)]
    assert goal1.achievement == rounded(goal_raw[0]) and goal2.achievement == rounded(goal_raw[1])
    assert report.achievement == rounded(sum(goal_raw) / 2)


def test_committee_report_has_no_self_or_review_stage(evaluated):
    report = build(evaluated, perms=COMMITTEE)
    assert [s for s, _label in report.stages] == ["internal", "external", "final"]
    p11 = project(report, "1-1")
    assert [m.display for m in p11.marks] == ["A", "", ""]
    p21 = project(report, "2-1")  # only a self-evaluation: nothing of it may show
    assert (p21.grade, p21.improvements, p21.direction) == ("", "", "")
    assert "自己評価だけの課題" not in p21.challenges
    assert report.evaluated == 1
    text = export_csv.build(report).decode("utf-8-sig")
    assert "自己評価" not in text.splitlines()[0] and "見守りの担い手を募集する" not in text


def test_filters_really_filter(evaluated):
    plan = evaluated["plan"]
    goal2 = PlanNode.objects.get(plan=plan, code="2")
    only_goal2 = build(evaluated, goal_id=goal2.pk)
    assert [g.code for g in only_goal2.goals] == ["2"]
    assert [p.code for p in only_goal2.projects] == ["2-1", "2-2", "2-3"]
    assert only_goal2.goal_filter == "2 基本目標2"
    assert only_goal2.filename("評価シート", "xlsx") == "評価シート_令和8年度_2_基本目標2.xlsx"
    group = WorkingGroup.objects.get(plan=plan, name="WG1")  # owns goal 1, so all its projects
    wg = build(evaluated, group=group)
    assert [p.code for p in wg.projects] == ["1-1", "1-2", "1-3"]
    assert wg.scope_label == "WG1 の担当事業" and wg.filename("評価データ", "csv") == "評価データ_令和8年度_WG1.csv"
    # a group owning two projects: only those, and the goal's figure is theirs, not the whole goal's
    small = WorkingGroup.objects.create(plan=plan, name="見守りWG")
    small.nodes.add(evaluated["p11"], PlanNode.objects.get(plan=plan, code="2-3"))
    two = build(evaluated, group=small)
    assert [p.code for p in two.projects] == ["1-1", "2-3"]
    assert [g.code for g in two.goals] == ["1", "2"]
    assert two.goals[0].achievement == expected_rate(evaluated["p11"])
    assert two.goals[0].achievement != build(evaluated).goals[0].achievement
    # goal + group that do not meet: the goal with no projects
    both = build(evaluated, goal_id=goal2.pk, group=group)
    assert both.project_count == 0 and [g.code for g in both.goals] == ["2"]
    with pytest.raises(Http404):
        build(evaluated, goal_id=evaluated["p11"].pk)  # a project is not a goal


def test_choose_defaults_and_404s(evaluated):
    plan = evaluated["plan"]
    choices = reports.report_choices(plan)
    assert choices.years == [2026, 2027, 2028, 2029, 2030] and choices.half_yearly is False
    assert reports.choose(choices, {"year": "1999"})["year"] == choices.default_year
    assert reports.choose(choices, {"year": "abc", "period": "1"}) == {
        "year": choices.default_year,
        "period": 0,
        "goal": None,
        "group": None,
    }
    assert reports.choose(choices, {"year": "2028"})["year"] == 2028
    goal = choices.goals[1]
    assert reports.choose(choices, {"goal": str(goal.pk)})["goal"] == goal
    for bad in ({"goal": "x"}, {"goal": "999999"}, {"wg": "999999"}, {"goal": str(evaluated["p11"].pk)}):
        with pytest.raises(Http404):
            reports.choose(choices, bad)


def test_plain_numbers_and_sheet_titles():
    assert reports.plain(Decimal("100.0000")) == "100"
    assert reports.plain(Decimal("1E+2")) == "100"
    assert reports.plain(Decimal("45.5000")) == "45.5"
    assert reports.plain(None) == ""

    class Goal:
        def __init__(self, code, title):
            self.code, self.title = code, title

    titles = reports.sheet_titles(
        [
            Goal("1", "誰もが安心して暮らせる、支え合いのまちづくり[重点]：地域の見守り/居場所"),
            Goal("1", "誰もが安心して暮らせる、支え合いのまちづくり[重点]：地域の見守り/居場所"),
            Goal("", "総括"),
            Goal("", "'引用'"),
        ],
        reserved=["総括"],
    )
    assert all(len(t) <= 31 for t in titles)
    assert len({t.casefold() for t in titles}) == 4 and "総括" not in titles
    assert not any(ch in t for t in titles for ch in "[]:*?/\\")
    assert titles[1].endswith("(2)") and not titles[3].startswith("'")


def test_row_source_query_count_is_flat(councils, evaluated):
    from sasaeai.demo.generator import create_running_plan, fill_evaluations

    small = evaluated["plan"]
    big = create_running_plan(
        council=councils["a"], projects=60, goals=6, indicators=2, years=2, start=2026, title="大きな計画"
    )
    assert (
        fill_evaluations(big, fiscal_year=YEAR, stages=("self", "review", "internal")) == 60
    )  # every project evaluated, like the small plan's
    from sasaeai.plans.models import Plan

    counts = []
    for plan in (small, big):
        plan = Plan.objects.select_related("council").get(pk=plan.pk)  # as the views get it
        with CaptureQueriesContext(connection) as ctx:
            report = reports.build_report(plan, YEAR, perms=ADMIN)
        counts.append([q["sql"][:60] for q in ctx.captured_queries])
        assert report.project_count in (6, 60)
    assert len(counts[0]) == len(counts[1]), "\n".join(counts[0]) + "\n----\n" + "\n".join(counts[1])


# --------------------------------------------------------------------------- Excel


def _sheet_rows(ws):
    return {ws.cell(r, 1).value: r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value}


def test_xlsx_layout_and_figures(evaluated):
    import openpyxl

    report = build(evaluated)
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx.build(report)))
    assert wb.sheetnames == ["総括", "1 基本目標1", "2 基本目標2"]
    ws = wb["1 基本目標1"]
    assert "評価する計画" in ws["A1"].value and "令和8年度" in ws["A1"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:B3", "C3:G3", "H3:H4", "I3:J3", "S3:S4", "T3:T4", "U3:U4"} <= merged
    assert [ws.cell(3, c).value for c in (1, 3, 8, 9, 11, 13, 19, 20, 21)] == [
        "事業",
        "指標（基準値・目標値・実績値・達成率）",
        "実績・成果",
        "自己評価",
        "確認",
        "内部評価",
        "課題",
        "改善策",
        "方向性",
    ]
    assert [ws.cell(4, c).value for c in (1, 2, 4, 5, 6, 7, 9, 10)] == [
        "番号",
        "事業名",
        "基準値",
        "目標値",
        "実績値",
        "達成率（％）",
        "記号",
        "所見",
    ]
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$3:$4" and ws.freeze_panes == "C5"
    assert ws["J5"].alignment.wrap_text and ws["J5"].border.left.style == "thin"
    row = _sheet_rows(ws)["1-1"]
    assert ws.cell(row, 2).value == "推進事業1-1"
    assert ws.cell(row, 7).value == pytest.approx(float(expected_rate(evaluated["p11"])))
    assert [ws.cell(row, c).value for c in (9, 10, 11, 13, 14)] == ["B", "自己評価の所見", "B", "A", "内部評価の所見"]
    assert ws.cell(row, 20).value == "地区ごとに説明会を開く" and ws.cell(row, 21).value == "拡充"
    assert "参加者が120人に増えた" in ws.cell(row, 8).value
    targets = ws.cell(row, 5).value.split("\n")
    assert targets == ["100", "100"]
    assert ws.cell(_sheet_rows(ws)["1-2"], 9).value == "入力中"
    summary = wb["総括"]
    rows = {summary.cell(r, 2).value: r for r in range(5, 10)}
    assert summary.cell(rows["基本目標1"], 3).value == 3 and summary.cell(rows["基本目標1"], 6).value == 1  # A
    assert summary.cell(rows["計"], 4).value == 2
    assert summary.page_setup.orientation == "portrait"


def test_xlsx_committee_has_only_its_stages(evaluated):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx.build(build(evaluated, perms=COMMITTEE))))
    ws = wb["1 基本目標1"]
    headers = [ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    assert "自己評価" not in headers and "確認" not in headers and "内部評価" in headers
    values = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert "自己評価の所見" not in values and "確認の所見" not in values


def test_opinion_appears_once_submitted(evaluated, users):
    import openpyxl

    plan = evaluated["plan"]
    services.opinion_save(plan=plan, fiscal_year=YEAR, by=users["committee"], text="下書きの総評")
    report = build(evaluated)
    assert report.opinion == "" and report.opinion_state == "draft"
    assert "下書きの総評" not in export_docx_text(export_docx.build(report))
    from sasaeai.evaluation.models import CommitteeOpinion

    CommitteeOpinion.objects.filter(plan=plan).delete()
    services.opinion_save(
        plan=plan, fiscal_year=YEAR, by=users["committee"], text="全体として順調。\n担い手の確保を。", submit=True
    )
    report = build(evaluated)
    assert report.opinion == "全体として順調。\n担い手の確保を。"
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx.build(report)))
    texts = [c.value for row in wb["総括"].iter_rows() for c in row if c.value]
    assert "評価委員会の総評" in texts and "全体として順調。" in texts
    assert "担い手の確保を。" in export_docx_text(export_docx.build(report))
    assert "全体として順調。" in pdf_text(export_pdf.build(report))


# --------------------------------------------------------------------------- PDF


def pdf_text(data):
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_text_toc_and_figures(evaluated):
    from pypdf import PdfReader

    report = build(evaluated)
    data = export_pdf.build(report)
    reader = PdfReader(io.BytesIO(data))
    pages = [p.extract_text() for p in reader.pages]
    assert "令和8年度 (2026年度) 事業評価報告書" in pages[0] and "評価する計画" in pages[0]
    assert "令和8年5月1日 発行" in pages[0]
    toc = pages[1]
    assert "目次" in toc
    for entry in ("1 総括", "2 目標別の評価", "1 基本目標1", "2 基本目標2", "3 評価委員会の総評"):
        assert entry in toc, entry
    # the page numbers in 目次 are those the headings are on
    for title in ("1 総括", "2 目標別の評価", "3 評価委員会の総評"):
        number = next(i + 1 for i, text in enumerate(pages) if i > 1 and title in text)
        assert re.search(rf"{title}[\s.]*{number}(\s|$)", toc), (title, number, toc)
    text = "\n".join(pages)
    assert "推進事業1-1" in text and "地区ごとに説明会を開く" in text and "拡充" in text
    assert str(expected_rate(evaluated["p11"])) in text
    assert f"- {len(pages)} -" in pages[-1]  # page numbers in the footer
    assert reader.outline  # bookmarks


def test_pdf_embeds_truetype_subsets_never_cid_fonts(evaluated):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(export_pdf.build(build(evaluated))))
    fonts = {}
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            fonts[name] = ref.get_object()
    assert fonts
    for font in fonts.values():
        assert font["/Subtype"] == "/TrueType", font
        assert "+IPAexGothic" in font["/BaseFont"]  # a subset (ABCDEF+…)
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
        encoding = font.get("/Encoding")
        assert not (isinstance(encoding, str) and encoding.startswith("/UniJIS")), encoding
        assert "/DescendantFonts" not in font


def test_pdf_survives_very_long_text_and_no_projects(evaluated):
    node = PlanNode.objects.get(plan=evaluated["plan"], code="2-2")
    grade = Grade.objects.filter(scale__council=evaluated["plan"].council).first()
    services.stage_save(
        node=node,
        fiscal_year=YEAR,
        stage="self",
        by=evaluated["admin"],
        submit=True,
        grade=grade,
        challenges="長い課題の説明です。" * 1500,
        improvements="<script>&amp;改善</script>",
    )
    text = pdf_text(export_pdf.build(build(evaluated)))
    assert "以下略" in text and "<script>&amp;改善</script>" in text
    group = WorkingGroup.objects.get(plan=evaluated["plan"], name="WG1")
    goal2 = PlanNode.objects.get(plan=evaluated["plan"], code="2")
    assert "対象の事業はありません。" in pdf_text(export_pdf.build(build(evaluated, goal_id=goal2.pk, group=group)))


# --------------------------------------------------------------------------- Word


def export_docx_text(data):
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_docx_headings_tables_and_sections(evaluated):
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(export_docx.build(build(evaluated))))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert ("Title", "令和8年度 (2026年度) 事業評価報告書") in headings
    assert ("Heading 1", "1 総括") in headings and ("Heading 2", "1 基本目標1") in headings
    assert ("Heading 1", "3 評価委員会の総評") in headings
    summary, goal1, _goal2 = document.tables
    assert [c.text for c in summary.rows[0].cells][:4] == ["目標", "事業数", "評価済み", "達成率（％）"]
    assert [c.text for c in summary.rows[-1].cells][:3] == ["計", "6", "2"]
    header = [c.text for c in goal1.rows[0].cells]
    assert header[:5] == ["番号", "事業", "達成率（％）", "自己評価", "確認"] and header[-3:] == [
        "方向性",
        "課題",
        "改善策",
    ]
    row = next(r for r in goal1.rows if r.cells[0].text == "1-1")
    cells = [c.text for c in row.cells]
    assert cells[2] == str(expected_rate(evaluated["p11"]))
    assert cells[3:6] == ["B", "B", "A"] and cells[-3:] == ["拡充", "若い担い手が少ない", "地区ごとに説明会を開く"]
    assert [s.orientation for s in document.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert document.sections[1].page_width > document.sections[1].page_height
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "游明朝"
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia"))


# --------------------------------------------------------------------------- CSV


def test_csv_bom_header_and_raw_figures(evaluated):
    data = export_csv.build(build(evaluated))
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "目標番号",
        "目標",
        "事業番号",
        "事業",
        "指標",
        "単位",
        "基準値",
        "目標値",
        "実績値",
        "達成率（％）",
        "事業の達成率（％）",
        "評価（現在）",
        "評価の段階",
        "方向性",
        "自己評価（記号）",
        "確認（記号）",
        "内部評価（記号）",
        "外部評価（記号）",
        "最終評価（記号）",
    ]
    assert len(rows) == 1 + 6 * 2  # a row per project × indicator
    p11 = evaluated["p11"]
    lines = [r for r in rows if r[2] == "1-1"]
    for line, indicator in zip(lines, p11.indicators.order_by("position"), strict=False):
        actual = IndicatorActual.objects.get(indicator=indicator, report__fiscal_year=YEAR).value
        assert line[4] == indicator.name and line[5] == "人"
        assert line[7] == "100" and line[8] == reports.plain(actual)
        assert line[9] == reports.plain((actual / 100 * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        assert line[10] == reports.plain(expected_rate(p11))
        assert line[11:] == ["A", "内部評価", "拡充", "B", "B", "A", "", ""]
    assert "E+" not in data.decode("utf-8-sig")


def test_xlsx_writes_a_single_indicator_as_numbers(evaluated):
    import openpyxl

    evaluated["p11"].indicators.order_by("position").last().delete()
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx.build(build(evaluated))))
    ws = wb["1 基本目標1"]
    row = _sheet_rows(ws)["1-1"]
    actual = IndicatorActual.objects.get(indicator__node=evaluated["p11"], report__fiscal_year=YEAR).value
    assert ws.cell(row, 5).value == 100 and isinstance(ws.cell(row, 5).value, int)
    assert ws.cell(row, 6).value == pytest.approx(float(actual)) and not isinstance(ws.cell(row, 6).value, str)
    assert isinstance(ws.cell(_sheet_rows(ws)["1-2"], 5).value, str)  # two indicators: listed as text
