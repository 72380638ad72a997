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

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Collection, Sequence
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeAlias

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts.decorators import permissions_for
from sasaeai.core import fiscal
from sasaeai.core.imports import Importer, ImportRefused, Problem, Problems, Source
from sasaeai.core.imports.sniff import Kind
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.plans.selectors import PlanTree, plan_tree

from . import permissions, services
from .models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport, ProgressStatus, WorkingGroup
from .periods import Period

if TYPE_CHECKING:  # openpyxl is imported when a workbook is built or read
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

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


def group_get(plan: Plan, group_id: int | str | None) -> WorkingGroup | Literal[False] | None:
    """The working group of ``plan`` named by ``group_id`` (None for an empty id); False if missing."""
    if group_id in (None, ""):
        return None
    try:
        return WorkingGroup.objects.filter(plan=plan).get(pk=int(group_id))
    except (WorkingGroup.DoesNotExist, TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- plan data, read once

# An actual as saved, from ``services._actual``: (value, text).
Stored: TypeAlias = tuple[Decimal | None, str]
# A row of the sheet: (node id, indicator id, or None on the row of an item without indicators).
RowKey: TypeAlias = tuple[int, int | None]
# What the builder writes in a cell.
CellValue: TypeAlias = str | int | float | Decimal | None


@dataclass
class _Data:
    tree: PlanTree
    indicators: dict[int, list[Indicator]]  # node id → its indicators
    indicator_by_id: dict[int, Indicator]
    reports: dict[int, ProgressReport]  # node id → its report of the period
    actuals: dict[tuple[int, int], Stored]  # (report id, indicator id) → saved actual
    statuses: list[ProgressStatus]
    targets: dict[int, Decimal | None] = field(default_factory=dict)  # indicator id → target of the year


def _load(plan: Plan, fiscal_year: int, period: int, *, with_targets: bool = False) -> _Data:
    tree = plan_tree(plan)
    indicators: defaultdict[int, list[Indicator]] = defaultdict(list)
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
    actuals: dict[tuple[int, int], Stored] = {
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


def _period(plan: Plan, fiscal_year: int, period: int) -> Period | None:
    periods: list[Period] = services.plan_periods(plan, fiscal_year)
    return next((p for p in periods if p.number == period), None)


def _signature(values: dict[str, str]) -> str:
    text = "|".join(str(values.get(k, "")) for k in ("format", "plan", "council", "fiscal_year", "period", "group"))
    return salted_hmac(SIGNATURE_SALT, text, algorithm="sha256").hexdigest()


# --------------------------------------------------------------------------- values

# Characters an xlsx cannot hold (as openpyxl's ILLEGAL_CHARACTERS_RE); openpyxl is imported lazily.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _clean_text(value: object) -> str:
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


def _plain_number(value: Decimal | None) -> int | float | None:
    """A Decimal as a number for the cell: 50.0000 → 50, 45.5000 → 45.5."""
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _yes_no_label(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return _("実施") if value else _("未実施")


def _actual_cell_value(indicator: Indicator, stored: Stored) -> CellValue:
    value, text = stored
    if indicator.kind == Indicator.Kind.QUALITATIVE:
        return text or None
    if indicator.kind == Indicator.Kind.YES_NO:
        return _yes_no_label(value)
    return _plain_number(value)


def _display_actual(indicator: Indicator, stored: Stored) -> str:
    value, text = stored
    if value is None and not text:
        return ""
    if indicator.kind == Indicator.Kind.YES_NO:
        # None only for a yes/no actual with text and no value, which services._actual never saves.
        return _yes_no_label(value) or ""
    if value is None:
        return text
    return str(services._plain(value)) + (indicator.unit or "")


def _int_cell(value: object) -> int:
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


def _number_text(value: object, cell_format: str = "") -> Decimal | str:
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


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _typed(indicator: Indicator, value: object, number_format: str = "") -> Decimal | str:
    """A 実績値 cell as ``services._actual`` takes it, for the indicator's kind."""
    if indicator.kind == Indicator.Kind.QUALITATIVE:
        return _clean_text(value)
    if _is_blank(value):
        return ""
    if indicator.kind == Indicator.Kind.YES_NO:
        return unicodedata.normalize("NFKC", _clean_text(value))
    return _number_text(value, number_format)


def _digest(actual: tuple[object, str] | None, item: list[str] | None) -> str:
    """A short fingerprint of one row's input cells: ``actual`` is the stored (value, text) or
    None, ``item`` the item-row fields or None. The workbook keeps the fingerprint of each row as
    downloaded, so a row the user did not touch is never taken as a change, even when someone
    else has updated the item since."""
    shown = None if actual is None else [services._plain(actual[0]) if actual[0] is not None else None, actual[1]]
    text = json.dumps([shown, item], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


# --------------------------------------------------------------------------- building


def download_filename(plan: Plan, period: Period, group: WorkingGroup | None = None) -> str:
    parts = [plan.title, period.label, *([group.name] if group else []), _("進捗報告")]
    name = "_".join(parts)
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("._")[:120]
    return f"{name}.xlsx"


@dataclass(frozen=True)
class _Look:
    """The fonts, fills and alignments of the workbook (openpyxl is imported lazily)."""

    font: Font
    bold: Font
    small: Font
    border: Border
    header_fill: PatternFill
    input_fill: PatternFill
    info_fill: PatternFill
    unlocked: Protection
    top: Alignment
    wrap: Alignment


def _look() -> _Look:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    thin = Side(style="thin", color="BFBFBF")
    return _Look(
        font=Font(name=FONT_NAME, size=11, charset=128),
        bold=Font(name=FONT_NAME, size=11, charset=128, bold=True),
        small=Font(name=FONT_NAME, size=9, charset=128, color="444444"),
        border=Border(left=thin, right=thin, top=thin, bottom=thin),
        header_fill=PatternFill("solid", fgColor="DDEBF7"),
        input_fill=PatternFill("solid", fgColor="FFF2CC"),
        info_fill=PatternFill("solid", fgColor="F2F2F2"),
        unlocked=Protection(locked=False),
        top=Alignment(vertical="top"),
        wrap=Alignment(vertical="top", wrap_text=True),
    )


@dataclass
class _Written:
    """What writing the rows leaves for the rest of the workbook."""

    last: int = FIRST_ROW - 1  # the last row written
    snapshots: list[tuple[int, int | str, str]] = field(default_factory=list)  # (node id, indicator id, digest)
    actual_cells: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # kind → coordinates


def build(*, plan: Plan, fiscal_year: int, period: int, group: WorkingGroup | None = None) -> bytes:
    """The pre-filled workbook of ``plan`` (or of ``group``'s items) for one period, as bytes."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    period_obj = _period(plan, fiscal_year, period)
    if period_obj is None:
        raise ValueError("period not in the plan's reporting calendar")
    data = _load(plan, fiscal_year, period, with_targets=True)
    scope = permissions.group_node_ids(group, fiscal_year, tree=data.tree) if group is not None else None
    look = _look()

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook has one worksheet
    ws.title = sheet_name()
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"

    status_names = [s.name for s in data.statuses]
    _write_signature(meta, plan=plan, fiscal_year=fiscal_year, period=period, group=group, status_names=status_names)
    _write_headers(ws, look, title=f"{period_obj.label}（{group.name if group else _('計画全体')}）")
    written = _write_rows(ws, look, data, scope=scope, fiscal_year=fiscal_year)
    for i, (node_id, indicator_id, digest) in enumerate(written.snapshots, start=1):
        meta.cell(i, 6, node_id)
        meta.cell(i, 7, indicator_id or None)
        meta.cell(i, 8, digest)
    if written.last >= FIRST_ROW:
        _add_validations(ws, written, status_count=len(status_names))
    _set_up_pages(ws)
    wb.properties.creator = "Sasaeai"
    wb.properties.title = f"{plan.title} {period_obj.label}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_signature(
    meta: Worksheet, *, plan: Plan, fiscal_year: int, period: int, group: WorkingGroup | None, status_names: list[str]
) -> None:
    """The hidden sheet: the signature, and the status list for the drop-down."""
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
    for i, name in enumerate(status_names, start=1):
        cell = meta.cell(i, 4, name)
        cell.data_type, cell.quotePrefix = "s", name.startswith("=")


def _write_headers(ws: Worksheet, look: _Look, *, title: str) -> None:
    """Row 1 (what this is, and which cells are read) and the column headers."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    ws.cell(1, 1, title).font = look.bold
    note = ws.cell(
        1,
        COL["title"],
        _(
            "黄色の欄に入力し、このまま保存してアップロードしてください。状況・実施内容・成果・課題は各項目の"
            "最初の行（版のある行）だけ読み込みます。灰色の欄、列とシートの名前は変えないでください。"
        ),
    )
    note.font, note.alignment = look.small, look.wrap
    marker = ws.cell(1, COL["actual"], _("↓ 入力する欄"))
    marker.font = look.bold
    for key in ("actual", "status", "done_text", "results", "problems"):
        ws.cell(1, COL[key]).fill = look.input_fill
    ws.row_dimensions[1].height = 66

    for number, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, number, str(column.header))
        cell.font, cell.border, cell.alignment = look.bold, look.border, Alignment(vertical="center", wrap_text=True)
        cell.fill = look.input_fill if column.input else look.header_fill
        if column.comment:
            cell.comment = Comment(str(column.comment), "Sasaeai", width=260, height=110)
        ws.column_dimensions[get_column_letter(number)].width = column.width


def _row_values(
    data: _Data,
    node: PlanNode,
    indicator: Indicator | None,
    *,
    first: bool,
    fiscal_year: int,
    kinds: dict[str, str],
) -> dict[str, CellValue]:
    """The cells of one row: ``first`` is the item row (状況 and the texts, 版)."""
    report = data.reports.get(node.pk)
    cells: dict[str, CellValue] = {
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
    return cells


def _row_digest(indicator: Indicator | None, cells: dict[str, CellValue], *, first: bool) -> str:
    """The fingerprint of a row as written (see ``_digest``)."""
    stored: tuple[object, str] | None = None
    if indicator is not None:
        try:
            stored = services._actual(indicator, _typed(indicator, cells["actual"]))
        except ValidationError:  # cannot happen for a saved value; the row then counts as touched
            stored = ("?", "")
    item_part = [_clean_text(cells.get(k)) for k in ITEM_KEYS] if first else None
    return _digest(stored, item_part)


def _write_rows(ws: Worksheet, look: _Look, data: _Data, *, scope: set[int] | None, fiscal_year: int) -> _Written:
    """One row per item × indicator (one for an item without indicators), from FIRST_ROW."""
    kinds = {str(value): str(label) for value, label in Indicator.Kind.choices}
    styles: dict[tuple[str, bool, int], StyleArray] = {}  # (column, editable, depth) → style
    written = _Written()
    row = FIRST_ROW
    for node, depth in data.tree.rows():
        if scope is not None and node.pk not in scope:
            continue
        indicators: Sequence[Indicator | None] = data.indicators.get(node.pk) or [None]
        for index, indicator in enumerate(indicators):
            first = index == 0
            cells = _row_values(data, node, indicator, first=first, fiscal_year=fiscal_year, kinds=kinds)
            digest = _row_digest(indicator, cells, first=first)
            written.snapshots.append((node.pk, indicator.pk if indicator else "", digest))
            for number, column in enumerate(COLUMNS, start=1):
                editable = column.input and (indicator is not None if column.key == "actual" else first)
                value = cells.get(column.key)
                _write_cell(ws, look, styles, row, number, value, column, editable=editable, depth=depth)
            if indicator is not None:
                written.actual_cells[indicator.kind].append(ws.cell(row, COL["actual"]).coordinate)
            row += 1
    written.last = row - 1
    return written


def _write_cell(
    ws: Worksheet,
    look: _Look,
    styles: dict[tuple[str, bool, int], StyleArray],
    row: int,
    number: int,
    value: CellValue,
    column: Column,
    *,
    editable: bool,
    depth: int,
) -> None:
    from openpyxl.styles import Alignment

    cell = ws.cell(row, number, value)
    style = styles.get((column.key, editable, depth))
    if style is None:  # the first cell of its kind is styled, the others copy it (fast)
        cell.font, cell.border = look.font, look.border
        if editable:
            cell.fill, cell.protection = look.input_fill, look.unlocked
            cell.alignment = look.wrap if column.key in TEXT_FIELDS else look.top
        else:
            if column.input or column.key == "version":
                cell.fill = look.info_fill
            cell.alignment = look.wrap if column.key in ("title", "indicator") else look.top
        if column.key == "title":
            cell.alignment = Alignment(vertical="top", wrap_text=True, indent=min(depth, 15))
        # The stubs do not declare openpyxl's StyleArray slot; copying it is the fast way to style a cell.
        styles[(column.key, editable, depth)] = copy(cell._style)  # type: ignore[attr-defined]
    else:
        cell._style = copy(style)  # type: ignore[attr-defined]  # the undeclared slot, as above
    if isinstance(value, str):
        cell.data_type = "s"  # text that starts with "=" stays text
        if value.startswith("="):
            cell.quotePrefix = True


def _add_validations(ws: Worksheet, written: _Written, *, status_count: int) -> None:
    """The 状況 drop-down, a rule on each 実績値 cell for its kind, and the filter."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last = written.last
    status_column = get_column_letter(COL["status"])
    status_list = DataValidation(
        type="list",
        allow_blank=True,
        showErrorMessage=True,
        formula1=f"'{META_SHEET}'!$D$1:$D${max(1, status_count)}",
        errorTitle=_("状況"),
        error=_("一覧から選んでください。"),
    )
    status_list.add(f"{status_column}{FIRST_ROW}:{status_column}{last}")
    ws.add_data_validation(status_list)
    rules = [
        (
            Indicator.Kind.YES_NO,
            DataValidation(
                type="list",
                allow_blank=True,
                formula1='"{},{}"'.format(_("実施"), _("未実施")),
                showErrorMessage=True,
                error=_("「実施」か「未実施」を選んでください。"),
            ),
        ),
        (
            Indicator.Kind.QUANTITY,
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
            Indicator.Kind.RATIO,
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
    for kind, rule in rules:
        coordinates = written.actual_cells.get(kind)
        if coordinates:
            rule.sqref = " ".join(coordinates)
            ws.add_data_validation(rule)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{last}"


def _set_up_pages(ws: Worksheet) -> None:
    """Frozen headers, sheet protection (input cells unlocked), printing on landscape pages."""
    ws.freeze_panes = ws.cell(FIRST_ROW, COL["indicator_id"]).coordinate
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = protection.formatRows = protection.autoFilter = protection.sort = False
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    # openpyxl always gives a worksheet its PageSetupProperties; the stub says it may be None.
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]


# --------------------------------------------------------------------------- parsing


@dataclass
class FieldChange:
    row: int
    label: str
    before: str
    after: str


@dataclass
class ItemChange:
    node: PlanNode
    row: int
    version: int
    created: bool
    fields: dict[str, ProgressStatus | str | None] = field(default_factory=dict)  # report field → new value
    actuals: dict[int, Decimal | str] = field(default_factory=dict)  # indicator id → value for report_save
    changes: list[FieldChange] = field(default_factory=list)  # for the preview


@dataclass
class Parsed:
    plan: Plan
    period: Period
    group: WorkingGroup | None
    filename: str
    items: list[ItemChange]
    row_count: int
    unchanged_rows: int

    @property
    def change_count(self) -> int:
        return sum(len(i.changes) for i in self.items)

    @property
    def changes(self) -> list[tuple[ItemChange, FieldChange]]:
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
            "ファイルの中身が大きすぎるため読み込めません。"
            "ダウンロードした Excel ファイルに入力したものを選んでください。"
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


def _is_formula(cell: Cell) -> bool:
    if cell.data_type == "f":
        return True
    value = cell.value
    return isinstance(value, str) and value.startswith("=") and not cell.quotePrefix


def parse(raw: bytes, *, filename: str, plan: Plan, user: Any, fiscal_year: int, period: int) -> Parsed:
    """Check the whole workbook against ``plan`` and the chosen period; raise ``ExcelError``
    with every problem found, or return the changes. Reads nothing per row from the database."""
    importer = ProgressWorkbookImporter(plan=plan, user=user, fiscal_year=fiscal_year, period=period)
    return importer.check(raw, filename)


def _too_many_rows() -> str:
    return _("「%(sheet)s」シートの行が多すぎます（%(max)s 行まで）。ファイルを分けてください。") % {
        "sheet": sheet_name(),
        "max": f"{MAX_ROWS:,}",
    }


def _not_ours() -> str:
    return _(
        "このファイルは、この画面からダウンロードした進捗報告の Excel ファイルではありません"
        "（確認用の情報が見つからないか、変更されています）。この画面からダウンロードしたファイルに入力してください。"
    )


def _parse(source: Source, *, plan: Plan, user: Any, fiscal_year: int, period: int) -> Parsed:
    wb = _open_workbook(source)
    signed = _read_signature(wb)
    chosen, group, perms = _check_origin(signed, plan=plan, user=user, fiscal_year=fiscal_year, period=period)
    errors = _Problems()
    rows, data_rows = _sheet_cells(wb, errors)
    errors.raise_if_any()

    data = _load(plan, fiscal_year, period)
    reader = _RowReader(
        data,
        errors,
        scope=permissions.group_node_ids(group, fiscal_year, tree=data.tree) if group is not None else None,
        allowed=permissions.reportable_node_ids(user, plan, fiscal_year, perms, tree=data.tree),
        group_name=group.name if group is not None else "",
    )
    for r in data_rows:
        reader.read(r, rows[r])
    items, unchanged_rows = _changes(reader, data, signed.snapshots, errors)
    errors.raise_if_any()
    items.sort(key=lambda i: i.row)
    return Parsed(
        plan=plan,
        period=chosen,
        group=group,
        filename=source.filename,
        items=items,
        row_count=len(reader.seen),
        unchanged_rows=unchanged_rows,
    )


def _open_workbook(source: Source) -> Workbook:
    """The workbook, once its row count (measured before inflating) is within bounds."""
    if source.zip.most_rows > MAX_ROWS + FIRST_ROW + 50:
        raise ExcelError([problem(_too_many_rows())])

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsupported extensions (e.g. x14 validations) are dropped
            return openpyxl.load_workbook(io.BytesIO(source.raw), read_only=False, data_only=False)
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


@dataclass
class _Signed:
    """What the hidden sheet says the workbook was made for, its signature checked."""

    plan: int
    council: int
    fiscal_year: int
    period: int
    group: int | None
    snapshots: dict[RowKey, object]  # each row's digest as downloaded


def _read_signature(wb: Workbook) -> _Signed:
    from openpyxl.worksheet.worksheet import Worksheet

    if META_SHEET not in wb.sheetnames:
        raise ExcelError([problem(_not_ours())])
    meta = wb[META_SHEET]
    if not isinstance(meta, Worksheet):  # a chart sheet of that name
        raise ExcelError([problem(_not_ours())])
    values = {}
    for key, value in meta.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if isinstance(key, str):
            values[key] = "" if value is None else str(value)
    if values.get("format") != FORMAT or not constant_time_compare(values.get("signature", ""), _signature(values)):
        raise ExcelError([problem(_not_ours())])
    try:
        return _Signed(
            plan=int(values["plan"]),
            council=int(values["council"]),
            fiscal_year=int(values["fiscal_year"]),
            period=int(values["period"]),
            group=int(values["group"]) if values["group"] else None,
            snapshots=_snapshots(meta),
        )
    except (KeyError, ValueError):
        raise ExcelError([problem(_not_ours())]) from None


def _snapshots(meta: Worksheet) -> dict[RowKey, object]:
    snapshots: dict[RowKey, object] = {}
    for node_value, indicator_value, digest in meta.iter_rows(min_col=6, max_col=8, values_only=True):
        try:
            indicator_id = None if indicator_value in (None, "") else _int_cell(indicator_value)
            snapshots[(_int_cell(node_value), indicator_id)] = digest
        except ValueError:
            continue
    return snapshots


def _check_origin(
    signed: _Signed, *, plan: Plan, user: Any, fiscal_year: int, period: int
) -> tuple[Period, WorkingGroup | None, frozenset[str]]:
    """The period and working group of a workbook made for ``plan`` and this period, which
    ``user`` may upload; and the user's permissions."""
    if signed.plan != plan.pk or signed.council != plan.council_id:
        raise ExcelError(
            [
                problem(
                    _("このファイルは別の計画のものです。この計画の画面からダウンロードしたファイルを選んでください。")
                )
            ]
        )
    chosen = _period(plan, fiscal_year, period)
    if (signed.fiscal_year, signed.period) != (fiscal_year, period):
        in_file = _period(plan, signed.fiscal_year, signed.period)
        label = in_file.label if in_file else fiscal.format_fiscal_year(signed.fiscal_year, style="wareki")
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
    if signed.group is not None:
        found = group_get(plan, signed.group)
        if not found:
            raise ExcelError(
                [problem(_("このファイルのワーキンググループは削除されています。ダウンロードし直してください。"))]
            )
        group = found
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
    return chosen, group, perms


def _sheet_cells(wb: Workbook, errors: _Problems) -> tuple[dict[int, dict[int, Cell]], list[int]]:
    """The filled cells of the 「進捗報告」 sheet by row and column, and its data rows in order;
    problems of the sheets, merged cells, formulas and headers go to ``errors``."""
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    sheet = sheet_name()
    ws = wb[sheet] if sheet in wb.sheetnames else None
    if not isinstance(ws, Worksheet):  # missing, or a chart sheet of that name
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
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        errors.add(
            _("セルが結合されています（%(range)s）。セルの結合を解除してください。") % {"range": merged.coord},
            merged.min_row,
            merged.min_col,
        )
    rows: defaultdict[int, dict[int, Cell]] = defaultdict(dict)  # row → column → cell
    for (r, c), cell in ws._cells.items():
        if cell.value is None or not isinstance(cell, Cell):  # a merged cell's value is always None
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
    _check_headers(rows.get(HEADER_ROW, {}), errors)
    data_rows = sorted(
        r for r, cells in rows.items() if r >= FIRST_ROW and any(not _is_blank(cell.value) for cell in cells.values())
    )
    if len(data_rows) > MAX_ROWS:
        raise ExcelError([problem(_too_many_rows())])
    return rows, data_rows


def _check_headers(header_cells: dict[int, Cell], errors: _Problems) -> None:
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


class _SkipRow(Exception):
    """The row has a problem (already recorded) and is not read further."""


@dataclass
class _ItemValues:
    """The item-row fields as the file has them."""

    status: ProgressStatus | None
    texts: dict[str, str]  # TEXT_FIELDS → cleaned text


class _RowReader:
    """Reads the data rows one by one: each row is checked against the plan (problems go to
    ``errors``) and what it holds is kept for ``_changes``."""

    def __init__(
        self,
        data: _Data,
        errors: _Problems,
        *,
        scope: set[int] | None,
        allowed: Collection[int] | None,
        group_name: str,
    ) -> None:
        self.data = data
        self.errors = errors
        self.scope = scope  # the working group's items (a group workbook), or None
        self.allowed = allowed  # the items the user may report on, or None for all
        self.group_name = group_name
        self.statuses = {s.name: s for s in data.statuses}
        self.statuses_nfkc = {unicodedata.normalize("NFKC", s.name): s for s in data.statuses}
        self.seen: dict[RowKey, int] = {}  # → row
        self.item_rows: dict[int, int] = {}  # node id → its item row
        self.item_values: dict[int, _ItemValues] = {}  # node id → its item-row fields
        self.item_versions: dict[int, int] = {}  # node id → version in the file
        # node id → indicator id → (row, typed value, stored form)
        self.actual_values: defaultdict[int, dict[int, tuple[int, Decimal | str, Stored]]] = defaultdict(dict)
        self.rows_of_node: defaultdict[int, list[int]] = defaultdict(list)
        self.keys_of_node: defaultdict[int, list[RowKey]] = defaultdict(list)
        self.row_actuals: dict[RowKey, Stored] = {}  # what each row holds now
        self.row_items: dict[RowKey, list[str]] = {}

    def read(self, r: int, cells: dict[int, Cell]) -> None:
        get: dict[str, object] = {c.key: cells[COL[c.key]].value if COL[c.key] in cells else None for c in COLUMNS}
        with contextlib.suppress(_SkipRow):
            self._read(r, cells, get)

    def _read(self, r: int, cells: dict[int, Cell], get: dict[str, object]) -> None:
        if _is_blank(get["node_id"]):
            inputs = [k for k in ("actual", *ITEM_KEYS) if not _is_blank(get[k])]
            if inputs or not _is_blank(get["indicator_id"]) or not _is_blank(get["version"]):
                self.errors.add(_("項目IDが空です。項目ID・指標ID・版の欄は変えないでください。"), r, COL["node_id"])
            return  # a note typed beside the table is not ours to read
        self._check_error_values(r, cells)
        node = self._node(r, get)
        indicator = self._indicator(r, get, node)
        key = (node.pk, indicator.pk if indicator else None)
        if key in self.seen:
            self._skip(
                _("同じ項目・指標の行が2つあります（%(other)s行目と同じ）。片方を削除してください。")
                % {"other": self.seen[key]},
                r,
                "node_id",
            )
        self.seen[key] = r
        self.rows_of_node[node.pk].append(r)
        self.keys_of_node[node.pk].append(key)
        if _is_blank(get["version"]):
            self._check_other_row(r, get, indicator)
        else:
            self._read_item_row(r, get, node, key)
        self._read_actual(r, cells, get, indicator, key)

    def _skip(self, message: str, r: int, column: str) -> NoReturn:
        self.errors.add(message, r, COL[column])
        raise _SkipRow

    def _check_error_values(self, r: int, cells: dict[int, Cell]) -> None:
        error_cells = [(c, cell) for c, cell in sorted(cells.items()) if cell.data_type == "e" and c <= len(COLUMNS)]
        for c, cell in error_cells:
            self.errors.add(
                _("エラー値（%(value)s）が入っています。値を入力し直してください。") % {"value": cell.value}, r, c
            )
        if error_cells:
            raise _SkipRow

    def _node(self, r: int, get: dict[str, object]) -> PlanNode:
        """The row's item, in the plan, and one the user may report on from this workbook."""
        try:
            node_id = _int_cell(get["node_id"])
        except ValueError:
            self._skip(
                _("項目ID「%(value)s」が正しくありません。項目ID・指標ID・版の欄は変えないでください。")
                % {"value": _clean_text(get["node_id"])},
                r,
                "node_id",
            )
        node = self.data.tree.by_id.get(node_id)
        if node is None:
            self._skip(
                _(
                    "項目ID「%(value)s」はこの計画にありません。行を追加せず、ダウンロードしたファイルに入力してください。"
                )
                % {"value": node_id},
                r,
                "node_id",
            )
        if self.allowed is not None and node_id not in self.allowed:
            self._skip(_("「%(item)s」の進捗を報告する権限がありません。") % {"item": node.label}, r, "node_id")
        if self.scope is not None and node_id not in self.scope:
            self._skip(
                _("「%(item)s」はワーキンググループ「%(group)s」の担当ではありません。")
                % {"item": node.label, "group": self.group_name},
                r,
                "node_id",
            )
        return node

    def _indicator(self, r: int, get: dict[str, object], node: PlanNode) -> Indicator | None:
        """The row's indicator, one of the item's; None on the row of an item without indicators."""
        if _is_blank(get["indicator_id"]):
            return None
        try:
            indicator = self.data.indicator_by_id.get(_int_cell(get["indicator_id"]))
        except ValueError:
            indicator = None
        if indicator is None or indicator.node_id != node.pk:
            self._skip(
                _(
                    "指標ID「%(value)s」は「%(item)s」の指標ではありません（削除されたか、IDが変わっています）。"
                    "ダウンロードし直してください。"
                )
                % {"value": _clean_text(get["indicator_id"]), "item": node.label},
                r,
                "indicator_id",
            )
        return indicator

    def _check_other_row(self, r: int, get: dict[str, object], indicator: Indicator | None) -> None:
        """A row without 版: an indicator row after the item row; its item fields are not read."""
        if indicator is None:
            self._skip(_("版が空です。項目ID・指標ID・版の欄は変えないでください。"), r, "version")
        for k in ITEM_KEYS:
            if not _is_blank(get[k]):
                header = str(COLUMNS[COL[k] - 1].header)
                self.errors.add(
                    _(
                        "%(field)sは各項目の最初の行（版のある行）だけに入力してください。"
                        "この行の%(field)sは読み込みません。"
                    )
                    % {"field": header},
                    r,
                    COL[k],
                )

    def _read_item_row(self, r: int, get: dict[str, object], node: PlanNode, key: RowKey) -> None:
        """The item row (the one with 版): its version, 状況 and texts."""
        try:
            version = _int_cell(get["version"])
        except ValueError:
            self._skip(
                _("版「%(value)s」が正しくありません。項目ID・指標ID・版の欄は変えないでください。")
                % {"value": _clean_text(get["version"])},
                r,
                "version",
            )
        if node.pk in self.item_rows:
            self._skip(
                _(
                    "「%(item)s」の版のある行が2つあります（%(other)s行目）。行をコピーせず、"
                    "ダウンロードしたファイルに入力してください。"
                )
                % {"item": node.label, "other": self.item_rows[node.pk]},
                r,
                "version",
            )
        self.item_rows[node.pk], self.item_versions[node.pk] = r, version
        self.row_items[key] = [_clean_text(get[k]) for k in ITEM_KEYS]
        self.item_values[node.pk] = _ItemValues(
            status=self._status(r, _clean_text(get["status"])),
            texts={k: _clean_text(get[k]) for k in TEXT_FIELDS},
        )

    def _status(self, r: int, text: str) -> ProgressStatus | None:
        if not text:
            return None
        status = self.statuses.get(text) or self.statuses_nfkc.get(unicodedata.normalize("NFKC", text))
        if status is None:
            self.errors.add(
                _("状況「%(value)s」はこの社協の状況にありません。一覧（%(names)s）から選んでください。")
                % {"value": text, "names": "・".join(self.statuses)},
                r,
                COL["status"],
            )
        return status

    def _read_actual(
        self, r: int, cells: dict[int, Cell], get: dict[str, object], indicator: Indicator | None, key: RowKey
    ) -> None:
        if indicator is None:
            if not _is_blank(get["actual"]):
                self.errors.add(_("指標のない行に実績値は入力できません。"), r, COL["actual"])
            return
        typed = _typed(indicator, get["actual"], cells[COL["actual"]].number_format if COL["actual"] in cells else "")
        try:
            stored: Stored = services._actual(indicator, typed)
        except ValidationError as exc:
            for text in exc.messages:
                self.errors.add(text, r, COL["actual"])
            return
        self.actual_values[indicator.node_id][indicator.pk] = (r, typed, stored)
        self.row_actuals[key] = stored


# --------------------------------------------------------------------------- what changes


def _changes(
    reader: _RowReader, data: _Data, snapshots: dict[RowKey, object], errors: _Problems
) -> tuple[list[ItemChange], int]:
    """The changed items, each checked to be current (problems go to ``errors``), and the
    number of rows that change nothing."""
    items = []
    unchanged_rows = 0
    for node_id, node_rows in reader.rows_of_node.items():
        touched = any(
            _digest(reader.row_actuals.get(key), reader.row_items.get(key)) != snapshots.get(key)
            for key in reader.keys_of_node[node_id]
        )
        if not touched:  # as downloaded: keep whatever is saved now, even if someone else changed it
            unchanged_rows += len(node_rows)
            continue
        report = data.reports.get(node_id)
        change, changed_rows = _item_change(reader, data, node_id, report)
        unchanged_rows += sum(1 for r in node_rows if r not in changed_rows)
        if change.changes and _is_current(reader, change, report, changed_rows, errors):
            change.changes.sort(key=lambda c: c.row)
            items.append(change)
    return items, unchanged_rows


def _item_change(
    reader: _RowReader, data: _Data, node_id: int, report: ProgressReport | None
) -> tuple[ItemChange, set[int]]:
    """What the rows of one item change, and the rows that change something."""
    change = ItemChange(
        node=data.tree.by_id[node_id],
        row=reader.item_rows.get(node_id, min(reader.rows_of_node[node_id])),
        version=reader.item_versions.get(node_id, -1),
        created=report is None,
    )
    values = reader.item_values.get(node_id)
    if values is not None:
        _field_changes(change, values, report, reader.item_rows[node_id])
    changed_rows = set()
    actual_label = _("実績値: %(name)s")
    for indicator_id, (r, typed, stored) in reader.actual_values.get(node_id, {}).items():
        saved = data.actuals.get((report.pk, indicator_id), (None, "")) if report else (None, "")
        old = (saved[0], _clean_text(saved[1]))
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
        changed_rows.add(reader.item_rows[node_id])
    return change, changed_rows


def _field_changes(change: ItemChange, values: _ItemValues, report: ProgressReport | None, row: int) -> None:
    old_status = report.status if report else None
    if values.status != old_status:
        change.fields["status"] = values.status
        change.changes.append(
            FieldChange(
                row,
                str(COLUMNS[COL["status"] - 1].header),
                old_status.name if old_status else "",
                values.status.name if values.status else "",
            )
        )
    for k in TEXT_FIELDS:
        old = _clean_text(getattr(report, k)) if report else ""
        if values.texts[k] != old:
            change.fields[k] = values.texts[k]
            change.changes.append(FieldChange(row, str(COLUMNS[COL[k] - 1].header), old, values.texts[k]))


def _is_current(
    reader: _RowReader, change: ItemChange, report: ProgressReport | None, changed_rows: set[int], errors: _Problems
) -> bool:
    """Whether the changed item has its item row and was not updated by someone else since."""
    node_id = change.node.pk
    current = report.version if report else 0
    if node_id not in reader.item_rows:
        errors.add(
            _(
                "「%(item)s」の最初の行（版のある行）がありません。行を削除せず、ダウンロードしたファイルに"
                "入力してください。"
            )
            % {"item": change.node.label},
            min(changed_rows),
            COL["version"],
        )
        return False
    if change.version != current:
        errors.add(
            _(
                "「%(item)s」の報告は、ダウンロードした後にほかの人が更新しました。"
                "最新の内容をダウンロードし直して、もう一度入力してください。"
            )
            % {"item": change.node.label},
            reader.item_rows[node_id],
            COL["version"],
        )
        return False
    return True


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
