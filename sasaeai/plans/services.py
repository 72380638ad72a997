"""Writes to plans: every function is keyword-only, atomic, validated and audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Model, QuerySet
from django.utils.translation import gettext as _

from sasaeai.core.audit import diff, log_action
from sasaeai.core.concurrency import ConcurrentEditError  # noqa: F401
from sasaeai.core.concurrency import check_version as _check_version
from sasaeai.core.imports import Problem, Source

from . import planfile
from .models import CommunityIssue, NodeAction, Plan, PlanLevel, PlanNode, PlanPhase, PlanSection

if TYPE_CHECKING:
    from sasaeai.accounts.models import User
    from sasaeai.core.models import Council

Row = dict[str, Any]
PLAN_AUDIT_FIELDS = [
    "title",
    "generation",
    "kind",
    "document",
    "part",
    "status",
    "period_start",
    "period_end",
    "midterm_review_year",
    "vision",
    "vision_explanation",
    "purpose",
    "municipal_plan_name",
    "municipal_plan_generation",
    "municipal_plan_start",
    "municipal_plan_end",
    "predecessor_title",
    "predecessor_carried_over",
]
NODE_AUDIT_FIELDS = [
    "code",
    "title",
    "summary",
    "description",
    "is_priority",
    "weight",
    "desired_state",
    "plain_summary",
    "previous_evaluation",
    "challenges",
    "targets_text",
]


def _snapshot(obj: Model, fields: list[str]) -> Row:
    return {f: getattr(obj, f) for f in fields}


def _replace_rows(
    queryset: QuerySet[Any], rows: list[Row], fields: list[str], make: Callable[[int, Row], Model]
) -> tuple[list[Row], list[Row]] | None:
    """Replace a parent's ordered child rows (phases, sections, actions) with ``rows``.

    Returns (before, after) as lists of dicts when something changed, else None.
    """
    existing = list(queryset.order_by("position", "pk"))
    before = [{f: getattr(r, f) for f in fields} for r in existing]
    after = [{f: row.get(f) for f in fields} for row in rows]
    if before == after:
        return None
    queryset.delete()
    queryset.model.objects.bulk_create(make(i, row) for i, row in enumerate(after))
    return before, after


PHASE_FIELDS = ["name", "start_year", "end_year"]
SECTION_FIELDS = ["title", "body"]
ACTION_FIELDS = ["actor", "text", "examples", "steps"]


def _clean_phases(plan: Plan, phases: list[Row]) -> None:
    for phase in phases:
        if not (phase.get("name") or "").strip():
            raise ValidationError(_("期の名称（例: 前期）を入力してください。"))
        start, end = phase.get("start_year"), phase.get("end_year")
        if start is None or end is None:
            raise ValidationError(_("期「%(n)s」の開始年度と終了年度を入力してください。") % {"n": phase["name"]})
        if end < start:
            raise ValidationError(_("期「%(n)s」の終了年度が開始年度より前です。") % {"n": phase["name"]})
        if plan.period_start and plan.period_end and not (plan.period_start <= start and end <= plan.period_end):
            raise ValidationError(_("期「%(n)s」が計画期間の外です。") % {"n": phase["name"]})


def _clean_actions(actions: list[Row]) -> None:
    for action in actions:
        if action.get("actor") not in NodeAction.Actor.values:
            raise ValidationError(_("取り組む主体を選んでください。"))
        if not (action.get("text") or action.get("examples") or action.get("steps")):
            raise ValidationError(_("取り組みの内容・例・段階のどれかを入力してください。"))


# --------------------------------------------------------------------------- plans


@transaction.atomic
def plan_create(
    *, council: Council, by: User | None, title: str, kind: str, levels: Iterable[str], **fields: Any
) -> Plan:
    plan = Plan(council=council, title=title, kind=kind, **fields)
    plan.full_clean()
    level_names = [name.strip() for name in levels if name.strip()]
    if not level_names:
        raise ValidationError({"levels": _("階層名を一つ以上入力してください。")})
    if any(len(name) > 50 for name in level_names):
        raise ValidationError({"levels": _("階層名は50文字までです。")})
    if len(set(level_names)) != len(level_names):
        raise ValidationError({"levels": _("同じ階層名が二つあります。")})
    plan.save()
    PlanLevel.objects.bulk_create(PlanLevel(plan=plan, depth=i, name=name) for i, name in enumerate(level_names))
    log_action(
        council=council,
        actor=by,
        action="plan.create",
        plan_id=plan.pk,
        target_label=plan.title,
        after=_snapshot(plan, PLAN_AUDIT_FIELDS) | {"levels": level_names},
    )
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    by: User | None,
    expected_version: int | str | None = None,
    phases: list[Row] | None = None,
    sections: list[Row] | None = None,
    **fields: Any,
) -> Plan:
    """Update a plan's fields and, when given, replace its phases (前期・後期) and printed sections."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _check_version(plan, expected_version)
    before = _snapshot(plan, PLAN_AUDIT_FIELDS)
    for key, value in fields.items():
        if key not in PLAN_AUDIT_FIELDS:
            raise TypeError(f"plan_update() got an unexpected field {key!r}")
        setattr(plan, key, value)
    plan.full_clean()
    after = _snapshot(plan, PLAN_AUDIT_FIELDS)
    b, a = diff(before, after)
    if phases is not None:
        _clean_phases(plan, phases)
        changed = _replace_rows(
            PlanPhase.objects.filter(plan=plan),
            phases,
            PHASE_FIELDS,
            lambda i, row: PlanPhase(plan=plan, position=i, **row),
        )
        if changed:
            b["phases"], a["phases"] = changed
    if sections is not None:
        if any(not (row.get("title") or "").strip() for row in sections):
            raise ValidationError(_("見出しのない記載があります。見出しを入力してください。"))
        changed = _replace_rows(
            PlanSection.objects.filter(plan=plan),
            sections,
            SECTION_FIELDS,
            lambda i, row: PlanSection(plan=plan, position=i, **row),
        )
        if changed:
            b["sections"], a["sections"] = changed
    if not a:
        return plan
    plan.version = F("version") + 1
    plan.save()
    plan.refresh_from_db()
    log_action(
        council=plan.council,
        actor=by,
        action="plan.update",
        plan_id=plan.pk,
        target_label=plan.title,
        before=b,
        after=a,
    )
    return plan


