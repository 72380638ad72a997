"""Bulk progress update by Excel (一括入力): a pre-filled workbook for one reporting period, per
plan or per working group → filled in Excel → uploaded → every row checked → preview → applied
in one transaction through ``services.report_save`` (one call, one audit entry, per item).

The workbook has one visible sheet 「進捗報告」 and a hidden sheet ``_sasaeai`` holding a signature
(format, plan, council, year, period, group and an HMAC of them) and the status names used by
the 状況 drop-down. Layout of 「進捗報告」:

- row 1: period and scope, a note saying which cells are read, a marker over the input columns;
- row 2: headers (``COLUMNS``); rows 3…: one row per item × indicator, one row for an item
  without indicators. 実績値 is read on every indicator row. 状況・実施内容・成果・課題 and 版
  are written, and read, only on the item's *item row* (the first row of each item, the one
  whose 版 is filled), so sorting rows or adding indicators later does not move them.

Nothing here reads the request: views pass the plan, the user, the period and the bytes.
Reads are done in a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import warnings
from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts.decorators import permissions_for
from sasaeai.core import fiscal
from sasaeai.core.imports import Importer, ImportRefused, Problem, Problems, Source
from sasaeai.core.imports.sniff import Kind
from sasaeai.plans.models import Plan
from sasaeai.plans.selectors import plan_tree

from . import permissions, services
from .models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport, WorkingGroup

FORMAT = "sasaeai-progress/1"
META_SHEET = "_sasaeai"
SIGNATURE_SALT = "sasaeai.progress.excel"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024  # what a 5 MB xlsx may inflate to; more is a zip bomb
MAX_ZIP_ENTRIES = 300
HEADER_ROW = 2
FIRST_ROW = 3
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT_NAME = "游ゴシック"  # Excel's Japanese default; other programs fall back to their own


def sheet_name() -> str:
    return _("進捗報告")


@dataclass(frozen=True)
class Column:
    key: str
    header: object  # lazy text
    width: float
    input: bool = False
    item: bool = False  # read on the item row only
    comment: object = None


COLUMNS = [
    Column(
        "node_id", gettext_lazy("項目ID"), 8, comment=gettext_lazy("ささえあいの項目の番号です。変えないでください。")
    ),
    Column("level", gettext_lazy("階層"), 10),
    Column("code", gettext_lazy("番号"), 7),
    Column("title", gettext_lazy("項目"), 44),
    Column(
        "indicator_id",
        gettext_lazy("指標ID"),
        8,
        comment=gettext_lazy("ささえあいの指標の番号です。変えないでください。指標のない項目は空です。"),
    ),
    Column("indicator", gettext_lazy("指標"), 26),
    Column("kind", gettext_lazy("種類"), 12),
    Column("unit", gettext_lazy("単位"), 6),
    Column("target", gettext_lazy("目標値"), 9),
    Column(
        "actual",
        gettext_lazy("実績値"),
        11,
        input=True,
        comment=gettext_lazy(
            "この期間の実績値を数字で入力します。割合は 0〜100、実施の有無は「実施」か「未実施」を"
            "選びます。消すと実績値を削除します。"
        ),
    ),
    Column(
        "status",
        gettext_lazy("状況"),
        11,
        input=True,
        item=True,
        comment=gettext_lazy("一覧から選びます。各項目の最初の行（版のある行）だけ読み込みます。"),
    ),
    Column(
        "done_text",
        gettext_lazy("実施内容"),
        36,
        input=True,
        item=True,
        comment=gettext_lazy("各項目の最初の行（版のある行）だけ読み込みます。セルの中で改行するときは Alt+Enter。"),
    ),
    Column(
        "results",
        gettext_lazy("成果"),
        30,
        input=True,
        item=True,
        comment=gettext_lazy("各項目の最初の行（版のある行）だけ読み込みます。"),
    ),
    Column(
        "problems",
        gettext_lazy("課題"),
        30,
        input=True,
        item=True,
        comment=gettext_lazy("各項目の最初の行（版のある行）だけ読み込みます。"),
    ),
    Column(
        "version",
        gettext_lazy("版"),
        6,
        comment=gettext_lazy(
            "ダウンロードしたときの報告の版です。ほかの人が先に更新していないかの確認に使います。変えないでください。"
        ),
    ),
]
COL = {c.key: i + 1 for i, c in enumerate(COLUMNS)}  # 1-based column numbers
ITEM_KEYS = [c.key for c in COLUMNS if c.item]
TEXT_FIELDS = ["done_text", "results", "problems"]


# --------------------------------------------------------------------------- problems


def problem(message: object, row: int | None = None, column: int | None = None) -> Problem:
    """A problem of the workbook: a cell of the 「進捗報告」 sheet (row, column, its header), or the file."""
    header = str(COLUMNS[column - 1].header) if column is not None and 1 <= column <= len(COLUMNS) else ""
    return Problem(str(message), row, column, header, sheet_name() if row is not None else "")


class ExcelError(ImportRefused):
    """The workbook cannot be applied; ``problems`` says where and why. Nothing was saved."""


class _Problems(Problems):
    """Every problem of the sheet, shown in row and column order."""

    def __init__(self) -> None:
        super().__init__(sort=True, error=ExcelError)

    def add(
        self,
        message: object,
        row: int | None = None,
        column: int | None = None,
        field: str = "",
        sheet: str | None = None,
    ) -> None:
        self.total += 1
        self.items.append(problem(message, row, column))


# --------------------------------------------------------------------------- scope & permissions


def group_get(plan, group_id):
    """The working group of ``plan`` named by ``group_id`` (None for an empty id); None if missing."""
    if group_id in (None, ""):
        return None
    try:
        return WorkingGroup.objects.filter(plan=plan).get(pk=int(group_id))
    except (WorkingGroup.DoesNotExist, TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- plan data, read once


@dataclass
class _Data:
    tree: object
    indicators: dict  # node id → [Indicator]
    indicator_by_id: dict
    reports: dict  # node id → ProgressReport
    actuals: dict  # (report id, indicator id) → (value, text)
    statuses: list
    targets: dict = field(default_factory=dict)


def _load(plan, fiscal_year, period, *, with_targets=False) -> _Data:
    tree = plan_tree(plan)
    indicators = defaultdict(list)
    by_id = {}
    for indicator in Indicator.objects.filter(node__plan=plan).order_by("position", "pk"):
        indicators[indicator.node_id].append(indicator)
        by_id[indicator.pk] = indicator
    reports = {
        r.node_id: r
        for r in ProgressReport.objects.filter(node__plan=plan, fiscal_year=fiscal_year, period=period).select_related(
            "status"
        )
    }
    actuals = {
        (a["report_id"], a["indicator_id"]): (a["value"], a["text"])
        for a in IndicatorActual.objects.filter(
            report__node__plan=plan, report__fiscal_year=fiscal_year, report__period=period
        ).values("report_id", "indicator_id", "value", "text")
    }
    data = _Data(
        tree=tree,
        indicators=indicators,
        indicator_by_id=by_id,
        reports=reports,
        actuals=actuals,
        statuses=services.statuses_for(plan.council),
    )
    if with_targets:
        data.targets = dict(
            IndicatorTarget.objects.filter(indicator__node__plan=plan, fiscal_year=fiscal_year).values_list(
                "indicator_id", "value"
            )
        )
    return data


def _period(plan, fiscal_year, period):
    return next((p for p in services.plan_periods(plan, fiscal_year) if p.number == period), None)


def _signature(values: dict) -> str:
    text = "|".join(str(values.get(k, "")) for k in ("format", "plan", "council", "fiscal_year", "period", "group"))
    return salted_hmac(SIGNATURE_SALT, text, algorithm="sha256").hexdigest()


# --------------------------------------------------------------------------- values

# Characters an xlsx cannot hold (as openpyxl's ILLEGAL_CHARACTERS_RE); openpyxl is imported lazily.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _clean_text(value) -> str:
    """Text as stored and as compared: no control characters, \\n line ends, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text).strip()


