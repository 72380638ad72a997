"""Who may do what in participation (策定): the app's permission names.

The role map is in ``accounts.permissions``. Public comment pages for residents need no
permission; the staff side needs ``participation.comments``, which also shows a commenter's name
and contact (``participation.view`` never does). Downloads: the survey workbook (every free answer
with the respondent's attributes) needs ``participation.manage``; committee materials need
``participation.materials``. A committee member (評価委員) has neither.
"""

from __future__ import annotations

from sasaeai.accounts.permissions import permission

VIEW = permission("participation.view")
MANAGE = permission("participation.manage")
COMMENTS = permission("participation.comments")
MATERIALS = permission("participation.materials")  # committee materials (not 評価委員)