@transaction.atomic
def plan_levels_update(*, plan: Plan, by: User | None, names: list[str]) -> None:
    """Rename levels, or add levels at the bottom. Levels in use can't be removed."""
    names = [n.strip() for n in names]
    levels = list(PlanLevel.objects.filter(plan=plan).order_by("depth"))
    if any(not n for n in names[: len(levels)]):
        raise ValidationError(_("階層名を空にはできません。"))
    names = names[: len(levels)] + [n for n in names[len(levels) :] if n]
    if len(set(names)) != len(names):
        raise ValidationError(_("同じ階層名が二つあります。階層名は重ならないようにしてください。"))
    if len(names) > planfile.MAX_LEVELS:
        raise ValidationError(_("階層は %(n)s 段までです。") % {"n": planfile.MAX_LEVELS})
    if any(len(n) > 50 for n in names):
        raise ValidationError(_("階層名は50文字までです。"))
    before = [lv.name for lv in levels]
    if before == names:
        return
    for level, name in zip(levels, names, strict=False):
        if level.name != name:
            level.name = name
            level.save(update_fields=["name"])
    PlanLevel.objects.bulk_create(
        PlanLevel(plan=plan, depth=i, name=name) for i, name in enumerate(names) if i >= len(levels)
    )
    log_action(
        council=plan.council,
        actor=by,
        action="plan.levels_update",
        plan_id=plan.pk,
        target_label=plan.title,
        before={"levels": before},
        after={"levels": names},
    )


@transaction.atomic
def plan_delete(*, plan: Plan, by: User | None) -> None:
    log_action(
        council=plan.council,
        actor=by,
        action="plan.delete",
        plan_id=plan.pk,
        target_label=plan.title,
        before=_snapshot(plan, PLAN_AUDIT_FIELDS),
    )
    plan.delete()


# --------------------------------------------------------------------------- plan files


@dataclass
class PlanFileUpload:
    """A checked plan file, ready to import into ``council``."""

    data: planfile.PlanFileData
    filename: str


