"""一括入力 (Excel): download → fill with openpyxl → upload → preview → confirm, and every way a
workbook is refused with nothing saved."""

import io
import zipfile
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sasaeai.core.imports import pending
from sasaeai.core.models import AuditEntry
from sasaeai.demo.generator import create_plan
from sasaeai.progress import excel, services
from sasaeai.progress.models import IndicatorActual, ProgressReport, WorkingGroup

SHEET = "進捗報告"
HEADERS = [
    "項目ID",
    "階層",
    "番号",
    "項目",
    "指標ID",
    "指標",
    "種類",
    "単位",
    "目標値",
    "実績値",
    "状況",
    "実施内容",
    "成果",
    "課題",
    "版",
]
C = {h: i + 1 for i, h in enumerate(HEADERS)}


@pytest.fixture
def plan(councils):
    return create_plan(council=councils["a"], nodes=12, issues=2, title="一括入力の計画")


def leaves(plan):
    return list(plan.nodes.filter(children__isnull=True).order_by("pk"))


@pytest.fixture
def setup(plan):
    """Four indicators on two leaves: quantity, ratio, yes/no, qualitative."""
    a, b = leaves(plan)[:2]
    return {
        "a": a,
        "b": b,
        "count": services.indicator_create(node=a, by=None, name="参加者数", unit="人", targets={2026: 100}),
        "ratio": services.indicator_create(node=a, by=None, name="満足度", unit="％", kind="ratio"),
        "held": services.indicator_create(node=b, by=None, name="研修の開催", kind="yes_no"),
        "note": services.indicator_create(node=b, by=None, name="地域の様子", kind="qualitative"),
        "statuses": {s.name: s for s in services.statuses_for(plan.council)},
    }


def download(client, plan, expect=200, **params):
    params = {"year": 2026, "period": 1} | params
    response = client.get(reverse("excel:download", args=[plan.pk]), params)
    assert response.status_code == expect
    return response.content if expect == 200 else response


def book(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def to_bytes(wb):
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(ws, node, indicator=None):
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, C["項目ID"]).value == node.pk and ws.cell(r, C["指標ID"]).value == (
            indicator.pk if indicator else None
        ):
            return r
    raise AssertionError("row not found")


def upload(client, plan, content, name="進捗報告.xlsx", year=2026, period=1):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("excel:upload", args=[plan.pk]), {"file": file, "year": year, "period": period})


def problems(response):
    assert response.status_code == 200
    return response.context["problems"] or []


def saved_state():
    return (
        list(
            ProgressReport.objects.values_list(
                "node_id", "status_id", "done_text", "results", "problems", "version"
            ).order_by("pk")
        ),
        list(IndicatorActual.objects.values_list("indicator_id", "value", "text").order_by("pk")),
        AuditEntry.objects.filter(action__startswith="report.").count(),
    )


# --------------------------------------------------------------------------- round trip


