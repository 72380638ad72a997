"""Plan files: the five source plans round-trip, and every kind of bad file is refused with
a Japanese message naming the line and field, saving nothing."""

from pathlib import Path

import pytest

from sasaeai.demo.services import PLANS_DIR, load_councils, plan_file_paths
from sasaeai.plans import planfile
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.plans.selectors import plan_file_data
from sasaeai.plans.services import plan_file_import

from .factories import MAX, VALID, problems_of


def test_valid_file_parses_to_the_tree():
    data = planfile.parse(VALID.encode(), max_bytes=MAX)
    plan = data.plans[0]
    assert data.council == "テスト市社会福祉協議会"
    assert (plan.period_start, plan.period_end) == (2026, 2030)
    assert plan.nodes[0].children[0].code == "１-①"
    assert plan.nodes[0].children[0].priority is True
    assert plan.nodes[0].children[0].level == 1
    assert plan.nodes[0].issues == ["01"]


def test_dump_of_parse_is_identical_for_canonical_text():
    assert planfile.dump(planfile.parse_text(VALID)) == VALID


@pytest.mark.parametrize("path", plan_file_paths(), ids=lambda p: p.name)
def test_source_plan_round_trip_through_the_database(db, path):
    """import → export gives the committed file byte for byte, and export → import → export too."""
    load_councils()
    raw = path.read_bytes()
    data = planfile.parse(raw, filename=path.name, max_bytes=MAX)
    from sasaeai.core.models import Council

    council = Council.objects.get(name=data.council)
    plans = plan_file_import(council=council, data=data, by=None)
    exported = planfile.dump(plan_file_data(plans))
    assert exported == raw.decode("utf-8")
    # and once more through the database
    Plan.objects.filter(pk__in=[p.pk for p in plans]).delete()
    again = plan_file_import(council=council, data=planfile.parse_text(exported), by=None)
    assert planfile.dump(plan_file_data(again)) == exported


def test_all_five_seed_councils_have_files():
    names = {p.name for p in PLANS_DIR.glob("*.yaml")}
    assert names == {
        "kawasaki.yaml",
        "nakahara.yaml",
        "ichinoseki.yaml",
        "kashiwa.yaml",
        "kurashiki.yaml",
        "higashikurume.yaml",
    }


# ------------------------------------------------------------------ bad input


def test_not_yaml_names_the_line():
    err = problems_of("format: sasaeai-plan/1\ncouncil: [unclosed\nplans: x\n")
    assert "YAML として読み取れません" in str(err)
    assert err.problems[0].row in (2, 3)


def test_shift_jis_is_refused_with_the_reason():
    err = problems_of(VALID.encode("cp932"))  # what Windows Notepad and Excel call Shift_JIS
    message = str(err)
    assert "Shift_JIS" in message and "UTF-8" in message
    assert err.problems[0].row == 2  # the first line with Japanese text


def test_utf8_bom_is_accepted():
    data = planfile.parse(b"\xef\xbb\xbf" + VALID.encode(), max_bytes=MAX)
    assert data.plans[0].title == "テスト計画"


def test_file_over_the_limit_is_refused_before_parsing():
    err = problems_of(VALID.encode() + b"#" * MAX)
    assert "大きすぎます" in str(err) and "2,097,152" in str(err)


def test_empty_and_binary_files():
    assert "空です" in str(problems_of(b"  \n"))
    assert "バイナリ" in str(problems_of(b"format: x\x00\x01"))


def test_missing_required_fields_are_all_reported_with_lines():
    text = VALID.replace("  kind: activity\n", "").replace("      title: 推進目標一\n", "")
    err = problems_of(text)
    messages = "\n".join(err.messages())
    assert "plans[1].kind（計画の種類）" in messages
    assert "plans[1].nodes[1].children[1].title（名称）: 必須です" in messages
    lines = {p.field.split("（")[0]: p.row for p in err.problems}
    assert lines["plans[1].nodes[1].children[1].title"] == 20  # the item's first line (kind removed above)


def test_repeated_code_among_siblings():
    text = VALID + "    - code: １-①\n      title: 重複した番号\n"
    err = problems_of(text)
    assert "番号「１-①」が同じ階層の 21行目と重複" in str(err)
    assert err.problems[0].row == 24


