"""評価シート (Excel), laid out as councils print them: a 総括 sheet, then one sheet per goal with a
row per project. Built from an ``EvaluationReport`` (``reports.py``); nothing is computed here.

Goal sheet layout (A4 landscape, fit to one page wide, header rows repeated on every page):

- row 1: plan, year (和暦 and 西暦) and 「事業評価シート」; row 2: the goal, its figures, the date;
- rows 3–4: two-row header, merged: 事業 (番号・事業名) | 指標 (指標・基準値・目標値・実績値・達成率)
  | 実績・成果 | each visible stage (記号・所見) | 課題 | 改善策 | 方向性;
- rows 5…: one row per project. Indicator cells list a project's indicators one per line; 達成率 is
  the project's (a number with one decimal place).

Speed: one style per column, built once and copied onto each cell (no per-cell style objects).
"""

from __future__ import annotations

import io
from copy import copy

from django.utils.translation import gettext as _
from openpyxl.cell.cell import Cell

from .reports import EvaluationReport, plain

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT_NAME = "游ゴシック"  # Excel's Japanese default; other programs fall back to their own
TITLE_ROW, INFO_ROW, HEAD_ROW, SUB_ROW, FIRST_ROW = 1, 2, 3, 4, 5
EXCEL_CELL_MAX = 32767  # characters Excel keeps in a cell


def goal_columns(report: EvaluationReport):
    """(key, group header, sub header or None, width, kind) for a goal sheet."""
    project, indicator = _("事業"), _("指標（基準値・目標値・実績値・達成率）")
    cols = [
        ("code", project, _("番号"), 7, "center"),
        ("title", project, _("事業名"), 26, "text"),
        ("indicator", indicator, _("指標"), 20, "text"),
        ("baseline", indicator, _("基準値"), 8, "numtext"),
        ("target", indicator, _("目標値"), 8, "numtext"),
        ("actual", indicator, _("実績値"), 8, "numtext"),
        ("rate", indicator, _("達成率（％）"), 8, "number"),
        ("performance", _("実績・成果"), None, 32, "text"),
    ]
    for stage, label in report.stages:
        cols.append((f"grade:{stage}", label, _("記号"), 6, "center"))
        cols.append((f"comment:{stage}", label, _("所見"), 24, "text"))
    cols += [
        ("challenges", _("課題"), None, 24, "text"),
        ("improvements", _("改善策"), None, 24, "text"),
        ("direction", _("方向性"), None, 8, "center"),
    ]
    return cols


def _project_values(project, columns):
    inds = project.indicators
    title = project.title if not project.path else f"{project.title}\n［{project.path}］"
    values = {
        "code": project.code or None,
        "title": title,
        "indicator": "\n".join(i.label for i in inds) or None,
        "baseline": "\n".join(plain(i.baseline) for i in inds).strip() or None,
        "target": "\n".join(plain(i.target) for i in inds).strip() or None,
        "actual": "\n".join(i.actual_display for i in inds).strip() or None,
        "rate": float(project.achievement) if project.achievement is not None else None,
        "performance": project.performance or None,
        "challenges": project.challenges or None,
        "improvements": project.improvements or None,
        "direction": project.direction or None,
    }
    if len(inds) == 1:
        # One indicator: real numbers, so Excel can sum and format them (several are listed as text).
        only = inds[0]
        for key, value in (("baseline", only.baseline), ("target", only.target), ("actual", only.actual)):
            if value is not None:
                values[key] = int(value) if value == value.to_integral_value() else float(value)
    for mark in project.marks:
        values[f"grade:{mark.stage}"] = mark.display or None
        values[f"comment:{mark.stage}"] = mark.comment or None
    return [values[key] for key, *_rest in columns]


