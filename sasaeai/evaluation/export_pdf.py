"""事業評価報告書 (PDF) for the board (理事会・評議員会), drawn with ReportLab platypus from an
``EvaluationReport`` (``reports.py``).

Pages: a title page (plan, 年度 in 和暦 and 西暦, date of issue in 和暦); 目次 (hand-built with page
numbers: drawn into a form XObject once the headings' pages are known, so the document is laid out
in one pass instead of multiBuild's two or three); 1 総括 (figures per goal, a bar chart of 達成率 per
goal and a bar chart of the grades); 2 目標別の評価 on A4 landscape pages (per goal a summary and a
table of projects: 達成率, each visible stage's grade, 方向性, 課題, 改善策); 3 評価委員会の総評.
Page numbers in the footer.

The font is IPAexGothic (a TrueType font shipped in the japanize-matplotlib package), embedded as
TrueType subsets: the PDF prints the same everywhere, without relying on the reader's CID fonts.
"""

from __future__ import annotations

import importlib.util
import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from .reports import EvaluationReport, rate_text

CONTENT_TYPE = "application/pdf"
FONT = "IPAexGothic"
MAX_CELL_CHARS = 500  # a table row must fit on a page: longer 課題・改善策 are cut (full text in Excel/Word)
_lock = threading.Lock()


def font_path() -> Path:
    """IPAexGothic from the japanize-matplotlib package, found without importing it (importing it
    configures matplotlib)."""
    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("japanize-matplotlib is not installed: the PDF reports need its IPAexGothic font")
    return Path(spec.submodule_search_locations[0]) / "fonts" / "ipaexg.ttf"


def register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


def _para_text(text: str, limit: int | None = None) -> str:
    if limit is not None and len(text) > limit:
        text = text[:limit] + _("…（以下略。全文は Excel・Word 版にあります）")
    return escape(text).replace("\n", "<br/>")


class _Styles:
    def __init__(self):
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_CENTER, TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle

        base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle(
            "small", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#333333")
        )
        self.cell = ParagraphStyle("cell", parent=base, fontSize=7.5, leading=10)
        self.head = ParagraphStyle("head", parent=base, fontSize=7.5, leading=10, alignment=TA_CENTER)
        self.cover_plan = ParagraphStyle("cover_plan", parent=base, fontSize=22, leading=32, alignment=TA_CENTER)
        self.cover_title = ParagraphStyle("cover_title", parent=base, fontSize=18, leading=28, alignment=TA_CENTER)
        self.cover_info = ParagraphStyle("cover_info", parent=base, fontSize=12, leading=20, alignment=TA_CENTER)
        self.cover_date = ParagraphStyle("cover_date", parent=base, fontSize=12, leading=20, alignment=TA_RIGHT)
        self.toc_title = ParagraphStyle("toc_title", parent=base, fontSize=16, leading=24, spaceAfter=12)
        self.h1 = ParagraphStyle(
            "H1",
            parent=base,
            fontSize=15,
            leading=22,
            spaceBefore=6,
            spaceAfter=8,
            textColor=colors.HexColor("#1f3864"),
        )
        self.h2 = ParagraphStyle(
            "H2",
            parent=base,
            fontSize=12,
            leading=18,
            spaceBefore=4,
            spaceAfter=4,
            textColor=colors.HexColor("#1f3864"),
        )
        self.caption = ParagraphStyle("caption", parent=base, fontSize=9, leading=13, spaceBefore=4)


TOC_LEADING = {0: 20.0, 1: 16.0}
TOC_SIZE = {0: 11.0, 1: 10.0}


