"""概要版 (summary edition) of a published plan and the council's flyer, built only from published copies.

``summary_outline`` turns a structure publication (``snapshot.build_structure``) into goals with their
projects; the HTML page (``views.summary``) and the A4 PDF (``summary_build``) both print that outline:
a cover (council, title, 基本理念, period in 和暦 and 西暦), the 体系図 as a table, one page per goal with its
projects and their 地域での取り組み / 社協の取り組み, and a page on taking part with the council's contacts
(organisational only: the council and its branches, never a person) and a QR code to the public plan page.

``flyer_build`` draws a one-page A4 flyer: the council's plans, a QR code to its public page and the public
comment periods open today.

The font is the one the evaluation reports embed (``evaluation.export_pdf.register_font``), as TrueType
subsets. PDF bytes are cached under ``selectors.cache_key``: every publication or withdrawal makes a new key.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.core import fiscal
from sasaeai.core.models import Branch, Council

from . import qr, selectors
from .models import PublicSite
from .selectors import PublicPlan

CONTENT_TYPE = "application/pdf"
MAX_CELL_LINES = 24  # sub-items listed in one 体系図 cell; the rest are counted ("ほか N 件")
MAX_FLYER_PLANS = 4
MAX_FLYER_PERIODS = 3
MAX_FLYER_VISION = 140
FLYER_TOPICS = (
    gettext_lazy("計画の内容（基本理念・目標・地域と社協の取り組み）"),
    gettext_lazy("毎年の進み具合と評価"),
    gettext_lazy("概要版（印刷できるA4のPDF）"),
)
FLYER_RUBY = gettext_lazy("ふりがなつきの表示")
FLYER_RUBY_EASY = gettext_lazy("ふりがなつきの表示と、やさしい日本語での説明")

# ReportLab has no type information (no stubs in the lock), so its flowables are Any to mypy; a story (what a
# document builds from) is a list of them.
Story = list[Any]


# --------------------------------------------------------------------------- the outline (HTML and PDF)


@dataclass
class Item:
    """One node of the published tree with its children (pre-order, as published)."""

    node: dict[str, Any]
    children: list[Item] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.node.get("title") or ""

    @property
    def label(self) -> str:
        """Its code as printed ("基本目標 1", "（１）"); a goal numbered bare gets the level's name ("目標 1")."""
        code = (self.node.get("code") or "").strip()
        level = (self.node.get("level") or "").strip()
        if code and level and code[0].isdigit() and not self.node.get("depth"):
            return f"{level} {code}"
        return code

    @property
    def is_priority(self) -> bool:
        return bool(self.node.get("is_priority"))

    @property
    def community(self) -> list[dict[str, Any]]:
        return list((self.node.get("actions") or {}).get("community") or [])

    @property
    def council(self) -> list[dict[str, Any]]:
        return list((self.node.get("actions") or {}).get("council") or [])

    @property
    def has_actions(self) -> bool:
        return bool(self.community or self.council)

    @property
    def is_light(self) -> bool:
        """Nothing below it and no actions: printed with its neighbours on one page, not on a page of its own."""
        return not self.children and not self.has_actions

    def descendants(self, indent: int = 0) -> list[tuple[Item, int]]:
        """Every node below, in order, with how deep below this one it sits (0 = a child)."""
        result = []
        for child in self.children:
            result.append((child, indent))
            result.extend(child.descendants(indent + 1))
        return result

    @property
    def sub_items(self) -> list[tuple[Item, int]]:
        return self.descendants()


@dataclass
class Outline:
    site: PublicSite
    council: Council
    public_plan: PublicPlan
    plan: dict[str, Any]
    levels: dict[int, str]
    goals: list[Item]
    plan_url: str  # absolute address of the public plan page (the QR code)
    site_url: str  # absolute address of the council's public page
    branches: list[Branch]
    published_on: str

    @property
    def title(self) -> str:
        return self.plan.get("title") or ""

    @property
    def goal_level(self) -> str:
        return self.levels.get(0, _("目標"))

    @property
    def project_level(self) -> str:
        return self.levels.get(1, _("取り組み"))

    @property
    def has_projects(self) -> bool:
        return any(goal.children for goal in self.goals)

    @property
    def municipal(self) -> dict[str, Any] | None:
        return self.plan.get("municipal_plan") or None


