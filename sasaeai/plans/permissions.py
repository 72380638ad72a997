"""Who may do what with plans: the app's permission names (the role map is in ``accounts.permissions``).

Every plan rule is a plain role permission in the plan's council; no plan rule depends on the
object beyond its council, which ``selectors.plan_get_for_user`` checks.
"""

from __future__ import annotations

from sasaeai.accounts.permissions import permission

VIEW = permission("plans.view")
EXPORT = permission("plans.export")
CREATE = permission("plans.create")
EDIT = permission("plans.edit")
IMPORT = permission("plans.import")
DELETE = permission("plans.delete")
