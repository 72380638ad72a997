"""The accessibility policy and results pages: what a run records is what residents read, and a missing or
broken results file still gives a page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from sasaeai.publishing import a11y


def _run(path, *, violations=0, check_failures=0):
    runs = [
        {
            "viewport": "1280x900",
            "ruby": False,
            "violations": [
                {"id": "color-contrast", "impact": "serious", "help": "c", "criteria": ["1.4.3"], "targets": ["p"]}
            ]
            * violations,
        }
    ]
    return a11y.record_results(
        tested_at=datetime(2026, 11, 30, 14, 5, tzinfo=ZoneInfo("Asia/Tokyo")),
        axe_version="4.99.1",
        browser="Chromium 999.0.1",
        viewports=["1280px", "375px"],
        pages=[
            {"url": "/public/", "title": "公開している社協", "runs": runs},
            {"url": "/public/kurashiki/", "title": "倉敷市社会福祉協議会", "runs": runs},
        ],
        automatic_criteria=["1.4.3", "1.1.1"],
        checks=[
            {
                "criteria": ["2.4.1", "2.4.7"],
                "name": "キーボード操作",
                "method": "キーボード操作試験",
                "pages": 2,
                "failures": ["/public/: x"] * check_failures,
            }
        ],
        path=path,
    )


@pytest.fixture
def paths(tmp_path, settings, monkeypatch):
    settings.SASAEAI_A11Y_RESULTS = str(tmp_path / "run.json")
    monkeypatch.setattr(a11y, "RECORD", tmp_path / "record.json")
    return tmp_path / "run.json", tmp_path / "record.json"


def test_policy_page_states_standard_level_scope_and_method(client, db):
    response = client.get(reverse("site:accessibility"))
    text = response.content.decode()
    assert response.status_code == 200
    for words in ["JIS X 8341-3:2016", "適合レベル AA", "対象範囲", "対応方針", "例外事項", "試験の方法"]:
        assert words in text
    assert reverse("site:accessibility_results") in text


def test_recorded_run_is_shown(client, db, paths):
    _run(paths[0], violations=0)
    response = client.get(reverse("site:accessibility_results"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "このサーバーで行った最新の試験の結果です。" in text
    assert "2026年11月30日" in text
    assert "axe-core 4.99.1" in text and "Chromium 999.0.1" in text
    assert "/public/kurashiki/" in text and "倉敷市社会福祉協議会" in text
    assert "1280px、375px" in text
    # automatic criteria and the keyboard check pass; unchecked ones say so, media criteria do not apply
    assert "2.4.1 ブロックスキップ" in text
    assert "自動試験の対象外（未確認）" in text
    assert "適用なし（音声・映像を掲載していません）" in text


def test_violations_and_check_failures_are_counted_per_criterion_and_page(client, db, paths):
    _run(paths[0], violations=2, check_failures=1)
    results = a11y.load_results()
    assert results.total_violations == 4
    assert results.total_check_failures == 1
    by_code = {c.code: c for c in results.criteria}
    assert by_code["1.4.3"].result == "4件"
    assert by_code["1.1.1"].result == "問題なし"
    assert by_code["2.4.1"].result == "1件"
    assert by_code["3.3.3"].result == "自動試験の対象外（未確認）"
    text = client.get(reverse("site:accessibility_results")).content.decode()
    assert "2件" in text and "4件" in text


def test_missing_run_falls_back_to_committed_record(client, db, paths):
    _run(paths[1])
    assert not paths[0].exists()
    text = client.get(reverse("site:accessibility_results")).content.decode()
    assert "開発時に行った試験の記録です" in text
    assert "2026年11月30日" in text


def test_corrupt_run_still_gives_a_page_with_a_japanese_note(client, db, paths):
    paths[0].write_text("{not json", encoding="utf-8")
    _run(paths[1])
    response = client.get(reverse("site:accessibility_results"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "最新の試験結果のファイルを読み込めませんでした。" in text
    assert "開発時に行った試験の記録です" in text


@pytest.mark.parametrize("content", ["{not json", "[]", '{"schema": 1}', '{"schema": 1, "pages": [{"url": 1}]}'])
def test_no_readable_file_at_all_still_gives_a_page(client, db, paths, content):
    paths[0].write_text(content, encoding="utf-8")
    paths[1].write_text(content, encoding="utf-8")
    response = client.get(reverse("site:accessibility_results"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "読み込めませんでした" in text


def test_nothing_recorded_says_so(client, db, paths):
    response = client.get(reverse("site:accessibility_results"))
    assert response.status_code == 200
    assert "試験結果はまだありません。" in response.content.decode()


def test_committed_record_is_a_readable_run_without_problems():
    results = a11y._read(a11y.RECORD)
    assert results.pages and results.total_violations == 0 and results.total_check_failures == 0
    assert results.axe_version and results.browser.startswith("Chromium")


def test_axe_tags_name_success_criteria():
    assert a11y.criterion_of_tag("wcag1410") == "1.4.10"
    assert a11y.criterion_of_tag("wcag412") == "4.1.2"
    assert a11y.criterion_of_tag("wcag2aa") is None
    assert a11y.criterion_of_tag("best-practice") is None


def test_alive_is_the_plain_floor(client, db):
    response = client.get("/alive/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