def tree(nodes: list[dict[str, Any]]) -> list[Item]:
    """The published nodes (pre-order, each naming its parent) as a tree of ``Item``."""
    items: dict[Any, Item] = {}
    roots: list[Item] = []
    for node in nodes:
        item = Item(node=node)
        items[node.get("id")] = item
        parent = items.get(node.get("parent")) if node.get("parent") is not None else None
        (parent.children if parent is not None else roots).append(item)
    return roots


def plan_path(site: PublicSite, plan_id: int) -> str:
    """The public plan page (the site's plan view, or its address when that view is not installed)."""
    try:
        return reverse("site:plan", args=[site.slug, plan_id])
    except NoReverseMatch:
        return f"/public/{site.slug}/plans/{plan_id}/"


def council_path(site: PublicSite) -> str:
    return reverse("site:council", args=[site.slug])


def branches(council: Council) -> list[Branch]:
    return list(Branch.objects.filter(council=council).order_by("position", "pk"))


def goals_of(nodes: list[dict[str, Any]], levels: dict[int, str]) -> list[Item]:
    """The top items. Items of a lower level published without a parent (a plan whose goals and projects are
    a matrix, not a tree) are gathered under their level's name after the goals."""
    roots = tree(nodes)
    goals = [r for r in roots if not r.node.get("depth")]
    orphans = [r for r in roots if r.node.get("depth")]
    if orphans:
        depth = int(orphans[0].node.get("depth") or 0)
        name = levels.get(depth) or orphans[0].node.get("level") or _("取り組み")
        goals.append(Item(node={"id": None, "parent": None, "depth": 0, "title": name, "code": ""}, children=orphans))
    return goals


def summary_outline(site: PublicSite, public_plan: PublicPlan) -> Outline:
    data = public_plan.data
    levels = {int(lv["depth"]): lv["name"] for lv in data.get("levels") or []}
    published_at = public_plan.structure.published_at
    return Outline(
        site=site,
        council=site.council,
        public_plan=public_plan,
        plan=data.get("plan") or {},
        levels=levels,
        goals=goals_of(data.get("nodes") or [], levels),
        plan_url=qr.absolute_url(plan_path(site, public_plan.plan_id)),
        site_url=qr.absolute_url(council_path(site)),
        branches=branches(site.council),
        published_on=fiscal.display_date(timezone.localdate(published_at)) if published_at else "",
    )


# --------------------------------------------------------------------------- the flyer's content


@dataclass
class OpenPeriod:
    title: str
    plan_title: str
    period_label: str
    url: str


@dataclass
class Flyer:
    site: PublicSite
    council: Council
    plans: list[PublicPlan]
    site_url: str
    periods: list[OpenPeriod]
    has_easy: bool = False  # some published plan has a やさしい日本語 summary

    @property
    def topics(self) -> list[Any]:
        """What the public site offers; やさしい日本語 is promised only when a published plan has it."""
        return [*FLYER_TOPICS, FLYER_RUBY_EASY if self.has_easy else FLYER_RUBY]

    @property
    def fingerprint(self) -> str:
        text = "|".join(f"{p.title}:{p.period_label}:{p.url}" for p in self.periods) + f"|{self.has_easy}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def open_comment_periods(council: Council) -> list[OpenPeriod]:
    """The council's public comment periods open today (never a sample), as the public comment page decides."""
    from sasaeai.participation.models import PublicCommentPeriod
    from sasaeai.participation.services.comments import OPEN, period_state

    today = timezone.localdate()
    periods = (
        PublicCommentPeriod.objects.filter(
            plan__council=council, is_sample=False, opens_on__lte=today, closes_on__gte=today
        )
        .select_related("plan")
        .order_by("closes_on", "pk")
    )
    result = []
    for period in periods:
        if period_state(period, today) != OPEN:
            continue
        result.append(
            OpenPeriod(
                title=period.title,
                plan_title=period.plan.title,
                period_label=_("%(start)s〜%(end)s")
                % {"start": fiscal.display_date(period.opens_on), "end": fiscal.display_date(period.closes_on)},
                url=qr.absolute_url(reverse("public:comment", args=[period.public_key])),
            )
        )
    return result


