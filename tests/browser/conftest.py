"""Playwright in Debian's Chromium. A missing browser fails the run; it is never skipped."""

import io
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SASAEAI_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are plain synchronous calls, so Django's async guard is lifted here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (installs Debian's chromium).")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_site(live_server, transactional_db):
    from django.core.management import call_command

    call_command("demo", stdout=io.StringIO())
    return live_server.url


def login(page, base, username="demo", password="sasaeai-demo"):
    page.goto(base + "/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    # people land where their work is (home, わたしの担当, an evaluation): anywhere but the sign-in page
    page.wait_for_url(lambda url: url.startswith(base) and "/login/" not in url)
