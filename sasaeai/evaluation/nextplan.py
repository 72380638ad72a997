"""次期計画: start the next plan generation from a finished one.

The new plan (策定中) keeps the old plan's levels, community issues, items and their actions, each
item pointing back at the one it came from (``previous_node``). Like 一関市's 【１次計画評価】, every
item's 前計画の評価 is written from the old plan's evaluations:

- a project (an item with nothing below it): its last evaluated year's result, e.g.
  "令和12年度 最終評価: B（達成）／方向性: 継続／達成率 92.5%", and the 所見;
- an item above projects: how many of its projects got each grade in their latest evaluation and
  the item's 達成率 in the last evaluated year;

and its 課題 collects the 課題・改善策 of those latest evaluations. Indicators are not copied: the new
plan sets its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import permissions_for
from sasaeai.core import fiscal
from sasaeai.core.audit import log_action
from sasaeai.plans.models import CommunityIssue, NodeAction, Plan, PlanLevel, PlanNode
from sasaeai.plans.permissions import CREATE as PLANS_CREATE
from sasaeai.progress import rollup

from .models import STAGE_ORDER, Grade, Stage, StageEntry

CHALLENGES_LIMIT = 2000
TITLE_LIMIT = 200

_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_KANJI = "〇一二三四五六七八九"
_GENERATION = re.compile(r"第\s*([0-9０-９]+|[一二三四五六七八九十]+)\s*([次期])")


def _kanji_to_int(text: str) -> int | None:
    try:
        if "十" in text:
            tens, _sep, ones = text.partition("十")
            return (_KANJI.index(tens) if tens else 1) * 10 + (_KANJI.index(ones) if ones else 0)
        if len(text) == 1:
            return _KANJI.index(text)
    except ValueError:
        pass
    return None


def _int_to_kanji(n: int) -> str:
    if n < 10:
        return _KANJI[n]
    tens, ones = divmod(n, 10)
    if tens >= 10:
        return str(n)
    return ("" if tens == 1 else _KANJI[tens]) + "十" + (_KANJI[ones] if ones else "")


def next_generation_label(generation: str) -> str:
    """ "第3次" → "第4次", "第５期" → "第６期", "第二次" → "第三次"; "" when there is no number."""
    match = _GENERATION.search(generation or "")
    if match is None:
        return ""
    number, suffix = match.group(1), match.group(2)
    if number.translate(_DIGITS).isdigit():
        text = str(int(number.translate(_DIGITS)) + 1)
        if any(c in "０１２３４５６７８９" for c in number):
            text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    else:
        value = _kanji_to_int(number)
        if value is None:
            return ""
        text = _int_to_kanji(value + 1)
    return f"第{text}{suffix}"


def suggested_title(plan) -> tuple[str, str]:
    """(title, generation) to prefill: the generation counted on ("第3次…" → "第4次…")."""
    generation = next_generation_label(plan.generation) if plan.generation else ""
    if not generation:
        generation = next_generation_label(plan.title)
    match = _GENERATION.search(plan.title)
    if match is not None and generation:
        title = plan.title[: match.start()] + generation + plan.title[match.end() :]
    elif generation:
        title = f"{generation}{plan.title}"
    else:
        title = _("%(title)s（次期）") % {"title": plan.title}
    return title, generation


def suggested_period(plan) -> tuple[int | None, int | None]:
    """The five years after the old plan's end (its length when known)."""
    if plan.period_end is None:
        return None, None
    length = (plan.period_end - plan.period_start + 1) if plan.period_start else 5
    return plan.period_end + 1, plan.period_end + max(length, 1)


# --------------------------------------------------------------------------- the old plan's evaluations


@dataclass
class LatestResult:
    fiscal_year: int
    stage: str
    grade: str
    grade_label: str
    direction: str
    comment: str
    challenges: str
    improvements: str