def flyer_content(site: PublicSite) -> Flyer:
    plans = selectors.site_plans(site)
    current = [p for p in plans if not p.is_finished] or plans
    return Flyer(
        site=site,
        council=site.council,
        plans=current[:MAX_FLYER_PLANS],
        site_url=qr.absolute_url(council_path(site)),
        periods=open_comment_periods(site.council)[:MAX_FLYER_PERIODS],
        has_easy=any((node.get("plain_summary") or "").strip() for p in plans for node in p.data.get("nodes") or []),
    )


# --------------------------------------------------------------------------- drawing


def _register_font() -> str:
    from sasaeai.evaluation.export_pdf import register_font

    return register_font()


def _text(value: Any) -> str:
    return escape(str(value or "")).replace("\n", "<br/>")


def _short(text: str, limit: int) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Styles:
    def __init__(self, font: str):
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_CENTER
        from reportlab.lib.styles import ParagraphStyle

        navy = colors.HexColor("#1f3864")
        base = ParagraphStyle("base", fontName=font, fontSize=10, leading=16, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=13, textColor=colors.HexColor("#333"))
        self.cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=13)
        self.cell_head = ParagraphStyle("cell_head", parent=base, fontSize=9, leading=13, textColor=colors.white)
        self.center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
        self.cover_council = ParagraphStyle("cover_council", parent=base, fontSize=14, leading=22, alignment=TA_CENTER)
        self.cover_title = ParagraphStyle(
            "cover_title", parent=base, fontSize=24, leading=34, alignment=TA_CENTER, textColor=navy
        )
        self.cover_edition = ParagraphStyle("cover_edition", parent=base, fontSize=16, leading=24, alignment=TA_CENTER)
        self.cover_info = ParagraphStyle("cover_info", parent=base, fontSize=11, leading=18, alignment=TA_CENTER)
        self.vision_head = ParagraphStyle(
            "vision_head", parent=base, fontSize=10, leading=16, alignment=TA_CENTER, textColor=navy
        )
        self.vision = ParagraphStyle("vision", parent=base, fontSize=15, leading=24, alignment=TA_CENTER)
        self.h1 = ParagraphStyle(
            "H1", parent=base, fontSize=15, leading=22, spaceBefore=0, spaceAfter=8, textColor=navy, keepWithNext=1
        )
        self.h2 = ParagraphStyle(
            "H2", parent=base, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4, textColor=navy, keepWithNext=1
        )
        self.h3 = ParagraphStyle(
            "H3", parent=base, fontSize=10, leading=15, spaceBefore=4, spaceAfter=2, textColor=navy, keepWithNext=1
        )
        self.item = ParagraphStyle("item", parent=base, leftIndent=12, bulletIndent=2, bulletFontName=font)
        self.sub_item = ParagraphStyle(
            "sub_item",
            parent=base,
            leftIndent=12,
            bulletIndent=2,
            bulletFontName=font,
            textColor=colors.HexColor("#222"),
        )
        self.flyer_council = ParagraphStyle(
            "flyer_council", parent=base, fontSize=16, leading=24, alignment=TA_CENTER, textColor=colors.white
        )
        self.flyer_head = ParagraphStyle(
            "flyer_head", parent=base, fontSize=22, leading=32, alignment=TA_CENTER, textColor=navy
        )
        self.flyer_plan = ParagraphStyle("flyer_plan", parent=base, fontSize=14, leading=21, textColor=navy)
        self.flyer_vision = ParagraphStyle("flyer_vision", parent=base, fontSize=11, leading=18)
        self.flyer_item = ParagraphStyle(
            "flyer_item", parent=base, fontSize=11, leading=18, leftIndent=14, bulletIndent=2, bulletFontName=font
        )


