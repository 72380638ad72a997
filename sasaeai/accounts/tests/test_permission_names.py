"""Every role × every permission, in the council, below it and elsewhere, from a grid written by hand;
and permission names are checked wherever code names one (modules, decorators, templates)."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from sasaeai.accounts.decorators import council_permission, permissions_for, plan_permission
from sasaeai.accounts.permissions import PERMISSIONS, holds, permission

SASAEAI = Path(__file__).resolve().parents[2]

ROLES = ("admin", "editor", "viewer", "leader", "reporter", "committee", "outsider", "nobody")

# Y: the user holds the permission in council a (and in its child council, through the membership
# above it). "outsider" is an admin of council b: nothing in a, everything an admin has in b.
GRID = """
permission                 admin editor viewer leader reporter committee outsider nobody
plans.view                   Y     Y      Y      Y       Y        Y        N       N
plans.export                 Y     Y      Y      Y       N        N        N       N
plans.create                 Y     Y      N      N       N        N        N       N
plans.edit                   Y     Y      N      N       N        N        N       N
plans.import                 Y     Y      N      N       N        N        N       N
plans.delete                 Y     N      N      N       N        N        N       N
audit.view                   Y     Y      N      N       N        N        N       N
councils.manage              Y     N      N      N       N        N        N       N
councils.create              Y     N      N      N       N        N        N       N
members.manage               Y     N      N      N       N        N        N       N
accounts.security            Y     N      N      N       N        N        N       N
progress.view                Y     Y      Y      Y       Y        Y        N       N
progress.manage              Y     Y      N      N       N        N        N       N
progress.report              Y     Y      N      N       N        N        N       N
progress.report_own          N     N      N      Y       Y        N        N       N
progress.attachments         Y     Y      Y      Y       Y        N        N       N
evaluation.view              Y     Y      Y      Y       Y        N        N       N
evaluation.view_internal     N     N      N      N       N        Y        N       N
evaluation.self              Y     Y      N      N       N        N        N       N
evaluation.self_own          N     N      N      Y       Y        N        N       N
evaluation.review            Y     Y      N      N       N        N        N       N
evaluation.review_own        N     N      N      Y       N        N        N       N
evaluation.internal          Y     Y      N      N       N        N        N       N
evaluation.external          Y     N      N      N       N        Y        N       N
evaluation.opinion           Y     N      N      N       N        Y        N       N
evaluation.final             Y     Y      N      N       N        N        N       N
evaluation.reopen            Y     N      N      N       N        N        N       N
evaluation.settings          Y     N      N      N       N        N        N       N
evaluation.close_year        Y     Y      N      N       N        N        N       N
evaluation.midterm           Y     Y      N      N       N        N        N       N
evaluation.export            Y     Y      Y      Y       N        N        N       N
participation.view           Y     Y      Y      Y       N        Y        N       N
participation.manage         Y     Y      N      N       N        N        N       N
participation.comments       Y     Y      N      N       N        N        N       N
participation.materials      Y     Y      Y      Y       N        N        N       N
publishing.publish           Y     Y      N      N       N        N        N       N
publishing.settings          Y     N      N      N       N        N        N       N
"""


def _grid():
    lines = [line.split() for line in GRID.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[1:]) == ROLES
    return {row[0]: dict(zip(ROLES, (cell == "Y" for cell in row[1:]), strict=True)) for row in rows}


def test_the_grid_names_every_permission_once():
    names = [line.split()[0] for line in GRID.strip().splitlines()[1:]]
    assert len(names) == len(set(names))
    assert set(names) == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_holds_exactly_the_permissions_of_the_grid(users, councils, role):
    user = users[role]
    grid = _grid()
    for where in ("a", "a_child"):
        perms = permissions_for(user, councils[where].pk)
        assert {name: holds(perms, name) for name in PERMISSIONS} == {name: grid[name][role] for name in grid}, where
    in_b = permissions_for(user, councils["b"].pk)
    assert {name: holds(in_b, name) for name in PERMISSIONS} == {
        name: role == "outsider" and grid[name]["admin"] for name in grid
    }


def test_an_unknown_name_is_refused_in_code_and_in_templates():
    with pytest.raises(ValueError, match=r"plans\.edti"):
        permission("plans.edti")
    with pytest.raises(ValueError):
        holds({"plans.edit"}, "plans.edti")
    assert holds({"plans.edit"}, "plans.edit") and not holds(None, "plans.edit")
    with pytest.raises(ValueError, match=r"plans\.edti"):
        plan_permission("plans.edti")
    with pytest.raises(ValueError, match=r"evaluation\.veiw"):
        council_permission(("plans.view", "evaluation.veiw"))
    assert plan_permission("plans.edit") and council_permission(("plans.view", "evaluation.view"))
    good = Template('{% load sasaeai %}{% if perms|has_perm_here:"plans.edit" %}yes{% endif %}')
    assert good.render(Context({"perms": frozenset({"plans.edit"})})) == "yes"
    assert good.render(Context({"perms": frozenset()})) == ""
    typo = Template('{% load sasaeai %}{% if perms|has_perm_here:"plans.edti" %}yes{% endif %}')
    with pytest.raises(ValueError):
        typo.render(Context({"perms": frozenset({"plans.edit"})}))


def _sources(pattern):
    for path in sorted(SASAEAI.rglob(pattern)):
        if "tests" not in path.parts and "migrations" not in path.parts:
            yield path, path.read_text(encoding="utf-8")


def test_every_permission_named_in_a_template_exists():
    seen = set()
    for path, text in _sources("*.html"):
        for name in re.findall(r'has_perm_here:"([^"]*)"', text):
            assert name in PERMISSIONS, f"{path.relative_to(SASAEAI)}: {name}"
            seen.add(name)
        # a name given any other way (a variable, single quotes) could not be checked here
        assert not re.search(r"has_perm_here:(?!\")", text), path
    assert {"plans.edit", "progress.manage"} <= seen  # the scan reads the templates


APPS = ("plans", "progress", "evaluation", "participation", "core")
INLINE_CHECK = re.compile(
    r"""["'](?:{})\.[a-z_]+["']\s+(?:not\s+)?in\b""".format("|".join((*APPS, "audit", "councils", "members")))
)


def test_code_checks_permissions_by_checked_names_not_inline_strings():
    offenders = []
    for path, text in _sources("*.py"):
        for number, line in enumerate(text.splitlines(), start=1):
            if INLINE_CHECK.search(line):
                offenders.append(f"{path.relative_to(SASAEAI)}:{number}: {line.strip()}")
    assert offenders == []


def test_each_app_names_its_permissions_in_its_permissions_module():
    from sasaeai.accounts import permissions as accounts
    from sasaeai.core import permissions as core
    from sasaeai.evaluation import permissions as evaluation
    from sasaeai.participation import permissions as participation
    from sasaeai.plans import permissions as plans
    from sasaeai.progress import permissions as progress
    from sasaeai.publishing import permissions as publishing

    named = set()
    for module in (accounts, core, plans, progress, evaluation, participation, publishing):
        named |= {value for key, value in vars(module).items() if key.isupper() and isinstance(value, str)}
    assert named == set(PERMISSIONS)
