"""Who may do what with the public site: the app's permission names (the role map is in ``accounts.permissions``).

Publishing is a council-wide decision: no rule depends on an object beyond its council. The public pages
themselves need no permission; they read only published copies (``selectors``).
"""

from __future__ import annotations

from sasaeai.accounts.permissions import permission

PUBLISH = permission("publishing.publish")
SETTINGS = permission("publishing.settings")