def _latest_results(plan) -> dict[int, LatestResult]:
    """node id → the latest submitted stage of its last evaluated year (年間 evaluations)."""
    order: dict[str, int] = {s: i for i, s in enumerate(STAGE_ORDER)}
    best: dict[int, tuple[tuple[int, int], int]] = {}
    rows = StageEntry.objects.filter(
        evaluation__node__plan=plan, evaluation__period=0, state=StageEntry.State.SUBMITTED
    ).values_list("evaluation__node_id", "evaluation__fiscal_year", "stage", "pk")
    for node_id, year, stage, pk in rows:
        key = (year, order.get(stage, -1))
        if node_id not in best or key > best[node_id][0]:
            best[node_id] = (key, pk)
    entries = {
        e.pk: e
        for e in StageEntry.objects.filter(pk__in=[pk for _k, pk in best.values()]).select_related(
            "grade", "direction", "evaluation"
        )
    }
    result = {}
    for node_id, (_key, pk) in best.items():
        e = entries[pk]
        result[node_id] = LatestResult(
            fiscal_year=e.evaluation.fiscal_year,
            stage=e.stage,
            grade=e.grade.code if e.grade else "",
            grade_label=e.grade.label if e.grade else "",
            direction=e.direction.name if e.direction else "",
            comment=e.comment,
            challenges=e.challenges,
            improvements=e.improvements,
        )
    return result


def _rate(value) -> str:
    return rollup.display(value)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _project_texts(result: LatestResult | None, achievement, last_year) -> tuple[str, str]:
    if result is None:
        if achievement is None:
            return "", ""
        return (
            _("%(year)s 評価の記録なし／達成率 %(rate)s%%")
            % {"year": fiscal.format_fiscal_year(last_year, style="wareki"), "rate": _rate(achievement)},
            "",
        )
    parts = [
        _("%(year)s %(stage)s: %(grade)s")
        % {
            "year": fiscal.format_fiscal_year(result.fiscal_year, style="wareki"),
            "stage": str(Stage(result.stage).label),
            "grade": (
                _("%(code)s（%(label)s）") % {"code": result.grade, "label": result.grade_label}
                if result.grade_label
                else result.grade
            )
            or _("評価なし"),
        }
    ]
    if result.direction:
        parts.append(_("方向性: %(direction)s") % {"direction": result.direction})
    if achievement is not None:
        parts.append(_("達成率 %(rate)s%%") % {"rate": _rate(achievement)})
    text = "／".join(parts)
    if result.comment.strip():
        text += "\n" + _("所見: %(comment)s") % {"comment": result.comment.strip()}
    challenges = []
    if result.challenges.strip():
        challenges.append(_("課題: %(text)s") % {"text": result.challenges.strip()})
    if result.improvements.strip():
        challenges.append(_("改善策: %(text)s") % {"text": result.improvements.strip()})
    return text, "\n".join(challenges)


def _cap(lines: list[str], limit: int = CHALLENGES_LIMIT) -> str:
    out: list[str] = []
    length = 0
    for i, line in enumerate(lines):
        if out and length + len(line) + 1 > limit:
            out.append(_("…ほか%(n)s件（前計画の各事業の評価を参照）") % {"n": len(lines) - i})
            break
        out.append(line[:limit])
        length += len(line) + 1
    return "\n".join(out)


