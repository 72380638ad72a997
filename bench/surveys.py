"""Benchmarks of surveys (issue 5): a CSV of 100,000 respondents × 30 questions (4 attributes, 24
single / multiple / scale questions, 2 free answers) imported once (parse + validate + write), the
tabulation cache built once, then medians of a cross tabulation of one question by one attribute
(from the cached columns) next to ``pandas.crosstab`` on the same parsed data, and of the 単純集計
of all 30 questions.

Goal: the cross tabulation is no slower than pandas (``survey_crosstab_vs_pandas`` = ours ÷ pandas,
at most 1.0).

``run(report)`` expects Django to be set up with a migrated database (``sasaeai/bench.py`` does it);
``python -m bench.surveys`` sets up a throw-away SQLite database and runs it alone.
"""

import csv
import io
import os
import random
import time

RESPONDENTS = int(os.environ.get("BENCH_SURVEY_RESPONDENTS", 100_000))

ATTRIBUTES = [
    ("年代", ["10〜20代", "30代", "40代", "50代", "60代", "70代", "80代以上"]),
    ("性別", ["男性", "女性", "答えたくない"]),
    ("地区", [f"第{i}地区" for i in range(1, 13)]),
    ("世帯", ["ひとり暮らし", "夫婦のみ", "親と子", "三世代", "その他", "不明"]),
]
WORDS = [
    "バスが少ない",
    "買い物が大変",
    "見守りがほしい",
    "サロンに行きたい",
    "雪かきが心配",
    "子育ての相談先",
    "空き家が増えた",
    "ごみ出しが難しい",
    "近所づきあいが減った",
    "ボランティアをしたい",
]


def questions():
    """30 questions: 4 attributes, 10 single, 7 multiple, 7 scale, 2 text."""
    out = []
    for code, labels in ATTRIBUTES:
        out.append(
            dict(
                code=code,
                text=f"あなたの{code}",
                kind="single",
                is_attribute=True,
                choices=[(str(i), label) for i, label in enumerate(labels, start=1)],
            )
        )
    for i in range(1, 25):
        code = f"Q{i}"
        if i % 24 < 10:
            out.append(
                dict(
                    code=code,
                    text=f"問{i}（単一選択）",
                    kind="single",
                    choices=[(str(c), f"選択肢{c}") for c in range(1, 4 + i % 3)],
                )
            )
        elif i % 24 < 17:
            out.append(
                dict(
                    code=code,
                    text=f"問{i}（複数選択）",
                    kind="multiple",
                    choices=[(str(c), f"選択肢{c}") for c in range(1, 9 + i % 3)],
                )
            )
        else:
            out.append(
                dict(
                    code=code,
                    text=f"問{i}（5段階）",
                    kind="scale",
                    scale_min=1,
                    scale_max=5,
                    choices=[("1", "そう思わない"), ("5", "そう思う")],
                )
            )
    out.append(dict(code="自由1", text="地域で困っていること", kind="text"))
    out.append(dict(code="自由2", text="社協への要望", kind="text"))
    return out


