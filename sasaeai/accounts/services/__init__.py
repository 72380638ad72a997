"""Writes to people: ``members`` (invitations, sign-in sheets, roles, suspension, new councils with their
first admin) and ``account`` (a person's own account and its sign-in security). Each write is audited."""
