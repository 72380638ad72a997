"""Hand-checked arithmetic: every expected number below was worked out on paper."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from sasaeai.progress.rollup import achievement_rate, capped, display, mean, roll_up, weighted_average


@pytest.mark.parametrize(
    "kind, direction, actual, target, expected",
    [
        ("quantity", "higher", 80, 100, D(80)),  # 80 ÷ 100 × 100
        ("quantity", "higher", 150, 100, D(150)),  # beaten by half: shown uncapped
        ("quantity", "lower", 25, 20, D(80)),  # fewer is better: 20 ÷ 25 × 100
        ("quantity", "lower", 10, 20, D(200)),
        ("quantity", "lower", 0, 20, D(100)),  # nothing left: target met
        ("ratio", "higher", D("45.5"), 50, D(91)),  # 45.5 ÷ 50 × 100
        ("quantity", "higher", 5, 0, D(100)),  # target 0 is met by anything ≥ 0
        ("yes_no", "higher", 1, None, D(100)),
        ("yes_no", "higher", 0, None, D(0)),
        ("qualitative", "higher", 1, 1, None),
        ("quantity", "higher", None, 100, None),  # no actual yet
        ("quantity", "higher", 10, None, None),  # no target for that year
    ],
)
def test_achievement_rate(kind, direction, actual, target, expected):
    assert achievement_rate(kind=kind, direction=direction, actual=actual, target=target) == expected


def test_capping_and_means():
    assert capped(D(150)) == D(100) and capped(D(-5)) == D(0) and capped(None) is None
    assert mean([D(100), D(50), None]) == D(75)
    assert mean([None]) is None
    # (2 × 90 + 1 × 60) ÷ 3 = 80
    assert weighted_average([(2, D(90)), (1, D(60))]) == D(80)
    # weight 0 and missing figures are left out: 60 alone
    assert weighted_average([(0, D(90)), (1, D(60)), (3, None)]) == D(60)
    assert weighted_average([(0, D(90))]) is None


def node(pk, weight=1, children=()):
    return SimpleNamespace(pk=pk, weight=D(weight), children_list=list(children))


def test_roll_up_a_three_level_tree():
    # goal G has projects P1 (weight 2) and P2 (weight 1); P1 has actions A1, A2.
    a1, a2 = node("A1"), node("A2")
    p1 = node("P1", weight=2, children=[a1, a2])
    p2 = node("P2", weight=1)
    g = node("G", children=[p1, p2])
    figures = roll_up([g], {"A1": D(100), "A2": D(50), "P1": D(10), "P2": D(40), "G": D(0)})
    assert figures["P1"] == D(75)  # (100 + 50) ÷ 2; its own 10 is not used
    assert figures["P2"] == D(40)  # a leaf: its own figure
    assert figures["G"] == D(190) / D(3)  # (2 × 75 + 1 × 40) ÷ 3 = 63.33…
    assert display(figures["G"]) == "63.3"


def test_parent_without_figures_below_uses_its_own():
    g = node("G", children=[node("P")])
    assert roll_up([g], {"G": D(70)}) == {"P": None, "G": D(70)}
    assert display(None) == "—"
