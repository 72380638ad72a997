"""The arithmetic of 達成率 and roll-up, stated so anyone can recompute a figure by hand.

達成率 (achievement rate) of one indicator, in percent:
- higher is better (多いほどよい):  actual ÷ target × 100
- lower is better  (少ないほどよい): target ÷ actual × 100   (an actual of 0 meets any target ≥ 0: 100)
- yes / no (実施の有無): 100 when done, 0 when not
- qualitative (定性): no rate
A rate shown for an indicator is not capped (a target beaten by half shows 150.0). When rates are
combined, each is first capped at 100, so one target beaten twice over cannot hide another missed.

A node's figure (進捗 or 達成率):
- a node with children that have figures: the weighted average of those children's figures,
  Σ(weight × figure) ÷ Σ(weight), using each child's weight (重み, default 1; weight 0 leaves it out);
- otherwise, its own figure: for 達成率 the plain average of its indicators' capped rates,
  for 進捗 the score of the status in its report.
Every figure is rounded to one decimal place only for display.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


def achievement_rate(*, kind: str, direction: str, actual, target) -> Decimal | None:
    if kind == "qualitative" or actual is None:
        return None
    if kind == "yes_no":
        return HUNDRED if Decimal(actual) != 0 else Decimal(0)
    if target is None:
        return None
    actual, target = Decimal(actual), Decimal(target)
    if direction == "lower":
        if actual == 0:
            return HUNDRED if target >= 0 else None
        return target / actual * HUNDRED
    if target == 0:
        return HUNDRED if actual >= 0 else Decimal(0)
    return actual / target * HUNDRED


def capped(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else max(Decimal(0), min(rate, HUNDRED))


def mean(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def weighted_average(pairs) -> Decimal | None:
    """pairs of (weight, value); pairs without a value or with weight 0 are left out."""
    pairs = [(Decimal(w), v) for w, v in pairs if v is not None and Decimal(w) > 0]
    total = sum(w for w, _ in pairs)
    if not pairs or total == 0:
        return None
    return sum(w * v for w, v in pairs) / total


def roll_up(roots, own: dict) -> dict:
    """Figures for every node of a tree (nodes with ``.pk``, ``.weight``, ``.children_list``).

    ``own`` maps node id → the node's own figure (or None). Returns node id → figure.
    """
    result = {}

    def visit(node):
        child_figures = [(child.weight, visit(child)) for child in node.children_list]
        figure = weighted_average(child_figures)
        if figure is None:
            figure = own.get(node.pk)
        result[node.pk] = figure
        return figure

    for root in roots:
        visit(root)
    return result


def display(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"
