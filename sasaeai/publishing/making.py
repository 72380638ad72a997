"""How the plan was made, for the public plan page: counts and themes, never a person.

(Filled in by the public-site work: formulation timeline, survey figures, voices → issue → goal thread,
public comment periods and their published results.)
"""

from __future__ import annotations

from typing import Any

from sasaeai.plans.models import Plan


def build(plan: Plan) -> dict[str, Any]:
    return {}
