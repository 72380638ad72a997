"""The import pipeline shared by plan files, progress workbooks and survey responses: each importer
refuses the same hostile files with the same kind of Japanese refusal, fast, and saves nothing."""

import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sasaeai.core.imports import ImportRefused, Problem, pending
from sasaeai.core.imports.guard import ZipRefused, check_zip
from sasaeai.core.imports.problems import column_name
from sasaeai.core.imports.sniff import sniff
from sasaeai.core.imports.text import decode
from sasaeai.participation.models import Response
from sasaeai.participation.services import surveys
from sasaeai.participation.surveys_import import SurveyResponseImporter
from sasaeai.plans.models import Plan
from sasaeai.plans.services import PlanFileImporter
from sasaeai.progress.excel import ProgressWorkbookImporter
from sasaeai.progress.models import IndicatorActual, ProgressReport

JAPANESE = re.compile(r"[ぁ-んァ-ヶ一-龥]")
MB = 1024 * 1024


# --------------------------------------------------------------------------- hostile files


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.worksheets[0]
    sheet.append(["回答者番号", "Q1"])
    sheet.append([1, 1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace_member(raw: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = content if info.filename == name else source.read(info)
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _inflated_sheet() -> bytes:
    """A real workbook whose sheet inflates to about 55 MB (the file is a few hundred KB)."""
    head = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    row = b'<row><c t="inlineStr"><is><t>a</t></is></c></row>'
    body = head + row * (55 * MB // len(row)) + b"</sheetData></worksheet>"
    return _replace_member(_workbook(), "xl/worksheets/sheet1.xml", body)


def _zip_bomb() -> bytes:
    """The parts of an xlsx, and members of zeros that inflate to 300 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zero = b"\0" * MB
        for i in range(3):
            with zf.open(f"xl/media/bomb{i}.bin", "w", force_zip64=True) as handle:
                for _ in range(100):
                    handle.write(zero)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
SHIFT_JIS = "format: sasaeai-plan/1\ncouncil: テスト市社会福祉協議会\n回答者番号,年代\n1,1\n".encode("shift_jis")


@pytest.fixture(scope="session")
def hostile():
    workbook = _workbook()
    return {
        "zip_bomb": _zip_bomb(),
        "inflated_sheet": _inflated_sheet(),
        "wrong_magic": PNG,
        "shift_jis": SHIFT_JIS,
        "truncated": workbook[: len(workbook) // 2],
    }


NAMES = {"plan": "計画.yaml", "progress": "進捗報告.xlsx", "survey": "回答.csv"}

# What each importer says about each file (the start of its one problem).
EXPECTED = {
    ("plan", "zip_bomb"): "テキストファイルではありません",
    ("plan", "inflated_sheet"): "テキストファイルではありません",
    ("plan", "wrong_magic"): "テキストファイルではありません",
    ("plan", "shift_jis"): "文字コードが Shift_JIS のようです",
    ("plan", "truncated"): "テキストファイルではありません",
    ("progress", "zip_bomb"): "ファイルの中身が大きすぎるため読み込めません",
    ("progress", "inflated_sheet"): "ファイルの中身が大きすぎるため読み込めません",
    ("progress", "wrong_magic"): "Excel ファイル（.xlsx）ではありません",
    ("progress", "shift_jis"): "CSV ではなく、ダウンロードした Excel ファイル",
    ("progress", "truncated"): "ファイルが壊れているため読み込めません",
    ("survey", "zip_bomb"): "Excel ファイルの中身が大きすぎるため読み込めません",
    ("survey", "inflated_sheet"): "Excel ファイルの中身が大きすぎるため読み込めません",
    ("survey", "wrong_magic"): "CSV ファイルでも Excel ファイル（.xlsx）でもありません",
    ("survey", "shift_jis"): "回答者番号の列がありません",
    ("survey", "truncated"): "Excel ファイル（.xlsx）が壊れているため読み込めません",
}


@pytest.fixture
def questionnaire(small_plan, users):
    q = surveys.questionnaire_create(plan=small_plan, by=users["admin"], title="住民アンケート")
    surveys.question_save(
        questionnaire=q,
        by=users["admin"],
        code="Q1",
        text="参加したいですか",
        kind="single",
        choices=[("1", "はい"), ("2", "いいえ")],
    )
    q.refresh_from_db()
    return q


@pytest.fixture
def importers(councils, small_plan, users, questionnaire):
    return {
        "plan": PlanFileImporter(council=councils["a"]),
        "progress": ProgressWorkbookImporter(plan=small_plan, user=users["admin"], fiscal_year=2026, period=1),
        "survey": SurveyResponseImporter(questionnaire=questionnaire),
    }


def saved():
    return (
        Plan.objects.count(),
        ProgressReport.objects.count(),
        IndicatorActual.objects.count(),
        Response.objects.count(),
    )


@pytest.mark.parametrize("name", ["zip_bomb", "inflated_sheet", "wrong_magic", "shift_jis", "truncated"])
@pytest.mark.parametrize("which", ["plan", "progress", "survey"])
def test_each_importer_refuses_each_hostile_file_the_same_way_and_fast(importers, hostile, which, name):
    before = saved()
    started = time.perf_counter()
    with pytest.raises(ImportRefused) as info:
        importers[which].check(hostile[name], NAMES[which])
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{which}/{name} took {elapsed:.2f} s"
    problems = info.value.problems
    assert problems and all(isinstance(p, Problem) for p in problems)
    assert all(JAPANESE.search(message) for message in info.value.messages())
    assert problems[0].message.startswith(EXPECTED[(which, name)]), problems[0].message
    assert saved() == before


def test_the_inflated_sheet_is_small_on_disk_but_huge_inside(hostile):
    raw = hostile["inflated_sheet"]
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        inflated = sum(i.file_size for i in zf.infolist())
    assert len(raw) < 400 * 1024 and inflated > 50 * MB


def _upload(client, which, plan, questionnaire, council, content):
    upload = SimpleUploadedFile(NAMES[which], content)
    if which == "plan":
        return client.post(reverse("plans:import", args=[council.pk]), {"file": upload})
    if which == "progress":
        return client.post(reverse("excel:upload", args=[plan.pk]), {"file": upload, "year": 2026, "period": 1})
    return client.post(reverse("surveys:import", args=[plan.pk, questionnaire.pk]), {"file": upload, "mode": "append"})


@pytest.mark.parametrize("name", ["zip_bomb", "inflated_sheet", "wrong_magic", "shift_jis", "truncated"])
@pytest.mark.parametrize("which", ["plan", "progress", "survey"])
def test_each_upload_page_shows_the_refusal_and_saves_nothing(
    client, users, councils, small_plan, questionnaire, hostile, which, name
):
    client.force_login(users["admin"])
    before = saved()
    response = _upload(client, which, small_plan, questionnaire, councils["a"], hostile[name])
    assert response.status_code == 200
    assert EXPECTED[(which, name)] in response.content.decode()
    assert saved() == before
    assert not any(key.startswith("sasaeai_pending_import_") for key, _value in client.session.items())


# --------------------------------------------------------------------------- the steps


@pytest.mark.parametrize(
    "raw, kind",
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \r\n", "empty"),
        (b"PK\x03\x04rest", "zip"),
        (b"\xd0\xcf\x11\xe0rest", "ole"),
        (b"\xff\xfea\x00", "utf16"),
        (PNG, "binary"),
        (b"%PDF-1.7", "binary"),
        (b"a,b\n1,\x002\n", "binary"),
        ("回答者番号,Q1\n".encode(), "text"),
        (SHIFT_JIS, "text"),
        (b"BMI,ID3,MZ\n1,2,3\n", "text"),
    ],
)
def test_sniff_reads_the_first_bytes_not_the_name(raw, kind):
    assert sniff(raw) == kind


def test_the_zip_guard_refuses_by_declared_size_before_inflating(hostile):
    started = time.perf_counter()
    with pytest.raises(ZipRefused) as info:
        check_zip(hostile["zip_bomb"], max_entries=100, max_inflated=60 * MB)
    assert info.value.reason == "zip_too_large" and time.perf_counter() - started < 0.1


def test_the_zip_guard_refuses_a_member_whose_declared_size_lies():
    body = b"<row/>" * (4 * MB)
    raw = bytearray(_replace_member(_workbook(), "xl/worksheets/sheet1.xml", body))
    # Declare the sheet as 100 bytes in the central directory: the guard must not trust it.
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = raw.rfind(b"PK\x01\x02", 0, raw.find(b"PK\x05\x06"))
    while raw[start + 46 : start + 46 + len(info.filename)] != info.filename.encode():
        start = raw.rfind(b"PK\x01\x02", 0, start)
    raw[start + 24 : start + 28] = (100).to_bytes(4, "little")
    with pytest.raises(ZipRefused) as refused:
        check_zip(bytes(raw), max_entries=100, max_inflated=60 * MB)
    assert refused.value.reason == "zip_corrupt"


def test_the_zip_guard_counts_sheet_rows_and_finds_dtds_across_chunks():
    rows = b"".join(b'<row r="%d"><c><v>%d</v></c></row>' % (i, i) for i in range(1, 20_001))
    sheet = b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>"
    raw = _replace_member(_workbook(), "xl/worksheets/sheet1.xml", sheet)
    assert check_zip(raw, max_entries=100, max_inflated=60 * MB).most_rows == 20_000
    padding = b" " * (64 * 1024 - 5)  # the declaration straddles the first chunk's end
    styles = b"<?xml version='1.0'?>" + padding + b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"
    raw = _replace_member(_workbook(), "xl/styles.xml", styles)
    with pytest.raises(ZipRefused) as info:
        check_zip(raw, max_entries=100, max_inflated=60 * MB)
    assert info.value.reason == "zip_corrupt"


def test_decode_names_the_encoding_and_the_line():
    assert decode("回答".encode("cp932")) == ("回答", "Shift_JIS（cp932）")
    assert decode(b"\xef\xbb\xbfa") == ("a", "UTF-8（BOM付き）")
    mixed = "一行目\n".encode() + "二行目\n".encode("cp932")
    with pytest.raises(ImportRefused) as info:
        decode(mixed)
    assert info.value.problems[0].row == 2 and "混ざっています" in info.value.messages()[0]
    with pytest.raises(ImportRefused) as info:
        decode("計画".encode("cp932"), shift_jis=False, utf8_only_advice="UTF-8 で保存してください。")
    assert info.value.messages() == ["1行目: 文字コードが Shift_JIS のようです。UTF-8 で保存してください。"]
    with pytest.raises(ImportRefused) as info:
        decode(b"a\n\x81\xff\n")
    assert "2行目が UTF-8 でも Shift_JIS でもありません" in info.value.messages()[0]


def test_one_problem_type_names_file_sheet_row_column_and_field():
    assert str(Problem("値が正しくありません。", row=3, column=10, field="実績値", sheet="進捗報告")) == (
        "「進捗報告」シート 3行目 J列（実績値）: 値が正しくありません。"
    )
    assert str(Problem("必須です。", row=12, field="plans[1].title（名称）", file="a.yaml")) == (
        "a.yaml 12行目 plans[1].title（名称）: 必須です。"
    )
    assert str(Problem("空です。", row=1_234, column=2)) == "1,234行目 B列: 空です。"
    assert str(Problem("ファイルが空です。")) == "ファイルが空です。"
    assert column_name(18_278) == "ZZZ" and column_name(18_279) == "18,279番目の"


# --------------------------------------------------------------------------- waiting uploads


def _request(rf, user, session):
    request = rf.post("/")
    request.user = user
    request.session = session
    return request


@pytest.fixture
def session():
    from django.contrib.sessions.backends.db import SessionStore

    return SessionStore()


def test_a_pending_upload_is_kept_once_for_its_user_council_and_kind(rf, users, councils, session):
    request = _request(rf, users["admin"], session)
    saved_upload = pending.save(
        request, kind="plan_file", council_id=councils["a"].pk, raw=b"data", filename="a.yaml", extra={"mode": "append"}
    )
    token = session[pending.session_key("plan_file")]
    assert token == saved_upload.token and set(session.keys()) == {pending.session_key("plan_file")}
    taken = pending.take(request, kind="plan_file", council_id=councils["a"].pk, sha=saved_upload.sha)
    assert taken is not None and taken.raw == b"data" and taken.filename == "a.yaml"
    assert taken.extra == {"mode": "append"}
    assert pending.take(request, kind="plan_file", council_id=councils["a"].pk, sha=saved_upload.sha) is None


@pytest.mark.parametrize("change", ["user", "council", "kind", "sha", "expired"])
def test_a_pending_upload_is_refused_to_anyone_else(rf, users, councils, session, settings, change):
    request = _request(rf, users["admin"], session)
    upload = pending.save(request, kind="plan_file", council_id=councils["a"].pk, raw=b"data", filename="a.yaml")
    kind, council, sha = "plan_file", councils["a"].pk, upload.sha
    if change == "user":
        request.user = users["editor"]
    elif change == "council":
        council = councils["b"].pk
    elif change == "kind":
        session[pending.session_key("survey_responses")] = upload.token
        kind = "survey_responses"
    elif change == "sha":
        sha = "0" * 64
    else:
        settings.SASAEAI_IMPORT_PENDING_SECONDS = -1
    assert pending.take(request, kind=kind, council_id=council, sha=sha) is None
    # and the file is gone: it cannot be taken afterwards either
    session[pending.session_key("plan_file")] = upload.token
    request.user = users["admin"]
    assert pending.take(request, kind="plan_file", council_id=councils["a"].pk, sha=upload.sha) is None


def test_old_pending_uploads_are_purged(rf, users, councils, session, settings):
    request = _request(rf, users["admin"], session)
    from django.core.files.storage import default_storage

    upload = pending.save(request, kind="plan_file", council_id=councils["a"].pk, raw=b"data", filename="a.yaml")
    names = {f"{upload.token}.upload", f"{upload.token}.json"}
    settings.SASAEAI_IMPORT_PENDING_SECONDS = 3600
    assert pending.purge_expired() == 0 and names <= set(default_storage.listdir(pending.DIRECTORY)[1])
    settings.SASAEAI_IMPORT_PENDING_SECONDS = -1
    assert pending.purge_expired() >= 2  # the file and its record
    assert not names & set(default_storage.listdir(pending.DIRECTORY)[1])
