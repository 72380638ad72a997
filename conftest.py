"""Shared fixtures: two council trees, one user per role in each, and plan factories."""

import os

import pytest

# Hypothesis writes an example database by default; keep it out of the work tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", "/tmp/sasaeai-hypothesis")


@pytest.fixture
def councils(db):
    from sasaeai.core.services import council_create

    a = council_create(name="テスト市社会福祉協議会", kind="municipal")
    a_child = council_create(name="テスト区社会福祉協議会", kind="ward", parent=a)
    b = council_create(name="よそ市社会福祉協議会", kind="municipal")
    return {"a": a, "a_child": a_child, "b": b}


@pytest.fixture
def make_user(db):
    from sasaeai.accounts.models import Membership, User

    def make(username, role=None, council=None):
        user = User.objects.create_user(username=username, password="pw-for-tests-123")
        if role:
            Membership.objects.create(user=user, council=council, role=role)
        return user

    return make


@pytest.fixture
def users(councils, make_user):
    return {
        "admin": make_user("admin_a", "admin", councils["a"]),
        "editor": make_user("editor_a", "editor", councils["a"]),
        "viewer": make_user("viewer_a", "viewer", councils["a"]),
        "leader": make_user("role_leader_a", "leader", councils["a"]),
        "reporter": make_user("role_reporter_a", "reporter", councils["a"]),
        "committee": make_user("committee_a", "committee", councils["a"]),
        "outsider": make_user("admin_b", "admin", councils["b"]),
        "nobody": make_user("nobody"),
    }


@pytest.fixture
def small_plan(councils):
    from sasaeai.demo.generator import create_plan

    return create_plan(council=councils["a"], nodes=10, issues=3, title="小さな計画")


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def evaluated_plan(councils):
    """A running plan (2 goals × 3 projects, FY2026–2030) with the council's evaluation lists set up."""
    from sasaeai.demo.generator import create_running_plan
    from sasaeai.evaluation.services import evaluation_setup

    plan = create_running_plan(
        council=councils["a"], projects=6, goals=2, indicators=2, years=5, start=2026, title="評価する計画"
    )
    evaluation_setup(councils["a"])
    return plan


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failed run: a test that cannot run there has not passed."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        if reporter is not None:
            reporter.write_line(f"CI: {skipped} test(s) skipped; a skipped test fails the run.", red=True)
        session.exitstatus = 1