def test_round_trip_download_fill_upload_preview_confirm(client, users, plan, setup):
    client.force_login(users["editor"])
    page = client.get(reverse("excel:plan", args=[plan.pk]))
    assert page.status_code == 200 and "計画全体（令和8年度）" in page.content.decode()
    content = download(client, plan)
    wb = book(content)
    assert wb.sheetnames == [SHEET, "_sasaeai"]
    assert wb["_sasaeai"].sheet_state == "veryHidden"
    ws = wb[SHEET]
    assert [ws.cell(2, c).value for c in range(1, 16)] == HEADERS
    assert "最初の行（版のある行）だけ読み込みます" in ws["D1"].value
    assert ws.freeze_panes == "E3"
    # one row per item × indicator, one row for each item without indicators
    assert ws.max_row - 2 == plan.nodes.count() + 2
    a, b = setup["a"], setup["b"]
    ra, ra2 = row_of(ws, a, setup["count"]), row_of(ws, a, setup["ratio"])
    assert ra2 == ra + 1 and ws.cell(ra, C["版"]).value == 0 and ws.cell(ra2, C["版"]).value is None
    # input cells are open, the rest of the protected sheet is not; only the item row takes 状況
    assert ws.protection.sheet and ws.cell(ra, C["項目"]).protection.locked
    assert not ws.cell(ra, C["実績値"]).protection.locked and not ws.cell(ra2, C["実績値"]).protection.locked
    assert not ws.cell(ra, C["状況"]).protection.locked and ws.cell(ra2, C["状況"]).protection.locked
    assert ws.cell(3, C["実績値"]).protection.locked  # a goal without indicators has no 実績値
    assert ws.cell(ra, C["目標値"]).value == 100 and ws.cell(ra, C["単位"]).value == "人"
    status_rule = next(
        dv for dv in ws.data_validations.dataValidation if dv.type == "list" and "_sasaeai" in dv.formula1
    )
    assert [wb["_sasaeai"].cell(i, 4).value for i in range(1, 6)] == ["未着手", "遅れ", "やや遅れ", "順調", "完了"]
    assert f"K3:K{ws.max_row}" in str(status_rule.sqref)

    ws.cell(ra, C["実績値"]).value = 80
    ws.cell(ra2, C["実績値"]).value = "７５．５"
    ws.cell(ra, C["状況"]).value = "順調"
    ws.cell(ra, C["実施内容"]).value = "サロンを月2回開催\n夏は休み"
    rb, rb2 = row_of(ws, b, setup["held"]), row_of(ws, b, setup["note"])
    ws.cell(rb, C["実績値"]).value = "実施"
    ws.cell(rb2, C["実績値"]).value = "参加者が増えた"
    ws.cell(rb, C["課題"]).value = "担い手の不足"

    response = upload(client, plan, to_bytes(wb))
    assert response.status_code == 200, response.context and response.context.get("problems")
    html = response.content.decode()
    assert "一括入力の確認（令和8年度）" in html and "まだ保存していません" in html
    parsed = response.context["parsed"]
    assert (len(parsed.items), parsed.change_count) == (2, 7)
    assert parsed.row_count == plan.nodes.count() + 2 and parsed.unchanged_rows == parsed.row_count - 4
    for text in ("80人", "75.5％", "順調", "サロンを月2回開催<br>夏は休み", "実施", "担い手の不足", "（新しい報告）"):
        assert text in html, text
    assert not ProgressReport.objects.exists()

    response = client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": response.context["sha"]}, follow=True)
    assert "令和8年度の進捗を 2 項目（7 か所）更新しました。" in response.content.decode()
    report_a = ProgressReport.objects.get(node=a, fiscal_year=2026, period=1)
    assert report_a.status == setup["statuses"]["順調"] and report_a.done_text == "サロンを月2回開催\n夏は休み"
    assert report_a.updated_by == users["editor"]
    assert {x.indicator_id: x.value for x in report_a.actuals.all()} == {
        setup["count"].pk: D(80),
        setup["ratio"].pk: D("75.5"),
    }
    report_b = ProgressReport.objects.get(node=b)
    assert report_b.problems == "担い手の不足"
    assert {(x.indicator_id, x.value, x.text) for x in report_b.actuals.all()} == {
        (setup["held"].pk, D(1), ""),
        (setup["note"].pk, None, "参加者が増えた"),
    }
    entries = AuditEntry.objects.filter(action="report.create")
    assert entries.count() == 2 and {e.actor for e in entries} == {users["editor"]}
    assert entries.get(node_id=a.pk).after["実績: 参加者数"] == "80"
    # the session copy is gone: a second confirm is refused
    response = client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": "x"}, follow=True)
    assert "確認中の一括入力が見つかりません" in response.content.decode()
    assert ProgressReport.objects.count() == 2