def _plain_number(value):
    """A Decimal as a number for the cell: 50.0000 → 50, 45.5000 → 45.5."""
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _yes_no_label(value):
    if value is None:
        return None
    return _("実施") if value else _("未実施")


def _actual_cell_value(indicator, stored):
    value, text = stored
    if indicator.kind == Indicator.Kind.QUALITATIVE:
        return text or None
    if indicator.kind == Indicator.Kind.YES_NO:
        return _yes_no_label(value)
    return _plain_number(value)


def _display_actual(indicator, stored):
    value, text = stored
    if value is None and not text:
        return ""
    if indicator.kind == Indicator.Kind.YES_NO:
        return _yes_no_label(value)
    if value is None:
        return text
    return services._plain(value) + (indicator.unit or "")


def _int_cell(value):
    """An id or version from a cell: 12, 12.0, "12", "１２" → 12; anything else → ValueError."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if re.fullmatch(r"\d{1,12}", text):
            return int(text)
    raise ValueError


def _number_text(value, cell_format=""):
    """What the user typed in a numeric 実績値 cell, ready for ``services._actual``."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, Decimal)):
        return Decimal(value) * (100 if "%" in cell_format else 1)
    if isinstance(value, float):
        number = Decimal(repr(value))
        if "%" in cell_format:  # 80% typed into a percent-formatted cell is stored as 0.8
            number = number * 100
        return number.normalize() if number == number.to_integral_value() else number
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        return text[:-1].strip() if text.endswith("%") else text
    return str(value)


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _typed(indicator, value, number_format=""):
    """A 実績値 cell as ``services._actual`` takes it, for the indicator's kind."""
    if indicator.kind == Indicator.Kind.QUALITATIVE:
        return _clean_text(value)
    if _is_blank(value):
        return ""
    if indicator.kind == Indicator.Kind.YES_NO:
        return unicodedata.normalize("NFKC", _clean_text(value))
    return _number_text(value, number_format)


