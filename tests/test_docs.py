"""Docs stay true (Datasette's test_docs style): every permission, setting and command is documented."""

import re
from pathlib import Path

from sasaeai.accounts.permissions import PERMISSIONS, ROLE_PERMISSIONS
from sasaeai.core.audit import ACTION_LABELS

ROOT = Path(__file__).resolve().parents[1]


def read(name):
    return (ROOT / name).read_text(encoding="utf-8")


def test_every_permission_and_role_is_documented():
    doc = read("docs/permissions.md")
    for name in PERMISSIONS:
        assert f"`{name}`" in doc, name
    for role, perms in ROLE_PERMISSIONS.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{role.value}`"))
        if perms != frozenset(PERMISSIONS):
            assert set(re.findall(r"`([a-z]+\.[a-z_]+)`", row)) == set(perms), role


def test_architecture_counts_the_permissions_and_roles_the_code_has():
    doc = read("docs/architecture.md")
    stated = re.findall(r"there are (\d+) permissions", doc)
    assert stated == [str(len(PERMISSIONS))], stated
    roles = re.findall(r"the\s+(\d+) roles\s+\(([^)]*)\)", doc)
    assert len(roles) == 1 and roles[0][0] == str(len(ROLE_PERMISSIONS)), roles
    assert set(re.findall(r"[a-z]+", roles[0][1])) == {role.value for role in ROLE_PERMISSIONS}


def test_every_permission_module_and_ownership_rule_is_documented():
    doc = read("docs/permissions.md")
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "sasaeai").glob("*/permissions.py"))
    assert "sasaeai/progress/permissions.py" in modules and len(modules) >= 6
    for module in modules:
        assert f"`{module}`" in doc, module
    ownership = doc.split("## Who owns an item", 1)[1]
    for name in PERMISSIONS:
        if name.endswith("_own"):
            assert f"`{name}`" in ownership, name


def test_every_environment_variable_is_documented():
    doc = read("docs/operations.md")
    used = set()
    for path in (ROOT / "config").rglob("*.py"):
        used |= set(re.findall(r'os\.environ(?:\.get)?[\[(]"([A-Z_]+)"', path.read_text(encoding="utf-8")))
    assert used, "no settings found"
    for name in used:
        assert f"`{name}`" in doc, name


def test_readme_quick_start_is_two_commands():
    readme = read("README.md")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_every_audit_action_has_a_japanese_label():
    code = "".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "sasaeai").rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )
    found = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', code)) | set(
        re.findall(r'"action": "([a-z_]+\.[a-z_]+)"', code)
    )
    assert {"plan.create", "evaluation.submit", "year.close"} <= found  # the scan reads the services
    for action in found:
        assert action in ACTION_LABELS, action
        assert re.search(r"[ぁ-んァ-ン一-龥]", ACTION_LABELS[action])


def test_docs_link_targets_exist():
    readme = read("README.md")
    for target in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / target).exists(), target


def _python_paths_named_in_docs():
    for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        text = doc.read_text(encoding="utf-8")
        for token in re.findall(r"`([A-Za-z0-9_./{},-]+\.py)`", text):
            yield doc.name, token


def test_every_python_file_the_docs_name_exists():
    """A module moved or renamed without its docs fails here (names may be relative to an app)."""
    files = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.py") if ".venv" not in p.parts]
    named = list(_python_paths_named_in_docs())
    assert len(named) > 20  # the scan reads the docs
    missing = []
    for doc, token in named:
        if "{" in token:
            continue
        if not any(f == token or f.endswith("/" + token) for f in files):
            missing.append(f"{doc}: {token}")
    assert not missing, "docs name files that do not exist:\n" + "\n".join(missing)


PRODUCTION_SECTIONS = ("Deployment", "Backup", "Reminders (cron)")


def _sections(doc):
    """Top-level (##) sections of a Markdown document by heading, sub-sections included."""
    parts = re.split(r"^## (.+)$", doc, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_manage_py_command_run_in_production_names_the_production_settings():
    """`manage.py` alone reads config.settings.base: a development key and a new, empty db.sqlite3."""
    sections = _sections(read("docs/operations.md"))
    commands = []
    for name in PRODUCTION_SECTIONS:
        text = sections[name]
        for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.M | re.S):
            commands += [line for line in block.splitlines() if "manage.py" in line]
        commands += re.findall(r"`([^`\n]*python manage\.py[^`\n]*)`", text)
    assert any("send_reminders" in c for c in commands) and len(commands) >= 5, commands
    wrong = [c for c in commands if "DJANGO_SETTINGS_MODULE=config.settings.production" not in c]
    assert not wrong, "production commands without the production settings:\n" + "\n".join(wrong)