class PlanFileImporter(planfile.PlanFileText[PlanFileUpload]):
    """Plan files through the import pipeline: parse and check against ``council``; apply creates
    every plan of the file, all or nothing."""

    def __init__(self, *, council: Council, max_bytes: int | None = None) -> None:
        super().__init__(max_bytes=max_bytes)
        self.council = council

    def parse(self, source: Source) -> PlanFileUpload:
        data = planfile.parse_text(source.text)
        plan_file_check_target(council=self.council, data=data, filename=source.filename)
        return PlanFileUpload(data=data, filename=source.filename)

    def apply(self, parsed: PlanFileUpload, *, by: Any) -> list[Plan]:
        return plan_file_import(council=self.council, data=parsed.data, by=by, filename=parsed.filename)


def _plan_file_conflicts(council: Council, data: planfile.PlanFileData) -> list[Problem]:
    existing = set(Plan.objects.filter(council=council).values_list("title", flat=True))
    seen: set[str] = set()
    problems: list[Problem] = []
    for i, plan in enumerate(data.plans):
        where = _("%(key)s（%(label)s）") % {"key": f"plans[{i + 1}].title", "label": _("名称")}
        if plan.title in existing:
            problems.append(
                planfile.problem(
                    None,
                    where,
                    _(
                        "「%(title)s」という計画はこの社協に既にあります。名前を変えるか、既存の計画を削除してから取り込んでください。"
                    )
                    % {"title": plan.title},
                )
            )
        if plan.title in seen:
            problems.append(
                planfile.problem(
                    None, where, _("「%(title)s」がファイルの中で二回出てきます。") % {"title": plan.title}
                )
            )
        seen.add(plan.title)
    return problems


def plan_file_check_target(*, council: Council, data: planfile.PlanFileData, filename: str = "") -> None:
    """Refuse a parsed file that names another council or repeats an existing plan's title."""
    problems = _plan_file_conflicts(council, data)
    if data.council and data.council != council.name:
        problems.insert(
            0,
            planfile.problem(
                None,
                _("%(key)s（%(label)s）") % {"key": "council", "label": _("社協名")},
                _(
                    "このファイルは「%(file_council)s」の計画です。取り込み先の「%(council)s」と一致しません。"
                    "ファイルの council を取り込み先の社協名に直してください。"
                )
                % {"file_council": data.council, "council": council.name},
            ),
        )
    if problems:
        raise planfile.PlanFileError(problems, filename=filename)


@transaction.atomic
def plan_file_import(
    *, council: Council, data: planfile.PlanFileData, by: User | None, filename: str = ""
) -> list[Plan]:
    """Create every plan of a parsed plan file in ``council``, all or nothing."""
    plan_file_check_target(council=council, data=data, filename=filename)
    plans = []
    for i, plan_data in enumerate(data.plans):
        try:
            plans.append(_import_plan(council, plan_data))
        except ValidationError as exc:
            # The parser checks what the models check; this is the safety net, so nothing is half-saved.
            raise planfile.PlanFileError(
                [planfile.problem(None, f"plans[{i + 1}]", message) for message in exc.messages], filename=filename
            ) from None
    for plan in plans:
        log_action(
            council=council,
            actor=by,
            action="plan.import",
            plan_id=plan.pk,
            target_label=plan.title,
            after={"file": filename, "nodes": plan.nodes.count()},
        )
    return plans


