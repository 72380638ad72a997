"""Open data of a published plan: one row source per table, written as CSV, Excel and JSON.

Only what is published, ever: every row comes from the *current publications* of an *open* site, read through
``selectors`` (``site_get`` → ``site_plan``), never from the live plan. A year whose progress is not published
has no rows; a withdrawn publication is gone from every file at once (the site's version is in the ETag and in
the cache key).

Tables (``TABLES``), each with stable ASCII snake_case column names (the CSV header, the JSON keys, the API
fields and the Frictionless field names are the same) and a Japanese title and description per column:

- ``plan``: one row, the plan itself;
- ``nodes``: the plan's structure (体系), one row per item;
- ``issues``: 地域生活課題;
- ``indicators``: per published progress year, one row per indicator (目標値・実績値・達成率);
- ``progress``: per published progress year, one row per item (状況・進捗・達成率);
- ``evaluations``: per published evaluation year, one row per project (最終評価と方向性);
- ``opinions``: per published year, the evaluation committee's 総評.

CSV: UTF-8 with a BOM, comma separated, CRLF, header row of column names (as the project's other exports).
Excel: a header row of Japanese titles, one sheet per table (``all.xlsx``: every table). JSON: the rows as
objects, with the licence and the source.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from . import selectors
from .models import LICENCE_URLS, Licence, Publication, PublicSite
from .selectors import PublicPlan

# Bumped when a table's columns or a file's layout change: old ETags and cached files stop matching.
FORMAT_REVISION = 1
FORMATS = ("csv", "xlsx", "json")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
CONTENT_TYPES = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE, "json": JSON_CONTENT_TYPE}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FONT_NAME = "游ゴシック"
EXCEL_CELL_MAX = 32767
FILE_CACHE_SECONDS = 7 * 24 * 3600

Row = dict[str, Any]

# Frictionless types in plain Japanese (the schema on the download page).
TYPE_LABELS = {
    "integer": gettext_lazy("整数"),
    "number": gettext_lazy("数値"),
    "string": gettext_lazy("文字列"),
    "boolean": gettext_lazy("真偽値（true / false）"),
    "date": gettext_lazy("日付（YYYY-MM-DD）"),
    "datetime": gettext_lazy("日時（ISO 8601）"),
}


@dataclass(frozen=True)
class Column:
    name: str  # ASCII snake_case: CSV header, JSON key, Frictionless field name
    type: str  # Frictionless type: integer, number, string, boolean, date, datetime
    title: Any  # Japanese (lazy)
    description: Any = ""
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    rows: Callable[[PublicPlan], Iterator[Row]]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (field, resource, field): "" is this table

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def C(name: str, type_: str, title: Any, description: Any = "", *, required: bool = False) -> Column:
    return Column(name, type_, title, description, required)


# ---------------------------------------------------------------------------------------------------------------
# Row sources. Each reads one published copy (``Publication.data``) and yields plain rows keyed by column name.
# ---------------------------------------------------------------------------------------------------------------


def _year_parts(public_plan: PublicPlan, part: str) -> list[Publication]:
    """The published copies of one part, by fiscal year (oldest first)."""
    return [parts[part] for _year, parts in sorted(public_plan.years.items()) if part in parts]


def plan_rows(public_plan: PublicPlan) -> Iterator[Row]:
    plan = public_plan.data.get("plan", {})
    municipal = plan.get("municipal_plan") or {}
    yield {
        "plan_id": public_plan.plan_id,
        "title": plan.get("title", ""),
        "generation": plan.get("generation", ""),
        "kind": plan.get("kind", ""),
        "kind_label": plan.get("kind_label", ""),
        "status": plan.get("status", ""),
        "status_label": plan.get("status_label", ""),
        "period_start": plan.get("period_start"),
        "period_end": plan.get("period_end"),
        "period_label": plan.get("period_label", ""),
        "vision": plan.get("vision", ""),
        "vision_explanation": plan.get("vision_explanation", ""),
        "purpose": plan.get("purpose", ""),
        "levels": "／".join(level["name"] for level in public_plan.data.get("levels", [])),
        "municipal_plan_name": municipal.get("name", ""),
        "municipal_plan_period_label": municipal.get("period_label", ""),
        "predecessor_title": plan.get("predecessor_title") or "",
        "published_at": public_plan.structure.published_at.isoformat(timespec="seconds"),
    }


def _action_lines(actions: list[dict[str, Any]]) -> str:
    return "\n".join(a.get("text", "") for a in actions if a.get("text"))


def node_rows(public_plan: PublicPlan) -> Iterator[Row]:
    for node in public_plan.data.get("nodes", []):
        actions = node.get("actions") or {}
        yield {
            "id": node["id"],
            "parent_id": node.get("parent"),
            "depth": node.get("depth"),
            "level": node.get("level", ""),
            "code": node.get("code", ""),
            "title": node.get("title", ""),
            "is_priority": bool(node.get("is_priority")),
            "summary": node.get("summary", ""),
            "description": node.get("description", ""),
            "desired_state": node.get("desired_state", ""),
            "plain_summary": node.get("plain_summary", ""),
            "targets_text": node.get("targets_text", ""),
            "weight": node.get("weight"),
            "issue_codes": " ".join(node.get("issues") or []),
            "community_actions": _action_lines(actions.get("community", [])),
            "council_actions": _action_lines(actions.get("council", [])),
        }


def issue_rows(public_plan: PublicPlan) -> Iterator[Row]:
    for issue in public_plan.data.get("issues", []):
        yield {
            "code": issue.get("code", ""),
            "title": issue.get("title", ""),
            "description": issue.get("description", ""),
            "node_ids": " ".join(str(pk) for pk in issue.get("nodes") or []),
        }


def indicator_rows(public_plan: PublicPlan) -> Iterator[Row]:
    for pub in _year_parts(public_plan, Publication.Part.PROGRESS):
        for node_id, entry in pub.data.get("nodes", {}).items():
            for ind in entry.get("indicators", []):
                yield {
                    "fiscal_year": pub.fiscal_year,
                    "node_id": int(node_id),
                    "indicator_id": ind["id"],
                    "name": ind.get("name", ""),
                    "unit": ind.get("unit", ""),
                    "kind": ind.get("kind", ""),
                    "kind_label": ind.get("kind_label", ""),
                    "direction": ind.get("direction", ""),
                    "direction_label": ind.get("direction_label", ""),
                    "baseline": ind.get("baseline"),
                    "baseline_year": ind.get("baseline_year"),
                    "target": ind.get("target"),
                    "final_target": ind.get("final_target"),
                    "final_target_year": ind.get("final_target_year"),
                    "actual": ind.get("actual"),
                    "actual_text": ind.get("actual_text") or "",
                    "achievement_rate": ind.get("rate"),
                }


def progress_rows(public_plan: PublicPlan) -> Iterator[Row]:
    for pub in _year_parts(public_plan, Publication.Part.PROGRESS):
        for node_id, entry in pub.data.get("nodes", {}).items():
            yield {
                "fiscal_year": pub.fiscal_year,
                "node_id": int(node_id),
                "status": entry.get("status") or "",
                "period": entry.get("period"),
                "progress": entry.get("progress"),
                "achievement": entry.get("achievement"),
            }


def evaluation_rows(public_plan: PublicPlan) -> Iterator[Row]:
    for pub in _year_parts(public_plan, Publication.Part.EVALUATION):
        for node_id, entry in pub.data.get("projects", {}).items():
            yield {
                "fiscal_year": pub.fiscal_year,
                "node_id": int(node_id),
                "grade": entry.get("grade") or "",
                "grade_label": entry.get("grade_label") or "",
                "direction": entry.get("direction") or "",
                "results": entry.get("results") or "",
                "comment": entry.get("comment") or "",
                "challenges": entry.get("challenges") or "",
                "improvements": entry.get("improvements") or "",
            }


def opinion_rows(public_plan: PublicPlan) -> Iterator[Row]:
    for pub in _year_parts(public_plan, Publication.Part.OPINION):
        yield {
            "fiscal_year": pub.fiscal_year,
            "text": pub.data.get("text", ""),
            "submitted_on": pub.data.get("submitted_on"),
        }


_FY = C(
    "fiscal_year",
    "integer",
    gettext_lazy("年度"),
    gettext_lazy("西暦の年度（4月から翌年3月）。2026 は令和8年度"),
    required=True,
)
_NODE = C("node_id", "integer", gettext_lazy("項目ID"), gettext_lazy("体系（nodes）の項目のID"), required=True)

TABLES: tuple[Table, ...] = (
    Table(
        "plan",
        gettext_lazy("計画"),
        gettext_lazy("計画の名前・期間・基本理念など（1行）"),
        (
            C("plan_id", "integer", gettext_lazy("計画ID"), gettext_lazy("このサイトでの計画の番号"), required=True),
            C("title", "string", gettext_lazy("計画名"), gettext_lazy("計画書の表紙の計画の名前"), required=True),
            C("generation", "string", gettext_lazy("期・次"), gettext_lazy("例: 第4次")),
            C("kind", "string", gettext_lazy("計画の種類（記号）"), "activity / council_development / district"),
            C(
                "kind_label",
                "string",
                gettext_lazy("計画の種類"),
                gettext_lazy("地域福祉活動計画・社協発展強化計画・地区別計画など"),
            ),
            C("status", "string", gettext_lazy("状態（記号）"), "active / finished"),
            C("status_label", "string", gettext_lazy("状態"), gettext_lazy("推進中・終了")),
            C("period_start", "integer", gettext_lazy("計画期間の始まり（年度）"), gettext_lazy("西暦の年度")),
            C("period_end", "integer", gettext_lazy("計画期間の終わり（年度）"), gettext_lazy("西暦の年度")),
            C(
                "period_label",
                "string",
                gettext_lazy("計画期間"),
                gettext_lazy("和暦と西暦の期間（例: 令和8年度～令和12年度）"),
            ),
            C("vision", "string", gettext_lazy("基本理念"), gettext_lazy("計画が目指すまちの姿を表したことば")),
            C("vision_explanation", "string", gettext_lazy("基本理念の説明"), gettext_lazy("基本理念にこめた思い")),
            C("purpose", "string", gettext_lazy("計画の目的"), gettext_lazy("計画をつくる目的・位置づけ")),
            C("levels", "string", gettext_lazy("体系の階層"), gettext_lazy("上の階層から「／」で区切って並べたもの")),
            C(
                "municipal_plan_name",
                "string",
                gettext_lazy("市町村の地域福祉計画"),
                gettext_lazy("この計画と一緒に進める市町村の行政計画の名前"),
            ),
            C(
                "municipal_plan_period_label",
                "string",
                gettext_lazy("地域福祉計画の期間"),
                gettext_lazy("地域福祉計画の計画期間"),
            ),
            C("predecessor_title", "string", gettext_lazy("前の計画"), gettext_lazy("この計画の前の期の計画の名前")),
            C(
                "published_at",
                "datetime",
                gettext_lazy("公表日時"),
                gettext_lazy("計画の内容を公表した日時（日本時間）"),
            ),
        ),
        plan_rows,
        ("plan_id",),
    ),
    Table(
        "nodes",
        gettext_lazy("計画の体系"),
        gettext_lazy("基本目標・推進事業など、計画の項目（1行に1項目。上の項目は parent_id）"),
        (
            C(
                "id",
                "integer",
                gettext_lazy("項目ID"),
                gettext_lazy("このサイトでの項目の番号。ほかの表の node_id と対応します"),
                required=True,
            ),
            C("parent_id", "integer", gettext_lazy("上の項目のID"), gettext_lazy("いちばん上の項目では空")),
            C("depth", "integer", gettext_lazy("階層の深さ"), gettext_lazy("いちばん上が 0")),
            C("level", "string", gettext_lazy("階層の名前"), gettext_lazy("例: 基本目標、推進事業")),
            C("code", "string", gettext_lazy("番号"), gettext_lazy("計画書での番号（例: 1-2）")),
            C("title", "string", gettext_lazy("名前"), gettext_lazy("基本目標・推進事業などの名前"), required=True),
            C("is_priority", "boolean", gettext_lazy("重点"), gettext_lazy("重点項目なら true")),
            C("summary", "string", gettext_lazy("概要"), gettext_lazy("項目の短い説明")),
            C("description", "string", gettext_lazy("説明"), gettext_lazy("項目の詳しい説明")),
            C("desired_state", "string", gettext_lazy("目指す姿"), gettext_lazy("この項目で目指す地域の姿")),
            C(
                "plain_summary",
                "string",
                gettext_lazy("やさしい日本語の説明"),
                gettext_lazy("やさしい日本語で書いた項目の説明"),
            ),
            C("targets_text", "string", gettext_lazy("目標（計画書の文）"), gettext_lazy("計画書に書かれた目標の文")),
            C("weight", "number", gettext_lazy("重み"), gettext_lazy("上の項目の達成率を計算するときの重み")),
            C("issue_codes", "string", gettext_lazy("地域生活課題の番号"), gettext_lazy("半角スペース区切り")),
            C("community_actions", "string", gettext_lazy("地域での取り組み"), gettext_lazy("1行に1つ")),
            C("council_actions", "string", gettext_lazy("社協の取り組み"), gettext_lazy("1行に1つ")),
        ),
        node_rows,
        ("id",),
        (("parent_id", "", "id"),),
    ),
    Table(
        "issues",
        gettext_lazy("地域生活課題"),
        gettext_lazy("計画が取り組む地域生活課題と、それに応える項目"),
        (
            C("code", "string", gettext_lazy("番号"), gettext_lazy("計画書での課題の番号"), required=True),
            C("title", "string", gettext_lazy("課題"), gettext_lazy("地域生活課題の名前")),
            C("description", "string", gettext_lazy("説明"), gettext_lazy("課題の詳しい説明")),
            C("node_ids", "string", gettext_lazy("応える項目のID"), gettext_lazy("半角スペース区切り")),
        ),
        issue_rows,
        ("code",),
    ),
    Table(
        "indicators",
        gettext_lazy("指標"),
        gettext_lazy("進捗を公表した年度ごとの指標の基準値・目標値・実績値・達成率"),
        (
            _FY,
            _NODE,
            C(
                "indicator_id",
                "integer",
                gettext_lazy("指標ID"),
                gettext_lazy("このサイトでの指標の番号（年度が変わっても同じ）"),
                required=True,
            ),
            C("name", "string", gettext_lazy("指標"), gettext_lazy("何を測るか（例: サロンの参加者数）")),
            C("unit", "string", gettext_lazy("単位"), gettext_lazy("数える単位（例: 人、回、％）")),
            C(
                "kind",
                "string",
                gettext_lazy("指標の種類（記号）"),
                gettext_lazy("quantity（数量）・ratio（割合）・yes_no（実施の有無）・qualitative（文章）"),
            ),
            C("kind_label", "string", gettext_lazy("指標の種類"), gettext_lazy("数量・割合（％）・実施の有無・定性")),
            C("direction", "string", gettext_lazy("よい方向（記号）"), "higher / lower / …"),
            C("direction_label", "string", gettext_lazy("よい方向"), gettext_lazy("多いほどよい・少ないほどよい")),
            C("baseline", "number", gettext_lazy("基準値"), gettext_lazy("計画をつくったときの値")),
            C("baseline_year", "integer", gettext_lazy("基準値の年度"), gettext_lazy("基準値を測った年度（西暦）")),
            C("target", "number", gettext_lazy("目標値"), gettext_lazy("この年度の目標値")),
            C("final_target", "number", gettext_lazy("最終目標値"), gettext_lazy("計画の最後の年度の目標値")),
            C("final_target_year", "integer", gettext_lazy("最終目標の年度"), gettext_lazy("最終目標値の年度（西暦）")),
            C("actual", "number", gettext_lazy("実績値"), gettext_lazy("この年度の実績値（まだなければ空）")),
            C("actual_text", "string", gettext_lazy("実績（文）"), gettext_lazy("数値でない実績（例: 実施）")),
            C("achievement_rate", "number", gettext_lazy("達成率（％）"), gettext_lazy("小数第1位で四捨五入")),
        ),
        indicator_rows,
        ("fiscal_year", "indicator_id"),
        (("node_id", "nodes", "id"),),
    ),
    Table(
        "progress",
        gettext_lazy("進捗"),
        gettext_lazy("進捗を公表した年度ごとの、項目の状況・進捗・達成率"),
        (
            _FY,
            _NODE,
            C("status", "string", gettext_lazy("状況"), gettext_lazy("例: 順調、やや遅れ")),
            C("period", "integer", gettext_lazy("報告の回"), gettext_lazy("年度の中で何回目の報告か")),
            C("progress", "number", gettext_lazy("進捗（点）"), gettext_lazy("状況の点数。上の項目は下の項目の平均")),
            C("achievement", "number", gettext_lazy("達成率（％）"), gettext_lazy("指標の達成率の平均")),
        ),
        progress_rows,
        ("fiscal_year", "node_id"),
        (("node_id", "nodes", "id"),),
    ),
    Table(
        "evaluations",
        gettext_lazy("評価"),
        gettext_lazy("評価を公表した年度ごとの、事業の最終評価と今後の方向性"),
        (
            _FY,
            _NODE,
            C("grade", "string", gettext_lazy("評価（記号）"), gettext_lazy("例: A、B、C")),
            C("grade_label", "string", gettext_lazy("評価"), gettext_lazy("評価の記号の意味（例: 順調に進んでいる）")),
            C("direction", "string", gettext_lazy("今後の方向性"), gettext_lazy("例: 拡充、継続、見直し")),
            C("results", "string", gettext_lazy("実績・成果"), gettext_lazy("この年度に行ったことと、その成果")),
            C("comment", "string", gettext_lazy("所見"), gettext_lazy("最終評価の所見")),
            C("challenges", "string", gettext_lazy("課題"), gettext_lazy("これからの課題")),
            C("improvements", "string", gettext_lazy("改善策"), gettext_lazy("課題への改善策")),
        ),
        evaluation_rows,
        ("fiscal_year", "node_id"),
        (("node_id", "nodes", "id"),),
    ),
    Table(
        "opinions",
        gettext_lazy("評価委員会の総評"),
        gettext_lazy("総評を公表した年度ごとの、評価委員会の総評・答申"),
        (
            _FY,
            C("text", "string", gettext_lazy("総評"), gettext_lazy("評価委員会が確定した総評・答申の文")),
            C("submitted_on", "date", gettext_lazy("確定日"), gettext_lazy("総評を確定した日（YYYY-MM-DD）")),
        ),
        opinion_rows,
        ("fiscal_year",),
    ),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


# ---------------------------------------------------------------------------------------------------------------
# Values per format
# ---------------------------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def json_value(column: Column, value: Any) -> Any:
    """A value as JSON: numbers as numbers (integers stay integers), empty text as ""."""
    if value is None:
        return None
    if column.type == "number":
        number = _decimal(value)
        if number is None:
            return None
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def csv_value(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type == "string":
        text = str(value)
        # A cell Excel would take for a formula keeps its text (the project's export rule).
        return f"'{text}" if text.startswith(_FORMULA_START) else text
    return str(value)


def xlsx_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.type == "number":
        return json_value(column, value)
    if column.type == "boolean":
        return _("はい") if value else _("いいえ")
    if isinstance(value, str):
        # Control characters are not allowed in a workbook; a cell holds at most 32,767 characters.
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_MAX]
    return value


# ---------------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Source:
    """What every file of one plan states: the licence, the 出典 text and where the data lives."""

    site: PublicSite
    public_plan: PublicPlan

    @property
    def council_name(self) -> str:
        return self.site.council.name

    @property
    def plan_title(self) -> str:
        return str(self.public_plan.data.get("plan", {}).get("title", ""))

    @property
    def licence(self) -> str:
        return self.site.licence or Licence.CC_BY_4

    @property
    def licence_title(self) -> str:
        return str(Licence(self.licence).label) if self.licence in Licence.values else self.licence

    @property
    def licence_url(self) -> str:
        return self.site.licence_url or LICENCE_URLS[Licence.CC_BY_4]

    @property
    def page_path(self) -> str:
        return reverse("site:opendata", args=[self.site.slug, self.public_plan.plan_id])

    @property
    def page_url(self) -> str:
        return absolute(self.page_path)

    @property
    def attribution(self) -> str:
        """The 出典 text to print with the data (CC BY asks for the source)."""
        return _("出典：%(council)s「%(plan)s」（%(url)s）") % {
            "council": self.council_name,
            "plan": self.plan_title,
            "url": self.page_url,
        }


def absolute(path: str) -> str:
    return settings.SASAEAI_BASE_URL.rstrip("/") + path


def rows(table: Table, public_plan: PublicPlan) -> list[Row]:
    return list(table.rows(public_plan))


def build_csv(table: Table, public_plan: PublicPlan) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.names)
    for row in table.rows(public_plan):
        writer.writerow([csv_value(c, row.get(c.name)) for c in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_json(table: Table, source: Source) -> bytes:
    body = {
        "name": table.name,
        "title": str(table.title),
        "council": source.council_name,
        "plan": source.plan_title,
        "license": {"name": source.licence, "title": source.licence_title, "path": source.licence_url},
        "attribution": source.attribution,
        "fields": [{"name": c.name, "type": c.type, "title": str(c.title)} for c in table.columns],
        "data": [
            {c.name: json_value(c, row.get(c.name)) for c in table.columns} for row in table.rows(source.public_plan)
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _write_sheet(sheet: Any, table: Table, public_plan: PublicPlan, attribution: str) -> None:
    from openpyxl.styles import Alignment, Font

    header_font = Font(name=FONT_NAME, bold=True)
    body_font = Font(name=FONT_NAME)
    sheet.append([str(c.title) for c in table.columns])
    for cell in sheet[1]:
        cell.font = header_font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row_index, row in enumerate(table.rows(public_plan), start=2):
        for column_index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=row_index, column=column_index, value=xlsx_value(column, row.get(column.name)))
            if column.type == "string" and cell.data_type == "f":
                cell.data_type = "s"  # text that starts with "=" stays text, never a formula
            cell.font = body_font
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        width = 40 if column.type == "string" and column.name not in {"code", "unit", "level"} else 12
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.oddFooter.center.text = attribution[:250]


def build_xlsx(tables: Iterable[Table], source: Source) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    if workbook.active is not None:
        workbook.remove(workbook.active)
    for table in tables:
        title = _SHEET_FORBIDDEN.sub("", str(table.title))[:31]
        _write_sheet(workbook.create_sheet(title), table, source.public_plan, source.attribution)
    workbook.properties.creator = source.council_name
    workbook.properties.title = source.plan_title
    workbook.properties.description = source.attribution
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# One plan's files: what the views serve
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    name: str  # e.g. "nodes.csv", "all.xlsx", "datapackage.json"
    content: bytes
    content_type: str
    download_name: str  # what the browser saves it as (Japanese)
    etag: str


def file_names() -> list[str]:
    names = [f"{t.name}.{fmt}" for t in TABLES for fmt in FORMATS]
    return [*names, "all.xlsx", "datapackage.json"]


def etag_for(site: PublicSite, public_plan: PublicPlan, name: str) -> str:
    """Changes whenever what the file shows may change: a publication, withdrawal or site setting."""
    ids = _publication_ids(public_plan)
    raw = f"{FORMAT_REVISION}:{site.pk}:{site.version}:{site.licence}:{ids}:{name}:{settings.SASAEAI_BASE_URL}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _download_name(source: Source, table: Table | None, ext: str) -> str:
    label = _("オープンデータ一式") if table is None else str(table.title)
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{source.plan_title}_{label}").strip("_")
    return f"{stem[:80]}.{ext}"


def build_file(site: PublicSite, public_plan: PublicPlan, name: str) -> File | None:
    """The file ``name`` of a plan (``nodes.csv``, ``all.xlsx``, ``datapackage.json``), or None when no such."""
    from . import datapackage

    source = Source(site, public_plan)
    etag = etag_for(site, public_plan, name)
    if name == "datapackage.json":
        descriptor = datapackage.descriptor(source)
        content = json.dumps(descriptor, ensure_ascii=False, indent=1).encode("utf-8")
        return File(name, content, JSON_CONTENT_TYPE, "datapackage.json", etag)
    if name == "all.xlsx":
        return File(name, build_xlsx(TABLES, source), XLSX_CONTENT_TYPE, _download_name(source, None, "xlsx"), etag)
    stem, _dot, ext = name.partition(".")
    table = TABLES_BY_NAME.get(stem)
    if table is None or ext not in FORMATS:
        return None
    if ext == "csv":
        content = build_csv(table, public_plan)
    elif ext == "json":
        content = build_json(table, source)
    else:
        content = build_xlsx([table], source)
    return File(name, content, CONTENT_TYPES[ext], _download_name(source, table, ext), etag)


def plan_file(site: PublicSite, public_plan: PublicPlan, name: str) -> File | None:
    """``build_file`` through the cache; the key holds the site's version, so a publication shows at once."""
    if name not in file_names():
        return None
    # The ETag hashes everything the file shows (format, site version and licence, publication ids, base URL).
    key = selectors.cache_key(site, "opendata", public_plan.plan_id, etag_for(site, public_plan, name).strip('"'))
    found = cache.get(key)
    if isinstance(found, File):
        return found
    built = build_file(site, public_plan, name)
    if built is not None:
        # The key names everything the file shows, so it may be kept long: a large plan's workbooks take seconds.
        cache.set(key, built, max(settings.SASAEAI_PUBLIC_CACHE_SECONDS, FILE_CACHE_SECONDS))
    return built


def _publication_ids(public_plan: PublicPlan) -> list[int]:
    return [public_plan.structure.pk, *sorted(p.pk for parts in public_plan.years.values() for p in parts.values())]


def plan_files(site: PublicSite, public_plan: PublicPlan) -> dict[str, File]:
    """Every file of a plan (for the download page, which lists their sizes)."""
    files = {}
    for name in file_names():
        built = plan_file(site, public_plan, name)
        if built is not None:
            files[name] = built
    return files


def human_size(size: int) -> str:
    if size < 1024:
        return _("%(n)d バイト") % {"n": size}
    if size < 1024 * 1024:
        return _("%(n).1f KB") % {"n": size / 1024}
    return _("%(n).1f MB") % {"n": size / 1024 / 1024}


def site_plan_counts(sites: Iterable[PublicSite]) -> dict[int, int]:
    """How many plans each open site publishes, in one query (council id → count)."""
    council_ids = [s.council_id for s in sites]
    counts = (
        Publication.objects.filter(council_id__in=council_ids, is_current=True, part=Publication.Part.STRUCTURE)
        .values("council_id")
        .annotate(n=Count("plan_id", distinct=True))
    )
    return {row["council_id"]: row["n"] for row in counts}