def test_repeated_issue_code():
    text = VALID.replace(
        "    title: つながりの希薄化\n", "    title: つながりの希薄化\n  - code: '01'\n    title: 二つ目\n"
    )
    assert "地域生活課題の番号「01」が 13行目と重複" in str(problems_of(text))


def test_unknown_level():
    text = VALID.replace("      priority: true\n", "      priority: true\n      level: 事業細目\n")
    err = problems_of(text)
    assert "階層「事業細目」は levels にありません（基本目標、推進目標）" in str(err)
    assert err.problems[0].row == 24


def test_level_at_or_above_the_parent():
    text = VALID.replace("      priority: true\n", "      priority: true\n      level: 基本目標\n")
    assert "上位の項目と同じか上の階層" in str(problems_of(text))


def test_unknown_issue_reference():
    text = VALID.replace("    - '01'\n", "    - '99'\n")
    err = problems_of(text)
    assert "地域生活課題「99」はこの計画の issues にありません" in str(err)
    assert err.problems[0].row == 19


def test_nesting_deeper_than_declared_levels():
    text = VALID + "      children:\n      - title: 三段目\n"
    err = problems_of(text)
    assert "階層が深すぎます。この計画の階層は 2 段（基本目標、推進目標）" in str(err)
    assert err.problems[0].row == 25


def test_unknown_key_is_refused_not_dropped():
    err = problems_of(VALID.replace("  kind: activity\n", "  kind: activity\n  vison: 誤字\n"))
    assert "知らない項目名です" in str(err) and "plans.vison" not in str(err)
    assert err.problems[0].field == "plans[1].vison"


@pytest.mark.parametrize(
    "change, expected",
    [
        (("    start: 2026\n", "    start: 令和8年\n"), "年度は西暦の数字で書いてください"),
        (("    end: 2030\n", "    end: 2020\n"), "終了年度が開始年度より前です"),
        (("    end: 2030\n", "    end: 3000\n"), "範囲外です"),
        (("      priority: true\n", "      priority: はい\n"), "true（重点）か false"),
        (("  kind: activity\n", "  kind: 活動計画\n"), "「活動計画」は使えません"),
        (("  levels:\n  - 基本目標\n  - 推進目標\n", "  levels: 基本目標\n"), "一覧で書いてください"),
        (("format: sasaeai-plan/1\n", "format: sasaeai-plan/9\n"), "format: sasaeai-plan/1"),
    ],
)
def test_wrong_types_and_values(change, expected):
    assert expected in str(problems_of(VALID.replace(*change)))


def test_duplicate_key_is_refused():
    err = problems_of(VALID.replace("  kind: activity\n", "  kind: activity\n  kind: district\n"))
    assert "同じ項目名が二度" in str(err)


def test_not_a_plan_file_at_all():
    assert "計画ファイルではありません" in str(problems_of("- just\n- a list\n"))


def test_too_many_nodes_is_refused():
    text = VALID + "".join(f"  - title: 項目{i}\n" for i in range(planfile.MAX_NODES))
    err = problems_of(text)
    assert "項目が多すぎます。一つのファイルに 20,000 項目までです" in str(err)


def test_recursive_alias_is_refused_not_looped():
    text = VALID.replace("  nodes:\n", "  nodes: &a\n") + "    - title: x\n      children: *a\n"
    assert "自分自身を含んでいます" in str(problems_of(text))


def test_values_are_not_guessed_from_their_look():
    """`code: 01` stays "01" and `title: no` stays "no" (YAML 1.1 would give 1 and False)."""
    text = VALID.replace("  - code: '01'\n", "  - code: 01\n").replace("    - '01'\n", "    - 01\n")
    text = text.replace("    title: 目標一\n", "    title: no\n")
    plan = planfile.parse(text.encode(), max_bytes=MAX).plans[0]
    assert plan.issues[0].code == "01" and plan.nodes[0].issues == ["01"]
    assert plan.nodes[0].title == "no"
    dumped = planfile.dump(planfile.PlanFileData(council="x", plans=[plan]))
    assert "code: '01'" in dumped and "title: 'no'" in dumped