def _import_plan(council: Council, d: planfile.PlanData) -> Plan:
    plan = Plan(
        council=council,
        title=d.title,
        generation=d.generation,
        kind=d.kind,
        document=d.document,
        part=d.part,
        status=d.status,
        period_start=d.period_start,
        period_end=d.period_end,
        midterm_review_year=d.midterm_review_year,
        vision=d.vision,
        vision_explanation=d.vision_explanation,
        purpose=d.purpose,
        municipal_plan_name=d.municipal_plan_name,
        municipal_plan_generation=d.municipal_plan_generation,
        municipal_plan_start=d.municipal_plan_start,
        municipal_plan_end=d.municipal_plan_end,
        predecessor_title=d.predecessor_title,
        predecessor_carried_over=d.predecessor_carried_over,
    )
    if d.predecessor_title:
        plan.predecessor = Plan.objects.filter(council=council, title=d.predecessor_title).first()
    plan.full_clean()
    plan.save()
    PlanPhase.objects.bulk_create(
        PlanPhase(plan=plan, position=i, name=p.name, start_year=p.start, end_year=p.end)
        for i, p in enumerate(d.phases)
    )
    levels = PlanLevel.objects.bulk_create(PlanLevel(plan=plan, depth=i, name=n) for i, n in enumerate(d.levels))
    issues = CommunityIssue.objects.bulk_create(
        CommunityIssue(plan=plan, position=i, code=x.code, title=x.title, description=x.description)
        for i, x in enumerate(d.issues)
    )
    issue_by_code = {issue.code: issue for issue in issues}
    PlanSection.objects.bulk_create(
        PlanSection(plan=plan, position=i, title=s.title, body=s.body) for i, s in enumerate(d.sections)
    )

    # Insert breadth-first so each generation's parents already have primary keys.
    links: list[tuple[PlanNode, CommunityIssue]] = []
    actions: list[NodeAction] = []
    generation: list[tuple[PlanNode | None, int, planfile.NodeData]] = [(None, i, n) for i, n in enumerate(d.nodes)]
    while generation:
        rows = [
            PlanNode(
                plan=plan,
                parent=parent,
                level=levels[n.level],
                position=pos,
                code=n.code,
                title=n.title,
                summary=n.summary,
                description=n.description,
                is_priority=n.priority,
                weight=n.weight,
                desired_state=n.desired_state,
                plain_summary=n.plain_summary,
                previous_evaluation=n.previous_evaluation,
                challenges=n.challenges,
                targets_text=n.targets_text,
            )
            for parent, pos, n in generation
        ]
        PlanNode.objects.bulk_create(rows)
        next_generation: list[tuple[PlanNode | None, int, planfile.NodeData]] = []
        for row, (_parent, _pos, n) in zip(rows, generation, strict=False):
            links.extend((row, issue_by_code[c]) for c in n.issues)
            actions.extend(
                NodeAction(node=row, position=j, actor=a.actor, text=a.text, examples=a.examples, steps=a.steps)
                for j, a in enumerate(n.actions)
            )
            next_generation.extend((row, j, child) for j, child in enumerate(n.children))
        generation = next_generation
    through = PlanNode.issues.through
    through.objects.bulk_create(through(plannode_id=node.pk, communityissue_id=issue.pk) for node, issue in links)
    NodeAction.objects.bulk_create(actions)
    return plan


# --------------------------------------------------------------------------- nodes


def _renumber(plan_id: int, parent_id: int | None) -> list[PlanNode]:
    siblings = list(PlanNode.objects.filter(plan_id=plan_id, parent_id=parent_id).order_by("position", "pk"))
    changed = []
    for i, node in enumerate(siblings):
        if node.position != i:
            node.position = i
            changed.append(node)
    PlanNode.objects.bulk_update(changed, ["position"])
    return siblings


def _check_sibling_code(plan_id: int, parent_id: int | None, code: str, exclude_pk: int | None = None) -> None:
    if not code:
        return
    qs = PlanNode.objects.filter(plan_id=plan_id, parent_id=parent_id, code=code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"code": _("番号「%(code)s」は同じ階層に既にあります。") % {"code": code}})


def _check_level(plan: Plan, parent: PlanNode | None, level: PlanLevel) -> None:
    if level.plan_id != plan.pk:
        raise ValidationError({"level": _("この計画の階層を選んでください。")})
    if parent is not None and level.depth <= parent.level.depth:
        raise ValidationError({"level": _("上位の項目より下の階層を選んでください。")})


def _subtree_max_depth_offset(node: PlanNode) -> int:
    """How many levels below ``node`` its deepest descendant sits."""
    nodes = list(PlanNode.objects.filter(plan_id=node.plan_id).values_list("pk", "parent_id", "level__depth"))
    children: dict[int | None, list[int]] = {}
    depth: dict[int, int] = {}
    for pk, parent_id, d in nodes:
        children.setdefault(parent_id, []).append(pk)
        depth[pk] = d
    deepest = depth[node.pk]
    stack = [node.pk]
    while stack:
        pk = stack.pop()
        deepest = max(deepest, depth[pk])
        stack.extend(children.get(pk, []))
    return deepest - depth[node.pk]