def make_csv(specs, respondents, seed=2026) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["回答者番号"] + [q["code"] for q in specs])
    for number in range(1, respondents + 1):
        row = [str(number)]
        for q in specs:
            if rng.random() < 0.04:  # 無回答
                row.append("")
            elif q["kind"] == "single":
                row.append(str(rng.randint(1, len(q["choices"]))))
            elif q["kind"] == "multiple":
                codes = sorted(rng.sample(range(1, len(q["choices"]) + 1), rng.randint(1, 3)))
                row.append(",".join(map(str, codes)))
            elif q["kind"] == "scale":
                row.append(str(rng.randint(1, 5)))
            else:
                row.append(rng.choice(WORDS) + "。" if rng.random() < 0.3 else "")
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def run(report):
    import pandas as pd
    from django.test import Client
    from django.urls import reverse

    from bench.common import RUNS, median_ms
    from sasaeai.accounts.models import Membership, User
    from sasaeai.core.services import council_create
    from sasaeai.demo.generator import create_plan
    from sasaeai.participation import surveys_import, tabulation
    from sasaeai.participation.models import TabulationCache
    from sasaeai.participation.services import surveys

    stamp = time.time_ns()
    council = council_create(name=f"ベンチ調査市社会福祉協議会{stamp}")
    user = User.objects.create_user(f"bench-surveys-{stamp}", password="bench-password-1")
    Membership.objects.create(user=user, council=council, role="admin")
    plan = create_plan(council=council, nodes=10, issues=3, title="ベンチ調査の計画")
    q = surveys.questionnaire_create(plan=plan, by=user, title="ベンチ住民アンケート", distributed=RESPONDENTS * 2)
    specs = questions()
    for data in specs:
        surveys.question_save(questionnaire=q, by=user, **data)
    q.refresh_from_db()
    raw = make_csv(specs, RESPONDENTS)
    print(
        f"# surveys: {RESPONDENTS:,} respondents × {len(specs)} questions, CSV {len(raw) / 1024 / 1024:.1f} MB",
        flush=True,
    )

    started = time.perf_counter()
    parsed = surveys_import.parse(raw, filename="bench.csv", questionnaire=q)
    parse_ms = (time.perf_counter() - started) * 1000
    surveys_import.apply(parsed, by=user)
    total_ms = (time.perf_counter() - started) * 1000
    report(f"survey_import_{RESPONDENTS // 1000}k_parse_validate", parse_ms)
    report(f"survey_import_{RESPONDENTS // 1000}k_total", total_ms)

    q.refresh_from_db()
    spec = surveys.questionnaire_spec(q, refresh=True)
    started = time.perf_counter()
    tabulation.get_columns(q, spec, rebuild=True)
    report("survey_cache_build", (time.perf_counter() - started) * 1000)
    blob = bytes(TabulationCache.objects.get(questionnaire=q).data)
    print(f"# tabulation cache: {len(blob) / 1024 / 1024:.1f} MB", flush=True)
    report("survey_cache_load", median_ms(lambda: tabulation.get_columns(q, spec)))

    question, attribute = spec.by_code["Q1"], spec.by_code["地区"]
    state = {}

    def fresh():  # decoded arrays, no bitsets derived yet: each run counts from the arrays
        state["columns"] = tabulation.Columns.from_bytes(blob)

    result = tabulation.cross(tabulation.Columns.from_bytes(blob), question, attribute)
    ours = median_ms(lambda: tabulation.cross(state["columns"], question, attribute), setup=fresh)

    # pandas on the same parsed data: the two columns as read_csv would type them (int, NaN = blank)
    def as_number(value):
        return float(value) if value is not None else float("nan")

    frame = pd.DataFrame(
        {
            "a": [as_number(answers.get(attribute.code)) for _n, _r, answers in parsed.rows],
            "q": [as_number(answers.get(question.code)) for _n, _r, answers in parsed.rows],
        }
    )
    reference = pd.crosstab(frame["a"], frame["q"])
    for row in result.rows:  # the same figures
        if row.code:
            assert [int(reference.loc[float(row.code)].get(float(c), 0)) for c, _l in question.categories] == row.counts
    theirs = median_ms(lambda: pd.crosstab(frame["a"], frame["q"]))
    text_frame = pd.DataFrame(
        {
            "a": [answers.get(attribute.code) for _n, _r, answers in parsed.rows],
            "q": [answers.get(question.code) for _n, _r, answers in parsed.rows],
        }
    )
    theirs_text = median_ms(lambda: pd.crosstab(text_frame["a"], text_frame["q"]))
    report("survey_crosstab", ours)
    report("pandas_crosstab", theirs)
    print(f"bench survey_crosstab_vs_pandas {ours / theirs:.3f} x", flush=True)
    print(
        f"# cross tab Q1 × 地区 (12 × {len(question.categories)}): ours {ours:.2f} ms, pandas.crosstab "
        f"{theirs:.2f} ms on numbers, {theirs_text:.2f} ms on the code strings "
        f"({theirs / ours:.0f}× faster than pandas on numbers)",
        flush=True,
    )

    report(
        "survey_simple_all_30_questions", median_ms(lambda: tabulation.simple_all(state["columns"], spec), setup=fresh)
    )

    client = Client()
    client.force_login(user)
    target = reverse("surveys:results", args=[plan.pk, q.pk])
    assert client.get(target).status_code == 200
    report("survey_results_page", median_ms(lambda: client.get(target), runs=min(RUNS, 5)))
    cross_url = reverse("surveys:cross", args=[plan.pk, q.pk]) + "?question=Q1&attribute=%E5%9C%B0%E5%8C%BA"
    assert client.get(cross_url).status_code == 200
    report("survey_cross_page", median_ms(lambda: client.get(cross_url), runs=min(RUNS, 5)))


def main():
    from bench.common import run_alone

    run_alone(run, prefix="sasaeai-bench-surveys-")


if __name__ == "__main__":
    main()