def _doc(
    out: io.BytesIO, *, title: str, author: str, subject: str, font: str, footer_text: str | None
) -> tuple[Any, float, float]:
    """The ReportLab document (a ``BaseDocTemplate``) and the width and height of its frames."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    margin = 18 * mm
    width, height = A4

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillGray(0.3)
        if footer_text:
            canvas.drawString(margin, 10 * mm, _short(footer_text, 48))
        canvas.drawRightString(width - margin, 10 * mm, f"{doc.page}")
        canvas.restoreState()

    def frame(name: str) -> Any:
        return Frame(
            margin, margin, width - 2 * margin, height - 2 * margin, id=name, leftPadding=0, rightPadding=0,
            topPadding=0, bottomPadding=0,
        )  # fmt: skip

    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=author,
        subject=subject,
        creator="Sasaeai",
        lang="ja",
        initialFontName=font,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
    )
    templates = [PageTemplate(id="cover", frames=[frame("cover")], pagesize=A4)]
    if footer_text is not None:
        templates.append(PageTemplate(id="body", frames=[frame("body")], pagesize=A4, onPage=footer))
    doc.addPageTemplates(templates)
    return doc, width - 2 * margin, height - 2 * margin


def _boxed(
    flowables: Story, width: float, *, background: str = "#eef3fa", border: str = "#1f3864", padding: float = 10
) -> Any:
    """``flowables`` in one framed, shaded cell (a ReportLab ``Table``)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table([[flowables]], colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(background)),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor(border)),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                ("TOPPADDING", (0, 0), (-1, -1), padding),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
            ]
        )
    )
    return table


def _priority(item: Item) -> str:
    return f" <font color='#b42318'>{escape(_('【重点】'))}</font>" if item.is_priority else ""


def _item_title(item: Item) -> str:
    label = escape(item.label)
    return (f"{label}　" if label else "") + _text(item.title) + _priority(item)


def _actions(item: Item, styles: _Styles) -> Story:
    from reportlab.platypus import Paragraph

    story: Story = []
    if item.community:
        story.append(Paragraph(escape(_("地域での取り組み")), styles.h3))
        for action in item.community:
            if action.get("text"):
                story.append(Paragraph(_text(action["text"]), styles.item, bulletText="・"))
            if action.get("examples"):
                examples = _("例: %(examples)s") % {"examples": "、".join(action["examples"])}
                story.append(Paragraph(_text(examples), styles.item, bulletText="・"))
            for step in action.get("steps") or []:
                story.append(Paragraph(_text(step), styles.item, bulletText="→"))
    if item.council:
        story.append(Paragraph(escape(_("社協の取り組み")), styles.h3))
        for action in item.council:
            text = action.get("text") or "、".join(action.get("examples") or [])
            if text:
                story.append(Paragraph(_text(text), styles.item, bulletText="・"))
    return story


def _node_body(item: Item, styles: _Styles) -> Story:
    from reportlab.platypus import Paragraph

    story: Story = []
    if item.node.get("summary"):
        story.append(Paragraph(_text(item.node["summary"]), styles.body))
    if item.node.get("desired_state"):
        story.append(Paragraph(escape(_("目指す姿")), styles.h3))
        story.append(Paragraph(_text(item.node["desired_state"]), styles.body))
    return story


def _structure_table(outline: Outline, styles: _Styles, width: float) -> Any:
    """The 体系図: one row per project (the goal named on its first row), sub-items inside the project's cell."""
    from reportlab.lib import colors
    from reportlab.platypus import LongTable, Paragraph, TableStyle

    navy = colors.HexColor("#1f3864")
    if not outline.has_projects:
        rows = [[Paragraph(escape(outline.goal_level), styles.cell_head)]]
        rows += [[Paragraph(_item_title(goal), styles.cell)] for goal in outline.goals]
        widths = [width]
        group_starts = list(range(1, len(rows)))
    else:
        rows = [
            [
                Paragraph(escape(outline.goal_level), styles.cell_head),
                Paragraph(escape(outline.project_level), styles.cell_head),
            ]
        ]
        group_starts = []
        for goal in outline.goals:
            group_starts.append(len(rows))
            projects: list[Item | None] = list(goal.children) or [None]
            for index, project in enumerate(projects):
                goal_cell = Paragraph(_item_title(goal), styles.cell) if index == 0 else ""
                if project is None:
                    rows.append([goal_cell, ""])
                    continue
                lines = [_item_title(project)]
                below = project.descendants()
                for sub, indent in below[:MAX_CELL_LINES]:
                    lines.append("&nbsp;&nbsp;" * (indent + 1) + "・" + _text(sub.title) + _priority(sub))
                if len(below) > MAX_CELL_LINES:
                    lines.append("&nbsp;&nbsp;" + escape(_("ほか %(n)s 件") % {"n": len(below) - MAX_CELL_LINES}))
                rows.append([goal_cell, Paragraph("<br/>".join(lines), styles.cell)])
        widths = [width * 0.36, width * 0.64]
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), navy),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.6, navy),
        ("LINEBEFORE", (1, 0), (-1, -1), 0.4, colors.HexColor("#8a9bb8")),
        ("LINEBELOW", (1, 1), (-1, -1), 0.3, colors.HexColor("#c5cfdf")),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for start in group_starts:
        style.append(("LINEABOVE", (0, start), (-1, start), 0.8, navy))
    table.setStyle(TableStyle(style))
    return table