@transaction.atomic
def node_create(
    *,
    plan: Plan,
    parent: PlanNode | None,
    by: User | None,
    title: str,
    level: PlanLevel | None = None,
    position: int | str | None = None,
    issues: Iterable[CommunityIssue] = (),
    actions: Iterable[Row] = (),
    **fields: Any,
) -> PlanNode:
    if parent is not None and parent.plan_id != plan.pk:
        raise ValidationError(_("上位の項目が別の計画のものです。"))
    if level is None:
        depth = parent.level.depth + 1 if parent else 0
        level = PlanLevel.objects.filter(plan=plan, depth=depth).first()
        if level is None:
            raise ValidationError(_("これより下の階層がありません。先に「階層名」で階層を追加してください。"))
    _check_level(plan, parent, level)
    _check_sibling_code(plan.pk, parent.pk if parent else None, fields.get("code", ""))
    count = PlanNode.objects.filter(plan=plan, parent=parent).count()
    position = count if position is None else max(0, min(int(position), count))
    PlanNode.objects.filter(plan=plan, parent=parent, position__gte=position).update(position=F("position") + 1)
    node = PlanNode(plan=plan, parent=parent, level=level, position=position, title=title, **fields)
    node.full_clean()
    node.save()
    if issues:
        node.issues.set(_plan_issues(plan, issues))
    action_rows = [{f: row.get(f) for f in ACTION_FIELDS} for row in actions]
    _clean_actions(action_rows)
    NodeAction.objects.bulk_create(NodeAction(node=node, position=i, **row) for i, row in enumerate(action_rows))
    log_action(
        council=plan.council,
        actor=by,
        action="node.create",
        plan_id=plan.pk,
        node_id=node.pk,
        target_label=node.label,
        after=_snapshot(node, NODE_AUDIT_FIELDS)
        | {
            "parent": parent.label if parent else None,
            "level": level.name,
            **({"actions": action_rows} if action_rows else {}),
        },
    )
    return node


def _plan_issues(plan: Plan, issues: Iterable[CommunityIssue]) -> list[CommunityIssue]:
    chosen = list(issues)
    if any(issue.plan_id != plan.pk for issue in chosen):
        raise ValidationError(_("別の計画の地域生活課題は選べません。"))
    return chosen


def _set_node_fields(node: PlanNode, level: PlanLevel | None, fields: dict[str, Any]) -> None:
    """Put the edited fields and level on ``node`` (unsaved), refusing a level its children can't follow."""
    for key, value in fields.items():
        if key not in NODE_AUDIT_FIELDS:
            raise TypeError(f"node_update() got an unexpected field {key!r}")
        setattr(node, key, value)
    if level is not None and level.pk != node.level_id:
        _check_level(node.plan, node.parent, level)
        if any(child.level.depth <= level.depth for child in node.children.select_related("level")):
            raise ValidationError({"level": _("下位の項目があるため、この階層には変更できません。")})
        node.level = level
    if "code" in fields:
        _check_sibling_code(node.plan_id, node.parent_id, node.code, exclude_pk=node.pk)


@transaction.atomic
def node_update(
    *,
    node: PlanNode,
    by: User | None,
    expected_version: int | str | None = None,
    level: PlanLevel | None = None,
    issues: Iterable[CommunityIssue] | None = None,
    actions: list[Row] | None = None,
    **fields: Any,
) -> PlanNode:
    """Update a node; ``issues`` and ``actions`` (list of dicts), when given, replace the current ones."""
    node = (
        PlanNode.objects.select_for_update(of=("self",))
        .select_related("plan__council", "level", "parent__level")
        .get(pk=node.pk)
    )
    _check_version(node, expected_version)
    before = _snapshot(node, NODE_AUDIT_FIELDS)
    before_level = node.level.name
    _set_node_fields(node, level, fields)
    node.full_clean()
    after = _snapshot(node, NODE_AUDIT_FIELDS)
    before_issues = sorted(node.issues.values_list("code", flat=True))
    after_issues = before_issues
    if issues is not None:
        issues = _plan_issues(node.plan, issues)
        after_issues = sorted(i.code for i in issues)
    if actions is not None:
        _clean_actions(actions)
    b, a = diff(before, after)
    if actions is not None:
        changed = _replace_rows(
            NodeAction.objects.filter(node=node),
            actions,
            ACTION_FIELDS,
            lambda i, row: NodeAction(node=node, position=i, **row),
        )
        if changed:
            b["actions"], a["actions"] = changed
    if not a and before_level == node.level.name and before_issues == after_issues:
        return node
    node.version = F("version") + 1
    node.save()
    node.refresh_from_db()
    if issues is not None:
        node.issues.set(issues)
    if before_level != node.level.name:
        b["level"], a["level"] = before_level, node.level.name
    if before_issues != after_issues:
        b["issues"], a["issues"] = before_issues, after_issues
    log_action(
        council=node.plan.council,
        actor=by,
        action="node.update",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=node.label,
        before=b,
        after=a,
    )
    return node


