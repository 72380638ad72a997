"""Factories of the survey tests: a small questionnaire and a 10-respondent CSV whose figures
are worked out by hand in test_tabulation.py. The fixtures built from them are in conftest.py."""

from sasaeai.participation.models import Question
from sasaeai.participation.services import surveys

QUESTIONS = [
    dict(
        code="年代",
        text="あなたの年代",
        kind="single",
        is_attribute=True,
        choices=[("1", "20代以下"), ("2", "30〜50代"), ("3", "60代以上")],
    ),
    dict(code="性別", text="あなたの性別", kind="single", is_attribute=True, choices=[("1", "男性"), ("2", "女性")]),
    dict(
        code="Q1",
        text="地域の活動に参加したいですか",
        kind="single",
        required=True,
        choices=[("1", "はい"), ("2", "いいえ")],
    ),
    dict(
        code="Q2",
        text="困っていること",
        kind="multiple",
        max_choices=2,
        choices=[("1", "買い物"), ("2", "通院"), ("3", "ごみ出し")],
    ),
    dict(
        code="Q3",
        text="住みやすさ",
        kind="scale",
        scale_min=1,
        scale_max=5,
        choices=[("1", "住みにくい"), ("5", "住みやすい")],
    ),
    dict(code="Q4", text="近所の知り合いの人数", kind="number"),
    dict(code="Q5", text="ご意見", kind="text", max_length=200),
]

# 10 respondents; row 9 leaves Q1 blank, row 10 leaves 年代 blank. Multiple-choice cells use every separator.
CSV = """回答者番号,年代,性別,Q1,Q2,Q3,Q4,Q5
1,1,1,1,"1,2",5,3,バスが少ない
2,1,2,2,1,4,,
3,2,1,1,3,3,2.5,
4,2,2,1,"2、3",,10,見守りがほしい
5,3,1,2,,2,0,
6,3,2,1,1;2,1,1,
7,3,2,2,2,5,,
8,2,1,1,,3,4,
9,1,2,,1 3,4,,
10,,1,1,1,5,6,サロンに行きたい
"""


def make_survey(plan, user, title="住民アンケート", questions=QUESTIONS, **fields):
    q = surveys.questionnaire_create(plan=plan, by=user, title=title, **fields)
    for data in questions:
        surveys.question_save(questionnaire=q, by=user, **data)
    q.refresh_from_db()
    return q


def import_csv(q, user, text=CSV, *, encoding="utf-8", mode="append", filename="answers.csv"):
    from sasaeai.participation import surveys_import

    q.refresh_from_db()
    parsed = surveys_import.parse(text.encode(encoding), filename=filename, questionnaire=q, mode=mode)
    count = surveys_import.apply(parsed, by=user)
    q.refresh_from_db()
    return count


def question(q, code):
    return Question.objects.get(questionnaire=q, code=code)
