from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sasaeai.accounts.decorators import AuthenticatedRequest, PermittedRequest, council_permission
from sasaeai.plans.forms import formset_rows
from sasaeai.plans.models import Plan
from sasaeai.plans.selectors import plans_for_user

from . import selectors, services
from .forms import BranchFormSet, CouncilForm
from .models import Council


def alive(request: HttpRequest) -> HttpResponse:
    """The floor: the cheapest page the stack can serve (load balancers, and the public-site bench's baseline)."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.council_tree_for_user(request.user)
    plans_by_council: defaultdict[int, list[Plan]] = defaultdict(list)
    for plan in plans_for_user(request.user):
        plans_by_council[plan.council_id].append(plan)
    councils = [(row.council, row.depth, plans_by_council[row.council.pk], row.role_label) for row in rows]
    return render(request, "core/home.html", {"councils": councils})


@council_permission("plans.view")
def council_detail(request: PermittedRequest, council: Council) -> HttpResponse:
    plans = [p for p in plans_for_user(request.user) if p.council_id == council.pk]
    parent, parent_visible = selectors.council_parent_for(request.user, council)
    return render(
        request,
        "core/council_detail.html",
        {
            "council": council,
            "branches": selectors.council_branches(council),
            "children": selectors.council_children(council),
            "plans": plans,
            "parent": parent,
            "parent_visible": parent_visible,
        },
    )


@council_permission("councils.manage")
def council_edit(request: PermittedRequest, council: Council) -> HttpResponse:
    form = CouncilForm(
        request.POST or None,
        instance=council if request.method == "GET" else None,
        initial={f: getattr(council, f) for f in CouncilForm.Meta.fields},
    )
    branches = BranchFormSet(
        request.POST or None,
        prefix="branches",
        initial=[{f: getattr(b, f) for f in services.BRANCH_FIELDS} for b in selectors.council_branches(council)],
    )
    if request.method == "POST" and form.is_valid() and branches.is_valid():
        try:
            services.council_update(
                council=council, by=request.user, branches=formset_rows(branches), **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("%(name)s の連絡先と支部を保存しました。") % {"name": council.name})
            return redirect("council_detail", council_id=council.pk)
    return render(
        request, "core/council_form.html", {"council": council, "form": form, "formsets": [(_("支部"), branches)]}
    )