@transaction.atomic
def node_set_priority(*, node: PlanNode, by: User | None, is_priority: bool) -> PlanNode:
    node = PlanNode.objects.select_for_update(of=("self",)).select_related("plan__council").get(pk=node.pk)
    if node.is_priority == is_priority:
        return node
    node.is_priority = is_priority
    node.version = F("version") + 1
    node.save(update_fields=["is_priority", "version"])
    node.refresh_from_db()
    log_action(
        council=node.plan.council,
        actor=by,
        action="node.priority",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=node.label,
        before={"is_priority": not is_priority},
        after={"is_priority": is_priority},
    )
    return node


@transaction.atomic
def node_reorder(*, node: PlanNode, by: User | None, offset: int) -> PlanNode:
    """Move a node up (offset < 0) or down among its siblings."""
    node = PlanNode.objects.select_related("plan__council").get(pk=node.pk)
    siblings = _renumber(node.plan_id, node.parent_id)
    index = next(i for i, s in enumerate(siblings) if s.pk == node.pk)
    target = max(0, min(len(siblings) - 1, index + offset))
    if target == index:
        return node
    siblings.insert(target, siblings.pop(index))
    for i, s in enumerate(siblings):
        s.position = i
    PlanNode.objects.bulk_update(siblings, ["position"])
    log_action(
        council=node.plan.council,
        actor=by,
        action="node.reorder",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=node.label,
        before={"position": index + 1},
        after={"position": target + 1},
    )
    node.position = target
    return node


@transaction.atomic
def node_move(*, node: PlanNode, by: User | None, parent: PlanNode | None, position: int | None = None) -> PlanNode:
    """Move a node (with its subtree) under another parent in the same plan.

    Its level follows: directly below the new parent's level (or the top level), keeping the
    distances inside the subtree; a move that would push the subtree below the last level is
    refused.
    """
    node = (
        PlanNode.objects.select_for_update(of=("self",))
        .select_related("plan__council", "level", "parent")
        .get(pk=node.pk)
    )
    plan = node.plan
    if parent is not None:
        if parent.plan_id != plan.pk:
            raise ValidationError(_("別の計画の項目の下には移動できません。"))
        ancestor: PlanNode | None = parent
        while ancestor is not None:
            if ancestor.pk == node.pk:
                raise ValidationError(_("項目を自分自身やその下位の項目の下には移動できません。"))
            ancestor = ancestor.parent
    levels = list(PlanLevel.objects.filter(plan=plan).order_by("depth"))
    same_parent = (parent.pk if parent else None) == node.parent_id
    # A node keeps its level when it only changes place among its siblings (it may skip a level
    # on purpose); under a new parent it goes directly below that parent's level.
    new_depth = node.level.depth if same_parent else (parent.level.depth + 1 if parent else 0)
    shift = new_depth - node.level.depth
    if new_depth + _subtree_max_depth_offset(node) >= len(levels):
        raise ValidationError(
            _("移動すると階層が深くなりすぎます（この計画の階層は %(n)s 段です）。先に階層を追加してください。")
            % {"n": len(levels)}
        )
    old_parent_label = node.parent.label if node.parent else None
    old_parent_id = node.parent_id
    _check_sibling_code(plan.pk, parent.pk if parent else None, node.code, exclude_pk=node.pk)

    siblings = list(PlanNode.objects.filter(plan=plan, parent=parent).exclude(pk=node.pk).order_by("position", "pk"))
    position = len(siblings) if position is None else max(0, min(int(position), len(siblings)))
    node.parent = parent
    node.version = F("version") + 1
    node.save(update_fields=["parent", "version"])
    siblings.insert(position, node)
    for i, sibling in enumerate(siblings):
        sibling.position = i
    PlanNode.objects.bulk_update(siblings, ["position"])
    if shift:
        by_depth = {lv.depth: lv for lv in levels}
        moved = list(PlanNode.objects.filter(pk__in=_subtree_ids(node)).select_related("level"))
        for row in moved:
            row.level = by_depth[row.level.depth + shift]
        PlanNode.objects.bulk_update(moved, ["level"])
    if not same_parent:
        _renumber(plan.pk, old_parent_id)
    node.refresh_from_db()
    log_action(
        council=plan.council,
        actor=by,
        action="node.move",
        plan_id=plan.pk,
        node_id=node.pk,
        target_label=node.label,
        before={"parent": old_parent_label},
        after={"parent": parent.label if parent else None, "position": position + 1},
    )
    return node