class _Styles:
    """Shared style arrays for one workbook: one per kind, copied onto cells (cheap)."""

    def __init__(self, wb):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=FONT_NAME, size=10, charset=128)
        self.bold = Font(name=FONT_NAME, size=10, charset=128, bold=True)
        self.title_font = Font(name=FONT_NAME, size=14, charset=128, bold=True)
        self.info_font = Font(name=FONT_NAME, size=10, charset=128, color="404040")
        self.head_fill = PatternFill("solid", fgColor="DDEBF7")
        self.total_fill = PatternFill("solid", fgColor="F2F2F2")
        specs = {
            "text": (self.font, Alignment(vertical="top", wrap_text=True), "General", None),
            "center": (self.font, Alignment(horizontal="center", vertical="top", wrap_text=True), "General", None),
            "numtext": (self.font, Alignment(horizontal="right", vertical="top", wrap_text=True), "General", None),
            "number": (self.font, Alignment(horizontal="right", vertical="top"), "0.0", None),
            "integer": (self.font, Alignment(horizontal="right", vertical="top"), "0", None),
            "head": (
                self.bold,
                Alignment(horizontal="center", vertical="center", wrap_text=True),
                "General",
                self.head_fill,
            ),
            "total_text": (self.bold, Alignment(vertical="top", wrap_text=True), "General", self.total_fill),
            "total_number": (self.bold, Alignment(horizontal="right", vertical="top"), "0.0", self.total_fill),
            "total_integer": (self.bold, Alignment(horizontal="right", vertical="top"), "0", self.total_fill),
            "paragraph": (self.font, Alignment(vertical="top", wrap_text=True), "General", None),
        }
        # Style a scratch cell once per kind, keep its style array, drop the cell.
        scratch = wb.create_sheet("_scratch")
        self.arrays = {}
        for i, (kind, (font, alignment, number_format, fill)) in enumerate(specs.items(), start=1):
            cell = scratch.cell(i, 1)
            cell.font, cell.alignment, cell.number_format = font, alignment, number_format
            if kind != "paragraph":
                cell.border = self.border
            if fill is not None:
                cell.fill = fill
            self.arrays[kind] = cell._style
        wb.remove(scratch)