def test_error_messages_name_the_file():
    err = problems_of(VALID.replace("  kind: activity\n", ""))
    assert err.messages()[0].startswith("bad.yaml ")


def test_import_conflict_saves_nothing(councils):
    data = planfile.parse_text(VALID)
    plan_file_import(council=councils["a"], data=data, by=None)
    before = (Plan.objects.count(), PlanNode.objects.count())
    with pytest.raises(planfile.PlanFileError) as info:
        plan_file_import(council=councils["a"], data=planfile.parse_text(VALID), by=None)
    assert "既にあります" in str(info.value)
    assert (Plan.objects.count(), PlanNode.objects.count()) == before


def test_import_into_another_council_is_refused(councils):
    with pytest.raises(planfile.PlanFileError) as info:
        plan_file_import(council=councils["b"], data=planfile.parse_text(VALID), by=None)
    assert "一致しません" in str(info.value)
    assert not Plan.objects.exists()


def test_docs_example_is_a_valid_file():
    doc = (Path(__file__).resolve().parents[3] / "docs" / "plan-file-format.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    data = planfile.parse(example.encode(), max_bytes=MAX)
    assert data.plans[0].nodes[0].children[0].priority is True


# --------------------------------------------------------------------------- files that once crashed the reader


def test_deeply_nested_yaml_is_refused_instead_of_crashing_the_process():
    err = problems_of(b"[" * 30000 + b"]" * 30000)
    assert "入れ子が深すぎます（64 段まで）" in str(err)
    assert "入れ子が深すぎます" in str(problems_of(b"a: " + b"[" * 100000))


@pytest.mark.parametrize(
    "change",
    [
        ("  kind: activity\n", "  kind: [activity]\n"),
        ("  kind: activity\n", "  kind: activity\n  status: {a: b}\n"),
        ("      priority: true\n", "      priority: [a]\n"),
        ("      priority: true\n", "      priority: !!set {a: null}\n"),
        (
            "      priority: true\n",
            "      priority: true\n      actions:\n      - actor: [community]\n        text: x\n",
        ),
    ],
)
def test_lists_and_maps_where_a_word_is_expected(change):
    err = problems_of(VALID.replace(*change))
    assert err.problems  # a PlanFileError with a message, not a TypeError


@pytest.mark.parametrize(
    "value",
    [
        "!!int abc",
        "!!int ''",
        "!!float abc",
        "!!bool maybe",
        "!!timestamp abc",
        "!!int " + "9" * 5000,
        "!!int 0x" + "f" * 5000,
        "!!python/object:os.system x",
    ],
)
def test_explicit_tags_never_crash(value):
    text = VALID.replace("    end: 2030\n", f"    end: {value}\n")
    err = problems_of(text)
    assert all(len(str(p)) < 400 for p in err.problems)


def test_explicit_int_tag_on_a_year_still_reads():
    data = planfile.parse(VALID.replace("    end: 2030\n", "    end: !!int 2030\n").encode(), max_bytes=MAX)
    assert data.plans[0].period_end == 2030


def test_nul_in_an_escaped_string_is_refused():
    assert "NUL" in str(problems_of(VALID.replace("title: 目標一", 'title: "目標\\0一"')))


def test_plain_japanese_summary_round_trips_through_the_database(db):
    """やさしい日本語の説明 (shown on the public site) is kept by a plan file: import → export → import."""
    plain = "    plain_summary: みんなで　ささえあう　まちに　します。\n"
    text = VALID.replace("    title: 目標一\n", "    title: 目標一\n" + plain, 1)
    assert "plain_summary" in text
    from sasaeai.core.services import council_create

    data = planfile.parse_text(text)
    council = council_create(name=data.council, kind="municipal")
    plans = plan_file_import(council=council, data=data, by=None)
    node = PlanNode.objects.get(plan=plans[0], plain_summary__startswith="みんなで")
    assert node.plain_summary == "みんなで　ささえあう　まちに　します。"
    exported = planfile.dump(plan_file_data(plans))
    assert "plain_summary: みんなで　ささえあう　まちに　します。" in exported