def _contacts(outline_council: Council, branch_list: list[Branch], styles: _Styles, width: float) -> Story:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    def lines(org: Council | Branch) -> list[str]:
        result = []
        if getattr(org, "address", ""):
            postal = f"〒{org.postal_code} " if getattr(org, "postal_code", "") else ""
            result.append(escape(_("住所")) + "　" + _text(postal + org.address))
        for label, value in ((_("電話"), org.phone), (_("FAX"), org.fax), (_("メール"), org.email)):
            if value:
                result.append(escape(label) + "　" + _text(value))
        url = getattr(org, "url", "")  # a branch has no home page of its own
        if url:
            result.append(escape(_("ホームページ")) + "　" + _text(url))
        return result

    story: Story = [Paragraph(escape(_("お問い合わせ")), styles.h2)]
    main = [f"<b>{_text(outline_council.name)}</b>", *lines(outline_council)]
    story.append(_boxed([Paragraph("<br/>".join(main), styles.body)], width, background="#ffffff"))
    if branch_list:
        story.append(Paragraph(escape(_("支部")), styles.h3))
        rows = []
        for branch in branch_list:
            rows.append(
                [Paragraph(_text(branch.name), styles.cell), Paragraph("<br/>".join(lines(branch)) or "", styles.cell)]
            )
        table = Table(rows, colWidths=[width * 0.3, width * 0.7])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#c5cfdf")),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story.append(table)
    return story


def _goal_page(goal: Item, outline: Outline, styles: _Styles) -> Story:
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph

    story: Story = [PageBreak(), Paragraph(_item_title(goal), styles.h1)]
    story += _node_body(goal, styles) + _actions(goal, styles)
    for project in goal.children:
        head = [Paragraph(_item_title(project), styles.h2), *_node_body(project, styles)]
        story += [CondPageBreak(30 * mm), KeepTogether(head)]
        below = project.descendants()
        if below:
            level = below[0][0].node.get("level") or outline.levels.get(2, "")
            story.append(Paragraph(escape(level), styles.h3))
        for sub, indent in below:
            story.append(Paragraph(("　" * indent) + _item_title(sub), styles.sub_item, bulletText="・"))
            story += _node_body(sub, styles) + _actions(sub, styles)
        story += _actions(project, styles)
    return story


