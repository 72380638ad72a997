"""Fixtures of the plan tests."""

import pytest

from sasaeai.plans import services


@pytest.fixture
def move_plan(councils):
    """A plan with one goal and five items under it (2 … 6), for moves and reordering."""
    plan = services.plan_create(
        council=councils["a"], by=None, title="移動の計画", kind="activity", levels=["A", "B", "C"]
    )
    g = services.node_create(plan=plan, parent=None, by=None, title="g")
    for t in ["2", "3", "4", "5", "6"]:
        services.node_create(plan=plan, parent=g, by=None, title=t)
    return plan
