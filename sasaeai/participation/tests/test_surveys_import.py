"""Importing responses from CSV and Excel: good files, and every kind of bad file (each error names the
row and the column in Japanese, and nothing is imported)."""

import io

import pytest

from sasaeai.core.models import AuditEntry
from sasaeai.participation import surveys_import
from sasaeai.participation.models import Response, Voice
from sasaeai.participation.services import surveys

from .factories import CSV, import_csv

HEADER = "回答者番号,年代,性別,Q1,Q2,Q3,Q4,Q5\n"


def problems(q, raw, filename="answers.csv", mode="append"):
    """The messages of a refused file; also checks that nothing was imported."""
    before = Response.objects.filter(questionnaire=q).count()
    q.refresh_from_db()
    with pytest.raises(surveys_import.SurveyImportError) as info:
        surveys_import.parse(raw, filename=filename, questionnaire=q, mode=mode)
    assert Response.objects.filter(questionnaire=q).count() == before
    return info.value.messages()


def xlsx(rows):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- good files


def test_a_good_csv_is_imported_with_clean_answers(survey, users):
    assert import_csv(survey, users["admin"]) == 10
    answers = {r.respondent: r.answers for r in Response.objects.filter(questionnaire=survey)}
    assert answers["1"] == {
        "年代": "1",
        "性別": "1",
        "Q1": "1",
        "Q2": ["1", "2"],
        "Q3": 5,
        "Q4": 3,
        "Q5": "バスが少ない",
    }
    assert answers["4"]["Q2"] == ["2", "3"]  # "2、3"
    assert answers["6"]["Q2"] == ["1", "2"]  # "1;2"
    assert answers["9"]["Q2"] == ["1", "3"]  # "1 3"
    assert answers["3"]["Q4"] == 2.5
    assert answers["2"] == {"年代": "1", "性別": "2", "Q1": "2", "Q2": ["1"], "Q3": 4}
    assert "年代" not in answers["10"]
    assert set(Response.objects.values_list("source", flat=True)) == {"import"}
    entry = AuditEntry.objects.get(action="responses.import")
    assert entry.after["imported"] == 10 and entry.plan_id == survey.plan_id
    survey.refresh_from_db()
    assert survey.data_version >= 1


def test_the_preview_counts_rows_and_blanks(survey):
    parsed = surveys_import.parse(CSV.encode(), filename="a.csv", questionnaire=survey)
    assert parsed.count == 10 and parsed.skipped_blank == 0
    blanks = {s.code: (blank, answered) for s, blank, answered in parsed.blanks()}
    assert blanks == {
        "年代": (1, 9),
        "性別": (0, 10),
        "Q1": (1, 9),
        "Q2": (2, 8),
        "Q3": (1, 9),
        "Q4": (3, 7),
        "Q5": (7, 3),
    }
    first = parsed.preview(2)
    assert first[0] == (2, "1", ["1", "1", "1", "1,2", "5", "3", "バスが少ない"])
    assert first[1][0] == 3  # the second data row is line 3 of the file
    assert Response.objects.count() == 0


def test_a_utf8_bom_file_is_accepted(survey, users):
    raw = b"\xef\xbb\xbf" + CSV.encode("utf-8")
    parsed = surveys_import.parse(raw, filename="bom.csv", questionnaire=survey)
    assert parsed.count == 10 and "BOM" in parsed.encoding
    assert parsed.headers[0] == "回答者番号"


def test_a_shift_jis_file_is_accepted(survey, users):
    raw = CSV.encode("cp932")
    parsed = surveys_import.parse(raw, filename="sjis.csv", questionnaire=survey)
    assert parsed.count == 10 and "Shift_JIS" in parsed.encoding
    surveys_import.apply(parsed, by=users["admin"])
    assert Response.objects.get(respondent="4").answers["Q5"] == "見守りがほしい"


def test_codes_are_read_in_full_width_and_as_labels(survey, users):
    text = HEADER + "Ａ１,２０代以下,男性,１,買い物,５,１，２００,\n"
    import_csv(survey, users["admin"], text)
    answers = Response.objects.get(respondent="A1").answers
    assert answers == {"年代": "1", "性別": "1", "Q1": "1", "Q2": ["1"], "Q3": 5, "Q4": 1200}


