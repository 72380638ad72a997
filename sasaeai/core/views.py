from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sasaeai.accounts.decorators import council_permission
from sasaeai.plans.selectors import plans_for_user

from . import selectors


@login_required
def home(request):
    rows = selectors.council_tree_for_user(request.user)
    plans_by_council = defaultdict(list)
    for plan in plans_for_user(request.user):
        plans_by_council[plan.council_id].append(plan)
    councils = [(council, depth, plans_by_council[council.pk]) for council, depth in rows]
    return render(request, "core/home.html", {"councils": councils})


@council_permission("plans.view")
def council_detail(request, council):
    plans = [p for p in plans_for_user(request.user) if p.council_id == council.pk]
    return render(request, "core/council_detail.html", {
        "council": council,
        "branches": selectors.council_branches(council),
        "children": selectors.council_children(council),
        "plans": plans,
    })