def evaluation_texts(plan, tree) -> dict[int, tuple[str, str]]:
    """node id → (前計画の評価, 課題) for every item of the old ``plan``, from its evaluations and figures."""
    from sasaeai.progress.selectors import plan_figures

    latest = _latest_results(plan)
    fallback_year = plan.period_end or (max((r.fiscal_year for r in latest.values()), default=None))
    figures_cache = {}

    def figures(year):
        if year is None:
            return {}
        if year not in figures_cache:
            figures_cache[year] = plan_figures(plan, year, tree=tree)[1]
        return figures_cache[year]

    def achievement(node, year):
        f = figures(year).get(node.pk)
        return f.achievement if f is not None else None

    grades = [g.code for g in Grade.objects.filter(scale__council_id=plan.council_id).order_by("position", "pk")]
    texts = {}
    for node in tree.walk():
        leaves = [n for n in tree.walk([node]) if not n.children_list]
        if not node.children_list:
            result = latest.get(node.pk)
            year = result.fiscal_year if result is not None else fallback_year
            texts[node.pk] = _project_texts(result, achievement(node, year), year)
            continue
        results = [(leaf, latest.get(leaf.pk)) for leaf in leaves]
        evaluated = [(leaf, r) for leaf, r in results if r is not None]
        last_year = max((r.fiscal_year for _leaf, r in evaluated), default=fallback_year)
        counts: dict[str, int] = {}
        for _leaf, r in evaluated:
            counts[r.grade or _("評価なし")] = counts.get(r.grade or _("評価なし"), 0) + 1
        ordered = [c for c in grades if c in counts] + [c for c in counts if c not in grades]
        parts = [
            _("事業 %(n)s件の最新の評価: %(counts)s")
            % {
                "n": len(leaves),
                "counts": "、".join(_("%(grade)s %(n)s件") % {"grade": c, "n": counts[c]} for c in ordered)
                or _("なし"),
            }
        ]
        if len(evaluated) < len(leaves):
            parts.append(_("未評価 %(n)s件") % {"n": len(leaves) - len(evaluated)})
        rate = achievement(node, last_year)
        if rate is not None and last_year is not None:
            parts.append(
                _("%(year)s 達成率（事業の平均） %(rate)s%%")
                % {"year": fiscal.format_fiscal_year(last_year, style="wareki"), "rate": _rate(rate)}
            )
        previous = "／".join(parts) if (evaluated or rate is not None) else ""
        texts[node.pk] = (previous, _cap(_challenge_lines(evaluated)))
    return texts


def _challenge_lines(evaluated: list[tuple[PlanNode, LatestResult]]) -> list[str]:
    """課題・改善策 of the projects, each line naming its project(s), the same text once."""
    merged: dict[str, list[str]] = {}
    for leaf, r in evaluated:
        pieces = []
        if r.challenges.strip():
            pieces.append(_("課題: %(text)s") % {"text": _one_line(r.challenges)})
        if r.improvements.strip():
            pieces.append(_("改善策: %(text)s") % {"text": _one_line(r.improvements)})
        if pieces:
            merged.setdefault("／".join(pieces), []).append(leaf.label)
    return [f"【{'、'.join(labels)}】{text}" for text, labels in merged.items()]


# --------------------------------------------------------------------------- the service


def _clean(plan, title, period_start, period_end):
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("次期計画の名称を入力してください。")
    elif len(title) > TITLE_LIMIT:
        errors["title"] = _("計画名は%(n)s文字以内で入力してください。") % {"n": TITLE_LIMIT}
    elif Plan.objects.filter(council_id=plan.council_id, title=title).exists():
        errors["title"] = _("「%(title)s」という計画はこの社協に既にあります。別の名称にしてください。") % {
            "title": title
        }
    if period_start in (None, "") or period_end in (None, ""):
        errors["period_end"] = _("次期計画の計画期間（開始年度と終了年度）を入力してください。")
    else:
        period_start, period_end = int(period_start), int(period_end)
        if period_end < period_start:
            errors["period_end"] = _("終了年度は開始年度以降にしてください。")
        elif plan.period_start is not None and period_start < plan.period_start:
            errors["period_start"] = _("次期計画の開始年度は前計画の開始年度（%(year)s）以降にしてください。") % {
                "year": fiscal.format_fiscal_year(plan.period_start)
            }
    if errors:
        raise ValidationError(errors)
    return title, period_start, period_end