def test_tab_separated_text_is_read(survey, users):
    text = HEADER.replace(",", "\t") + "1\t1\t2\t1\t1,3\t\t\t\n"
    assert import_csv(survey, users["admin"], text) == 1
    assert Response.objects.get().answers["Q2"] == ["1", "3"]


def test_multiple_choice_as_one_column_per_choice(survey, users):
    text = "ID,年代,性別,Q1,Q2_1,Q2_2,Q2_3,Q3,Q4,Q5\n1,1,1,1,1,0,1,,,\n2,1,1,1,0,0,0,,,\n3,1,1,1,,1,,,,\n"
    parsed = surveys_import.parse(text.encode(), filename="d.csv", questionnaire=survey)
    assert "0/1" in parsed.multiple_format
    surveys_import.apply(parsed, by=users["admin"])
    got = {r.respondent: r.answers.get("Q2") for r in Response.objects.all()}
    assert got == {"1": ["1", "3"], "2": None, "3": ["2"]}


def test_blank_rows_are_skipped_and_counted_and_an_id_alone_is_fine(survey, users):
    text = HEADER + "1,1,1,1,,,,\n,,,,,,,\n\n2,,,,,,,\n , , ,,,,,\n"
    parsed = surveys_import.parse(text.encode(), filename="a.csv", questionnaire=survey)
    assert (parsed.count, parsed.skipped_blank) == (2, 3)
    surveys_import.apply(parsed, by=users["admin"])
    assert Response.objects.get(respondent="2").answers == {}


def test_a_good_xlsx_is_imported(survey, users):
    raw = xlsx(
        [
            ["No", "年代", "性別", "Q1", "Q2", "Q3", "Q4", "Q5"],
            [1, 1, 2, 1, "1,3", 4, 2.5, "見守りを"],
            [2.0, "3", 1, 2, 2, 5.0, 7, None],
            [None] * 8,
            [3, None, None, None, None, None, None, None],
        ]
    )
    parsed = surveys_import.parse(raw, filename="answers.xlsx", questionnaire=survey)
    assert (parsed.count, parsed.skipped_blank) == (3, 1)
    surveys_import.apply(parsed, by=users["admin"])
    answers = {r.respondent: r.answers for r in Response.objects.all()}
    assert answers["1"] == {"年代": "1", "性別": "2", "Q1": "1", "Q2": ["1", "3"], "Q3": 4, "Q4": 2.5, "Q5": "見守りを"}
    assert answers["2"] == {"年代": "3", "性別": "1", "Q1": "2", "Q2": ["2"], "Q3": 5, "Q4": 7}
    assert answers["3"] == {}


# --------------------------------------------------------------------------- bad files


def test_a_missing_column_is_named(survey):
    text = "回答者番号,年代,性別,Q1,Q2,Q4,Q5\n1,1,1,1,1,1,\n"
    messages = problems(survey, text.encode())
    assert messages == ["1行目: 質問の列が足りません: Q3（1行目の見出しに、質問の列名と同じ名前が必要です）。"]


def test_a_renamed_column_is_named_as_missing_and_unknown(survey):
    text = "回答者番号,年代,性別,Q1,Q2,問3,Q4,Q5\n1,1,1,1,1,1,1,\n"
    messages = problems(survey, text.encode())
    assert messages[0] == "1行目: 質問の列が足りません: Q3（1行目の見出しに、質問の列名と同じ名前が必要です）。"
    assert messages[1].startswith("1行目: このアンケートにない列があります: F列「問3」。")


def test_a_missing_respondent_column_is_named(survey):
    text = "年代,性別,Q1,Q2,Q3,Q4,Q5\n1,1,1,1,1,1,\n"
    messages = problems(survey, text.encode())
    assert messages[0].startswith("1行目: 回答者番号の列がありません。")