def summary_build(outline: Outline) -> bytes:
    """The 概要版 as A4 PDF bytes."""
    from reportlab.lib.units import mm
    from reportlab.platypus import NextPageTemplate, PageBreak, Paragraph, Spacer, Table

    font = _register_font()
    styles = _Styles(font)
    plan = outline.plan
    edition = _("概要版")
    out = io.BytesIO()
    doc, text_w, _text_h = _doc(
        out,
        title=f"{outline.title} {edition}",
        author=outline.council.name,
        subject=f"{plan.get('kind_label') or _('地域福祉活動計画')} {edition}",
        font=font,
        footer_text=f"{outline.title} {edition}",
    )
    story: Story = []

    # cover
    story += [
        Spacer(1, 30 * mm),
        Paragraph(_text(outline.council.name), styles.cover_council),
        Spacer(1, 8 * mm),
        Paragraph(_text(outline.title), styles.cover_title),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"〜 {edition} 〜"), styles.cover_edition),
        Spacer(1, 16 * mm),
    ]
    if plan.get("vision"):
        vision = [Paragraph(escape(_("基本理念")), styles.vision_head), Paragraph(_text(plan["vision"]), styles.vision)]
        if plan.get("vision_explanation"):
            vision += [Spacer(1, 3 * mm), Paragraph(_text(_short(plan["vision_explanation"], 600)), styles.body)]
        story += [_boxed(vision, text_w, padding=14), Spacer(1, 12 * mm)]
    if plan.get("period_label"):
        story.append(Paragraph(escape(_("計画期間: %(period)s") % {"period": plan["period_label"]}), styles.cover_info))
    municipal = outline.municipal
    if municipal and municipal.get("name"):
        text = _("関連する計画: %(name)s") % {"name": municipal["name"]}
        if municipal.get("period_label"):
            text += f"（{municipal['period_label']}）"
        story.append(Paragraph(escape(text), styles.cover_info))
    if outline.published_on:
        story += [
            Spacer(1, 20 * mm),
            Paragraph(escape(_("%(date)s 公表") % {"date": outline.published_on}), styles.cover_info),
        ]
    story += [NextPageTemplate("body"), PageBreak()]

    # 体系図
    story.append(Paragraph(escape(_("計画の体系")), styles.h1))
    if plan.get("vision"):
        story += [
            _boxed([Paragraph(escape(_("基本理念")) + "　" + _text(plan["vision"]), styles.body)], text_w, padding=6),
            Spacer(1, 4 * mm),
        ]
    story.append(_structure_table(outline, styles, text_w))

    # one page per goal; goals with nothing below them share a page
    for is_light, group in itertools.groupby(outline.goals, key=lambda g: g.is_light):
        if is_light:
            story += [PageBreak(), Paragraph(escape(outline.goal_level), styles.h1)]
            for goal in group:
                story += [Paragraph(_item_title(goal), styles.h2), *_node_body(goal, styles)]
            continue
        for goal in group:
            story += _goal_page(goal, outline, styles)

    # taking part and contacts
    story += [PageBreak(), Paragraph(escape(_("参加するには")), styles.h1)]
    take_part = [
        _("この計画は、公開サイトでいつでも読めます。右のQRコードからも開けます。"),
        _("計画への意見を募集している期間（パブリックコメント）は、公開サイトでお知らせしています。"),
        _("地域での取り組みに参加したいとき、活動を始めたいときは、下のお問い合わせ先へご連絡ください。"),
    ]
    left = [Paragraph(escape(t), styles.body) for t in take_part]
    left += [
        Spacer(1, 3 * mm),
        Paragraph(escape(_("公開サイト")), styles.h3),
        Paragraph(_text(outline.plan_url), styles.small),
    ]
    qr_size = 40 * mm
    code = qr.flowable(outline.plan_url, qr_size)
    table = Table(
        [[left, [code, Paragraph(escape(_("計画のページ")), styles.center)]]],
        colWidths=[text_w - qr_size - 6 * mm, qr_size + 6 * mm],
    )
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    story += [table, Spacer(1, 6 * mm)]
    story += _contacts(outline.council, outline.branches, styles, text_w)

    doc.build(story)
    return out.getvalue()


def summary_pdf(site: PublicSite, public_plan: PublicPlan) -> bytes:
    """The 概要版 PDF from the cache, or built and kept (the key changes with every publication)."""
    key = selectors.cache_key(site, "summary.pdf", public_plan.plan_id, public_plan.structure.pk)
    content: bytes | None = cache.get(key)
    if content is None:
        content = summary_build(summary_outline(site, public_plan))
        cache.set(key, content, settings.SASAEAI_PUBLIC_CACHE_SECONDS)
    return content


def flyer_build(flyer: Flyer) -> bytes:
    """The one-page A4 flyer as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Flowable, KeepInFrame, Paragraph, Spacer, Table

    font = _register_font()
    styles = _Styles(font)
    out = io.BytesIO()
    doc, text_w, text_h = _doc(
        out,
        title=_("%(council)s 地域福祉活動計画のお知らせ") % {"council": flyer.council.name},
        author=flyer.council.name,
        subject=_("わたしたちの地域福祉活動計画を公開しています"),
        font=font,
        footer_text=None,
    )
    band = Table([[Paragraph(_text(flyer.council.name), styles.flyer_council)]], colWidths=[text_w])
    band.setStyle(
        [
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#1f3864")),
            ("TOPPADDING", (0, 0), (-1, -1), 8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ]
    )
    content: Story = [
        band,
        Spacer(1, 8 * mm),
        Paragraph(escape(_("わたしたちの地域福祉活動計画を公開しています")), styles.flyer_head),
        Spacer(1, 6 * mm),
    ]
    for public_plan in flyer.plans:
        plan = public_plan.data.get("plan") or {}
        block = [Paragraph(_text(plan.get("title")), styles.flyer_plan)]
        if plan.get("period_label"):
            block.append(Paragraph(escape(_("計画期間: %(period)s") % {"period": plan["period_label"]}), styles.small))
        if plan.get("vision"):
            vision = _short(plan["vision"], MAX_FLYER_VISION)
            block.append(Paragraph(escape(_("基本理念")) + "　" + _text(vision), styles.flyer_vision))
        content += [_boxed(block, text_w, padding=8), Spacer(1, 4 * mm)]
    content.append(Paragraph(escape(_("公開サイトで読めること")), styles.h2))
    for line in flyer.topics:
        content.append(Paragraph(escape(str(line)), styles.flyer_item, bulletText="・"))
    big = 58 * mm
    qr_text = [
        Paragraph(escape(_("スマートフォンで読み取ると、計画の内容や進み具合を見られます。")), styles.flyer_vision),
        Spacer(1, 3 * mm),
        Paragraph(_text(flyer.site_url), styles.small),
        Spacer(1, 3 * mm),
        Paragraph(escape(_("ふりがなをつけて読むこともできます。")), styles.small),
    ]
    table = Table([[qr.flowable(flyer.site_url, big), qr_text]], colWidths=[big + 6 * mm, text_w - big - 6 * mm])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    content += [Spacer(1, 2 * mm), table]
    if flyer.periods:
        content += [Spacer(1, 4 * mm), Paragraph(escape(_("ご意見を募集しています（パブリックコメント）")), styles.h2)]
        small_qr = 26 * mm
        for period in flyer.periods:
            info = [
                Paragraph(_text(period.title), styles.body),
                Paragraph(escape(_("募集期間: %(period)s") % {"period": period.period_label}), styles.small),
                Paragraph(_text(period.url), styles.small),
            ]
            row = Table(
                [[info, qr.flowable(period.url, small_qr)]], colWidths=[text_w - small_qr - 4 * mm, small_qr + 4 * mm]
            )
            row.setStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
            content.append(row)
    contact = [_("お問い合わせ"), flyer.council.name]
    for label, value in ((_("電話"), flyer.council.phone), (_("FAX"), flyer.council.fax)):
        if value:
            contact.append(f"{label} {value}")
    contact_box = _boxed([Paragraph(_text("　".join(contact)), styles.center)], text_w, background="#ffffff", padding=6)
    _w, contact_h = contact_box.wrap(text_w, text_h)
    room = text_h - contact_h - 1 * mm

    # ReportLab has no type information (no stubs in the lock), so its Flowable is Any to mypy.
    class Fill(Flowable):  # type: ignore[misc]
        """Takes the page's remaining height less the contacts', so they sit at the foot of the page."""

        def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
            return 0, max(availHeight - contact_h - 1 * mm, 0)

        def draw(self) -> None:
            pass

    doc.build([KeepInFrame(text_w, room, content, mode="shrink"), Fill(), contact_box])
    return out.getvalue()


def flyer_pdf(site: PublicSite) -> bytes:
    flyer = flyer_content(site)
    key = selectors.cache_key(site, "flyer.pdf", timezone.localdate().isoformat(), flyer.fingerprint)
    content: bytes | None = cache.get(key)
    if content is None:
        content = flyer_build(flyer)
        cache.set(key, content, settings.SASAEAI_PUBLIC_CACHE_SECONDS)
    return content