def _platypus_classes():
    """The document class, the 目次 flowable and a Paragraph that wraps once per width. Defined lazily
    so importing this module does not import ReportLab."""
    from reportlab.platypus import BaseDocTemplate, Flowable, Paragraph

    class OnceParagraph(Paragraph):
        """A table cell is wrapped several times (row heights, page splits, drawing) at the same width:
        break its lines once."""

        _wrapped_at = None

        def wrap(self, availWidth, availHeight):
            if self._wrapped_at == availWidth:
                return self.width, self.height
            result = super().wrap(availWidth, availHeight)
            self._wrapped_at = availWidth
            return result

    class ContentsPage(Flowable):
        """One page of 目次. It draws a form XObject that is only defined once the document is laid
        out (a PDF may refer to a form defined later), so the document is built in one pass: the
        page numbers are those the headings really landed on."""

        def __init__(self, doc, first, count, height):
            super().__init__()
            self.doc, self.first, self.count, self.fixed_height = doc, first, count, height
            self.form_name = f"sasaeai_toc_{first}"

        def wrap(self, availWidth, availHeight):
            self.width, self.height = availWidth, min(self.fixed_height, availHeight)
            return self.width, self.height

        def draw(self):
            self.canv.doForm(self.form_name)
            self.doc.contents_pages.append(self)

    class ReportDoc(BaseDocTemplate):
        """Collects 目次 entries and PDF bookmarks from the H1/H2 headings; draws 目次 at the end."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.toc_entries = []  # (level, text, page)
            self.contents_pages = []

        def afterFlowable(self, flowable):
            if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
                level = 0 if flowable.style.name == "H1" else 1
                text = flowable.getPlainText()
                key = getattr(flowable, "toc_key", None)
                if key:
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
                self.toc_entries.append((level, text, self.page))

        def _endBuild(self):
            self._doSave = 0
            super()._endBuild()
            for page in self.contents_pages:
                _draw_contents(self.canv, page, self.toc_entries[page.first : page.first + page.count])
            self.canv.save()

    return ReportDoc, ContentsPage, OnceParagraph


def _draw_contents(canv, page, entries):
    """Draw one 目次 page's entries into its form: title, dot leaders, page number."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    canv.beginForm(page.form_name, 0, 0, page.width, page.height)
    y = page.height
    for level, text, number in entries:
        size, leading = TOC_SIZE[level], TOC_LEADING[level]
        y -= leading
        indent = 0 if level == 0 else 16
        number_text = str(number)
        number_w = stringWidth(number_text, FONT, size)
        max_text_w = page.width - indent - number_w - 24
        while text and stringWidth(text, FONT, size) > max_text_w:
            text = text[:-2] + "…"
        canv.setFont(FONT, size)
        canv.drawString(indent, y, text)
        start = indent + stringWidth(text, FONT, size) + 6
        dot_w = stringWidth(". ", FONT, size)
        dots = int((page.width - number_w - 6 - start) // dot_w)
        if dots > 0:
            canv.drawRightString(page.width - number_w - 6, y, ". " * dots)
        canv.drawRightString(page.width, y, number_text)
    canv.endForm()


def _heading(text, style, key):
    from reportlab.platypus import Paragraph

    para = Paragraph(escape(text), style)
    para.toc_key = key
    return para


def _achievement_chart(report: EvaluationReport, width):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    goals = list(reversed(report.goals))  # the chart draws from the bottom up: first goal on top
    per_bar = min(15.0, 420.0 / max(1, len(goals)))
    height = per_bar * len(goals) + 40
    drawing = Drawing(width, height)
    drawing.initialFontName = FONT  # the renderer's starting font (else Helvetica, not embedded)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 24
    chart.width, chart.height = width - 190, height - 34
    chart.data = [[float(g.achievement) if g.achievement is not None else None for g in goals]]
    chart.categoryAxis.categoryNames = [_short(g.label, 16) for g in goals]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#d0d7de")
    chart.bars[0].fillColor = colors.HexColor("#0969da")
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    drawing.add(String(chart.x + chart.width + 14, chart.y - 13, _("（％）"), fontName=FONT, fontSize=7.5))
    return drawing


def _grade_chart(report: EvaluationReport, width):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    names = [code for code, _label, _color in report.grades] + [_("未評価")]
    counts = [report.grade_counts.get(code, 0) for code, _label, _color in report.grades]
    counts.append(report.project_count - report.evaluated)
    height = 140
    drawing = Drawing(width, height)
    drawing.initialFontName = FONT
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 30
    chart.width, chart.height = min(width - 60, 60 * len(names)), height - 45
    chart.data = [counts]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    top = max([*counts, 1])
    step = next(s for s in _nice_steps() if top / s <= 6)
    chart.valueAxis.valueMax = step * -(-top // step)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7.5
    chart.bars.strokeColor = None
    for i, (_code, _label, color) in enumerate(report.grades):
        try:
            chart.bars[(0, i)].fillColor = colors.HexColor(color)
        except (ValueError, TypeError):
            chart.bars[(0, i)].fillColor = colors.HexColor("#57606a")
    chart.bars[(0, len(names) - 1)].fillColor = colors.HexColor("#afb8c1")
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


def _nice_steps():
    """1, 2, 5, 10, 20, 25, 50, 100, … : axis steps people read easily."""
    scale = 1
    while True:
        for base in (1, 2, 5) if scale == 1 else (1, 2, 2.5, 5):
            yield int(base * scale)
        scale *= 10


def _short(text, n):
    return text if len(text) <= n else text[: n - 1] + "…"


def _rate_head():
    return escape(_("達成率")) + "<br/>" + escape(_("（％）"))


def _summary_table(report: EvaluationReport, styles, width):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    codes = [code for code, _label, _color in report.grades]
    head = [
        Paragraph(t, styles.head)
        for t in [escape(_("目標")), escape(_("事業数")), escape(_("評価済み")), _rate_head()]
        + [escape(c) for c in codes]
    ]
    data = [head]
    for goal in report.goals:
        data.append(
            [
                Paragraph(escape(goal.label), styles.cell),
                str(len(goal.projects)),
                str(goal.evaluated),
                rate_text(goal.achievement),
            ]
            + [str(goal.grade_counts.get(c, 0)) for c in codes]
        )
    data.append(
        [
            Paragraph(escape(_("計")), styles.cell),
            str(report.project_count),
            str(report.evaluated),
            rate_text(report.achievement),
        ]
        + [str(report.grade_counts.get(c, 0)) for c in codes]
    )
    fixed = 46 * 3 + 30 * len(codes)
    widths = [max(120, width - fixed)] + [46, 46, 46] + [30] * len(codes)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8c959f")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ddebf7")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _project_table(report: EvaluationReport, goal, styles, width, Paragraph):
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, TableStyle

    n_stages = len(report.stages)
    head_texts = (
        [escape(_("番号")), escape(_("事業")), _rate_head()]
        + [escape(label) for _s, label in report.stages]
        + [escape(_("方向性")), escape(_("課題")), escape(_("改善策"))]
    )
    head = [Paragraph(t, styles.head) for t in head_texts]
    fixed = 34 + 46 + 40 * n_stages + 40
    rest = width - fixed
    widths = [34, rest * 0.30, 46] + [40] * n_stages + [40, rest * 0.35, rest * 0.35]
    cell = styles.cell
    data = [head]
    for p in goal.projects:
        title = _para_text(p.title, 300)
        if p.path:
            title += f'<br/><font size="6.5" color="#57606a">{_para_text(p.path, 200)}</font>'
        data.append(
            [p.code, Paragraph(title, cell), rate_text(p.achievement)]
            + [m.display for m in p.marks]
            + [
                p.direction,
                Paragraph(_para_text(p.challenges, MAX_CELL_CHARS), cell) if p.challenges else "",
                Paragraph(_para_text(p.improvements, MAX_CELL_CHARS), cell) if p.improvements else "",
            ]
        )
    if not goal.projects:
        data.append(["", Paragraph(escape(_("対象の事業はありません。")), cell), ""] + [""] * n_stages + ["", "", ""])
    table = LongTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8c959f")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ddebf7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                ("ALIGN", (3, 1), (3 + n_stages, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _goal_summary(report, goal):
    directions = "・".join(_("%(name)s %(n)s件") % {"name": k, "n": v} for k, v in goal.direction_counts.items() if v)
    return _(
        "事業数 %(n)s ／ 評価済み %(evaluated)s ／ 達成率 %(rate)s％ ／ 評価（現在） %(grades)s ／ 方向性 %(dirs)s"
    ) % {
        "n": len(goal.projects),
        "evaluated": goal.evaluated,
        "rate": rate_text(goal.achievement),
        "grades": report.grade_summary(goal.grade_counts),
        "dirs": directions or "—",
    }


def build(report: EvaluationReport) -> bytes:
    """The 事業評価報告書 as PDF bytes."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        Frame,
        KeepTogether,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
    )

    register_font()
    styles = _Styles()
    margin = 15 * mm
    portrait_w, portrait_h = A4
    land_w, land_h = landscape(A4)
    footer_text = f"{report.plan_title} {report.title}"

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        width, _height = canvas._pagesize
        canvas.drawString(margin, 9 * mm, _short(footer_text, 60))
        canvas.drawCentredString(width / 2, 9 * mm, f"- {doc.page} -")
        canvas.restoreState()

    def frame(w, h, name):
        return Frame(
            margin,
            margin + 4 * mm,
            w - 2 * margin,
            h - 2 * margin - 4 * mm,
            id=name,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    out = io.BytesIO()
    ReportDoc, ContentsPage, OnceParagraph = _platypus_classes()
    doc = ReportDoc(
        out,
        pagesize=A4,
        title=f"{report.plan_title} {report.title}",
        author=report.council_name,
        subject=report.title,
        creator="Sasaeai",
        initialFontName=FONT,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[frame(portrait_w, portrait_h, "cover")], pagesize=A4),
            PageTemplate(id="portrait", frames=[frame(portrait_w, portrait_h, "portrait")], pagesize=A4, onPage=footer),
            PageTemplate(
                id="landscape", frames=[frame(land_w, land_h, "landscape")], pagesize=landscape(A4), onPage=footer
            ),
        ]
    )
    text_w, land_text_w = portrait_w - 2 * margin, land_w - 2 * margin
    story = []

    # title page
    story += [
        Spacer(1, 55 * mm),
        Paragraph(escape(report.council_name), styles.cover_info),
        Spacer(1, 8 * mm),
        Paragraph(escape(report.plan_title), styles.cover_plan),
        Spacer(1, 10 * mm),
        Paragraph(escape(report.title), styles.cover_title),
        Spacer(1, 10 * mm),
    ]
    if report.scope_label != _("計画全体"):
        story.append(Paragraph(escape(_("対象: %(scope)s") % {"scope": report.scope_label}), styles.cover_info))
    story.append(
        Paragraph(escape(_("評価の段階: %(stages)s") % {"stages": report.stage_labels or _("なし")}), styles.cover_info)
    )
    story += [
        Spacer(1, 60 * mm),
        Paragraph(escape(_("%(date)s 発行") % {"date": report.issued_label}), styles.cover_date),
        Paragraph(escape(report.council_name), styles.cover_date),
        NextPageTemplate("portrait"),
        PageBreak(),
    ]

    # contents
    # contents: as many pages as its entries need, filled in once the document is laid out
    entries = 3 + len(report.goals)
    toc_height = portrait_h - 2 * margin - 4 * mm - 40
    per_page = int(toc_height // TOC_LEADING[0])
    story.append(Paragraph(escape(_("目次")), styles.toc_title))
    for first in range(0, entries, per_page):
        if first:
            story.append(PageBreak())
        story.append(ContentsPage(doc, first, per_page, toc_height))
    story.append(PageBreak())

    # 1 総括
    story.append(_heading(_("1 総括"), styles.h1, "summary"))
    story.append(
        Paragraph(
            escape(
                _(
                    "%(year)s%(period)sの評価（%(scope)s）。事業数 %(n)s、評価済み %(evaluated)s、達成率 %(rate)s％。"
                    "評価（現在）の内訳: %(grades)s。"
                )
                % {
                    "year": report.year_label,
                    "period": f" {report.period_label}" if report.period_label else "",
                    "scope": report.scope_label,
                    "n": report.project_count,
                    "evaluated": report.evaluated,
                    "rate": rate_text(report.achievement),
                    "grades": report.grade_summary(),
                }
            ),
            styles.body,
        )
    )
    story.append(
        Paragraph(
            escape(
                _(
                    "評価（現在）は、各事業の確定した最新の段階の評価です。"
                    "達成率は各指標の達成率（100 を上限）の平均で、目標・計画全体は重み付き平均です。"
                )
            ),
            styles.small,
        )
    )
    story += [Spacer(1, 4 * mm), _summary_table(report, styles, text_w), Spacer(1, 6 * mm)]
    story.append(
        KeepTogether(
            [Paragraph(escape(_("図1 目標別の達成率（％）")), styles.caption), _achievement_chart(report, text_w)]
        )
    )
    story.append(Spacer(1, 4 * mm))
    legend = "、".join(f"{code} {label}".strip() for code, label, _c in report.grades)
    story.append(
        KeepTogether(
            [
                Paragraph(escape(_("図2 評価（現在）の分布（事業数）")), styles.caption),
                _grade_chart(report, text_w),
                Paragraph(escape(_("評価の記号: %(legend)s") % {"legend": legend}), styles.small),
            ]
        )
    )

    # 2 目標別の評価
    story += [NextPageTemplate("landscape"), PageBreak(), _heading(_("2 目標別の評価"), styles.h1, "goals")]
    for index, goal in enumerate(report.goals, start=1):
        if index > 1:
            story.append(CondPageBreak(60 * mm))
        story.append(_heading(goal.label, styles.h2, f"goal{index}"))
        story.append(Paragraph(escape(_goal_summary(report, goal)), styles.small))
        story.append(Spacer(1, 2 * mm))
        story.append(_project_table(report, goal, styles, land_text_w, OnceParagraph))
        story.append(Spacer(1, 4 * mm))
    if not report.goals:
        story.append(Paragraph(escape(_("対象の事業はありません。")), styles.body))

    # 3 評価委員会の総評
    story += [NextPageTemplate("portrait"), PageBreak(), _heading(_("3 評価委員会の総評"), styles.h1, "opinion")]
    if report.opinion:
        for paragraph in report.opinion.split("\n"):
            story.append(Paragraph(escape(paragraph) or "&nbsp;", styles.body))
    else:
        story.append(
            Paragraph(
                escape(
                    _("総評はまだ確定していません。") if report.opinion_state == "draft" else _("総評はありません。")
                ),
                styles.body,
            )
        )

    doc.build(story)
    return out.getvalue()