def _put(ws, row, col, value, styles=None, kind=None):
    """Write one cell. With a style kind, the cell goes straight into the sheet with the kind's shared
    style array and its value bound directly (texts were cleaned of control characters in
    ``reports``): ws.cell + styling + openpyxl's per-string checks cost 3× more."""
    if styles is None:
        cell = ws.cell(row, col, value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # text, never a formula
        return cell
    cell = Cell(ws, row=row, column=col, style_array=copy(styles.arrays[kind]))
    if value is not None:
        if isinstance(value, str):
            cell._value, cell.data_type = value[:EXCEL_CELL_MAX], "s"  # text, never a formula
        else:
            cell._value, cell.data_type = value, "n"
    ws._cells[(row, col)] = cell
    return cell


def _merge(ws, styles, kind, first_row, first_col, last_row, last_col):
    """Merge a range whose cells all carry ``kind``'s style (borders included), without openpyxl's
    slow border re-formatting of merged ranges."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.merge import MergedCellRange

    ref = f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"
    ws.merged_cells.add(MergedCellRange(ws, ref))
    for row in range(first_row, last_row + 1):
        for col in range(first_col, last_col + 1):
            if (row, col) != (first_row, first_col):
                cell = MergedCell(ws, row=row, column=col)
                cell._style = copy(styles.arrays[kind])
                ws._cells[(row, col)] = cell


def _print_setup(ws, *, title_rows, landscape=True):
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"


def _header(ws, columns, styles, head_row, sub_row):
    """Two header rows; a group spanning several columns is merged across, a column without a sub
    header is merged down."""
    from openpyxl.utils import get_column_letter

    start = 0
    while start < len(columns):
        end = start
        while (
            end + 1 < len(columns)
            and columns[end + 1][1] == columns[start][1]
            and columns[start][2] is not None
            and columns[end + 1][2] is not None
        ):
            end += 1
        first, last = start + 1, end + 1
        _put(ws, head_row, first, columns[start][1], styles, "head")
        if columns[start][2] is None:
            _merge(ws, styles, "head", head_row, first, sub_row, first)
        else:
            for col in range(first, last + 1):
                _put(ws, sub_row, col, columns[col - 1][2], styles, "head")
            if last > first:
                _merge(ws, styles, "head", head_row, first, head_row, last)
        start = end + 1
    for number, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(number)].width = column[3]
    ws.row_dimensions[head_row].height = 20
    ws.row_dimensions[sub_row].height = 20


def _summary_sheet(wb, report: EvaluationReport, styles):
    ws = wb.active
    ws.title = _("総括")
    grade_codes = [code for code, _label, _color in report.grades]
    columns = (
        [
            ("code", _("番号"), None, 7),
            ("title", _("目標"), None, 34),
            ("projects", _("事業数"), None, 8),
            ("evaluated", _("評価済み"), None, 9),
            ("rate", _("達成率（％）"), None, 10),
        ]
        + [(f"g:{c}", _("評価（現在）"), c, 7) for c in grade_codes]
        + [(f"d:{d}", _("方向性"), d, 8) for d in report.directions]
    )
    _put(ws, TITLE_ROW, 1, report.sheet_heading).font = styles.title_font
    info = _("%(scope)s ／ 評価の段階: %(stages)s ／ 作成日: %(date)s") % {
        "scope": report.scope_label,
        "stages": report.stage_labels or _("なし"),
        "date": report.issued_label,
    }
    _put(ws, INFO_ROW, 1, info).font = styles.info_font
    _header(ws, columns, styles, HEAD_ROW, SUB_ROW)
    row = FIRST_ROW
    for goal in report.goals:
        values = [
            goal.code or None,
            goal.title,
            len(goal.projects),
            goal.evaluated,
            float(goal.achievement) if goal.achievement is not None else None,
        ]
        values += [goal.grade_counts.get(c, 0) for c in grade_codes]
        values += [goal.direction_counts.get(d, 0) for d in report.directions]
        for col, value in enumerate(values, start=1):
            kind = "center" if col == 1 else "text" if col == 2 else "number" if col == 5 else "integer"
            _put(ws, row, col, value, styles, kind)
        row += 1
    totals = [
        None,
        _("計"),
        report.project_count,
        report.evaluated,
        float(report.achievement) if report.achievement is not None else None,
    ]
    totals += [report.grade_counts.get(c, 0) for c in grade_codes]
    totals += [report.direction_counts.get(d, 0) for d in report.directions]
    for col, value in enumerate(totals, start=1):
        kind = "total_text" if col <= 2 else "total_number" if col == 5 else "total_integer"
        _put(ws, row, col, value, styles, kind)
    row += 2
    # The grading scale, so a printed sheet can be read on its own.
    _put(ws, row, 1, _("評価の記号")).font = styles.bold
    row += 1
    for code, label, _color in report.grades:
        _put(ws, row, 1, code, styles, "center")
        _put(ws, row, 2, label, styles, "text")
        row += 1
    row += 1
    _put(ws, row, 1, _("評価委員会の総評")).font = styles.bold
    row += 1
    width = len(columns)
    paragraphs = (
        report.opinion.split("\n")
        if report.opinion
        else [_("総評はまだ確定していません。") if report.opinion_state == "draft" else _("総評はありません。")]
    )
    chars_per_line = max(20, int(sum(c[3] for c in columns) / 1.9))
    for paragraph in paragraphs:
        _put(ws, row, 1, paragraph, styles, "paragraph")
        _merge(ws, styles, "paragraph", row, 1, row, width)
        lines = max(1, -(-len(paragraph) // chars_per_line))
        ws.row_dimensions[row].height = 15 * lines + 2
        row += 1
    ws.freeze_panes = ws.cell(FIRST_ROW, 3)
    _print_setup(ws, title_rows=f"{HEAD_ROW}:{SUB_ROW}", landscape=False)


def _goal_sheet(wb, report: EvaluationReport, goal, columns, styles):
    ws = wb.create_sheet(goal.sheet_title)
    _put(ws, TITLE_ROW, 1, report.sheet_heading).font = styles.title_font
    info = _("%(goal)s ／ 事業数 %(n)s ／ 達成率 %(rate)s％ ／ 評価 %(grades)s ／ 作成日: %(date)s") % {
        "goal": goal.label,
        "n": len(goal.projects),
        "rate": "—" if goal.achievement is None else goal.achievement,
        "grades": report.grade_summary(goal.grade_counts),
        "date": report.issued_label,
    }
    _put(ws, INFO_ROW, 1, info).font = styles.info_font
    _header(ws, columns, styles, HEAD_ROW, SUB_ROW)
    kinds = [c[4] for c in columns]
    append_row = FIRST_ROW
    for project in goal.projects:
        for col, (value, kind) in enumerate(zip(_project_values(project, columns), kinds, strict=False), start=1):
            _put(ws, append_row, col, value, styles, kind)
        append_row += 1
    if not goal.projects:
        _put(ws, append_row, 1, _("対象の事業はありません。"))
    ws.freeze_panes = ws.cell(FIRST_ROW, 3)
    _print_setup(ws, title_rows=f"{HEAD_ROW}:{SUB_ROW}")
    return ws


def build(report: EvaluationReport) -> bytes:
    """The 評価シート workbook as bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    styles = _Styles(wb)
    _summary_sheet(wb, report, styles)
    columns = goal_columns(report)
    for goal in report.goals:
        _goal_sheet(wb, report, goal, columns, styles)
    wb.properties.title = report.sheet_heading
    wb.properties.creator = "Sasaeai"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