def _digest(actual, item) -> str:
    """A short fingerprint of one row's input cells: ``actual`` is the stored (value, text) or
    None, ``item`` the item-row fields or None. The workbook keeps the fingerprint of each row as
    downloaded, so a row the user did not touch is never taken as a change, even when someone
    else has updated the item since."""
    if actual is not None:
        actual = [services._plain(actual[0]) if actual[0] is not None else None, actual[1]]
    text = json.dumps([actual, item], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


# --------------------------------------------------------------------------- building


def download_filename(plan, period, group=None) -> str:
    parts = [plan.title, period.label] + ([group.name] if group else []) + [_("進捗報告")]
    name = "_".join(parts)
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("._")[:120]
    return f"{name}.xlsx"


def build(*, plan, fiscal_year: int, period: int, group=None) -> bytes:
    """The pre-filled workbook of ``plan`` (or of ``group``'s items) for one period, as bytes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    period_obj = _period(plan, fiscal_year, period)
    if period_obj is None:
        raise ValueError("period not in the plan's reporting calendar")
    data = _load(plan, fiscal_year, period, with_targets=True)
    tree = data.tree
    scope = permissions.group_node_ids(group, fiscal_year, tree=tree) if group is not None else None

    font = Font(name=FONT_NAME, size=11, charset=128)
    bold = Font(name=FONT_NAME, size=11, charset=128, bold=True)
    small = Font(name=FONT_NAME, size=9, charset=128, color="444444")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    info_fill = PatternFill("solid", fgColor="F2F2F2")
    unlocked = Protection(locked=False)
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name()
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"

    # signature and the status list for the drop-down
    values = {
        "format": FORMAT,
        "plan": str(plan.pk),
        "council": str(plan.council_id),
        "fiscal_year": str(fiscal_year),
        "period": str(period),
        "group": str(group.pk) if group else "",
    }
    for i, (key, value) in enumerate([*list(values.items()), ("signature", _signature(values))], start=1):
        meta.cell(i, 1, key).data_type = "s"
        meta.cell(i, 2, value).data_type = "s"
    status_names = [s.name for s in data.statuses]
    for i, name in enumerate(status_names, start=1):
        cell = meta.cell(i, 4, name)
        cell.data_type, cell.quotePrefix = "s", name.startswith("=")

    # row 1: what this is, and which cells are read
    scope_label = group.name if group else _("計画全体")
    ws.cell(1, 1, f"{period_obj.label}（{scope_label}）").font = bold
    note = ws.cell(
        1,
        COL["title"],
        _(
            "黄色の欄に入力し、このまま保存してアップロードしてください。状況・実施内容・成果・課題は各項目の"
            "最初の行（版のある行）だけ読み込みます。灰色の欄、列とシートの名前は変えないでください。"
        ),
    )
    note.font, note.alignment = small, wrap
    marker = ws.cell(1, COL["actual"], _("↓ 入力する欄"))
    marker.font = bold
    for key in ("actual", "status", "done_text", "results", "problems"):
        ws.cell(1, COL[key]).fill = input_fill
    ws.row_dimensions[1].height = 66

    for number, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, number, str(column.header))
        cell.font, cell.border, cell.alignment = bold, border, Alignment(vertical="center", wrap_text=True)
        cell.fill = input_fill if column.input else header_fill
        if column.comment:
            cell.comment = Comment(str(column.comment), "Sasaeai", width=260, height=110)
        ws.column_dimensions[get_column_letter(number)].width = column.width

    kinds = dict(Indicator.Kind.choices)
    styles = {}  # (column, editable, depth) → StyleArray
    snapshots = []  # (node id, indicator id, digest of the row as downloaded)
    row = FIRST_ROW
    yes_no_cells, quantity_cells, ratio_cells = [], [], []
    for node, depth in tree.rows():
        if scope is not None and node.pk not in scope:
            continue
        report = data.reports.get(node.pk)
        indicators = data.indicators.get(node.pk) or [None]
        for index, indicator in enumerate(indicators):
            first = index == 0
            cells = {
                "node_id": node.pk,
                "level": node.level.name,
                "code": node.code or None,
                "title": node.title,
                "indicator_id": indicator.pk if indicator else None,
                "indicator": indicator.name if indicator else None,
                "kind": str(kinds.get(indicator.kind, "")) if indicator else None,
                "unit": (indicator.unit or None) if indicator else None,
                "target": None,
                "actual": None,
                "version": (report.version if report else 0) if first else None,
            }
            if indicator:
                target = data.targets.get(indicator.pk)
                if target is None and indicator.final_target_year == fiscal_year:
                    target = indicator.final_target
                cells["target"] = _plain_number(target)
                if report and (report.pk, indicator.pk) in data.actuals:
                    cells["actual"] = _actual_cell_value(indicator, data.actuals[(report.pk, indicator.pk)])
            if first and report:
                cells["status"] = report.status.name if report.status else None
                for key in TEXT_FIELDS:
                    cells[key] = _clean_text(getattr(report, key)) or None
            stored = None
            if indicator is not None:
                try:
                    stored = services._actual(indicator, _typed(indicator, cells["actual"]))
                except ValidationError:  # cannot happen for a saved value; the row then counts as touched
                    stored = ("?", "")
            item_part = [_clean_text(cells.get(k)) for k in ITEM_KEYS] if first else None
            snapshots.append((node.pk, indicator.pk if indicator else "", _digest(stored, item_part)))
            for number, column in enumerate(COLUMNS, start=1):
                value = cells.get(column.key)
                cell = ws.cell(row, number, value)
                editable = column.input and (indicator is not None if column.key == "actual" else first)
                style = styles.get((column.key, editable, depth))
                if style is None:  # the first cell of its kind is styled, the others copy it (fast)
                    cell.font, cell.border = font, border
                    if editable:
                        cell.fill, cell.protection = input_fill, unlocked
                        cell.alignment = wrap if column.key in TEXT_FIELDS else top
                    else:
                        if column.input or column.key == "version":
                            cell.fill = info_fill
                        cell.alignment = wrap if column.key in ("title", "indicator") else top
                    if column.key == "title":
                        cell.alignment = Alignment(vertical="top", wrap_text=True, indent=min(depth, 15))
                    style = styles[(column.key, editable, depth)] = copy(cell._style)
                else:
                    cell._style = copy(style)
                if isinstance(value, str):
                    cell.data_type = "s"  # text that starts with "=" stays text
                    if value.startswith("="):
                        cell.quotePrefix = True
            if indicator is not None:
                coordinate = ws.cell(row, COL["actual"]).coordinate
                if indicator.kind == Indicator.Kind.YES_NO:
                    yes_no_cells.append(coordinate)
                elif indicator.kind == Indicator.Kind.RATIO:
                    ratio_cells.append(coordinate)
                elif indicator.kind == Indicator.Kind.QUANTITY:
                    quantity_cells.append(coordinate)
            row += 1
    last = row - 1
    for i, (node_id, indicator_id, digest) in enumerate(snapshots, start=1):
        meta.cell(i, 6, node_id)
        meta.cell(i, 7, indicator_id or None)
        meta.cell(i, 8, digest)

    if last >= FIRST_ROW:
        status_column = get_column_letter(COL["status"])
        status_list = DataValidation(
            type="list",
            allow_blank=True,
            showErrorMessage=True,
            formula1=f"'{META_SHEET}'!$D$1:$D${max(1, len(status_names))}",
            errorTitle=_("状況"),
            error=_("一覧から選んでください。"),
        )
        status_list.add(f"{status_column}{FIRST_ROW}:{status_column}{last}")
        ws.add_data_validation(status_list)
        rules = [
            (
                yes_no_cells,
                DataValidation(
                    type="list",
                    allow_blank=True,
                    formula1='"{},{}"'.format(_("実施"), _("未実施")),
                    showErrorMessage=True,
                    error=_("「実施」か「未実施」を選んでください。"),
                ),
            ),
            (
                quantity_cells,
                DataValidation(
                    type="decimal",
                    operator="greaterThanOrEqual",
                    formula1="0",
                    allow_blank=True,
                    showErrorMessage=True,
                    error=_("0 以上の数字を入力してください。"),
                ),
            ),
            (
                ratio_cells,
                DataValidation(
                    type="decimal",
                    operator="between",
                    formula1="0",
                    formula2="100",
                    allow_blank=True,
                    showErrorMessage=True,
                    error=_("割合（％）は 0〜100 の数字で入力してください。"),
                ),
            ),
        ]
        for coordinates, rule in rules:
            if coordinates:
                rule.sqref = " ".join(coordinates)
                ws.add_data_validation(rule)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{last}"

    ws.freeze_panes = ws.cell(FIRST_ROW, COL["indicator_id"]).coordinate
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = protection.formatRows = protection.autoFilter = protection.sort = False
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.creator = "Sasaeai"
    wb.properties.title = f"{plan.title} {period_obj.label}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- parsing


@dataclass
class FieldChange:
    row: int
    label: str
    before: str
    after: str


@dataclass
class ItemChange:
    node: object
    row: int
    version: int
    created: bool
    fields: dict = field(default_factory=dict)  # report field → new value (ProgressStatus or text)
    actuals: dict = field(default_factory=dict)  # indicator id → value for services.report_save
    changes: list = field(default_factory=list)  # FieldChange, for the preview


@dataclass
class Parsed:
    plan: object
    period: object
    group: object
    filename: str
    items: list
    row_count: int
    unchanged_rows: int

    @property
    def change_count(self):
        return sum(len(i.changes) for i in self.items)

    @property
    def changes(self):
        """(item, change) pairs in row order, for the preview table."""
        return [(item, change) for item in self.items for change in item.changes]


_NOT_XLSX = gettext_lazy("Excel ファイル（.xlsx）ではありません。ダウンロードした Excel ファイルを選んでください。")


class ProgressWorkbookImporter(Importer[Parsed]):
    """Progress workbooks through the import pipeline: an xlsx downloaded from this screen for
    ``plan`` and the period, checked row by row; apply saves every change in one transaction."""

    kind = "progress_workbook"
    accepts = frozenset({"zip"})
    max_zip_entries = MAX_ZIP_ENTRIES
    problem_error = ExcelError
    refusals = {
        "too_large": gettext_lazy(
            "ファイルが大きすぎます（%(mb)s MB まで）。ダウンロードした Excel ファイルに入力したものを選んでください。"
        ),
        "empty": gettext_lazy("ファイルが空です。ダウンロードした Excel ファイル（.xlsx）を選んでください。"),
        "ole": gettext_lazy(
            "古い形式の Excel ファイル（.xls）や、パスワード付きのファイルは読み込めません。"
            "ダウンロードした Excel ファイル（.xlsx）に入力し、パスワードを付けずに保存してください。"
        ),
        "utf16": _NOT_XLSX,
        "binary": _NOT_XLSX,
        "text": _NOT_XLSX,
        "zip_not_xlsx": _NOT_XLSX,
        "zip_corrupt": gettext_lazy(
            "ファイルが壊れているため読み込めません。Excel で開けるか確かめてから、もう一度保存してください。"
        ),
        "zip_too_large": gettext_lazy(
            "ファイルの中身が大きすぎるため読み込めません。ダウンロードした Excel ファイルに入力したものを選んでください。"
        ),
    }

    def __init__(self, *, plan: Plan, user: Any, fiscal_year: int, period: int) -> None:
        self.plan = plan
        self.user = user
        self.fiscal_year = fiscal_year
        self.period = period

    def max_bytes(self) -> int:
        return MAX_BYTES

    def max_inflated(self, size: int) -> int:
        return min(MAX_UNZIPPED_BYTES, super().max_inflated(size))

    def kind_problem(self, kind: Kind, raw: bytes, filename: str) -> str | None:
        """A CSV saved from the workbook gets its own advice."""
        if kind in ("text", "utf16", "binary") and (
            filename.lower().endswith((".csv", ".tsv", ".txt"))
            or (kind == "text" and (b"," in raw[:4096] or b"\t" in raw[:4096]))
        ):
            return _(
                "CSV ではなく、ダウンロードした Excel ファイル（.xlsx）をそのまま選んでください。"
                "Excel で CSV として保存し直したファイルは読み込めません。"
            )
        return super().kind_problem(kind, raw, filename)

    def parse(self, source: Source) -> Parsed:
        return _parse(source, plan=self.plan, user=self.user, fiscal_year=self.fiscal_year, period=self.period)

    def apply(self, parsed: Parsed, *, by: Any) -> int:
        return _apply(parsed, by=by)


def _is_formula(cell):
    if cell.data_type == "f":
        return True
    value = cell.value
    return isinstance(value, str) and value.startswith("=") and not cell.quotePrefix


def parse(raw: bytes, *, filename: str, plan: Plan, user: Any, fiscal_year: int, period: int) -> Parsed:
    """Check the whole workbook against ``plan`` and the chosen period; raise ``ExcelError``
    with every problem found, or return the changes. Reads nothing per row from the database."""
    importer = ProgressWorkbookImporter(plan=plan, user=user, fiscal_year=fiscal_year, period=period)
    return importer.check(raw, filename)


def _parse(source: Source, *, plan: Plan, user: Any, fiscal_year: int, period: int) -> Parsed:
    raw, filename = source.raw, source.filename
    row_elements = source.zip.most_rows
    errors = _Problems()
    sheet = sheet_name()
    too_many_rows = _("「%(sheet)s」シートの行が多すぎます（%(max)s 行まで）。ファイルを分けてください。") % {
        "sheet": sheet,
        "max": f"{MAX_ROWS:,}",
    }
    if row_elements > MAX_ROWS + FIRST_ROW + 50:
        raise ExcelError([problem(too_many_rows)])

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsupported extensions (e.g. x14 validations) are dropped
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=False, data_only=False)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise ExcelError(
            [
                problem(
                    _(
                        "ファイルが壊れているため読み込めません。Excel で開けるか確かめてから、"
                        "もう一度保存してください。"
                    )
                )
            ]
        ) from None

    # ---- is it ours, for this plan and period?
    not_ours = _(
        "このファイルは、この画面からダウンロードした進捗報告の Excel ファイルではありません"
        "（確認用の情報が見つからないか、変更されています）。この画面からダウンロードしたファイルに入力してください。"
    )
    if META_SHEET not in wb.sheetnames:
        raise ExcelError([problem(not_ours)])
    meta = wb[META_SHEET]
    values = {}
    for key, value in meta.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if isinstance(key, str):
            values[key] = "" if value is None else str(value)
    if values.get("format") != FORMAT or not constant_time_compare(values.get("signature", ""), _signature(values)):
        raise ExcelError([problem(not_ours)])
    try:
        file_plan, file_council = int(values["plan"]), int(values["council"])
        file_year, file_period = int(values["fiscal_year"]), int(values["period"])
        file_group = int(values["group"]) if values["group"] else None
    except (KeyError, ValueError):
        raise ExcelError([problem(not_ours)]) from None
    if file_plan != plan.pk or file_council != plan.council_id:
        raise ExcelError(
            [
                problem(
                    _("このファイルは別の計画のものです。この計画の画面からダウンロードしたファイルを選んでください。")
                )
            ]
        )
    chosen = _period(plan, fiscal_year, period)
    if (file_year, file_period) != (fiscal_year, period):
        in_file = _period(plan, file_year, file_period)
        label = in_file.label if in_file else fiscal.format_fiscal_year(file_year, style="wareki")
        raise ExcelError(
            [
                problem(
                    _(
                        "このファイルは%(file)sの報告用です。選んだ期間（%(chosen)s）と違うため、読み込んでいません。"
                        "期間を選び直すか、%(chosen)sのファイルをダウンロードしてください。"
                    )
                    % {"file": label, "chosen": chosen.label if chosen else ""}
                )
            ]
        )
    if chosen is None:
        raise ExcelError([problem(_("この計画の報告期間にない期間です。"))])
    group = None
    if file_group is not None:
        group = group_get(plan, file_group)
        if not group:
            raise ExcelError(
                [problem(_("このファイルのワーキンググループは削除されています。ダウンロードし直してください。"))]
            )
    perms = permissions_for(user, plan.council_id)
    if not permissions.may_use_workbook(user, plan, group, perms):
        raise ExcelError(
            [
                problem(
                    _(
                        "このファイルを読み込む権限がありません。計画全体のファイルは進捗を報告する権限のある方が、"
                        "ワーキンググループのファイルはそのグループのリーダー・サブリーダーが読み込めます。"
                    )
                )
            ]
        )

    # ---- sheets, merged cells, formulas, headers
    if sheet not in wb.sheetnames:
        raise ExcelError(
            [
                problem(
                    _("「%(sheet)s」シートが見つかりません。シートの名前を変えずに保存してください。")
                    % {"sheet": sheet}
                )
            ]
        )
    for name in wb.sheetnames:
        if name not in (sheet, META_SHEET):
            errors.add(
                _(
                    "「%(name)s」シートは読み込めません。シートを追加せず、「%(sheet)s」シートだけに入力してください"
                    "（追加したシートは削除してください）。"
                )
                % {"name": name, "sheet": sheet}
            )
    ws = wb[sheet]
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        errors.add(
            _("セルが結合されています（%(range)s）。セルの結合を解除してください。") % {"range": merged.coord},
            merged.min_row,
            merged.min_col,
        )
    rows = defaultdict(dict)  # row → column → cell
    for (r, c), cell in ws._cells.items():
        if cell.value is None:
            continue
        if _is_formula(cell):
            errors.add(
                _(
                    "数式は読み込めません。計算した結果の値を入力してください"
                    "（数式のセルをコピーして「値の貼り付け」をします）。"
                ),
                r,
                c,
            )
            continue
        if r >= HEADER_ROW:
            rows[r][c] = cell
    header_cells = rows.get(HEADER_ROW, {})
    for number, column in enumerate(COLUMNS, start=1):
        found = _clean_text(header_cells[number].value) if number in header_cells else ""
        if found != str(column.header):
            if found:
                text = _("見出しが「%(expected)s」ではなく「%(found)s」になっています。") % {
                    "expected": column.header,
                    "found": found,
                }
            else:
                text = _("見出し「%(expected)s」がありません。") % {"expected": column.header}
            errors.add(
                text
                + _("列の名前や順番を変えないでください（列を追加・削除したときは、ダウンロードし直してください）。"),
                HEADER_ROW,
                number,
            )
            break
    for number, cell in sorted(header_cells.items()):
        if number > len(COLUMNS) and not _is_blank(cell.value):
            errors.add(
                _("列「%(found)s」は読み込めません。列を追加しないでください。") % {"found": _clean_text(cell.value)},
                HEADER_ROW,
                number,
            )
    data_rows = sorted(
        r for r, cells in rows.items() if r >= FIRST_ROW and any(not _is_blank(cell.value) for cell in cells.values())
    )
    if len(data_rows) > MAX_ROWS:
        raise ExcelError([problem(too_many_rows)])
    errors.raise_if_any()

    # ---- rows
    snapshots = {}
    for node_value, indicator_value, digest in meta.iter_rows(min_col=6, max_col=8, values_only=True):
        try:
            indicator_id = None if indicator_value in (None, "") else _int_cell(indicator_value)
            snapshots[(_int_cell(node_value), indicator_id)] = digest
        except ValueError:
            continue
    data = _load(plan, fiscal_year, period)
    tree = data.tree
    scope = permissions.group_node_ids(group, fiscal_year, tree=tree) if group is not None else None
    allowed = permissions.reportable_node_ids(user, plan, fiscal_year, perms, tree=tree)
    statuses = {s.name: s for s in data.statuses}
    statuses_nfkc = {unicodedata.normalize("NFKC", s.name): s for s in data.statuses}
    status_names = "・".join(statuses)
    headers = {c.key: str(c.header) for c in COLUMNS}

    seen = {}  # (node id, indicator id) → row
    item_rows = {}  # node id → row
    item_values = {}  # node id → {key: value}
    item_versions = {}  # node id → version in the file
    actual_values = defaultdict(dict)  # node id → indicator id → (row, stored-form)
    rows_of_node = defaultdict(list)
    keys_of_node = defaultdict(list)
    row_actuals, row_items = {}, {}  # (node id, indicator id) → what the row holds now
    read_keys = [c.key for c in COLUMNS]
    for r in data_rows:
        cells = rows[r]
        get = {key: cells[COL[key]].value if COL[key] in cells else None for key in read_keys}
        inputs = [k for k in ("actual", *tuple(ITEM_KEYS)) if not _is_blank(get[k])]
        if _is_blank(get["node_id"]):
            if inputs or not _is_blank(get["indicator_id"]) or not _is_blank(get["version"]):
                errors.add(_("項目IDが空です。項目ID・指標ID・版の欄は変えないでください。"), r, COL["node_id"])
            continue  # a note typed beside the table is not ours to read
        error_cells = [(c, cell) for c, cell in sorted(cells.items()) if cell.data_type == "e" and c <= len(COLUMNS)]
        for c, cell in error_cells:
            errors.add(
                _("エラー値（%(value)s）が入っています。値を入力し直してください。") % {"value": cell.value}, r, c
            )
        if error_cells:
            continue
        try:
            node_id = _int_cell(get["node_id"])
        except ValueError:
            errors.add(
                _("項目ID「%(value)s」が正しくありません。項目ID・指標ID・版の欄は変えないでください。")
                % {"value": _clean_text(get["node_id"])},
                r,
                COL["node_id"],
            )
            continue
        node = tree.by_id.get(node_id)
        if node is None:
            errors.add(
                _(
                    "項目ID「%(value)s」はこの計画にありません。行を追加せず、ダウンロードしたファイルに入力してください。"
                )
                % {"value": node_id},
                r,
                COL["node_id"],
            )
            continue
        label = node.label
        if allowed is not None and node_id not in allowed:
            errors.add(_("「%(item)s」の進捗を報告する権限がありません。") % {"item": label}, r, COL["node_id"])
            continue
        if scope is not None and node_id not in scope:
            errors.add(
                _("「%(item)s」はワーキンググループ「%(group)s」の担当ではありません。")
                % {"item": label, "group": group.name},
                r,
                COL["node_id"],
            )
            continue
        indicator = None
        if not _is_blank(get["indicator_id"]):
            try:
                indicator = data.indicator_by_id.get(_int_cell(get["indicator_id"]))
            except ValueError:
                indicator = None
            if indicator is None or indicator.node_id != node_id:
                errors.add(
                    _(
                        "指標ID「%(value)s」は「%(item)s」の指標ではありません（削除されたか、IDが変わっています）。"
                        "ダウンロードし直してください。"
                    )
                    % {"value": _clean_text(get["indicator_id"]), "item": label},
                    r,
                    COL["indicator_id"],
                )
                continue
        key = (node_id, indicator.pk if indicator else None)
        if key in seen:
            errors.add(
                _("同じ項目・指標の行が2つあります（%(other)s行目と同じ）。片方を削除してください。")
                % {"other": seen[key]},
                r,
                COL["node_id"],
            )
            continue
        seen[key] = r
        rows_of_node[node_id].append(r)
        keys_of_node[node_id].append(key)

        if _is_blank(get["version"]):
            if indicator is None:
                errors.add(_("版が空です。項目ID・指標ID・版の欄は変えないでください。"), r, COL["version"])
                continue
            for k in ITEM_KEYS:
                if not _is_blank(get[k]):
                    errors.add(
                        _(
                            "%(field)sは各項目の最初の行（版のある行）だけに入力してください。"
                            "この行の%(field)sは読み込みません。"
                        )
                        % {"field": headers[k]},
                        r,
                        COL[k],
                    )
        else:
            try:
                version = _int_cell(get["version"])
            except ValueError:
                errors.add(
                    _("版「%(value)s」が正しくありません。項目ID・指標ID・版の欄は変えないでください。")
                    % {"value": _clean_text(get["version"])},
                    r,
                    COL["version"],
                )
                continue
            if node_id in item_rows:
                errors.add(
                    _(
                        "「%(item)s」の版のある行が2つあります（%(other)s行目）。行をコピーせず、"
                        "ダウンロードしたファイルに入力してください。"
                    )
                    % {"item": label, "other": item_rows[node_id]},
                    r,
                    COL["version"],
                )
                continue
            item_rows[node_id], item_versions[node_id] = r, version
            row_items[key] = [_clean_text(get[k]) for k in ITEM_KEYS]
            fields_now = {}
            status_text = _clean_text(get["status"])
            if status_text:
                status = statuses.get(status_text) or statuses_nfkc.get(unicodedata.normalize("NFKC", status_text))
                if status is None:
                    errors.add(
                        _("状況「%(value)s」はこの社協の状況にありません。一覧（%(names)s）から選んでください。")
                        % {"value": status_text, "names": status_names},
                        r,
                        COL["status"],
                    )
                fields_now["status"] = status
            else:
                fields_now["status"] = None
            for k in TEXT_FIELDS:
                fields_now[k] = _clean_text(get[k])
            item_values[node_id] = fields_now

        if indicator is None:
            if not _is_blank(get["actual"]):
                errors.add(_("指標のない行に実績値は入力できません。"), r, COL["actual"])
            continue
        typed = _typed(indicator, get["actual"], cells[COL["actual"]].number_format if COL["actual"] in cells else "")
        try:
            stored = services._actual(indicator, typed)
        except ValidationError as exc:
            for text in exc.messages:
                errors.add(text, r, COL["actual"])
            continue
        actual_values[node_id][indicator.pk] = (r, typed, stored)
        row_actuals[key] = stored

    # ---- what changes, and whether the copy is stale
    actual_label = _("実績値: %(name)s")
    items = []
    unchanged_rows = 0
    for node_id, node_rows in rows_of_node.items():
        touched = any(
            _digest(row_actuals.get(key), row_items.get(key)) != snapshots.get(key) for key in keys_of_node[node_id]
        )
        if not touched:  # as downloaded: keep whatever is saved now, even if someone else changed it
            unchanged_rows += len(node_rows)
            continue
        node = tree.by_id[node_id]
        report = data.reports.get(node_id)
        change = ItemChange(
            node=node,
            row=item_rows.get(node_id, min(node_rows)),
            version=item_versions.get(node_id, -1),
            created=report is None,
        )
        fields_now = item_values.get(node_id)
        if fields_now is not None:
            old_status = report.status if report else None
            if fields_now["status"] != old_status:
                change.fields["status"] = fields_now["status"]
                change.changes.append(
                    FieldChange(
                        item_rows[node_id],
                        headers["status"],
                        old_status.name if old_status else "",
                        fields_now["status"].name if fields_now["status"] else "",
                    )
                )
            for k in TEXT_FIELDS:
                old = _clean_text(getattr(report, k)) if report else ""
                if fields_now[k] != old:
                    change.fields[k] = fields_now[k]
                    change.changes.append(FieldChange(item_rows[node_id], headers[k], old, fields_now[k]))
        changed_rows = set()
        for indicator_id, (r, typed, stored) in actual_values.get(node_id, {}).items():
            old = data.actuals.get((report.pk, indicator_id), (None, "")) if report else (None, "")
            old = (old[0], _clean_text(old[1]))
            if stored != old:
                indicator = data.indicator_by_id[indicator_id]
                change.actuals[indicator_id] = typed
                change.changes.append(
                    FieldChange(
                        r,
                        actual_label % {"name": indicator.name},
                        _display_actual(indicator, old),
                        _display_actual(indicator, stored),
                    )
                )
                changed_rows.add(r)
        if change.fields:
            changed_rows.add(item_rows[node_id])
        unchanged_rows += sum(1 for r in node_rows if r not in changed_rows)
        if not change.changes:
            continue
        current = report.version if report else 0
        if node_id not in item_rows:
            errors.add(
                _(
                    "「%(item)s」の最初の行（版のある行）がありません。行を削除せず、ダウンロードしたファイルに"
                    "入力してください。"
                )
                % {"item": node.label},
                min(changed_rows),
                COL["version"],
            )
            continue
        if change.version != current:
            errors.add(
                _(
                    "「%(item)s」の報告は、ダウンロードした後にほかの人が更新しました。"
                    "最新の内容をダウンロードし直して、もう一度入力してください。"
                )
                % {"item": node.label},
                item_rows[node_id],
                COL["version"],
            )
            continue
        change.changes.sort(key=lambda c: c.row)
        items.append(change)
    errors.raise_if_any()
    items.sort(key=lambda i: i.row)
    return Parsed(
        plan=plan,
        period=chosen,
        group=group,
        filename=filename,
        items=items,
        row_count=len(seen),
        unchanged_rows=unchanged_rows,
    )


# --------------------------------------------------------------------------- applying


def apply(parsed: Parsed, *, by: Any) -> int:
    """Save every change in one transaction (see ``_apply``)."""
    return _apply(parsed, by=by)


def _apply(parsed: Parsed, *, by: Any) -> int:
    """Save every change in one transaction (``services.reports_save_bulk``: one audit entry per item).
    If any item fails, nothing is saved and ``ExcelError`` names its row."""
    with transaction.atomic():
        try:
            services.reports_save_bulk(
                plan=parsed.plan,
                fiscal_year=parsed.period.fiscal_year,
                period=parsed.period.number,
                by=by,
                items=[
                    {
                        "node": item.node,
                        "expected_version": item.version,
                        "actuals": item.actuals,
                        "fields": item.fields,
                    }
                    for item in parsed.items
                ],
            )
        except services.BulkItemError as exc:
            item = parsed.items[exc.index]
            raise ExcelError([problem(text, item.row) for text in exc.messages]) from exc
        except ValidationError as exc:
            raise ExcelError([problem(text) for text in exc.messages]) from exc
    return len(parsed.items)
