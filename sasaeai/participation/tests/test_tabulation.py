"""Tabulation checked by hand on the 10-respondent CSV of factories.py.

Worked out from the CSV:
- 年代: 1 → rows 1, 2, 9; 2 → rows 3, 4, 8; 3 → rows 5, 6, 7; blank → row 10. n = 9, 3/9 = 33.3 %.
- Q1: はい = rows 1, 3, 4, 6, 8, 10 (6), いいえ = rows 2, 5, 7 (3), blank = row 9. 6/9 = 66.7 %, 3/9 = 33.3 %.
- Q2 (multiple): 買い物 = rows 1, 2, 6, 9, 10 (5), 通院 = rows 1, 4, 6, 7 (4), ごみ出し = rows 3, 4, 9 (3);
  rows 5 and 8 blank, so n = 8: 62.5 %, 50.0 %, 37.5 %.
- Q3 (scale 1–5): 1 ×1, 2 ×1, 3 ×2, 4 ×2, 5 ×3, row 4 blank; n = 9; mean 32/9 = 3.56.
- Q4 (number): 3, 2.5, 10, 0, 1, 4, 6 → n = 7, sum 26.5, mean 3.79, median 3, min 0, max 10.
- Q5 (text): rows 1, 4, 10 answered.
"""

import io
from decimal import Decimal

import pytest

from sasaeai.participation import survey_charts, survey_export, tabulation
from sasaeai.participation.models import Questionnaire, Response, TabulationCache
from sasaeai.participation.selectors import surveys as survey_selectors
from sasaeai.participation.services import surveys

from .factories import import_csv, make_survey

D = Decimal


def _columns(q):
    q.refresh_from_db()
    spec = surveys.questionnaire_spec(q, refresh=True)
    return spec, tabulation.get_columns(q, spec)


def test_simple_tabulation_matches_the_hand_count(filled_survey):
    spec, columns = _columns(filled_survey)
    assert columns.n == 10
    results = {r.spec.code: r for r in tabulation.simple_all(columns, spec)}

    age = results["年代"]
    assert [(c.label, c.count, c.percent) for c in age.rows] == [
        ("20代以下", 3, D("33.3")),
        ("30〜50代", 3, D("33.3")),
        ("60代以上", 3, D("33.3")),
    ]
    assert (age.n, age.blank) == (9, 1)

    q1 = results["Q1"]
    assert [(c.count, c.percent) for c in q1.rows] == [(6, D("66.7")), (3, D("33.3"))]
    assert (q1.n, q1.blank, q1.total) == (9, 1, 10)

    q2 = results["Q2"]
    assert [(c.label, c.count, c.percent) for c in q2.rows] == [
        ("買い物", 5, D("62.5")),
        ("通院", 4, D("50.0")),
        ("ごみ出し", 3, D("37.5")),
    ]
    assert (q2.n, q2.blank) == (8, 2)

    q3 = results["Q3"]
    assert [(c.code, c.label, c.count) for c in q3.rows] == [
        ("1", "住みにくい", 1),
        ("2", "2", 1),
        ("3", "3", 2),
        ("4", "4", 2),
        ("5", "住みやすい", 3),
    ]
    assert [c.percent for c in q3.rows] == [D("11.1"), D("11.1"), D("22.2"), D("22.2"), D("33.3")]
    assert (q3.n, q3.blank, q3.mean) == (9, 1, D("3.56"))

    q4 = results["Q4"]
    assert (q4.n, q4.blank, q4.mean, q4.median, q4.minimum, q4.maximum) == (
        7,
        3,
        D("3.79"),
        D("3.00"),
        D("0.00"),
        D("10.00"),
    )

    q5 = results["Q5"]
    assert (q5.n, q5.blank, q5.rows) == (3, 7, [])