def test_a_duplicated_header_is_named(survey):
    text = "回答者番号,年代,性別,Q1,Q2,Q3,Q4,Q5,q1\n1,1,1,1,1,1,1,,\n"
    messages = problems(survey, text.encode())
    assert messages == ["1行目 I列: 列名「q1」が2回あります（D列とI列）。"]


def test_an_unknown_choice_code_names_row_and_column(survey):
    text = HEADER + '1,1,1,1,,,,\n2,1,1,9,,,,\n3,1,1,1,"1,4",,,\n'
    messages = problems(survey, text.encode())
    assert messages == [
        "3行目 D列（Q1）: 選択肢にないコード「9」です（使えるコード: 1, 2）。",
        "4行目 E列（Q2）: 選択肢にないコード「4」があります（使えるコード: 1, 2, 3）。",
    ]


def test_an_out_of_scale_value_names_row_and_column(survey):
    text = HEADER + "1,1,1,1,,7,,\n2,1,1,1,,3.5,,\n3,1,1,1,,よい,,\n"
    messages = problems(survey, text.encode())
    assert messages == [
        "2行目 F列（Q3）: 1〜5 の整数で答えてください（「7」は範囲の外です）。",
        "3行目 F列（Q3）: 1〜5 の整数で答えてください（「3.5」は整数ではありません）。",
        "4行目 F列（Q3）: 1〜5 の整数で答えてください（「よい」は数ではありません）。",
    ]


def test_a_non_number_names_row_and_column(survey):
    messages = problems(survey, (HEADER + "1,1,1,1,,,三人,\n").encode())
    assert messages == ["2行目 G列（Q4）: 数で答えてください（「三人」は数ではありません）。"]


def test_too_many_choices_and_too_long_text(survey):
    text = HEADER + '1,1,1,1,"1,2,3",,,' + "あ" * 201 + "\n"
    messages = problems(survey, text.encode())
    assert messages == [
        "2行目 E列（Q2）: 選べるのは 2 つまでです（3 つ選ばれています）。",
        "2行目 H列（Q5）: 200 文字以内で入力してください（今は 201 文字）。",
    ]


def test_duplicate_respondent_ids_name_both_rows(survey):
    text = HEADER + "1,1,1,1,,,,\n2,1,1,1,,,,\n１,1,1,1,,,,\n"
    messages = problems(survey, text.encode())
    assert messages == ["4行目 A列（回答者番号）: 回答者番号「1」が 2行目 と同じです（2行目と4行目）。"]


def test_a_blank_respondent_id_is_named(survey):
    messages = problems(survey, (HEADER + ",1,1,1,,,,\n").encode())
    assert messages == ["2行目 A列（回答者番号）: 回答者番号が空です。"]


def test_values_beyond_the_headers_are_named(survey):
    messages = problems(survey, (HEADER + "1,1,1,1,,,,,余分\n").encode())
    assert messages == ["2行目 I列: 見出しのない列に値があります。"]


def test_mixed_encodings_are_refused_naming_the_line(survey):
    raw = (HEADER + "1,1,1,1,,,,バスが少ない\n").encode("utf-8") + "2,1,1,1,,,,見守り\n".encode("cp932")
    messages = problems(survey, raw)
    assert messages == [
        "3行目: ファイルの中で文字コードが混ざっています。1行目は UTF-8 ですが、3行目は Shift_JIS です。"
        "一つの文字コード（UTF-8 か Shift_JIS）で保存し直してください。"
    ]
    raw = b"\xef\xbb\xbf" + (HEADER + "1,1,1,1,,,,\n").encode("utf-8") + "2,1,1,1,,,,見守り\n".encode("cp932")
    assert problems(survey, raw)[0].startswith(
        "3行目: ファイルの中で文字コードが混ざっています。先頭は UTF-8（BOM付き）"
    )


def test_a_file_in_neither_encoding_is_refused_naming_the_line(survey):
    raw = HEADER.encode("utf-8").replace("回答者番号".encode(), b"ID") + b"1,1,1,1,,,,\x82\n2,1,1,1,,,,\xff\xfe\xfd\n"
    messages = problems(survey, raw)
    assert messages[0].startswith("2行目: 文字コードを読み取れません。2行目が UTF-8 でも Shift_JIS でもありません。")


