"""Who may do what with council-wide things: the audit log, the council's own details, its members' sign-in.

The permission names only; the role map is in ``accounts.permissions``.
"""

from __future__ import annotations

from sasaeai.accounts.permissions import permission

AUDIT_VIEW = permission("audit.view")
COUNCILS_MANAGE = permission("councils.manage")
COUNCILS_CREATE = permission("councils.create")
# Unlock a member's sign-in and reset their two-step setting (accounts.views.account).
ACCOUNTS_SECURITY = permission("accounts.security")
