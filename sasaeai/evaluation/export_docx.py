"""事業評価報告書 (Word), for councils that edit the report before it goes to the board: the same
content as the PDF (title, 総括, a table per goal, 評価委員会の総評) in an editable document.
The goal tables are in an A4 landscape section; the styles carry an East Asian font (游明朝, with
MS 明朝 as the name Word falls back on), so Japanese is not set in a Western font.

Built from an ``EvaluationReport``; tables are written as XML rows directly (python-docx's
cell-by-cell API is slow for a thousand rows).
"""

from __future__ import annotations

import io
from copy import deepcopy

from django.utils.translation import gettext as _

from .reports import EvaluationReport, rate_text

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EAST_ASIA_FONT = "游明朝"
WESTERN_FONT = "Century"
HEADING_FONT = "游ゴシック"


def _set_fonts(style, east_asia, western=None):
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        if western:
            fonts.set(qn(attr), western)
    fonts.set(qn("w:eastAsia"), east_asia)
    # Word's theme fonts would win over the names: drop them.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _setup_styles(document):
    from docx.shared import Pt, RGBColor

    styles = document.styles
    normal = styles["Normal"]
    normal.font.size = Pt(10.5)
    _set_fonts(normal, EAST_ASIA_FONT, WESTERN_FONT)
    for name in ("Title", "Heading 1", "Heading 2", "Table Grid"):
        try:
            style = styles[name]
        except KeyError:
            continue
        _set_fonts(
            style,
            HEADING_FONT if name != "Table Grid" else EAST_ASIA_FONT,
            None if name == "Table Grid" else WESTERN_FONT,
        )
        if name.startswith("Heading") or name == "Title":
            style.font.color.rgb = RGBColor(0x1F, 0x38, 0x64)
    styles["Title"].font.size = Pt(20)
    styles["Heading 1"].font.size = Pt(15)
    styles["Heading 2"].font.size = Pt(12.5)


def _fast_table(document, header, rows, widths_cm, font_pt=8):
    """A 'Table Grid' table: a header row repeated on each page, then ``rows`` of strings, built by
    copying one prepared XML row (fast) instead of python-docx's per-cell API."""
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = document.add_table(rows=2, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.autofit = False
    for i, width in enumerate(widths_cm):
        table.columns[i].width = Cm(width)
    head_row, template_row = table.rows[0], table.rows[1]
    for cell, text, width in zip(head_row.cells, header, widths_cm, strict=False):
        cell.width = Cm(width)
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(font_pt)
    tr_pr = head_row._tr.get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {}))
    for cell, width in zip(template_row.cells, widths_cm, strict=False):
        cell.width = Cm(width)
        cell.paragraphs[0].add_run("").font.size = Pt(font_pt)
    template = template_row._tr
    tbl = table._tbl
    tbl.remove(template)
    t_tag, p_tag, r_tag, br_tag = qn("w:t"), qn("w:p"), qn("w:r"), qn("w:br")
    for values in rows:
        tr = deepcopy(template)
        for tc, value in zip(tr.iterchildren(qn("w:tc")), values, strict=False):
            if not value:
                continue
            r = tc.find(p_tag).find(r_tag)
            lines = str(value).split("\n")
            for n, line in enumerate(lines):
                if n:
                    r.append(r.makeelement(br_tag, {}))
                t = r.makeelement(t_tag, {})
                t.text = line
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                r.append(t)
        tbl.append(tr)
    return table


def _new_section(document, *, landscape_pages):
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Mm

    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape_pages else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape_pages else (Mm(210), Mm(297))
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin = section.bottom_margin = Mm(15)
    return section


def build(report: EvaluationReport) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    _setup_styles(document)
    first = document.sections[0]
    first.page_width, first.page_height = Mm(210), Mm(297)
    first.left_margin = first.right_margin = Mm(20)
    document.core_properties.title = f"{report.plan_title} {report.title}"
    document.core_properties.author = report.council_name

    # title
    for text, size in ((report.council_name, 12), (report.plan_title, 18)):
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(text).font.size = Pt(size)
    document.add_heading(report.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    info = document.add_paragraph()
    info.alignment = WD_ALIGN_PARAGRAPH.CENTER
    info.add_run(
        _("対象: %(scope)s ／ 評価の段階: %(stages)s")
        % {"scope": report.scope_label, "stages": report.stage_labels or _("なし")}
    )
    date = document.add_paragraph(_("%(date)s 発行") % {"date": report.issued_label})
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    # 1 総括
    document.add_heading(_("1 総括"), level=1)
    document.add_paragraph(
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
    )
    codes = [code for code, _label, _color in report.grades]
    rows = [
        [g.label, str(len(g.projects)), str(g.evaluated), rate_text(g.achievement)]
        + [str(g.grade_counts.get(c, 0)) for c in codes]
        for g in report.goals
    ]
    rows.append(
        [_("計"), str(report.project_count), str(report.evaluated), rate_text(report.achievement)]
        + [str(report.grade_counts.get(c, 0)) for c in codes]
    )
    fixed = 1.6 * 3 + 1.1 * len(codes)
    _fast_table(
        document,
        [_("目標"), _("事業数"), _("評価済み"), _("達成率（％）"), *codes],
        rows,
        [max(4.0, 17.0 - fixed)] + [1.6] * 3 + [1.1] * len(codes),
        font_pt=9,
    )
    legend = "、".join(f"{code} {label}".strip() for code, label, _c in report.grades)
    document.add_paragraph(_("評価の記号: %(legend)s") % {"legend": legend})

    # 2 目標別の評価 (landscape)
    _new_section(document, landscape_pages=True)
    document.add_heading(_("2 目標別の評価"), level=1)
    n_stages = len(report.stages)
    header = (
        [_("番号"), _("事業"), _("達成率（％）")]
        + [label for _s, label in report.stages]
        + [_("方向性"), _("課題"), _("改善策")]
    )
    rest = 26.7 - (1.2 + 1.7 + 1.4 * n_stages + 1.5)
    widths = [1.2, rest * 0.3, 1.7] + [1.4] * n_stages + [1.5, rest * 0.35, rest * 0.35]
    for goal in report.goals:
        document.add_heading(goal.label, level=2)
        directions = "・".join(
            _("%(name)s %(n)s件") % {"name": k, "n": v} for k, v in goal.direction_counts.items() if v
        )
        document.add_paragraph(
            _(
                "事業数 %(n)s ／ 評価済み %(evaluated)s ／ 達成率 %(rate)s％ ／ 評価（現在） %(grades)s"
                " ／ 方向性 %(dirs)s"
            )
            % {
                "n": len(goal.projects),
                "evaluated": goal.evaluated,
                "rate": rate_text(goal.achievement),
                "grades": report.grade_summary(goal.grade_counts),
                "dirs": directions or "—",
            }
        )
        rows = [
            [p.code, p.title if not p.path else f"{p.title}\n［{p.path}］", rate_text(p.achievement)]
            + [m.display for m in p.marks]
            + [p.direction, p.challenges, p.improvements]
            for p in goal.projects
        ]
        if rows:
            _fast_table(document, header, rows, widths)
        else:
            document.add_paragraph(_("対象の事業はありません。"))

    # 3 評価委員会の総評
    _new_section(document, landscape_pages=False)
    document.add_heading(_("3 評価委員会の総評"), level=1)
    if report.opinion:
        for paragraph in report.opinion.split("\n"):
            document.add_paragraph(paragraph)
    else:
        document.add_paragraph(
            _("総評はまだ確定していません。") if report.opinion_state == "draft" else _("総評はありません。")
        )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