def test_too_many_rows_are_refused(survey, settings):
    settings.SASAEAI_SURVEY_MAX_ROWS = 3
    text = HEADER + "".join(f"{i},1,1,1,,,,\n" for i in range(1, 5))
    messages = problems(survey, text.encode())
    assert messages == ["5行目: 回答の行が多すぎます（3 行まで）。ファイルを分けて、追加で取り込んでください。"]
    settings.SASAEAI_SURVEY_MAX_ROWS = 4
    assert surveys_import.parse(text.encode(), filename="a.csv", questionnaire=survey).count == 4


def test_a_file_too_large_is_refused(survey, settings):
    settings.SASAEAI_SURVEY_MAX_BYTES = 100
    messages = problems(survey, CSV.encode())
    assert messages == ["ファイルが大きすぎます（100 バイトまで）。ファイルを分けて取り込んでください。"]


def test_junk_and_empty_files_are_refused(survey):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert problems(survey, png, filename="answers.csv") == [
        "CSV ファイルでも Excel ファイル（.xlsx）でもありません。回答の入った CSV か .xlsx を選んでください。"
    ]
    assert problems(survey, b"abc\x00\x01\x02def", filename="a.csv")[0].startswith("CSV ファイルでも Excel")
    assert problems(survey, b"")[0].startswith("ファイルが空です。")
    assert problems(survey, b"\xef\xbb\xbf\r\n")[0].startswith("ファイルが空です。")
    assert problems(survey, HEADER.encode()) == ["回答の行がありません。2行目から1行に1人ずつ回答を入れてください。"]
    assert problems(survey, b"\xd0\xcf\x11\xe0" + b"\0" * 100, filename="a.xls")[0].startswith("古い形式の Excel")
    assert problems(survey, b"not really a workbook", filename="a.xlsx")[0].startswith("Excel ファイル（.xlsx）として")
    assert problems(survey, b"PK\x03\x04 broken zip", filename="a.xlsx")[0].startswith(
        "Excel ファイル（.xlsx）が壊れて"
    )
    text_junk = "これは回答のファイルではありません\nただのメモです\n".encode()
    assert problems(survey, text_junk)[0].startswith("1行目: 回答者番号の列がありません。")


def test_an_xlsx_with_the_same_problems_names_rows_and_columns(survey):
    raw = xlsx(
        [
            ["回答者番号", "年代", "性別", "Q1", "Q2", "Q3", "Q4", "Q5"],
            [1, 1, 1, 9, None, None, None, None],
            [2, 1, 1, 1, None, 8, None, None],
            [1, 1, 1, 1, None, None, None, None],
        ]
    )
    messages = problems(survey, raw, filename="answers.xlsx")
    assert messages == [
        "2行目 D列（Q1）: 選択肢にないコード「9」です（使えるコード: 1, 2）。",
        "3行目 F列（Q3）: 1〜5 の整数で答えてください（「8」は範囲の外です）。",
        "4行目 A列（回答者番号）: 回答者番号「1」が 2行目 と同じです（2行目と4行目）。",
    ]
    renamed = xlsx(
        [["回答者番号", "年代", "性別", "Q1", "Q2", "Q3", "Q4", "自由記述"], [1, 1, 1, 1, None, None, None, None]]
    )
    messages = problems(survey, renamed, filename="answers.xlsx")
    assert messages[0] == "1行目: 質問の列が足りません: Q5（1行目の見出しに、質問の列名と同じ名前が必要です）。"
    assert messages[1].startswith("1行目: このアンケートにない列があります: H列「自由記述」。")


def test_only_the_first_50_errors_are_listed_with_the_total(survey):
    text = HEADER + "".join(f"{i},9,9,1,,,,\n" for i in range(1, 31))
    messages = problems(survey, text.encode())
    assert len(messages) == 51
    assert messages[-1] == "ほかにも 10 件の問題があります（全部で 60 件）。"
    assert messages[0] == "2行目 B列（年代）: 選択肢にないコード「9」です（使えるコード: 1, 2, 3）。"