def test_cross_tabulation_by_sex_matches_the_hand_count(filled_survey):
    spec, columns = _columns(filled_survey)
    sex = spec.by_code["性別"]
    # 男性 = rows 1, 3, 5, 8, 10; 女性 = rows 2, 4, 6, 7, 9.
    q1 = tabulation.cross(columns, spec.by_code["Q1"], sex)
    assert [(r.label, r.respondents, r.n, r.counts, r.percents, r.blank) for r in q1.rows] == [
        ("男性", 5, 5, [4, 1], [D("80.0"), D("20.0")], 0),
        ("女性", 5, 4, [2, 2], [D("50.0"), D("50.0")], 1),
    ]
    assert (q1.total.label, q1.total.n, q1.total.counts, q1.total.percents) == (
        "全体",
        9,
        [6, 3],
        [D("66.7"), D("33.3")],
    )

    q2 = tabulation.cross(columns, spec.by_code["Q2"], sex)
    assert [(r.n, r.counts, r.percents) for r in q2.rows] == [
        (3, [2, 1, 1], [D("66.7"), D("33.3"), D("33.3")]),
        (5, [3, 3, 2], [D("60.0"), D("60.0"), D("40.0")]),
    ]
    q3 = tabulation.cross(columns, spec.by_code["Q3"], sex)
    assert [r.mean for r in q3.rows] == [D("3.60"), D("3.50")]  # 18/5 and 14/4
    q4 = tabulation.cross(columns, spec.by_code["Q4"], sex)
    assert [(r.n, r.mean) for r in q4.rows] == [(5, D("3.10")), (2, D("5.50"))]  # 15.5/5 and 11/2
    q5 = tabulation.cross(columns, spec.by_code["Q5"], sex)
    assert [(r.n, r.blank) for r in q5.rows] == [(2, 3), (1, 4)]


def test_cross_tabulation_by_age_has_a_row_for_a_blank_attribute(filled_survey):
    spec, columns = _columns(filled_survey)
    result = tabulation.cross(columns, spec.by_code["Q1"], spec.by_code["年代"])
    assert [(r.label, r.n, r.counts, r.percents, r.is_blank) for r in result.rows] == [
        ("20代以下", 2, [1, 1], [D("50.0"), D("50.0")], False),  # rows 1, 2 (row 9 blank Q1)
        ("30〜50代", 3, [3, 0], [D("100.0"), D("0.0")], False),
        ("60代以上", 3, [1, 2], [D("33.3"), D("66.7")], False),
        ("無回答", 1, [1, 0], [D("100.0"), D("0.0")], True),  # row 10
    ]
    assert sum(r.respondents for r in result.rows) == result.total.respondents == 10


def test_cross_refuses_a_question_that_is_not_an_axis(filled_survey):
    spec, columns = _columns(filled_survey)
    with pytest.raises(ValueError):
        tabulation.cross(columns, spec.by_code["Q1"], spec.by_code["Q4"])


def test_cache_is_built_once_and_rebuilt_when_the_data_changes(filled_survey, users, django_assert_num_queries):
    spec, columns = _columns(filled_survey)
    cache = TabulationCache.objects.get(questionnaire=filled_survey)
    assert cache.data_version == filled_survey.data_version
    assert bytes(cache.data).startswith(tabulation.MAGIC)
    assert b"\x80\x04" not in bytes(cache.data)[:2]  # not a pickle
    with django_assert_num_queries(1):  # warm: one read of the cache row
        again = tabulation.get_columns(filled_survey, spec)
    assert again.columns["Q1"].values == columns.columns["Q1"].values

    import_csv(filled_survey, users["admin"], "回答者番号,年代,性別,Q1,Q2,Q3,Q4,Q5\n11,1,1,2,,,,\n")
    spec, columns = _columns(filled_survey)
    assert columns.n == 11
    assert TabulationCache.objects.get(questionnaire=filled_survey).data_version == filled_survey.data_version
    result = tabulation.simple(columns, spec.by_code["Q1"])
    assert [c.count for c in result.rows] == [6, 4]


def test_the_cache_built_at_import_equals_one_built_from_the_responses(filled_survey):
    cache = TabulationCache.objects.get(questionnaire=filled_survey)  # written by the import itself
    assert cache.data_version == Questionnaire.objects.get(pk=filled_survey.pk).data_version
    spec, columns = _columns(filled_survey)
    rebuilt = tabulation.get_columns(filled_survey, spec, rebuild=True)
    assert rebuilt.to_bytes() == columns.to_bytes() == bytes(cache.data)


