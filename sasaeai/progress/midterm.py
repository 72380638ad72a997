"""Whether a plan has had its midterm review (中間評価), which makes a changed target need a reason.

The review itself (a snapshot of the plan) belongs to evaluation, which depends on progress; so
progress never imports evaluation: evaluation registers how to find a plan's latest review when
the apps are ready, and progress asks through :func:`latest_midterm`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_lookup: Callable[[int], Any] | None = None


def latest_midterm_register(lookup: Callable[[int], Any]) -> None:
    """``lookup(plan_id)`` returns the plan's latest midterm snapshot, or None."""
    global _lookup
    _lookup = lookup


def latest_midterm(plan_id: int) -> Any:
    """The plan's latest midterm snapshot, or None (also when evaluation is not installed)."""
    return _lookup(plan_id) if _lookup is not None else None
