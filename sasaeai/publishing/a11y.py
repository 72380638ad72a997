"""The accessibility test record of the public site: written by the browser test run, read by
/public/accessibility/results/.

The run (``tests/browser/test_public_a11y.py``) writes ``settings.SASAEAI_A11Y_RESULTS``; a copy of a full
run is committed as ``data/a11y-record.json`` and shown when no newer run exists on this installation.
A file that cannot be read never breaks the page: ``load_results`` says why in Japanese and falls back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

RECORD = Path(__file__).resolve().parent / "data" / "a11y-record.json"
RECORD_SCHEMA = 1

# JIS X 8341-3:2016 (WCAG 2.0) success criteria of levels A and AA, with the WCAG 2.1 additions marked.
CRITERIA: list[tuple[str, Any, str, bool]] = [
    ("1.1.1", _l("非テキストコンテンツ"), "A", False),
    ("1.2.1", _l("音声のみ及び映像のみ（収録済）"), "A", False),
    ("1.2.2", _l("キャプション（収録済）"), "A", False),
    ("1.2.3", _l("音声解説、又はメディアに対する代替（収録済）"), "A", False),
    ("1.2.4", _l("キャプション（ライブ）"), "AA", False),
    ("1.2.5", _l("音声解説（収録済）"), "AA", False),
    ("1.3.1", _l("情報及び関係性"), "A", False),
    ("1.3.2", _l("意味のある順序"), "A", False),
    ("1.3.3", _l("感覚的な特徴"), "A", False),
    ("1.3.4", _l("表示の向き"), "AA", True),
    ("1.3.5", _l("入力目的の特定"), "AA", True),
    ("1.4.1", _l("色の使用"), "A", False),
    ("1.4.2", _l("音声の制御"), "A", False),
    ("1.4.3", _l("コントラスト（最低限レベル）"), "AA", False),
    ("1.4.4", _l("テキストのサイズ変更"), "AA", False),
    ("1.4.5", _l("文字画像"), "AA", False),
    ("1.4.10", _l("リフロー"), "AA", True),
    ("1.4.11", _l("非テキストのコントラスト"), "AA", True),
    ("1.4.12", _l("テキストの間隔"), "AA", True),
    ("1.4.13", _l("ホバー又はフォーカスで表示されるコンテンツ"), "AA", True),
    ("2.1.1", _l("キーボード"), "A", False),
    ("2.1.2", _l("キーボードトラップなし"), "A", False),
    ("2.1.4", _l("文字キーのショートカット"), "A", True),
    ("2.2.1", _l("タイミング調整可能"), "A", False),
    ("2.2.2", _l("一時停止、停止、非表示"), "A", False),
    ("2.3.1", _l("3回の閃光、又は閾値以下"), "A", False),
    ("2.4.1", _l("ブロックスキップ"), "A", False),
    ("2.4.2", _l("ページタイトル"), "A", False),
    ("2.4.3", _l("フォーカス順序"), "A", False),
    ("2.4.4", _l("リンクの目的（コンテキスト内）"), "A", False),
    ("2.4.5", _l("複数の手段"), "AA", False),
    ("2.4.6", _l("見出し及びラベル"), "AA", False),
    ("2.4.7", _l("フォーカスの可視化"), "AA", False),
    ("2.5.1", _l("ポインタのジェスチャ"), "A", True),
    ("2.5.2", _l("ポインタのキャンセル"), "A", True),
    ("2.5.3", _l("ラベルを含む名前"), "A", True),
    ("2.5.4", _l("動きによる起動"), "A", True),
    ("3.1.1", _l("ページの言語"), "A", False),
    ("3.1.2", _l("一部分の言語"), "AA", False),
    ("3.2.1", _l("フォーカス時"), "A", False),
    ("3.2.2", _l("入力時"), "A", False),
    ("3.2.3", _l("一貫したナビゲーション"), "AA", False),
    ("3.2.4", _l("一貫した識別性"), "AA", False),
    ("3.3.1", _l("エラーの特定"), "A", False),
    ("3.3.2", _l("ラベル又は説明"), "A", False),
    ("3.3.3", _l("エラー修正の提案"), "AA", False),
    ("3.3.4", _l("エラー回避（法的、金融及びデータ）"), "AA", False),
    ("4.1.1", _l("構文解析"), "A", False),
    ("4.1.2", _l("名前（name）・役割（role）及び値（value）"), "A", False),
    ("4.1.3", _l("ステータスメッセージ"), "AA", True),
]

# Criteria that cannot apply to the public site as built: it has no audio or video, and no script (so nothing
# moves, times out, flashes, or reacts to gestures, key shortcuts or motion).
NOT_APPLICABLE = {
    "1.2.1": _l("音声・映像を掲載していません"),
    "1.2.2": _l("音声・映像を掲載していません"),
    "1.2.3": _l("音声・映像を掲載していません"),
    "1.2.4": _l("音声・映像を掲載していません"),
    "1.2.5": _l("音声・映像を掲載していません"),
    "1.4.2": _l("自動で再生する音声はありません"),
    "2.1.4": _l("文字キーのショートカットはありません（JavaScript を使っていません）"),
    "2.2.1": _l("時間制限はありません"),
    "2.2.2": _l("動く・自動で更新される内容はありません"),
    "2.3.1": _l("点滅する内容はありません"),
    "2.5.1": _l("複数の指やなぞる操作はありません"),
    "2.5.4": _l("端末の動きで動かす機能はありません"),
}

_TAG = re.compile(r"^wcag(\d)(\d)(\d+)$")


def criterion_of_tag(tag: str) -> str | None:
    """The success criterion an axe-core tag names: ``wcag1410`` → ``1.4.10``; other tags → None."""
    match = _TAG.match(tag)
    return ".".join(match.groups()) if match else None


def results_path() -> Path:
    return Path(settings.SASAEAI_A11Y_RESULTS)


def record_results(
    *,
    tested_at: datetime,
    axe_version: str,
    browser: str,
    viewports: list[str],
    pages: list[dict[str, Any]],
    automatic_criteria: list[str],
    checks: list[dict[str, Any]],
    path: Path | None = None,
) -> Path:
    """Write one test run. ``pages``: one entry per page address, each ``{"url", "title", "runs": [{"viewport",
    "ruby", "violations": [{"id", "impact", "help", "criteria", "targets"}]}]}``; ``checks``: the keyboard,
    reflow and structure checks, each ``{"criteria": [...], "name", "method", "pages", "failures": [...]}``."""
    path = path or results_path()
    total = sum(len(run["violations"]) for page in pages for run in page["runs"])
    data = {
        "schema": RECORD_SCHEMA,
        "tested_at": tested_at.isoformat(timespec="seconds"),
        "tool": {"axe_core": axe_version, "browser": browser},
        "viewports": viewports,
        "automatic_criteria": sorted(set(automatic_criteria), key=_criterion_key),
        "pages": pages,
        "checks": checks,
        "total_violations": total,
        "total_check_failures": sum(len(c["failures"]) for c in checks),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _criterion_key(code: str) -> tuple[int, ...]:
    return tuple(int(p) for p in code.split(".") if p.isdigit())


@dataclass
class PageResult:
    url: str
    title: str
    runs: list[dict[str, Any]]

    @property
    def violations(self) -> int:
        return sum(len(run["violations"]) for run in self.runs)


@dataclass
class CriterionResult:
    code: str
    name: Any
    level: str
    wcag21: bool
    methods: list[str]
    result: str
    problems: int


@dataclass
class Results:
    """What the results page shows: the run it read (``source`` is "run", "record" or ""), or why none."""

    source: str = ""
    tested_at: datetime | None = None
    axe_version: str = ""
    browser: str = ""
    viewports: list[str] = field(default_factory=list)
    pages: list[PageResult] = field(default_factory=list)
    criteria: list[CriterionResult] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    total_violations: int = 0
    total_check_failures: int = 0
    notes: list[str] = field(default_factory=list)


def _criteria(pages: list[PageResult], checks: list[dict[str, Any]], automatic: set[str]) -> list[CriterionResult]:
    """Each success criterion with how it was checked and what was found."""
    counted: dict[str, int] = {}
    for page in pages:
        for run in page.runs:
            for violation in run["violations"]:
                for code in violation.get("criteria", []):
                    counted[code] = counted.get(code, 0) + 1
    by_check: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        for code in check.get("criteria", []):
            by_check.setdefault(str(code), []).append(check)
    criteria = []
    for code, name, level, wcag21 in CRITERIA:
        methods = [str(_("自動試験（axe-core）"))] if code in automatic else []
        methods += [str(c.get("method", "")) for c in by_check.get(code, [])]
        problems = counted.get(code, 0) + sum(len(c["failures"]) for c in by_check.get(code, []))
        if code in NOT_APPLICABLE:
            result = _("適用なし（%(reason)s）") % {"reason": NOT_APPLICABLE[code]}
        elif problems:
            result = _("%(count)d件") % {"count": problems}
        elif methods:
            result = _("問題なし")
        else:
            result = _("自動試験の対象外（未確認）")
        criteria.append(CriterionResult(code, name, level, wcag21, methods, result, problems))
    return criteria


def _parse(data: Any) -> Results:
    """A run read from JSON; ``ValueError`` (or ``KeyError``/``TypeError``) when it is not one."""
    if not isinstance(data, dict) or data.get("schema") != RECORD_SCHEMA:
        raise ValueError("not an accessibility record")
    pages = [PageResult(url=str(p["url"]), title=str(p.get("title", "")), runs=list(p["runs"])) for p in data["pages"]]
    if any(not isinstance(run["violations"], list) for page in pages for run in page.runs):
        raise ValueError("violations")
    checks = [dict(c) for c in data.get("checks", [])]
    for check in checks:
        check["failures"] = list(check.get("failures", []))
    automatic = {str(c) for c in data.get("automatic_criteria", [])}
    return Results(
        tested_at=datetime.fromisoformat(str(data["tested_at"])),
        axe_version=str(data["tool"]["axe_core"]),
        browser=str(data["tool"]["browser"]),
        viewports=[str(v) for v in data.get("viewports", [])],
        pages=pages,
        criteria=_criteria(pages, checks, automatic),
        checks=checks,
        total_violations=sum(p.violations for p in pages),
        total_check_failures=sum(len(c["failures"]) for c in checks),
    )


def _read(path: Path) -> Results:
    return _parse(json.loads(path.read_text(encoding="utf-8")))


def load_results() -> Results:
    """The latest run on this installation, else the committed record; with a note when a file was unreadable."""
    notes = []
    for path, source in ((results_path(), "run"), (RECORD, "record")):
        if not path.exists():
            continue
        try:
            results = _read(path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            if source == "run":
                notes.append(_("このサーバーで行った最新の試験結果のファイルを読み込めませんでした。"))
            else:
                notes.append(_("記録している試験結果のファイルを読み込めませんでした。"))
            continue
        results.source = source
        results.notes = notes
        return results
    if not notes:
        notes.append(_("試験結果はまだありません。"))
    return Results(notes=notes)
