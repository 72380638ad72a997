"""The layout docs/architecture.md describes holds in the code: one shape per app, and the
dependencies between apps go one way."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = sorted(p.parent.name for p in (ROOT / "sasaeai").glob("*/apps.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def code_files(app: str) -> list[Path]:
    return [p for p in (ROOT / "sasaeai" / app).rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]


def test_apps_are_found():
    assert {"core", "accounts", "plans", "progress", "evaluation", "participation", "publishing", "demo"} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_one_urls_module_and_views_in_one_place(app):
    folder = ROOT / "sasaeai" / app
    assert not list(folder.glob("urls_*.py")), "one urls.py per app"
    assert not list(folder.glob("views_*.py")), "views live in views.py or the views/ package"
    assert not ((folder / "views.py").exists() and (folder / "views").is_dir())


@pytest.mark.parametrize(
    "lower, upper",
    [
        ("core", "plans"),
        ("core", "progress"),
        ("core", "evaluation"),
        ("core", "participation"),
        ("plans", "progress"),
        ("plans", "evaluation"),
        ("plans", "participation"),
        ("progress", "evaluation"),
        ("progress", "participation"),
        # publishing reads every app's published facts; none of them imports the public site
        ("core", "publishing"),
        ("plans", "publishing"),
        ("progress", "publishing"),
        ("evaluation", "publishing"),
        ("participation", "publishing"),
    ],
)
def test_dependencies_go_one_way(lower, upper):
    """A lower app never imports a higher one (evaluation registers what progress needs of it). The
    home and council pages (core's views and their selectors) bring the apps together, so they may.
    Every app, core included, reads the one role → permission map in accounts.permissions."""
    composing = {"views.py", "selectors.py"} if lower == "core" else set()
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in code_files(lower)
        if path.name not in composing
        for module in imported_modules(path)
        if module == f"sasaeai.{upper}" or module.startswith(f"sasaeai.{upper}.")
    )
    assert not offenders, f"{lower} imports {upper}:\n" + "\n".join(offenders)


def test_no_app_imports_the_benchmarks():
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in code_files(app)
        if any(m == "bench" or m.startswith("bench.") for m in imported_modules(path))
    ]
    assert not offenders