def _subtree_ids(node: PlanNode) -> list[int]:
    rows = PlanNode.objects.filter(plan_id=node.plan_id).values_list("pk", "parent_id")
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    result: list[int] = []
    stack = [node.pk]
    while stack:
        pk = stack.pop()
        result.append(pk)
        stack.extend(children.get(pk, []))
    return result


@transaction.atomic
def node_delete(*, node: PlanNode, by: User | None) -> None:
    node = PlanNode.objects.select_related("plan__council").get(pk=node.pk)
    count = len(_subtree_ids(node))
    log_action(
        council=node.plan.council,
        actor=by,
        action="node.delete",
        plan_id=node.plan_id,
        node_id=node.pk,
        target_label=node.label,
        before=_snapshot(node, NODE_AUDIT_FIELDS) | {"deleted_items": count},
    )
    plan_id, parent_id = node.plan_id, node.parent_id
    node.delete()
    _renumber(plan_id, parent_id)


# --------------------------------------------------------------------------- issues


@transaction.atomic
def issue_create(*, plan: Plan, by: User | None, code: str, title: str, description: str = "") -> CommunityIssue:
    if CommunityIssue.objects.filter(plan=plan, code=code).exists():
        raise ValidationError({"code": _("番号「%(code)s」の地域生活課題は既にあります。") % {"code": code}})
    position = (CommunityIssue.objects.filter(plan=plan).aggregate(m=Max("position"))["m"] or 0) + 1
    issue = CommunityIssue(plan=plan, code=code, title=title, description=description, position=position)
    issue.full_clean()
    issue.save()
    log_action(
        council=plan.council,
        actor=by,
        action="issue.create",
        plan_id=plan.pk,
        target_label=str(issue),
        after={"code": code, "title": title, "description": description},
    )
    return issue


@transaction.atomic
def issue_update(
    *,
    issue: CommunityIssue,
    by: User | None,
    code: str,
    title: str,
    description: str = "",
    nodes: Iterable[PlanNode] | None = None,
) -> CommunityIssue:
    issue = CommunityIssue.objects.select_for_update(of=("self",)).select_related("plan__council").get(pk=issue.pk)
    if CommunityIssue.objects.filter(plan=issue.plan, code=code).exclude(pk=issue.pk).exists():
        raise ValidationError({"code": _("番号「%(code)s」の地域生活課題は既にあります。") % {"code": code}})
    before = {
        "code": issue.code,
        "title": issue.title,
        "description": issue.description,
        "nodes": sorted(n.label for n in issue.nodes.all()),
    }
    issue.code, issue.title, issue.description = code, title, description
    issue.full_clean()
    issue.save()
    if nodes is not None:
        if any(n.plan_id != issue.plan_id for n in nodes):
            raise ValidationError(_("別の計画の項目は選べません。"))
        issue.nodes.set(nodes)
    after = {
        "code": code,
        "title": title,
        "description": description,
        "nodes": sorted(n.label for n in issue.nodes.all()),
    }
    if before != after:
        b, a = diff(before, after)
        log_action(
            council=issue.plan.council,
            actor=by,
            action="issue.update",
            plan_id=issue.plan_id,
            target_label=str(issue),
            before=b,
            after=a,
        )
    return issue


@transaction.atomic
def issue_delete(*, issue: CommunityIssue, by: User | None) -> None:
    log_action(
        council=issue.plan.council,
        actor=by,
        action="issue.delete",
        plan_id=issue.plan_id,
        target_label=str(issue),
        before={"code": issue.code, "title": issue.title},
    )
    issue.delete()