# --------------------------------------------------------------------------- append / replace


def test_append_refuses_respondents_already_imported(filled_survey, users):
    text = HEADER + "11,1,1,1,,,,\n3,1,1,1,,,,\n"
    messages = problems(filled_survey, text.encode())
    assert messages == ["3行目 A列（回答者番号）: 回答者番号「3」の回答はすでにあります。"]
    assert Response.objects.filter(questionnaire=filled_survey).count() == 10


def test_replace_swaps_imported_answers_and_keeps_online_ones(filled_survey, users):
    online = Response.objects.create(
        questionnaire=filled_survey, respondent="W000001", source="online", answers={"Q1": "1", "Q5": "オンライン"}
    )
    text_answer = Response.objects.get(questionnaire=filled_survey, respondent="1")
    surveys.voice_from_answer(
        response=text_answer, question=filled_survey.questions.get(code="Q5"), by=users["admin"], new_tags="移動"
    )
    filled_survey.refresh_from_db()
    parsed = surveys_import.parse(
        (HEADER + "1,1,1,2,,,,\n2,2,2,2,,,,\n").encode(),
        filename="new.csv",
        questionnaire=filled_survey,
        mode="replace",
    )
    assert (parsed.existing, parsed.replaced, parsed.voices_lost) == (11, 10, 1)
    surveys_import.apply(parsed, by=users["admin"])
    assert sorted(Response.objects.filter(questionnaire=filled_survey).values_list("respondent", flat=True)) == [
        "1",
        "2",
        "W000001",
    ]
    assert Response.objects.get(pk=online.pk).answers["Q5"] == "オンライン"
    assert not Voice.objects.exists()
    # replacing cannot take an online respondent's number
    filled_survey.refresh_from_db()
    messages = problems(filled_survey, (HEADER + "W000001,1,1,1,,,,\n").encode(), mode="replace")
    assert messages == ["2行目 A列（回答者番号）: 回答者番号「W000001」の回答はすでにあります。"]


def test_apply_refuses_when_the_survey_changed_after_the_preview(survey, users):
    parsed = surveys_import.parse(CSV.encode(), filename="a.csv", questionnaire=survey)
    Response.objects.create(questionnaire=survey, respondent="x")
    surveys._bump_data(survey.pk)
    with pytest.raises(surveys_import.SurveyImportError) as info:
        surveys_import.apply(parsed, by=users["admin"])
    assert "確認の後に" in info.value.messages()[0]
    assert Response.objects.filter(questionnaire=survey).count() == 1


def test_a_survey_without_questions_cannot_import(small_plan, users):
    q = surveys.questionnaire_create(plan=small_plan, by=users["admin"], title="空")
    assert problems(q, CSV.encode())[0].startswith("このアンケートには質問がありません。")


def test_a_csv_wider_than_any_spreadsheet_is_refused_in_japanese(survey):
    # Column names stop at ZZZ (18,278): a wider header row once ended in an HTTP 500.
    header = HEADER.rstrip("\n") + "," + ",".join(f"X{i}" for i in range(18_300)) + "\n"
    messages = problems(survey, (header + "1,1,1,1,,,,\n").encode())
    assert messages == ["1行目: 列が多すぎます（16,384 列まで）。回答者番号と質問の列だけを残してください。"]


def test_an_xlsx_with_far_too_many_rows_is_refused_before_it_is_read(survey, settings, monkeypatch):
    settings.SASAEAI_SURVEY_MAX_ROWS = 3
    rows = [["回答者番号", "年代", "性別", "Q1", "Q2", "Q3", "Q4", "Q5"]] + [[i, 1, 1, 1] for i in range(1, 1_010)]

    def never(raw):
        raise AssertionError("openpyxl should not have been asked to read the workbook")

    monkeypatch.setattr(surveys_import, "_xlsx_rows", never)
    assert problems(survey, xlsx(rows), filename="a.xlsx") == [
        "回答の行が多すぎます（3 行まで）。ファイルを分けて、追加で取り込んでください。"
    ]