def test_new_responses_are_appended_to_the_cache_and_deletions_rebuild_it(filled_survey, users):
    q = surveys.questionnaire_set_status(questionnaire=filled_survey, status="open", by=users["admin"])
    surveys.response_submit_online(questionnaire=q, raw={"Q1": "2", "Q2": ["3"], "Q4": "8"}, client="x" * 64)
    surveys.response_submit_online(questionnaire=q, raw={"Q1": "1", "性別": "2"}, client="y" * 64)
    spec, columns = _columns(q)
    assert columns.n == 12
    assert columns.members(columns.category_bits("Q1")[2]) == [1, 4, 6, 10]  # the online answer is respondent 10
    assert columns.members(columns.category_bits("性別")[2]) == [1, 3, 5, 6, 8, 11]
    assert [v for v in columns.columns["Q4"].values if v == v][-1] == 8
    rebuilt = tabulation.get_columns(q, spec, rebuild=True)
    assert rebuilt.to_bytes() == columns.to_bytes()
    Response.objects.filter(questionnaire=q, respondent="1").delete()
    surveys._bump_data(q.pk)
    spec, columns = _columns(q)
    assert columns.n == 11
    assert columns.members(columns.category_bits("Q1")[2]) == [0, 3, 5, 9]
    assert tabulation.simple(columns, spec.by_code["Q1"]).rows[0].count == 6  # 5 imported + 1 online


def test_changed_questions_rebuild_the_cache(filled_survey, users):
    spec, columns = _columns(filled_survey)
    q1 = filled_survey.questions.get(code="Q1")
    surveys.question_save(
        questionnaire=filled_survey,
        by=users["admin"],
        question=q1,
        code="Q1",
        text=q1.text,
        kind="single",
        choices=[("1", "はい"), ("2", "いいえ"), ("3", "わからない")],
    )
    spec, columns = _columns(filled_survey)
    assert [c.count for c in tabulation.simple(columns, spec.by_code["Q1"]).rows] == [6, 3, 0]


def test_columns_round_trip_through_bytes(filled_survey):
    _spec, columns = _columns(filled_survey)
    back = tabulation.Columns.from_bytes(columns.to_bytes())
    assert back.n == 10
    for code, col in columns.columns.items():
        other = back.columns[code]
        assert (other.kind, other.size, other.bits) == (col.kind, col.size, col.bits)
        if col.values is not None:
            assert [v for v in other.values if v == v] == [v for v in col.values if v == v] == [3, 2.5, 10, 0, 1, 4, 6]
    # the documented layout: one bitset per category, respondent r (0-based) in bit n - 1 - r
    q1 = columns.category_bits("Q1")
    assert [columns.members(b) for b in q1] == [[8], [0, 2, 3, 5, 7, 9], [1, 4, 6]]
    assert q1[1] == 0b1011010101
    q2 = columns.category_bits("Q2")
    assert [columns.members(b) for b in q2] == [[0, 1, 5, 8, 9], [0, 3, 5, 6], [2, 3, 8]]
    assert columns.members(columns.answered_bits("Q5")) == [0, 3, 9]
    assert columns.members(columns.answered_bits("Q4")) == [0, 2, 3, 4, 5, 7, 9]
    assert len(columns.to_bytes()) < 1000


def test_multiple_choice_past_eight_choices_uses_wider_masks():
    choices = [(str(i), f"c{i}") for i in range(1, 21)]
    spec_q = surveys.QuestionSpec(
        question=None, code="M", kind="multiple", required=False, is_attribute=False, categories=choices
    )
    spec = surveys.Spec(questions=[spec_q], by_code={"M": spec_q}, signature="x")
    rows = [{"M": ["1", "9", "20"]}, {"M": ["16", "17"]}, {}, {"M": ["9"]}]
    columns = tabulation.build_columns(spec, rows)
    counts = [b.bit_count() for b in columns.category_bits("M")]
    assert counts == [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1]
    assert columns.members(columns.category_bits("M")[8]) == [0, 3]
    assert columns.answered_bits("M").bit_count() == 3


def test_many_categories_take_the_slow_path_with_the_same_counts():
    spec_q = surveys.QuestionSpec(
        question=None,
        code="地区",
        kind="single",
        required=False,
        is_attribute=True,
        categories=[(str(i), f"地区{i}") for i in range(1, 301)],
    )
    spec = surveys.Spec(questions=[spec_q], by_code={"地区": spec_q}, signature="x")
    rows = [{"地区": str(i % 300 + 1)} for i in range(900)] + [{}]
    columns = tabulation.build_columns(spec, rows)
    bits = columns.category_bits("地区")
    assert len(bits) == 301
    assert columns.members(bits[0]) == [900]
    assert [b.bit_count() for b in bits[1:]] == [3] * 300
    assert columns.members(bits[300]) == [299, 599, 899]
    back = tabulation.Columns.from_bytes(columns.to_bytes())
    assert back.category_bits("地区") == bits