def test_prefilled_values_unchanged_upload_and_clearing(client, users, plan, setup):
    a = setup["a"]
    services.report_save(
        node=a,
        fiscal_year=2026,
        period=1,
        by=None,
        status=setup["statuses"]["遅れ"],
        done_text="1行目\r\n2行目",
        results="=先頭がイコールの文",
        actuals={setup["count"]: 40},
    )
    client.force_login(users["admin"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    r = row_of(ws, a, setup["count"])
    assert [ws.cell(r, C[k]).value for k in ("実績値", "状況", "実施内容", "成果", "版")] == [
        40,
        "遅れ",
        "1行目\n2行目",
        "=先頭がイコールの文",
        1,
    ]
    # unchanged: politely nothing to do, and nothing waits in the session
    response = upload(client, plan, to_bytes(wb), name="そのまま.xlsx")
    assert not problems(response)
    assert "今の内容と違うところはありませんでした" in response.content.decode()
    assert pending.session_key("progress_workbook") not in client.session
    # clearing a cell clears the value
    ws.cell(r, C["実績値"]).value = None
    ws.cell(r, C["状況"]).value = None
    response = upload(client, plan, to_bytes(wb))
    assert "（空にする）" in response.content.decode()
    client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": response.context["sha"]})
    report = ProgressReport.objects.get()
    assert report.status is None and report.actuals.get().value is None and report.version == 2
    assert report.results == "=先頭がイコールの文"


# --------------------------------------------------------------------------- refusals


def _cell(key, value, node="a", indicator="count"):
    def edit(ws, wb, setup):
        ws.cell(row_of(ws, setup[node], setup[indicator] if indicator else None), C[key]).value = value
        return row_of(ws, setup[node], setup[indicator] if indicator else None)

    return edit


def _rename(ws, wb, setup):
    ws.cell(2, C["実績値"]).value = "実績"


def _delete_column(ws, wb, setup):
    ws.delete_cols(C["指標"])


def _extra_sheet(ws, wb, setup):
    wb.create_sheet("メモ")["A1"] = "覚え書き"


def _merge(ws, wb, setup):
    r = row_of(ws, setup["a"], setup["count"])
    ws.merge_cells(start_row=r, start_column=C["実施内容"], end_row=r, end_column=C["成果"])
    return r


def _second_row_status(ws, wb, setup):
    r = row_of(ws, setup["a"], setup["ratio"])
    ws.cell(r, C["状況"]).value = "順調"
    return r


def _duplicate(ws, wb, setup):
    source = row_of(ws, setup["a"], setup["ratio"])
    target = ws.max_row + 1
    for c in range(1, 16):
        ws.cell(target, c).value = ws.cell(source, c).value
    return source, target


def _unknown_item(ws, wb, setup):
    r = row_of(ws, setup["a"], setup["count"])
    ws.cell(r, C["項目ID"]).value = 999999
    return r


def _unknown_indicator(ws, wb, setup):
    r = row_of(ws, setup["a"], setup["count"])
    ws.cell(r, C["指標ID"]).value = setup["held"].pk  # an indicator of another item
    return r


def _blank_id(ws, wb, setup):
    r = row_of(ws, setup["a"], setup["count"])
    ws.cell(r, C["項目ID"]).value = None
    ws.cell(r, C["実績値"]).value = 5
    return r


def _bad_version(ws, wb, setup):
    r = row_of(ws, setup["a"], setup["count"])
    ws.cell(r, C["版"]).value = "二"
    return r


BAD_CELLS = [
    # (edit, expected message with %(row)s, column letter)
    (
        _cell("実績値", "たくさん"),
        "「進捗報告」シート %(row)s行目 J列（実績値）: 「参加者数」の実績値は数字で入力してください。",
    ),
    (
        _cell("実績値", -3),
        "「進捗報告」シート %(row)s行目 J列（実績値）: 「参加者数」の実績値にマイナスは入力できません。",
    ),
    (
        _cell("実績値", 120, indicator="ratio"),
        "「進捗報告」シート %(row)s行目 J列（実績値）: 「満足度」は割合（％）です。0〜100 で入力してください。",
    ),
    (
        _cell("実績値", "たぶん", node="b", indicator="held"),
        "「進捗報告」シート %(row)s行目 J列（実績値）: 「研修の開催」は「実施」か「未実施」で入力してください。",
    ),
    (
        _cell("状況", "絶好調"),
        "「進捗報告」シート %(row)s行目 K列（状況）: 状況「絶好調」はこの社協の状況にありません。"
        "一覧（未着手・遅れ・やや遅れ・順調・完了）から選んでください。",
    ),
    (
        _cell("実績値", "=1+2"),
        "「進捗報告」シート %(row)s行目 J列（実績値）: 数式は読み込めません。計算した結果の値を入力してください"
        "（数式のセルをコピーして「値の貼り付け」をします）。",
    ),
    (_cell("実施内容", "=SUM(A1:A3)"), "「進捗報告」シート %(row)s行目 L列（実施内容）: 数式は読み込めません。"),
    (
        _cell("実績値", "#DIV/0!"),
        "「進捗報告」シート %(row)s行目 J列（実績値）: エラー値（#DIV/0!）が入っています。値を入力し直してください。",
    ),
    (
        _merge,
        "「進捗報告」シート %(row)s行目 L列（実施内容）: "
        "セルが結合されています（L%(row)s:M%(row)s）。セルの結合を解除してください。",
    ),
    (
        _unknown_item,
        "「進捗報告」シート %(row)s行目 A列（項目ID）: 項目ID「999999」はこの計画にありません。"
        "行を追加せず、ダウンロードしたファイルに入力してください。",
    ),
    (
        _unknown_indicator,
        "「進捗報告」シート %(row)s行目 E列（指標ID）: 指標ID「%(held)s」は「%(a)s」の指標ではありません"
        "（削除されたか、IDが変わっています）。ダウンロードし直してください。",
    ),
    (
        _second_row_status,
        "「進捗報告」シート %(row)s行目 K列（状況）: 状況は各項目の最初の行（版のある行）だけに入力してください。"
        "この行の状況は読み込みません。",
    ),
    (
        _blank_id,
        "「進捗報告」シート %(row)s行目 A列（項目ID）: 項目IDが空です。項目ID・指標ID・版の欄は変えないでください。",
    ),
    (
        _bad_version,
        "「進捗報告」シート %(row)s行目 O列（版）: "
        "版「二」が正しくありません。項目ID・指標ID・版の欄は変えないでください。",
    ),
    (
        _cell("実績値", 3, indicator=None, node="c"),
        "「進捗報告」シート %(row)s行目 J列（実績値）: 指標のない行に実績値は入力できません。",
    ),
]


@pytest.mark.parametrize("edit, expected", BAD_CELLS)
def test_bad_cells_are_named_and_nothing_is_saved(client, users, plan, setup, edit, expected):
    setup["c"] = leaves(plan)[2]
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    # a good change elsewhere, which must not be saved either
    ws.cell(row_of(ws, setup["b"], setup["held"]), C["状況"]).value = "完了"
    row = edit(ws, wb, setup)
    before = saved_state()
    found = problems(upload(client, plan, to_bytes(wb)))
    message = expected % {"row": row, "held": setup["held"].pk, "a": setup["a"].label}
    assert any(p.startswith(message) for p in found), found
    assert saved_state() == before
    assert pending.session_key("progress_workbook") not in client.session


def test_at_most_fifty_problems_are_listed(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    for i in range(60):
        ws.append([999000 + i])
    found = problems(upload(client, plan, to_bytes(wb)))
    assert len(found) == 51 and found[-1] == "ほかにも 10 件の問題があります（全部で 60 件）。"
    assert found[0].endswith(
        "項目ID「999000」はこの計画にありません。行を追加せず、ダウンロードしたファイルに入力してください。"
    )


def test_duplicate_row(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    source, target = _duplicate(wb[SHEET], wb, setup)
    assert problems(upload(client, plan, to_bytes(wb))) == [
        f"「進捗報告」シート {target}行目 A列（項目ID）: "
        f"同じ項目・指標の行が2つあります（{source}行目と同じ）。片方を削除してください。"
    ]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            _rename,
            "「進捗報告」シート 2行目 J列（実績値）: 見出しが「実績値」ではなく「実績」になっています。"
            "列の名前や順番を変えないでください（列を追加・削除したときは、ダウンロードし直してください）。",
        ),
        (_delete_column, "「進捗報告」シート 2行目 F列（指標）: 見出しが「指標」ではなく「種類」になっています。"),
        (
            _extra_sheet,
            "「メモ」シートは読み込めません。シートを追加せず、「進捗報告」シートだけに入力してください（追加したシートは削除してください）。",
        ),
    ],
)
def test_changed_layout_is_refused(client, users, plan, setup, edit, expected):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    ws.cell(row_of(ws, setup["a"], setup["count"]), C["実績値"]).value = 10
    edit(ws, wb, setup)
    before = saved_state()
    found = problems(upload(client, plan, to_bytes(wb)))
    assert any(p.startswith(expected) for p in found), found
    assert saved_state() == before


def test_renamed_sheet_is_refused(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    wb[SHEET].title = "Sheet1"
    assert problems(upload(client, plan, to_bytes(wb))) == [
        "「進捗報告」シートが見つかりません。シートの名前を変えずに保存してください。"
    ]


def _chart_sheet_named(wb, name):
    """Replace sheet ``name`` with a chart sheet of the same name (as Excel lets one do)."""
    from openpyxl.chart import BarChart, Reference

    source = wb[SHEET] if name != SHEET else wb.create_sheet("data")
    del wb[name]
    chart = BarChart()
    chart.add_data(Reference(source, min_col=1, max_col=2, min_row=1))
    wb.create_chartsheet(name).add_chart(chart)


def test_chart_sheet_in_place_of_the_sheet_is_refused_not_a_500(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    _chart_sheet_named(wb, SHEET)
    assert problems(upload(client, plan, to_bytes(wb))) == [
        "「進捗報告」シートが見つかりません。シートの名前を変えずに保存してください。"
    ]


def test_chart_sheet_in_place_of_the_hidden_sheet_is_refused_not_a_500(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    _chart_sheet_named(wb, "_sasaeai")
    assert problems(upload(client, plan, to_bytes(wb))) == [NOT_OURS]


NOT_XLSX = "Excel ファイル（.xlsx）ではありません。ダウンロードした Excel ファイルを選んでください。"
CSV = (
    "CSV ではなく、ダウンロードした Excel ファイル（.xlsx）をそのまま選んでください。"
    "Excel で CSV として保存し直したファイルは読み込めません。"
)
CORRUPT = "ファイルが壊れているため読み込めません。Excel で開けるか確かめてから、もう一度保存してください。"
NOT_OURS = (
    "このファイルは、この画面からダウンロードした進捗報告の Excel ファイルではありません"
    "（確認用の情報が見つからないか、変更されています）。この画面からダウンロードしたファイルに入力してください。"
)


def _zip(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def _foreign_workbook():
    wb = openpyxl.Workbook()
    wb.active.title = SHEET
    wb.active.append(["進捗報告"])
    wb.active.append(HEADERS)
    return to_bytes(wb)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("進捗.csv", "項目ID,実績値\r\n1,80\r\n".encode("utf-8-sig"), CSV),
        ("進捗.csv", "項目ID,実績値,状況\r\n1,80,順調\r\n".encode("shift_jis"), CSV),
        ("進捗.xlsx", "項目ID,実績値,状況\r\n1,80,順調\r\n".encode("shift_jis"), CSV),
        (
            "進捗.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "古い形式の Excel ファイル（.xls）や、パスワード付きのファイルは読み込めません。"
            "ダウンロードした Excel ファイル（.xlsx）に入力し、パスワードを付けずに保存してください。",
        ),
        ("写真.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), NOT_XLSX),
        ("空.xlsx", b"", None),
        ("壊れた.xlsx", b"PK\x03\x04" + b"\x14\x00" * 100, CORRUPT),
        ("zip.xlsx", _zip({"readme.txt": "hello"}), NOT_XLSX),
        ("よその.xlsx", _foreign_workbook(), NOT_OURS),
        (
            "爆弾.xlsx",
            _zip({"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>", "xl/big.bin": b"\0" * (70 * 1024 * 1024)}),
            "ファイルの中身が大きすぎるため読み込めません。"
            "ダウンロードした Excel ファイルに入力したものを選んでください。",
        ),
        (
            "実体.xlsx",
            _zip(
                {
                    "[Content_Types].xml": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
                    "xl/workbook.xml": "<x/>",
                }
            ),
            CORRUPT,
        ),
        (
            "大きい.xlsx",
            b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024),
            "ファイルが大きすぎます（5 MB まで）。ダウンロードした Excel ファイルに入力したものを選んでください。",
        ),
    ],
)
def test_files_that_are_not_our_workbook(client, users, plan, setup, name, content, expected):
    client.force_login(users["editor"])
    response = upload(client, plan, content, name=name)
    if expected is None:  # an empty upload is refused by the form itself
        assert response.context["form"].errors["file"] and not ProgressReport.objects.exists()
        return
    assert problems(response) == [expected]
    assert not ProgressReport.objects.exists()


def test_tampered_signature_other_plan_and_other_period(client, users, plan, setup, councils):
    client.force_login(users["editor"])
    content = download(client, plan)
    wb = book(content)
    wb["_sasaeai"]["B2"] = str(plan.pk + 1)  # the plan id, without a matching signature
    assert problems(upload(client, plan, to_bytes(wb))) == [NOT_OURS]
    other = create_plan(council=councils["a"], nodes=3, issues=0, title="別の計画")
    assert problems(upload(client, other, content)) == [
        "このファイルは別の計画のものです。この計画の画面からダウンロードしたファイルを選んでください。"
    ]
    # half-yearly reports: a first-half workbook is not the second half's
    services.schedule_update(plan=plan, by=None, frequency="half", due_days=30, grace_days=14)
    first_half = download(client, plan, year=2026, period=1)
    assert problems(upload(client, plan, first_half, period=2)) == [
        "このファイルは令和8年度上半期の報告用です。選んだ期間（令和8年度下半期）と違うため、読み込んでいません。"
        "期間を選び直すか、令和8年度下半期のファイルをダウンロードしてください。"
    ]
    assert problems(upload(client, plan, download(client, plan, year=2027, period=1), period=1)) == [
        "このファイルは令和9年度上半期の報告用です。選んだ期間（令和8年度上半期）と違うため、読み込んでいません。"
        "期間を選び直すか、令和8年度上半期のファイルをダウンロードしてください。"
    ]
    assert not ProgressReport.objects.exists()


def test_too_many_rows(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    for i in range(excel.MAX_ROWS + 1 - (ws.max_row - 2)):
        ws.append([setup["a"].pk, None, None, f"行{i}"])
    assert problems(upload(client, plan, to_bytes(wb))) == [
        "「進捗報告」シートの行が多すぎます（5,000 行まで）。ファイルを分けてください。"
    ]


def test_report_changed_by_someone_else_since_download(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    r = row_of(ws, setup["a"], setup["count"])
    ws.cell(r, C["実績値"]).value = 80
    # someone else saves a (touched here) and b (untouched here) meanwhile: only a is a conflict
    services.report_save(node=setup["a"], fiscal_year=2026, period=1, by=users["admin"], actuals={setup["count"]: 50})
    services.report_save(node=setup["b"], fiscal_year=2026, period=1, by=users["admin"], problems="先に保存")
    before = saved_state()
    assert problems(upload(client, plan, to_bytes(wb))) == [
        f"「進捗報告」シート {r}行目 O列（版）: "
        f"「{setup['a'].label}」の報告は、ダウンロードした後にほかの人が更新しました。"
        "最新の内容をダウンロードし直して、もう一度入力してください。"
    ]
    assert saved_state() == before


def test_items_updated_by_others_but_untouched_here_are_left_alone(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    ws.cell(row_of(ws, setup["a"], setup["count"]), C["実績値"]).value = 80
    services.report_save(
        node=setup["b"],
        fiscal_year=2026,
        period=1,
        by=users["admin"],
        problems="先に保存",
        actuals={setup["held"]: "実施"},
    )
    response = upload(client, plan, to_bytes(wb))
    assert [item.node for item in response.context["parsed"].items] == [setup["a"]]
    client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": response.context["sha"]})
    report_b = ProgressReport.objects.get(node=setup["b"])
    assert report_b.problems == "先に保存" and report_b.version == 1 and report_b.actuals.get().value == D(1)
    assert ProgressReport.objects.get(node=setup["a"]).actuals.get().value == D(80)


def test_percent_formatted_cell_and_full_width_digits(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    ratio = ws.cell(row_of(ws, setup["a"], setup["ratio"]), C["実績値"])
    ratio.value, ratio.number_format = 0.8, "0%"  # typed as 80% in Excel
    ws.cell(row_of(ws, setup["a"], setup["count"]), C["実績値"]).value = "１，２００"
    response = upload(client, plan, to_bytes(wb))
    client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": response.context["sha"]})
    values = {a.indicator_id: a.value for a in IndicatorActual.objects.all()}
    assert values == {setup["ratio"].pk: D(80), setup["count"].pk: D(1200)}


def test_download_name_and_a_group_without_items(client, users, plan, setup):
    client.force_login(users["editor"])
    response = client.get(reverse("excel:download", args=[plan.pk]), {"year": 2026, "period": 1})
    assert response["Content-Type"] == excel.CONTENT_TYPE
    assert "filename*=utf-8''" in response["Content-Disposition"] and response["Cache-Control"] == "no-store"
    assert client.get(reverse("excel:download", args=[plan.pk]), {"year": 2040, "period": 1}).status_code == 404
    assert client.get(reverse("excel:download", args=[plan.pk]), {"year": 2026, "period": 3}).status_code == 404
    assert (
        client.get(reverse("excel:download", args=[plan.pk]), {"year": 2026, "period": 1, "group": 999}).status_code
        == 404
    )
    empty = WorkingGroup.objects.create(plan=plan, name="空の部会")
    wb = book(download(client, plan, group=empty.pk))
    assert wb[SHEET].max_row == 2
    response = upload(client, plan, to_bytes(wb))
    assert not problems(response) and "違うところはありませんでした" in response.content.decode()
    empty.delete()
    assert problems(upload(client, plan, to_bytes(wb))) == [
        "このファイルのワーキンググループは削除されています。ダウンロードし直してください。"
    ]


def test_changed_between_preview_and_confirm(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    ws.cell(row_of(ws, setup["a"], setup["count"]), C["実績値"]).value = 80
    ws.cell(row_of(ws, setup["b"], setup["held"]), C["状況"]).value = "順調"
    response = upload(client, plan, to_bytes(wb))
    assert len(response.context["parsed"].items) == 2
    services.report_save(node=setup["b"], fiscal_year=2026, period=1, by=users["admin"], done_text="先に保存")
    before = saved_state()
    response = client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": response.context["sha"]})
    assert any("ほかの人が更新しました" in p for p in problems(response))
    assert saved_state() == before  # not even item a


def test_confirm_needs_the_matching_sha(client, users, plan, setup):
    client.force_login(users["editor"])
    wb = book(download(client, plan))
    ws = wb[SHEET]
    ws.cell(row_of(ws, setup["a"], setup["count"]), C["実績値"]).value = 80
    upload(client, plan, to_bytes(wb))
    response = client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": "0" * 64}, follow=True)
    assert "確認中の一括入力が見つかりません" in response.content.decode()
    assert not ProgressReport.objects.exists()


# --------------------------------------------------------------------------- who may


def test_viewers_and_other_councils_get_404(client, users, plan, setup):
    for who in ("viewer", "outsider"):
        client.force_login(users[who])
        assert client.get(reverse("excel:plan", args=[plan.pk])).status_code == 404
        download(client, plan, expect=404)
        assert upload(client, plan, b"x").status_code == 404
    client.logout()
    assert client.get(reverse("excel:plan", args=[plan.pk])).status_code == 302


def test_leader_uses_only_their_group(client, users, plan, setup, make_user, councils):
    leader = make_user("leader_a", "leader", councils["a"])
    a, b = setup["a"], setup["b"]
    group = WorkingGroup.objects.create(plan=plan, name="広報部会", leader=leader)
    branch = plan.nodes.filter(parent__isnull=False, children__isnull=False).order_by("pk").first()
    group.nodes.add(a, branch)  # a, and branch with everything below it
    other = WorkingGroup.objects.create(plan=plan, name="よその部会")
    other.nodes.add(b)
    in_group = {a.pk, branch.pk} | set(branch.children.values_list("pk", flat=True))
    assert len(in_group) > 3 and b.pk not in in_group

    client.force_login(leader)
    html = client.get(reverse("excel:plan", args=[plan.pk])).content.decode()
    assert "広報部会の項目" in html and "よその部会" not in html and "計画全体" not in html
    download(client, plan, expect=404)  # the plan workbook
    download(client, plan, expect=404, group=other.pk)
    wb = book(download(client, plan, group=group.pk))
    ws = wb[SHEET]
    assert {ws.cell(r, 1).value for r in range(3, ws.max_row + 1)} == in_group
    ws.cell(row_of(ws, a, setup["count"]), C["実績値"]).value = 12
    # a row copied in from someone else's item is refused
    r = ws.max_row + 1
    ws.cell(r, C["項目ID"]).value, ws.cell(r, C["指標ID"]).value = b.pk, setup["held"].pk
    ws.cell(r, C["実績値"]).value = "実施"
    assert problems(upload(client, plan, to_bytes(wb))) == [
        f"「進捗報告」シート {r}行目 A列（項目ID）: 「{b.label}」の進捗を報告する権限がありません。"
    ]
    ws.delete_rows(r)
    response = upload(client, plan, to_bytes(wb))
    client.post(reverse("excel:confirm", args=[plan.pk]), {"sha": response.context["sha"]})
    assert IndicatorActual.objects.get().value == D(12)
    assert AuditEntry.objects.get(action="report.create").actor == leader

    # the plan workbook, downloaded by an editor, is not the leader's to upload
    client.force_login(users["editor"])
    plan_book = download(client, plan)
    group_book = book(download(client, plan, group=group.pk))
    client.force_login(leader)
    assert problems(upload(client, plan, plan_book)) == [
        "このファイルを読み込む権限がありません。計画全体のファイルは進捗を報告する権限のある方が、"
        "ワーキンググループのファイルはそのグループのリーダー・サブリーダーが読み込めます。"
    ]
    # an editor may use a group workbook, but only for the group's items
    client.force_login(users["editor"])
    ws = group_book[SHEET]
    r = ws.max_row + 1
    ws.cell(r, C["項目ID"]).value, ws.cell(r, C["版"]).value, ws.cell(r, C["状況"]).value = b.pk, 0, "順調"
    assert problems(upload(client, plan, to_bytes(group_book))) == [
        f"「進捗報告」シート {r}行目 A列（項目ID）: 「{b.label}」はワーキンググループ「広報部会」の担当ではありません。"
    ]


# --------------------------------------------------------------------------- speed and queries


def _fill(content, setup_rows=None):
    wb = book(content)
    ws = wb[SHEET]
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, C["指標ID"]).value:
            ws.cell(r, C["実績値"]).value = r
        if ws.cell(r, C["版"]).value is not None:
            ws.cell(r, C["状況"]).value = "順調"
            ws.cell(r, C["実施内容"]).value = f"{r}行目の実施内容"
    return to_bytes(wb)


def _plan_with_indicators(council, nodes):
    plan = create_plan(council=council, nodes=nodes, issues=0, title=f"{nodes}項目の計画")
    for node in plan.nodes.filter(children__isnull=True)[: nodes // 2]:
        services.indicator_create(node=node, by=None, name="指標", unit="人", targets={2026: 10})
    return plan


def test_preview_query_count_does_not_grow_with_rows(client, users, councils):
    counts = []
    for size in (10, 300):
        plan = _plan_with_indicators(councils["a"], size)
        client.force_login(users["editor"])
        content = _fill(download(client, plan))
        with CaptureQueriesContext(connection) as ctx:
            response = upload(client, plan, content)
        assert response.status_code == 200 and len(response.context["parsed"].items) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_thousand_rows_round_trip(users, councils):
    """Speed is measured by `make bench`; here: 1,000 rows all come back and apply."""
    plan = create_plan(council=councils["a"], nodes=1000, issues=0, title="千項目の計画")
    services.statuses_for(plan.council)
    content = excel.build(plan=plan, fiscal_year=2026, period=1)
    parsed = excel.parse(_fill(content), filename="x.xlsx", plan=plan, user=users["editor"], fiscal_year=2026, period=1)
    assert parsed.row_count == 1000 and len(parsed.items) == 1000
    assert excel.apply(parsed, by=users["editor"]) == 1000