@transaction.atomic
def plan_next_generation(*, plan, by, title, generation="", period_start, period_end) -> Plan:
    """Create the next plan (策定中) from the finished ``plan``: its structure, with lineage and the old
    plan's evaluation written into each item. One transaction; indicators are not copied."""
    if PLANS_CREATE not in permissions_for(by, plan.council_id):
        raise PermissionDenied(_("計画を作成する権限がありません。"))
    plan = Plan.objects.select_for_update().select_related("council").get(pk=plan.pk)
    if plan.status != Plan.Status.FINISHED:
        raise ValidationError(
            _("%(status)sの計画からは次期計画を作れません。計画の状態を「終了」にしてから作ってください。")
            % {"status": plan.get_status_display()}
        )
    title, period_start, period_end = _clean(plan, title, period_start, period_end)
    new = Plan(
        council=plan.council,
        title=title,
        generation=(generation or "").strip(),
        kind=plan.kind,
        status=Plan.Status.DRAFTING,
        period_start=period_start,
        period_end=period_end,
        vision=plan.vision,
        vision_explanation=plan.vision_explanation,
        purpose=plan.purpose,
        municipal_plan_name=plan.municipal_plan_name,
        municipal_plan_generation=plan.municipal_plan_generation,
        municipal_plan_start=plan.municipal_plan_start,
        municipal_plan_end=plan.municipal_plan_end,
        predecessor=plan,
        predecessor_title=plan.title,
    )
    new.full_clean()
    new.save()

    from sasaeai.plans.selectors import plan_tree

    tree = plan_tree(plan, with_actions=True)
    texts = evaluation_texts(plan, tree)
    PlanLevel.objects.bulk_create(PlanLevel(plan=new, depth=lv.depth, name=lv.name) for lv in tree.levels)
    levels = {lv.depth: lv for lv in PlanLevel.objects.filter(plan=new)}
    new_issues = CommunityIssue.objects.bulk_create(
        CommunityIssue(plan=new, position=i.position, code=i.code, title=i.title, description=i.description)
        for i in tree.issues
    )
    issue_map = {old.pk: created.pk for old, created in zip(tree.issues, new_issues, strict=False)}
    if new_issues and new_issues[0].pk is None:
        by_code = dict(CommunityIssue.objects.filter(plan=new).values_list("code", "pk"))
        issue_map = {old.pk: by_code[old.code] for old in tree.issues}

    # Breadth-first, so each generation's parents already have primary keys.
    links: list[Any] = []  # rows of PlanNode.issues.through
    actions: list[NodeAction] = []
    count = 0
    generation_rows: list[tuple[PlanNode | None, PlanNode]] = [(None, root) for root in tree.roots]
    while generation_rows:
        rows = []
        for parent, old in generation_rows:
            previous, challenges = texts.get(old.pk, ("", ""))
            rows.append(
                PlanNode(
                    plan=new,
                    parent=parent,
                    level=levels[old.level.depth],
                    position=old.position,
                    code=old.code,
                    title=old.title,
                    summary=old.summary,
                    description=old.description,
                    is_priority=old.is_priority,
                    desired_state=old.desired_state,
                    weight=old.weight,
                    previous_node_id=old.pk,
                    previous_evaluation=previous,
                    challenges=challenges,
                )
            )
        PlanNode.objects.bulk_create(rows)
        if rows and rows[0].pk is None:
            ids = dict(
                PlanNode.objects.filter(plan=new, previous_node_id__in=[o.pk for _p, o in generation_rows]).values_list(
                    "previous_node_id", "pk"
                )
            )
            for row, (_parent, old) in zip(rows, generation_rows, strict=False):
                row.pk = row.id = ids[old.pk]
        count += len(rows)
        next_rows: list[tuple[PlanNode | None, PlanNode]] = []
        for row, (_parent, old) in zip(rows, generation_rows, strict=False):
            links.extend(
                PlanNode.issues.through(plannode_id=row.pk, communityissue_id=issue_map[i.pk]) for i in old.issue_list
            )
            actions.extend(
                NodeAction(
                    node_id=row.pk,
                    position=a.position,
                    actor=a.actor,
                    text=a.text,
                    examples=list(a.examples),
                    steps=list(a.steps),
                )
                for a in old.action_list
            )
            next_rows.extend((row, child) for child in old.children_list)
        generation_rows = next_rows
    PlanNode.issues.through.objects.bulk_create(links, batch_size=1000)
    NodeAction.objects.bulk_create(actions, batch_size=1000)
    log_action(
        council=plan.council,
        actor=by,
        action="plan.next_generation",
        plan_id=new.pk,
        target_label=new.title,
        after={
            "predecessor": plan.title,
            "title": new.title,
            "generation": new.generation,
            "period_start": period_start,
            "period_end": period_end,
            "nodes": count,
            "issues": len(tree.issues),
        },
        obj=new,
    )
    return new
