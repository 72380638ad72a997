"""Who may do what with council-wide things: the audit log and the council's own details.

The permission names only; the role map is in ``accounts.permissions``.
"""

from __future__ import annotations

from sasaeai.accounts.permissions import permission

AUDIT_VIEW = permission("audit.view")
COUNCILS_MANAGE = permission("councils.manage")
COUNCILS_CREATE = permission("councils.create")
