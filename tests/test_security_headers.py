"""The strict Content-Security-Policy holds on every page, and production settings pass `check --deploy`.

The policy (config/settings/base.py) allows styles and scripts only from the site's own static files,
so a page with an inline ``style=`` attribute, a ``<style>`` element, an inline ``<script>`` or an
``on…=`` handler would break in the browser. The crawl below opens every page it can reach from the
home page as the demo's council administrator and checks each one.
"""

import io
import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[1]
SKIP = re.compile(r"/(logout|favicon\.ico)|\.(xlsx|pdf|docx|csv|yaml|zip|png|jpg|svg|ico|css|js)$|/download/|/export/")
MAX_PAGES = 300
PER_KIND = 2  # pages whose addresses differ only in their numbers are one kind: open two of each


def _kind(url):
    parts = urlsplit(url)
    path = re.sub(r"^/public/(surveys|comment)/[^/]+/", r"/public/\1/{key}/", parts.path)
    return re.sub(r"\d+", "N", path), tuple(sorted(re.findall(r"([^&=?]+)=", parts.query)))


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.problems = [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            elif name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            elif name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        if tag == "a" and names.get("href"):
            self.links.append(names["href"])


def _check(html):
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def demo(db):
    call_command("demo", stdout=io.StringIO())


def test_every_reachable_page_has_no_inline_style_or_script_and_sends_the_policy(demo, client):
    from sasaeai.accounts.models import User
    from sasaeai.evaluation.midterm import snapshot_take
    from sasaeai.participation.models import PublicCommentPeriod, Questionnaire
    from sasaeai.participation.services import comments as comment_services
    from sasaeai.participation.services import surveys as survey_services
    from sasaeai.plans.models import Plan

    demo_user = User.objects.get(username="demo")
    client.force_login(demo_user)
    plan = Plan.objects.filter(nodes__progress_reports__isnull=False).distinct().order_by("pk").first()
    snapshot = snapshot_take(plan=plan, by=demo_user, title="中間評価")
    today = timezone.localdate()
    comment_services.period_save(
        plan=plan, by=demo_user, title="素案への意見", opens_on=today, closes_on=today + timedelta(days=30)
    )
    for questionnaire in Questionnaire.objects.filter(questions__isnull=False).distinct():
        survey_services.questionnaire_set_status(
            questionnaire=questionnaire, status=Questionnaire.Status.OPEN, by=demo_user
        )
    start = [
        "/",
        "/login/",
        f"/plans/{plan.pk}/midterm/{snapshot.pk}/",
        f"/plans/{plan.pk}/midterm/{snapshot.pk}/compare/",
    ]
    start += [
        f"/public/surveys/{key}/"
        for key in Questionnaire.objects.exclude(public_key__in=["", None]).values_list("public_key", flat=True)
    ]
    start += [f"/public/comment/{key}/" for key in PublicCommentPeriod.objects.values_list("public_key", flat=True)]
    seen, kinds, queue, problems, checked = set(), {}, start, [], 0
    while queue and checked < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or kinds.get(_kind(url), 0) >= PER_KIND:
            continue
        seen.add(url)
        kinds[_kind(url)] = kinds.get(_kind(url), 0) + 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        policy = response.get("Content-Security-Policy", "")
        assert "style-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "unsafe-inline" not in policy
        page = _check(response.content.decode())
        problems += [f"{url}: {p}" for p in page.problems]
        for href in page.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if href.startswith("/") and not parts.netloc and not SKIP.search(parts.path) and href not in seen:
                queue.append(href)
    assert checked > 60, checked  # the crawl reached the plans, progress, evaluation and participation pages
    reached = {kind[0] for kind in kinds}
    for path in (
        "/plans/N/structure/",
        "/plans/N/dashboard/",
        "/plans/N/progress/",
        "/plans/N/evaluation/",
        "/plans/N/midterm/N/",
        "/public/comment/{key}/",
        "/public/surveys/{key}/",
    ):
        assert path in reached, path
    assert not problems, "\n".join(problems[:50])


def test_the_policy_is_the_strict_one(client, db):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def test_security_headers_are_sent(client, db):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_checker_sees_inline_styles_and_scripts():
    page = _check('<p style="color:red">x</p><style>p{}</style><script>alert(1)</script><a onclick="x">y</a>')
    assert len(page.problems) == 4
    assert not _check('<script src="/static/sasaeai/print.js" defer></script><svg><rect fill="#fff"/></svg>').problems


# --------------------------------------------------------------------------- production settings


def _production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SASAEAI_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SASAEAI_SECRET_KEY=secrets.token_urlsafe(50),
        SASAEAI_ALLOWED_HOSTS="sasaeai.example.jp",
        DATABASE_URL="postgres://sasaeai:pw@db.invalid:5432/sasaeai",
        SASAEAI_BASE_URL="https://sasaeai.example.jp",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "switches",
    [
        {},
        {"SASAEAI_TLS_PROXY": "1", "SASAEAI_SSL_REDIRECT": "0"},
        {"SASAEAI_HSTS_PRELOAD": "1", "SASAEAI_HSTS_SECONDS": "63072000"},
    ],
)
def test_production_settings_pass_check_deploy_with_no_issue(switches):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **switches)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def _settings(**env):
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    ]
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_production_env(**env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_is_on_by_default_and_each_switch_works():
    assert _settings() == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }
    proxied = _settings(SASAEAI_TLS_PROXY="1", SASAEAI_SSL_REDIRECT="0", SASAEAI_HSTS_INCLUDE_SUBDOMAINS="0")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (proxied["SECURE_SSL_REDIRECT"], proxied["SECURE_HSTS_INCLUDE_SUBDOMAINS"]) == (False, False)
    assert _settings(SASAEAI_HSTS_SECONDS="3600", SASAEAI_HSTS_PRELOAD="1")["SECURE_HSTS_SECONDS"] == 3600


@pytest.mark.parametrize("missing", ["SASAEAI_SECRET_KEY", "DATABASE_URL", "SASAEAI_BASE_URL"])
def test_production_settings_refuse_to_start_without_a_required_variable(missing):
    result = _manage("check", **{missing: None})
    assert result.returncode != 0
    assert f"環境変数 {missing} が設定されていません" in result.stderr
    assert f"The environment variable {missing} is required" in result.stderr


def test_production_settings_refuse_a_base_url_that_is_not_https():
    """Links in e-mails and on printed sign-in sheets start with it; the development default must not do."""
    result = _manage("check", SASAEAI_BASE_URL="http://127.0.0.1:8000")
    assert result.returncode != 0 and "SASAEAI_BASE_URL は https://" in result.stderr


def test_production_settings_never_fall_back_to_a_new_sqlite_file():
    result = _manage("check", DATABASE_URL="")
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr
