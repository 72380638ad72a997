"""The dashboard page: one selector call, then charts drawn from its numbers.

The rows of the overdue and never-updated lists (up to 100 each) are built here, escaping every
value, like ``plans/rendering.py``: the template engine costs about 0.2 ms a row, a third of the
page's time budget for two full lists. The page chrome stays in the template.
"""

from django.shortcuts import render
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import plan_permission
from sasaeai.core import fiscal

from .. import charts, selectors
from ..dashboard import plan_dashboard as dashboard_for

PROGRESS_COLOUR = "#0b5cad"
ACHIEVEMENT_COLOUR = "#1a7f37"
TARGET_COLOUR = "#9a6700"
BASELINE_COLOUR = "#57606a"


def _year(request, plan):
    years = selectors.plan_years(plan)
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    return year if year in years else selectors.default_fiscal_year(plan)


def _short_year(year):
    return fiscal.format_fiscal_year(year, style="wareki").removesuffix("年度")


def _leaders(group):
    if group.leader and group.sub_leader:
        return _("（リーダー %(leader)s、サブ %(sub)s）") % {"leader": group.leader, "sub": group.sub_leader}
    if group.leader:
        return _("（リーダー %(leader)s）") % {"leader": group.leader}
    if group.sub_leader:
        return _("（サブ %(sub)s）") % {"sub": group.sub_leader}
    return ""


def item_rows(rows, *, node_base, show_missed):
    """``<tr>`` rows for a list of ``dashboard.ItemRow``: item, goal, (periods without a report),
    owners, working groups with their leaders, (the last year reported)."""
    sample = f' <span class="sample-tag">{escape(_("サンプル"))}</span>'
    none, nothing = "—", escape(_("なし"))
    out = []
    for r in rows:
        goal = r.goal.label if r.goal is not None and r.goal.pk != r.node.pk else ""
        owners = "".join(f"<li>{escape(u)}</li>" for u in r.owners)
        groups = []
        for g in r.groups:
            who = _leaders(g)
            groups.append(
                f'<div>{escape(g.name)} <span class="small">{escape(who)}</span></div>'
                if who
                else f"<div>{escape(g.name)}</div>"
            )
        out.append(
            f'<tr><th scope="row"><a href="{node_base}{r.node.pk}/">{escape(r.node.label)}</a>'
            f"{sample if r.is_sample else ''}</th>"
        )
        out.append(f'<td class="small">{escape(truncatechars(goal, 30)) if goal else none}</td>')
        if show_missed:
            out.append(f"<td>{'<br>'.join(escape(p.label) for p in r.missed)}</td>")
        out.append(f'<td><ul class="names">{owners}</ul></td>' if owners else f"<td>{none}</td>")
        out.append(f"<td>{''.join(groups) or none}</td>")
        if show_missed:
            last = escape(fiscal.format_fiscal_year(r.last_year, style="wareki")) if r.last_year else nothing
            out.append(f'<td class="small">{last}</td>')
        out.append("</tr>\n")
    return mark_safe("".join(out))


def _figure_chart(rows, title, desc):
    series = [(_("進捗"), PROGRESS_COLOUR), (_("達成率（％）"), ACHIEVEMENT_COLOUR)]
    return charts.bar_chart(rows, series=series, title=title, desc=desc)


def _charts(d):
    year = fiscal.format_fiscal_year(d.fiscal_year, style="wareki")
    goal_chart = _figure_chart(
        [(g.node.label, [g.progress, g.achievement]) for g in d.goals],
        _("%(year)s 基本目標ごとの進捗と達成率") % {"year": year},
        _("横棒グラフ。項目ごとに進捗（0〜100）と達成率（％）。同じ数字を右の表に示します。"),
    )
    group_chart = (
        _figure_chart(
            [(g.group.name, [g.progress, g.achievement]) for g in d.groups],
            _("%(year)s ワーキンググループごとの進捗と達成率") % {"year": year},
            _("横棒グラフ。グループごとに担当する項目の進捗と達成率の平均。同じ数字を右の表に示します。"),
        )
        if d.groups
        else ""
    )
    status_chart = charts.count_chart(
        [
            (r.status.name, r.count, r.status.color, False) if r.status else (_("未報告"), r.count, None, True)
            for r in d.status_rows
        ],
        title=_("%(year)s 状況ごとの項目数") % {"year": year},
        desc=_("横棒グラフ。報告された状況ごとの項目数と未報告の項目数。同じ数字を右の表に示します。"),
    )
    trend_charts = []
    for trend in d.trends:
        indicator = trend.indicator
        if indicator.kind not in ("quantity", "ratio"):
            trend_charts.append("")
            continue
        series = [
            {
                "name": _("目標値"),
                "values": [p.target for p in trend.points],
                "colour": TARGET_COLOUR,
                "dash": True,
                "marker": "square",
            },
            {
                "name": _("実績値"),
                "values": [p.actual for p in trend.points],
                "colour": PROGRESS_COLOUR,
                "marker": "circle",
                "labels": True,
            },
        ]
        if any(p.baseline is not None for p in trend.points):
            series.insert(
                0,
                {
                    "name": _("基準値"),
                    "values": [p.baseline for p in trend.points],
                    "colour": BASELINE_COLOUR,
                    "marker": "diamond",
                },
            )
        trend_charts.append(
            charts.line_chart(
                x_labels=[_short_year(p.fiscal_year) for p in trend.points],
                series=series,
                unit=indicator.unit,
                title=_("%(name)sの推移") % {"name": indicator.name},
                desc=_("折れ線グラフ。年度ごとの実績値（実線）と目標値（破線）。同じ数字を右の表に示します。"),
            )
        )
    return {
        "goals": goal_chart,
        "groups": group_chart,
        "statuses": status_chart,
        "trends": list(zip(d.trends, trend_charts, strict=False)),
    }


@plan_permission("progress.view")
def plan_dashboard(request, plan):
    year = _year(request, plan)
    d = dashboard_for(plan, year, trend_goal=request.GET.get("goal"), trend_page=request.GET.get("page"))
    node_base = reverse("plans:node", args=[plan.pk, 0])[:-2]
    return render(
        request,
        "progress/dashboard.html",
        {
            "plan": plan,
            "perms_here": request.council_permissions,
            "d": d,
            "year": year,
            "years": d.years,
            "charts": _charts(d),
            "node_base": node_base,
            "overdue_rows": item_rows(d.overdue, node_base=node_base, show_missed=True),
            "never_rows": item_rows(d.never_updated, node_base=node_base, show_missed=False),
        },
    )
