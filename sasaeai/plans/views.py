"""Plan screens. Views are thin: declare the permission, parse a form, call one service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts.decorators import PermittedRequest, council_permission, plan_permission
from sasaeai.core.audit import ACTION_LABELS, RESTORABLE_ACTIONS
from sasaeai.core.imports import pending
from sasaeai.core.models import Council
from sasaeai.core.permissions import AUDIT_VIEW
from sasaeai.core.view_helpers import form_errors_from, plan_context

from . import planfile, rendering, selectors, services
from .forms import (
    ActionForm,
    ActionFormSet,
    IssueForm,
    IssueLinksForm,
    LevelsForm,
    MoveForm,
    NodeForm,
    PhaseFormSet,
    PlanCreateForm,
    PlanFileUploadForm,
    PlanForm,
    SectionFormSet,
    formset_rows,
)
from .models import Plan, PlanLevel, PlanNode

# --------------------------------------------------------------------------- reading


@plan_permission("plans.view")
def plan_overview(request: PermittedRequest, plan: Plan) -> HttpResponse:
    tree = selectors.plan_tree(plan)
    return render(
        request,
        "plans/overview.html",
        plan_context(
            request,
            plan,
            tree=tree,
            phases=list(plan.phases.all()),
            sections=list(plan.sections.all()),
            level_counts=tree.level_counts(),
            document_plans=selectors.document_plans(plan),
        ),
    )


@plan_permission("plans.view")
def plan_structure(request: PermittedRequest, plan: Plan) -> HttpResponse:
    tree = selectors.plan_tree(plan)
    diagram = rendering.diagram(tree, node_base=reverse("plans:node", args=[plan.pk, 0])[:-2])
    return render(request, "plans/structure.html", plan_context(request, plan, tree=tree, diagram=diagram))


@plan_permission("plans.view")
def plan_matrix(request: PermittedRequest, plan: Plan) -> HttpResponse:
    tree = selectors.plan_tree(plan)
    try:
        depth = int(request.GET.get("level", 0))
    except ValueError:
        depth = 0
    depth = max(0, min(depth, len(tree.levels) - 1)) if tree.levels else 0
    matrix = selectors.issue_matrix(tree, depth)
    column_level = tree.levels[depth] if tree.levels else None
    return render(
        request,
        "plans/matrix.html",
        plan_context(
            request,
            plan,
            tree=tree,
            matrix=matrix,
            depth=depth,
            column_level=column_level,
            node_base=reverse("plans:node", args=[plan.pk, 0])[:-2],
        ),
    )


@plan_permission("plans.view")
def node_detail(request: PermittedRequest, plan: Plan, node_id: int) -> HttpResponse:
    tree = selectors.plan_tree(plan, with_actions=True)
    node = tree.by_id.get(int(node_id))
    if node is None:
        raise Http404
    can_audit = AUDIT_VIEW in request.council_permissions
    return render(
        request,
        "plans/node_detail.html",
        plan_context(
            request,
            plan,
            tree=tree,
            node=node,
            ancestors=tree.ancestors(node),
            history=selectors.audit_entries(plan, node_id=node.pk, limit=50) if can_audit else None,
            action_labels=ACTION_LABELS,
            restorable=RESTORABLE_ACTIONS,
        ),
    )


@plan_permission("audit.view")
def plan_history(request: PermittedRequest, plan: Plan) -> HttpResponse:
    return render(
        request,
        "plans/history.html",
        plan_context(
            request,
            plan,
            entries=selectors.audit_entries(plan, limit=500),
            action_labels=ACTION_LABELS,
            restorable=RESTORABLE_ACTIONS,
        ),
    )


@plan_permission("plans.export")
def plan_export(request: PermittedRequest, plan: Plan) -> HttpResponse:
    plans = selectors.document_plans(plan) if request.GET.get("scope") == "document" else [plan]
    text = planfile.dump(selectors.plan_file_data(plans))
    name = (plan.document if request.GET.get("scope") == "document" and plan.document else plan.title) + ".yaml"
    response = HttpResponse(text.encode("utf-8"), content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --------------------------------------------------------------------------- plan editing


@council_permission("plans.create")
def plan_create(request: PermittedRequest, council: Council) -> HttpResponse:
    form = PlanCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("levels", "version")}
        try:
            plan = services.plan_create(council=council, by=request.user, levels=form.cleaned_data["levels"], **data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("計画「%(title)s」を作成しました。") % {"title": plan.title})
            return redirect("plans:editor", plan_id=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "council": council, "creating": True})


@plan_permission("plans.edit")
def plan_edit(request: PermittedRequest, plan: Plan) -> HttpResponse:
    form = PlanForm(
        request.POST or None,
        instance=None,
        initial={**{f: getattr(plan, f) for f in PlanForm.Meta.fields}, "version": plan.version},
    )
    phases = PhaseFormSet(
        request.POST or None,
        prefix="phases",
        initial=[{"name": p.name, "start_year": p.start_year, "end_year": p.end_year} for p in plan.phases.all()],
    )
    sections = SectionFormSet(
        request.POST or None,
        prefix="sections",
        initial=[{"title": s.title, "body": s.body} for s in plan.sections.all()],
    )
    if request.method == "POST" and form.is_valid() and phases.is_valid() and sections.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.plan_update(
                plan=plan,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                phases=formset_rows(phases),
                sections=formset_rows(sections),
                **data,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("計画の基本情報を保存しました。"))
            return redirect("plans:overview", plan_id=plan.pk)
    return render(
        request,
        "plans/plan_form.html",
        plan_context(
            request,
            plan,
            form=form,
            council=plan.council,
            formsets=[
                (_("期（前期・後期など）"), phases),
                (_("その他の記載（推進体制・計画の位置づけなど）"), sections),
            ],
        ),
    )


@plan_permission("plans.delete")
def plan_delete(request: PermittedRequest, plan: Plan) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("confirm_title", "").strip() != plan.title:
            messages.error(request, _("確認のための計画名が一致しません。削除していません。"))
        else:
            council_id = plan.council_id
            services.plan_delete(plan=plan, by=request.user)
            messages.success(request, _("計画「%(title)s」を削除しました。") % {"title": plan.title})
            return redirect("council_detail", council_id=council_id)
    tree = selectors.plan_tree(plan)
    return render(request, "plans/plan_delete.html", plan_context(request, plan, node_total=len(tree.by_id)))


@plan_permission("plans.edit")
def plan_levels(request: PermittedRequest, plan: Plan) -> HttpResponse:
    levels = list(plan.levels.order_by("depth"))
    form = LevelsForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_levels_update(plan=plan, by=request.user, names=form.names())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("階層名を保存しました。"))
            return redirect("plans:editor", plan_id=plan.pk)
    return render(request, "plans/levels_form.html", plan_context(request, plan, form=form))


# --------------------------------------------------------------------------- structure editing


@plan_permission("plans.edit")
def plan_editor(request: PermittedRequest, plan: Plan) -> HttpResponse:
    tree = selectors.plan_tree(plan)
    create_url = reverse("plans:node_create", args=[plan.pk])
    rows = rendering.editor_rows(
        tree,
        node_base=reverse("plans:node", args=[plan.pk, 0])[:-2],
        create_url=create_url,
        csrf_token=get_token(request),
    )
    return render(
        request, "plans/editor.html", plan_context(request, plan, tree=tree, rows=rows, create_url=create_url)
    )


def _node_form_data(form: NodeForm) -> tuple[PlanLevel, list[Any], dict[str, Any]]:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    issues = data.pop("issues", [])
    level = data.pop("level")
    return level, list(issues), data


def _action_formset(request: PermittedRequest, node: PlanNode | None = None) -> forms.BaseFormSet[ActionForm]:
    initial = [
        {"actor": a.actor, "text": a.text, "examples": "\n".join(a.examples), "steps": "\n".join(a.steps)}
        for a in (node.actions.all() if node else [])
    ]
    return ActionFormSet(request.POST or None, prefix="actions", initial=initial)


@plan_permission("plans.edit")
def node_create(request: PermittedRequest, plan: Plan) -> HttpResponse:
    parent = None
    parent_id = request.GET.get("parent") or request.POST.get("parent")
    if parent_id:
        parent = selectors.node_get_for_user(request.user, plan, parent_id)
    form = NodeForm(request.POST or None, plan=plan, parent=parent)
    actions = _action_formset(request)
    if request.method == "POST" and form.is_valid() and actions.is_valid():
        level, issues, data = _node_form_data(form)
        try:
            node = services.node_create(
                plan=plan,
                parent=parent,
                by=request.user,
                level=level,
                issues=issues,
                actions=formset_rows(actions),
                **data,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("「%(label)s」を追加しました。") % {"label": node.label})
            return redirect(reverse("plans:editor", args=[plan.pk]) + f"#node-{node.pk}")
    elif request.method == "GET":
        depth = parent.level.depth + 1 if parent else 0
        default = plan.levels.filter(depth=depth).first()
        if default is None:
            messages.error(request, _("これより下の階層がありません。先に「階層名」で階層を追加してください。"))
            return redirect("plans:levels", plan_id=plan.pk)
        form.initial["level"] = default.pk
    return render(
        request,
        "plans/node_form.html",
        plan_context(
            request,
            plan,
            form=form,
            parent=parent,
            node=None,
            formsets=[(_("取り組み（地域での取り組み・社協の取り組み）"), actions)],
        ),
    )


@plan_permission("plans.edit")
def node_edit(request: PermittedRequest, plan: Plan, node_id: int) -> HttpResponse:
    node = selectors.node_get_for_user(request.user, plan, node_id)
    form = NodeForm(
        request.POST or None,
        plan=plan,
        parent=node.parent,
        instance=node if request.method == "GET" else None,
        initial={"version": node.version},
    )
    actions = _action_formset(request, node)
    if request.method == "POST":
        form.instance = node.__class__(plan=plan)  # validate into a scratch instance; the service writes
        if form.is_valid() and actions.is_valid():
            level, issues, data = _node_form_data(form)
            try:
                node = services.node_update(
                    node=node,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    level=level,
                    issues=issues,
                    actions=formset_rows(actions),
                    **data,
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("「%(label)s」を保存しました。") % {"label": node.label})
                return redirect(reverse("plans:editor", args=[plan.pk]) + f"#node-{node.pk}")
    return render(
        request,
        "plans/node_form.html",
        plan_context(
            request,
            plan,
            form=form,
            parent=node.parent,
            node=node,
            formsets=[(_("取り組み（地域での取り組み・社協の取り組み）"), actions)],
        ),
    )


@require_POST
@plan_permission("plans.edit")
def node_quick_action(request: PermittedRequest, plan: Plan, node_id: int) -> HttpResponse:
    """One-click changes from the editor: up, down, 重点 on/off."""
    node = selectors.node_get_for_user(request.user, plan, node_id)
    action = request.POST.get("action")
    if action == "up":
        services.node_reorder(node=node, by=request.user, offset=-1)
    elif action == "down":
        services.node_reorder(node=node, by=request.user, offset=1)
    elif action in ("priority_on", "priority_off"):
        services.node_set_priority(node=node, by=request.user, is_priority=action == "priority_on")
        messages.success(
            request,
            (
                _("「%(label)s」を重点にしました。")
                if action == "priority_on"
                else _("「%(label)s」の重点を外しました。")
            )
            % {"label": node.label},
        )
    else:
        return HttpResponseBadRequest(_("不明な操作です。"))
    return redirect(reverse("plans:editor", args=[plan.pk]) + f"#node-{node.pk}")


@plan_permission("plans.edit")
def node_move(request: PermittedRequest, plan: Plan, node_id: int) -> HttpResponse:
    node = selectors.node_get_for_user(request.user, plan, node_id)
    tree = selectors.plan_tree(plan)
    excluded = {n.pk for n in tree.walk([tree.by_id[node.pk]])}
    last_depth = len(tree.levels) - 1
    choices = [("", _("（いちばん上の階層へ）"))]
    for candidate, depth in tree.rows():
        if candidate.pk in excluded or candidate.level.depth >= last_depth:
            continue
        choices.append((str(candidate.pk), "　" * depth + f"{candidate.level.name}: {candidate.label}"))
    form = MoveForm(request.POST or None, choices=choices, initial={"parent": str(node.parent_id or "")})
    if request.method == "POST" and form.is_valid():
        parent_id = form.cleaned_data["parent"]
        parent = selectors.node_get_for_user(request.user, plan, parent_id) if parent_id else None
        position = form.cleaned_data["position"]
        try:
            services.node_move(node=node, by=request.user, parent=parent, position=None if position < 0 else position)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("「%(label)s」を移動しました。") % {"label": node.label})
            return redirect(reverse("plans:editor", args=[plan.pk]) + f"#node-{node.pk}")
    return render(request, "plans/node_move.html", plan_context(request, plan, form=form, node=node))


@plan_permission("plans.edit")
def node_delete(request: PermittedRequest, plan: Plan, node_id: int) -> HttpResponse:
    node = selectors.node_get_for_user(request.user, plan, node_id)
    tree = selectors.plan_tree(plan)
    subtree = list(tree.walk([tree.by_id[node.pk]]))
    if request.method == "POST":
        services.node_delete(node=node, by=request.user)
        messages.success(
            request, _("「%(label)s」を削除しました（%(n)s 項目）。") % {"label": node.label, "n": len(subtree)}
        )
        return redirect("plans:editor", plan_id=plan.pk)
    return render(request, "plans/node_delete.html", plan_context(request, plan, node=node, subtree=subtree))


# --------------------------------------------------------------------------- issues


@plan_permission("plans.edit")
def issue_create(request: PermittedRequest, plan: Plan) -> HttpResponse:
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_create(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("地域生活課題を追加しました。"))
            return redirect("plans:matrix", plan_id=plan.pk)
    return render(request, "plans/issue_form.html", plan_context(request, plan, form=form, issue=None))


@plan_permission("plans.edit")
def issue_edit(request: PermittedRequest, plan: Plan, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get(plan, issue_id)
    tree = selectors.plan_tree(plan)
    choices = [(str(n.pk), "　" * d + f"{n.level.name}: {n.label}") for n, d in tree.rows()]
    form = IssueForm(request.POST or None, instance=issue if request.method == "GET" else None)
    links = IssueLinksForm(
        request.POST or None,
        choices=choices,
        initial={"nodes": [str(n.pk) for n in tree.nodes_by_issue.get(issue.pk, [])]},
    )
    if request.method == "POST":
        form.instance = issue.__class__(plan=plan, pk=issue.pk)
        if form.is_valid() and links.is_valid():
            nodes = [tree.by_id[int(pk)] for pk in links.cleaned_data["nodes"]]
            try:
                services.issue_update(issue=issue, by=request.user, nodes=nodes, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(
                    request, _("地域生活課題「%(t)s」を保存しました。") % {"t": form.cleaned_data["title"]}
                )
                return redirect("plans:matrix", plan_id=plan.pk)
    return render(request, "plans/issue_form.html", plan_context(request, plan, form=form, links=links, issue=issue))


@plan_permission("plans.edit")
def issue_delete(request: PermittedRequest, plan: Plan, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get(plan, issue_id)
    if request.method == "POST":
        services.issue_delete(issue=issue, by=request.user)
        messages.success(request, _("地域生活課題「%(t)s」を削除しました。") % {"t": issue.title})
        return redirect("plans:matrix", plan_id=plan.pk)
    return render(request, "plans/issue_delete.html", plan_context(request, plan, issue=issue))


# --------------------------------------------------------------------------- import


@council_permission("plans.import")
def plan_import(request: PermittedRequest, council: Council) -> HttpResponse:
    """Upload → check everything → preview → confirm. Nothing is saved until confirmed."""
    form = PlanFileUploadForm(request.POST or None, request.FILES or None)
    importer = services.PlanFileImporter(council=council)
    if request.method == "POST" and request.POST.get("confirm"):
        waiting = pending.take(request, kind=importer.kind, council_id=council.pk, sha=request.POST.get("sha"))
        if waiting is None:
            messages.error(request, _("確認中の取り込みが見つかりません。もう一度ファイルを選んでください。"))
            return redirect("plans:import", council_id=council.pk)
        try:
            plans = importer.apply(importer.check(waiting.raw, waiting.filename), by=request.user)
        except planfile.PlanFileError as exc:
            return render(request, "plans/import.html", {"form": form, "council": council, "problems": exc.messages()})
        messages.success(request, _("%(n)s 件の計画を取り込みました。") % {"n": len(plans)})
        return redirect("plans:overview", plan_id=plans[0].pk)

    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read(importer.max_bytes() + 1)  # one byte more than allowed is enough to refuse it
        try:
            checked = importer.check(raw, upload.name)
        except planfile.PlanFileError as exc:
            return render(request, "plans/import.html", {"form": form, "council": council, "problems": exc.messages()})
        waiting = pending.save(request, kind=importer.kind, council_id=council.pk, raw=raw, filename=upload.name)
        data = checked.data
        preview = [
            {
                "plan": p,
                "node_count": sum(1 for _ in p.iter_nodes()),
                "priority_count": sum(1 for n in p.iter_nodes() if n.priority),
            }
            for p in data.plans
        ]
        return render(
            request,
            "plans/import_preview.html",
            {"council": council, "data": data, "preview": preview, "sha": waiting.sha, "filename": upload.name},
        )
    return render(request, "plans/import.html", {"form": form, "council": council})