def test_charts_carry_their_numbers_and_escape_labels(filled_survey, users):
    spec, columns = _columns(filled_survey)
    svg = survey_charts.simple_chart(tabulation.simple(columns, spec.by_code["Q1"]))
    assert "66.7%" in svg and "<svg" in svg and 'role="img"' in svg
    result = tabulation.cross(columns, spec.by_code["Q1"], spec.by_code["性別"])
    svg = survey_charts.cross_chart(result)
    assert "80.0" in svg and "男性" in svg
    result = tabulation.cross(columns, spec.by_code["Q2"], spec.by_code["性別"])
    assert "66.7" in survey_charts.cross_chart(result)
    assert survey_charts.cross_chart(tabulation.cross(columns, spec.by_code["Q5"], spec.by_code["性別"])) is None
    assert survey_charts.simple_chart(tabulation.simple(columns, spec.by_code["Q5"])) is None


def test_excel_export_reads_back(filled_survey):
    import openpyxl

    filled_survey.distributed = 20
    filled_survey.save()
    data = survey_export.build(filled_survey, attribute_code="性別")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["単純集計", "クロス集計", "自由記述"]
    simple = [list(r) for r in book["単純集計"].iter_rows(values_only=True)]
    assert simple[1][0] == "配布 20 ／ 回収 10 ／ 回収率 50.0%"
    start = next(i for i, r in enumerate(simple) if r[0] == "Q2 困っていること")
    assert simple[start + 2][:3] == ["買い物", 5, 62.5]
    assert simple[start + 4][:3] == ["ごみ出し", 3, 37.5]
    assert simple[start + 5][:2] == ["回答者数（n）", 8]
    assert simple[start + 6][:2] == ["無回答", 2]

    cross = [list(r) for r in book["クロス集計"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(cross) if r[0] == "Q1 地域の活動に参加したいですか")
    assert cross[start + 1][:6] == ["あなたの性別", "回答者数（n）", "はい", "％", "いいえ", "％"]
    assert cross[start + 2][:7] == ["男性", 5, 4, 80.0, 1, 20.0, 0]
    assert cross[start + 3][:7] == ["女性", 4, 2, 50.0, 2, 50.0, 1]
    assert cross[start + 4][:3] == ["全体", 9, 6]

    free = [list(r) for r in book["自由記述"].iter_rows(values_only=True)]
    assert free[0] == ["回答者番号", "列名", "質問", "あなたの年代", "あなたの性別", "回答"]
    assert free[1:] == [
        ["1", "Q5", "ご意見", "20代以下", "男性", "バスが少ない"],
        ["4", "Q5", "ご意見", "30〜50代", "女性", "見守りがほしい"],
        ["10", "Q5", "ご意見", None, "男性", "サロンに行きたい"],
    ]


def test_excel_export_keeps_formula_like_answers_as_text(survey, users):
    Response.objects.create(questionnaire=survey, respondent="1", answers={"Q5": '=HYPERLINK("http://x")'})
    survey.refresh_from_db()
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(survey_export.build(survey)))
    cell = book["自由記述"]["F2"]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


def test_response_rate_label(survey):
    survey.distributed, survey.returned = 2000, 943
    rate = survey_selectors.response_rate(survey, 10)
    assert rate.rate == D("47.2")  # 943 / 2000 = 47.15 → 47.2 (half up)
    assert rate.label == "配布 2,000 ／ 回収 943 ／ 回収率 47.2%"
    survey.returned = None
    rate = survey_selectors.response_rate(survey, 10)
    assert (rate.returned, rate.rate, rate.returned_is_count) == (10, D("0.5"), True)
    survey.distributed = None
    assert survey_selectors.response_rate(survey, 10).label == "回収 10"


def test_an_empty_survey_tabulates_to_zero(survey):
    spec, columns = _columns(survey)
    assert columns.n == 0
    result = tabulation.simple(columns, spec.by_code["Q1"])
    assert (result.n, [c.count for c in result.rows], [c.percent for c in result.rows]) == (0, [0, 0], [None, None])
    cross = tabulation.cross(columns, spec.by_code["Q1"], spec.by_code["性別"])
    assert [r.n for r in cross.all_rows] == [0, 0, 0]


def test_make_survey_helper_uses_unique_titles(small_plan, users):
    q = make_survey(small_plan, users["admin"], title="二つ目", questions=[])
    assert q.title == "二つ目"
