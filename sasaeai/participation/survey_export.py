"""Survey results as an Excel workbook: 単純集計, クロス集計 (every question by one attribute) and
自由記述 (every free answer). Built from the same figures as the results page (``tabulation``)."""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _

from . import tabulation
from .models import Question, Response
from .selectors import surveys as survey_selectors
from .services import surveys

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT_NAME = "游ゴシック"
ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def sheet_names():
    return {"simple": _("単純集計"), "cross": _("クロス集計"), "free": _("自由記述")}


def filename(questionnaire) -> str:
    name = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{questionnaire.title}_{_('集計結果')}").strip("._")[:120]
    return f"{name}.xlsx"


class _Writer:
    def __init__(self, ws):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill

        self.ws = ws
        self.Cell = WriteOnlyCell
        self.font = Font(name=FONT_NAME, size=11, charset=128)
        self.bold = Font(name=FONT_NAME, size=11, charset=128, bold=True)
        self.head_fill = PatternFill("solid", fgColor="DDEBF7")

    def row(self, values=(), *, bold=False, head=False, percent_from=None):
        cells = []
        for i, value in enumerate(values):
            if isinstance(value, str):
                value = ILLEGAL.sub("", value)
            elif value is not None and not isinstance(value, (int, float)):
                value = float(value)  # Decimal
            cell = self.Cell(self.ws, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            cell.font = self.bold if (bold or head) else self.font
            if head:
                cell.fill = self.head_fill
            if isinstance(value, float) and percent_from is not None and i >= percent_from:
                cell.number_format = "0.0"
            cells.append(cell)
        self.ws.append(cells)


def _intro(w, questionnaire, rate, title):
    w.row([f"{questionnaire.title} — {title}"], bold=True)
    w.row([rate.label or _("回答者 %(n)s 人") % {"n": f"{rate.returned or 0:,}"}])
    w.row([])


def build(questionnaire, *, attribute_code=None) -> bytes:
    from openpyxl import Workbook

    spec = surveys.questionnaire_spec(questionnaire)
    columns = tabulation.get_columns(questionnaire, spec)
    rate = survey_selectors.response_rate(questionnaire, columns.n)
    names = sheet_names()
    wb = Workbook(write_only=True)
    _simple_sheet(wb, questionnaire, spec, columns, rate, names["simple"])
    attribute = spec.by_code.get(attribute_code) if attribute_code else None
    if attribute is not None and attribute.is_axis:
        _cross_sheet(wb, questionnaire, spec, columns, rate, names["cross"], attribute)
    _free_sheet(wb, questionnaire, spec, names["free"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _simple_sheet(wb, questionnaire, spec, columns, rate, name) -> None:
    ws = wb.create_sheet(name)
    ws.column_dimensions["A"].width = 40
    w = _Writer(ws)
    _intro(w, questionnaire, rate, name)
    w.row([_("回答者数（取り込み・オンライン回答の合計）"), columns.n])
    w.row([])
    for result in tabulation.simple_all(columns, spec):
        _simple_block(w, result)
        w.row([])


def _simple_block(w, result: tabulation.Simple) -> None:
    q = result.spec
    w.row([f"{q.code} {q.label}"], bold=True)
    if result.rows:
        base = _("％（複数回答・回答者に対する割合）") if q.kind == Question.Kind.MULTIPLE else _("％")
        w.row([_("選択肢"), _("件数"), base], head=True)
        for cell in result.rows:
            w.row([cell.label, cell.count, cell.percent], percent_from=2)
        w.row([_("回答者数（n）"), result.n])
        w.row([_("無回答"), result.blank])
        if result.mean is not None:
            w.row([_("平均"), result.mean])
    elif q.kind == Question.Kind.NUMBER:
        w.row([_("項目"), _("値")], head=True)
        for label, value in [
            (_("回答者数（n）"), result.n),
            (_("平均"), result.mean),
            (_("中央値"), result.median),
            (_("最小"), result.minimum),
            (_("最大"), result.maximum),
            (_("無回答"), result.blank),
        ]:
            w.row([label, value])
    else:
        w.row([_("回答あり"), result.n])
        w.row([_("無回答"), result.blank])


def _cross_sheet(wb, questionnaire, spec, columns, rate, name, attribute) -> None:
    ws = wb.create_sheet(name)
    ws.column_dimensions["A"].width = 28
    w = _Writer(ws)
    _intro(w, questionnaire, rate, _("%(name)s（%(attr)s 別）") % {"name": name, "attr": attribute.label})
    for q in spec.questions:
        if q.code == attribute.code:
            continue
        w.row([f"{q.code} {q.label}"], bold=True)
        _cross_block(w, tabulation.cross(columns, q, attribute), q, attribute)
        w.row([])


def _cross_block(w, result: tabulation.Cross, q, attribute) -> None:
    if result.columns:
        header = [attribute.label, _("回答者数（n）")]
        for _code, label in result.columns:
            header += [label, _("％")]
        if q.kind == Question.Kind.SCALE:
            header.append(_("平均"))
        header.append(_("無回答"))
        w.row(header, head=True)
        for row in result.all_rows:
            values = [row.label, row.n]
            for count, percent in zip(row.counts, row.percents, strict=False):
                values += [count, percent]
            if q.kind == Question.Kind.SCALE:
                values.append(row.mean)
            values.append(row.blank)
            w.row(values, bold=row.is_total, percent_from=2)
    elif q.kind == Question.Kind.NUMBER:
        w.row([attribute.label, _("回答者数（n）"), _("平均"), _("無回答")], head=True)
        for row in result.all_rows:
            w.row([row.label, row.n, row.mean, row.blank], bold=row.is_total)
    else:
        w.row([attribute.label, _("回答あり"), _("無回答")], head=True)
        for row in result.all_rows:
            w.row([row.label, row.n, row.blank], bold=row.is_total)


def _free_sheet(wb, questionnaire, spec, name) -> None:
    """Every free answer, one row each, with the respondent's attributes."""
    texts = [q for q in spec.questions if q.kind == Question.Kind.TEXT]
    ws = wb.create_sheet(name)
    for letter, width in zip("ABCD", (14, 10, 30, 80), strict=False):
        ws.column_dimensions[letter].width = width
    w = _Writer(ws)
    attributes = spec.attributes()
    w.row([_("回答者番号"), _("列名"), _("質問"), *[a.label for a in attributes], _("回答")], head=True)
    if not texts:
        return
    labels = {a.code: dict(a.categories) for a in attributes}
    rows = Response.objects.filter(questionnaire=questionnaire).order_by("pk").values_list("respondent", "answers")
    for respondent, answers in rows.iterator(chunk_size=5000):
        for q in texts:
            text = answers.get(q.code)
            if text:
                attrs = [labels[a.code].get(str(answers.get(a.code, "")), "") for a in attributes]
                w.row([respondent, q.code, q.label, *attrs, text])
