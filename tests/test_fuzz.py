"""Fuzz: no input ends in a 500.

Every URL pattern of the project (found by walking the URL resolver, reversed with the ids of a plan
holding data of every kind) is opened as every role and anonymously; every form on the page (found by
parsing the HTML: inputs, selects, textareas, file inputs, submit buttons) is then sent with some of its
values replaced by hostile ones: oversized text, impossible dates, numbers too large, NUL characters,
emoji, negative ids, lists where one value is expected, missing fields, and random bytes as uploads.
Filter forms (method="get") get the same treatment in the query string, and every URL also gets one
blind POST of common field names (for endpoints only scripts call). Each request runs in a savepoint
that is rolled back, so every request meets the same data and deletes cannot hide later pages.

Bounded and deterministic: the values come from ``random.Random`` seeded per URL, role and round.
``SASAEAI_FUZZ_ROUNDS`` (default 2) sets the posts per form for the roles that see the form,
``SASAEAI_FUZZ_SEED`` the seed. Every 500 is collected and reported together at the end.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

SEED = int(os.environ.get("SASAEAI_FUZZ_SEED", "20261202"))
ROUNDS = int(os.environ.get("SASAEAI_FUZZ_ROUNDS", "2"))
ROLES = ["admin", "editor", "leader", "reporter", "viewer", "committee", "outsider", "nobody", None]
# Not ours to fuzz (Django's own admin site, staff only) or ending the session the fuzz runs in.
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"logout", "accounts:sign_out_everywhere"}  # they end the session the run signs in with
BIG = 100_000

HOSTILE_TEXT = [
    "",
    " ",
    "x" * BIG,
    "あ" * BIG,
    "\x00",
    "a\x00b",
    "😀" * 50,
    "👨‍👩‍👧‍👦🏳️‍🌈",
    "\u202etxt.exe",
    "\r\n" * 500,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{ 7|add:7 }}",
    "%s%n%x",
    "../../etc/passwd",
    "null",
    "[]",
    "{}",
    "true",
    "ｱｲｳ１２３",
    "令和元年度",
    "R99",
    "平成99年度",
]
HOSTILE_NUMBERS = [
    "-1",
    "0",
    "1e999",
    "-1e999",
    "NaN",
    "inf",
    "1.5",
    "9" * 40,
    "-9223372036854775809",
    "2147483648",
    "９９",
    "0x10",
    "1,000",
    "٣",
]
HOSTILE_DATES = [
    "0202-13-45",
    "0202-04-01",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "1868-09-07",
    "2201-01-01",
    "令和8年4月1日",
    "2026/04/01",
    "20260401",
]
FILE_NAMES = [
    "data.xlsx",
    "answers.csv",
    "plan.yaml",
    "資料.pdf",
    "photo.png",
    "x.docx",
    "noext",
    "a" * 300 + ".csv",
    "../../evil.csv",
    "nul\x00.csv",
]
FILE_HEADS = [
    b"",
    b"PK\x03\x04",
    b"%PDF-1.4\n",
    b"\x89PNG\r\n\x1a\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"title: x\n",
    "回答者番号,Q1\n".encode("cp932"),
]
QUERY_PARAMS = [
    "year",
    "period",
    "page",
    "q",
    "goal",
    "level",
    "scope",
    "parent",
    "with",
    "group",
    "question",
    "attribute",
    "kind",
    "session",
    "threshold",
    "plan",
    "format",
    "section",
    "status",
    "only",
    "tag",
    "issue",
    "node",
    "source",
    "reflection",
    "stage",
    "next",
]
BLIND_FIELDS = [
    "title",
    "name",
    "text",
    "action",
    "version",
    "position",
    "parent",
    "up",
    "tags",
    "new_tags",
    "status",
    "id",
    "value",
    "confirm_title",
    "year",
    "period",
    "delete",
    "reason",
    "file",
]


# --------------------------------------------------------------------------- HTML forms


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → kind, values, options
    submits: list[tuple[str, str]] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def _field(self, name: str, kind: str) -> dict[str, Any]:
        assert self._form is not None
        return self._form.fields.setdefault(name, {"kind": kind, "values": [], "options": []})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name", "")
        if tag in ("input", "button"):
            self._start_input(tag, name, a)
        elif tag == "select" and name:
            self._select = name
            self._field(name, "select")
        elif tag == "option" and self._select:
            entry = self._form.fields[self._select]
            entry["options"].append(a.get("value", ""))
            if "selected" in a:
                entry["values"].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._field(name, "textarea")["values"] = [""]

    def _start_input(self, tag: str, name: str, a: dict[str, str]) -> None:
        assert self._form is not None
        kind = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
        if kind in ("submit", "image"):
            if name:
                self._form.submits.append((name, a.get("value", "")))
        elif kind == "button" or not name:
            return
        elif kind in ("checkbox", "radio"):
            entry = self._field(name, kind)
            entry["options"].append(a.get("value", "on"))
            if "checked" in a:
                entry["values"].append(a.get("value", "on"))
        else:
            self._field(name, kind)["values"] = [a.get("value", "")]

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea]["values"][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return [f for f in parser.forms if f.fields or f.submits]


def base_values(form: Form) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, entry in form.fields.items():
        if entry["kind"] == "file":
            continue
        if entry["kind"] == "select" and not entry["values"] and entry["options"]:
            data[name] = entry["options"][:1]
        elif entry["values"]:
            data[name] = list(entry["values"])
    return data


def hostile(rng: random.Random, entry: dict[str, Any]) -> Any:
    value = _hostile(rng, entry)
    if isinstance(value, str) and rng.random() < 0.15:  # a NUL hidden inside an otherwise ordinary value
        cut = rng.randint(0, len(value))
        value = value[:cut] + "\x00" + value[cut:]
    return value


def _hostile(rng: random.Random, entry: dict[str, Any]) -> Any:
    kind = entry["kind"]
    if kind == "file":
        body = rng.choice(FILE_HEADS) + rng.randbytes(rng.choice([0, 10, 3000]))
        return SimpleUploadedFile(rng.choice(FILE_NAMES).replace("\x00", ""), body)
    roll = rng.random()
    if roll < 0.15:
        return [rng.choice(HOSTILE_TEXT + HOSTILE_NUMBERS) for _ in range(rng.randint(2, 3))]  # a list
    if kind == "date" or (roll < 0.3 and kind in ("text", "hidden")):
        return rng.choice(HOSTILE_DATES + HOSTILE_NUMBERS)
    if kind in ("number", "hidden", "select", "radio", "checkbox") and roll < 0.75:
        if entry["options"] and roll < 0.4:
            return rng.choice(entry["options"])
        return rng.choice([*HOSTILE_NUMBERS, "999999999", "-5"])
    return rng.choice(HOSTILE_TEXT + HOSTILE_NUMBERS + HOSTILE_DATES)


def mutate(rng: random.Random, form: Form, only: str | None = None) -> dict[str, Any]:
    """The form's own values with some (or ``only`` one) replaced by hostile ones."""
    data: dict[str, Any] = base_values(form)
    names = list(form.fields)
    chosen = [only] if only is not None else (rng.sample(names, k=rng.randint(1, len(names))) if names else [])
    for name in chosen:
        if rng.random() < 0.1:
            data.pop(name, None)  # missing altogether
        else:
            data[name] = hostile(rng, form.fields[name])
    if form.submits:
        submit_name, submit_value = rng.choice(form.submits)
        data[submit_name] = submit_value
    if only is None and rng.random() < 0.2:  # a forged extra field, e.g. a formset row never offered
        data[rng.choice(["id", "form-0-id", "statuses-0-id", "members-0-id", "delete", "pk"])] = rng.choice(
            ["-1", "999999999", "1"]
        )
    return data


# --------------------------------------------------------------------------- the data and the URLs


@pytest.fixture
def world(evaluated_plan: Any, users: dict[str, Any], councils: dict[str, Any], settings: Any) -> dict[str, Any]:
    """One plan with data of every kind, and the URL keyword arguments that reach it."""
    from sasaeai.evaluation import midterm
    from sasaeai.evaluation import services as evaluation_services
    from sasaeai.evaluation.models import Grade
    from sasaeai.participation.models import Question, Response
    from sasaeai.participation.services import comments, surveys
    from sasaeai.participation.services import committees as committee_services
    from sasaeai.participation.services import voices as voice_services
    from sasaeai.plans import services as plan_services
    from sasaeai.progress import services as progress_services
    from sasaeai.progress.models import Indicator, ProgressReport

    settings.SASAEAI_COMMENT_MIN_SECONDS = 0
    settings.SASAEAI_COMMENT_RATE_LIMITS = ()
    settings.SASAEAI_SURVEY_RATE_LIMIT = 10**6
    plan, admin, editor = evaluated_plan, users["admin"], users["editor"]
    type(plan).objects.filter(pk=plan.pk).update(midterm_review_year=2028)  # every plan field filled in
    plan.refresh_from_db()
    council = plan.council
    node = plan.nodes.filter(parent__isnull=False).order_by("pk").first()
    indicator = Indicator.objects.filter(node=node).order_by("pk").first()
    progress_services.indicator_update(indicator=indicator, by=editor, name=indicator.name + "（改）")
    from sasaeai.core.models import AuditEntry

    entry = AuditEntry.objects.filter(action="indicator.update").latest("pk")
    report = ProgressReport.objects.filter(node=node).order_by("pk").first()
    attachment = progress_services.attachment_add(
        report=report,
        by=editor,
        upload=SimpleUploadedFile("報告.pdf", b"%PDF-1.4\n% fuzz\n"),
        content_type="application/pdf",
        name="報告.pdf",
    )
    issue = plan_services.issue_create(plan=plan, by=editor, code="1", title="移動の手段がない")
    group = progress_services.working_group_save(plan=plan, by=editor, name="目標1 WG", nodes=[node])
    meeting = progress_services.meeting_save(
        plan=plan, by=editor, title="第1回 推進会議", held_on=timezone.localdate(), working_group=group
    )
    progress_services.annual_plan_save(node=node, fiscal_year=2026, by=editor, content="講座を開く")
    evaluation_services.stage_save(
        node=node,
        fiscal_year=2026,
        stage="self",
        by=editor,
        submit=True,
        grade=Grade.objects.filter(scale__council=council).first(),
        results="順調",
    )
    evaluation_services.opinion_save(plan=plan, fiscal_year=2026, by=users["committee"], text="順調である")
    snapshot = midterm.snapshot_take(plan=plan, by=editor, title="中間評価", fiscal_year=2027)
    session = voice_services.session_save(plan=plan, by=editor, title="地区座談会", held_on=timezone.localdate())
    voice = voice_services.voice_save(
        plan=plan, by=editor, text="サロンを増やしてほしい", session=session, issues=[issue]
    )
    committee = committee_services.committee_save(
        council=council, by=editor, kind="evaluation", name="評価委員会", plan=plan
    )
    committee_services.committee_members_save(
        committee=committee,
        by=editor,
        rows=[{"name": "山田 花子", "role": "chair", "user": users["committee"]}, {"name": "佐藤 一郎"}],
    )
    committee_meeting = committee_services.committee_meeting_save(
        committee=committee, by=editor, number=1, held_on=timezone.localdate()
    )
    material = committee_services.meeting_material_add(
        meeting=committee_meeting, by=editor, upload=SimpleUploadedFile("資料.pdf", b"%PDF-1.4\n% fuzz\n")
    )
    survey = surveys.questionnaire_create(plan=plan, by=admin, title="住民アンケート")
    surveys.question_save(
        questionnaire=survey,
        by=admin,
        code="年代",
        text="年代",
        kind="single",
        is_attribute=True,
        choices=[("1", "若い"), ("2", "高齢")],
    )
    text_question = surveys.question_save(
        questionnaire=survey, by=admin, code="Q1", text="ご意見", kind="text", max_length=200
    )
    surveys.question_save(questionnaire=survey, by=admin, code="Q2", text="人数", kind="number")
    response = Response.objects.create(questionnaire=survey, respondent="1", answers={"年代": "1", "Q1": "サロン"})
    survey = surveys.questionnaire_set_status(questionnaire=survey, status="open", by=admin)
    today = timezone.localdate()
    period = comments.period_save(
        plan=plan,
        by=editor,
        title="素案へのご意見募集",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=10),
    )
    comment = comments.comment_submit(period=period, text="サロンを増やしてほしい", client="fuzz")
    assert Question.objects.filter(questionnaire=survey).count() == 3
    from sasaeai.accounts.services import members as account_services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    issued = account_services.invitation_create(council=council, role="viewer", by=admin, email="fuzz@example.jp")
    from sasaeai.publishing import services as publishing

    site = publishing.site_update(council=council, slug="fuzz", is_open=True, by=admin)
    publishing.publication_publish(plan=plan, part="structure", by=admin)
    publishing.publication_publish(plan=plan, part="progress", fiscal_year=2026, by=admin)
    common = {
        "plan_id": plan.pk,
        "council_id": council.pk,
        "node_id": node.pk,
        "indicator_id": indicator.pk,
        "issue_id": issue.pk,
        "group_id": group.pk,
        "entry_id": entry.pk,
        "attachment_id": attachment.pk,
        "snapshot_id": snapshot.pk,
        "session_id": session.pk,
        "voice_id": voice.pk,
        "committee_id": committee.pk,
        "material_id": material.pk,
        "questionnaire_id": survey.pk,
        "question_id": text_question.pk,
        "response_id": response.pk,
        "period_id": period.pk,
        "number": comment.number,
        "membership_id": users["viewer"].memberships.get().pk,
        "invitation_id": issued.invitation.pk,
        "token": issued.token,
    }
    per_namespace = {
        "progress": {"meeting_id": meeting.pk},
        "participation": {"meeting_id": committee_meeting.pk},
        "surveys": {"key": survey.public_key},
        "public": {"key": period.public_key},
        "accounts": _account_values(users["editor"]),
        "site": {"slug": site.slug, "fiscal_year": 2026, "filename": "nodes.csv"},
        "public_api": {"slug": site.slug, "fiscal_year": 2026},
        "publishing": {"fiscal_year": 2026, **_publishing_values(plan, admin)},
    }
    return {"common": common, "per_namespace": per_namespace}


def _publishing_values(plan: Any, by: Any) -> dict[str, Any]:
    """A publication to withdraw, and a part and year to publish."""
    from sasaeai.publishing.services import publication_publish

    publication = publication_publish(plan=plan, part="structure", by=by)
    return {"part": "progress", "year": plan.period_start, "publication_id": publication.pk}


def _account_values(member: Any) -> dict[str, Any]:
    """A member to unlock, and links as e-mails carry them (one token fits both link kinds' patterns)."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from sasaeai.accounts.services.account import email_change_token

    member.pending_email = "fuzz@example.jp"  # an e-mail change under way (the link names only the account)
    member.save(update_fields=["pending_email"])
    return {
        "user_id": member.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(member.pk)),
        "token": email_change_token(member),
    }


def url_patterns(patterns: list[Any] | None = None, namespace: str = "") -> Iterator[tuple[str, str, list[str]]]:
    """(name, namespace, the pattern's keyword names) of every named URL pattern."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(x for x in (namespace, p.namespace or "") if x)
            yield from url_patterns(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield p.name, namespace, list(p.pattern.converters) or re.findall(r"\(\?P<(\w+)>", str(p.pattern))


def fuzz_urls(world: dict[str, Any]) -> list[tuple[str, str]]:
    urls: list[tuple[str, str]] = []
    missing: list[str] = []
    for name, namespace, params in url_patterns():
        if namespace in SKIPPED_NAMESPACES or name in SKIPPED_NAMES or f"{namespace}:{name}" in SKIPPED_NAMES:
            continue
        values = world["common"] | world["per_namespace"].get(namespace, {})
        full = f"{namespace}:{name}" if namespace else name
        if any(p not in values for p in params):
            missing.append(full)
            continue
        query = "?year=2026" if namespace in ("evaluation", "progress", "evaluation_reports") else ""
        urls.append((full, reverse(full, kwargs={p: values[p] for p in params}) + query))
    assert not missing, f"URL patterns the fuzz cannot reach (give the world an object for them): {missing}"
    return urls


# --------------------------------------------------------------------------- the run


def request(client: Client, method: str, url: str, data: Any = None) -> Any:
    with transaction.atomic():
        response = getattr(client, method)(url, data or {})
        transaction.set_rollback(True)
    if response.streaming:
        # Downloads: read to the end, which closes the file the way the test client expects
        # (closing it directly would fire request_finished and close the database connection).
        b"".join(response.streaming_content)
    return response


def check(failures: list[str], response: Any, what: str) -> None:
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        reason = f"{exc[0].__name__}: {str(exc[1])[:200]}" if exc else ""
        failures.append(f"{response.status_code} {what} {reason}")


def summary(data: dict[str, Any]) -> str:
    def short(v: Any) -> str:
        if isinstance(v, list):
            return "[" + ",".join(short(x) for x in v) + "]"
        if isinstance(v, SimpleUploadedFile):
            return f"<file {v.name[:20]} {v.size}B>"
        text = str(v)
        return repr(text[:20] + (f"…({len(text)})" if len(text) > 20 else ""))

    return "{" + ", ".join(f"{k}={short(v)}" for k, v in sorted(data.items())) + "}"


def test_no_input_ends_in_a_500(world: dict[str, Any], users: dict[str, Any]) -> None:
    from django.core.cache import cache

    failures: list[str] = []
    urls = fuzz_urls(world)
    assert len(urls) > 100  # every app's pages, not a handful
    seen_forms = 0
    systematic_done: set[tuple[str, int]] = set()
    skipped_paths = {reverse(name) for name in SKIPPED_NAMES}
    forms_by_url: dict[str, list[Form]] = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role:
            client.force_login(users[role])
        for name, url in urls:
            cache.clear()  # rate limits kept in the cache start afresh
            response = request(client, "get", url)
            check(failures, response, f"GET {url} as {role}")
            own: list[Form] = []
            if response.status_code == 200 and "html" in response.get("Content-Type", "") and not response.streaming:
                own = page_forms(response.content.decode())
                forms_by_url.setdefault(url, own)
            # Roles that do not see the form still try to send it (the permission check must hold).
            forms, rounds = (own, ROUNDS) if own else (forms_by_url.get(url, []), 1)
            for index, form in enumerate(forms):
                target = urlsplit(form.action).path or url.split("?")[0]
                if not target.startswith("/") or target in skipped_paths:
                    continue
                # The first role that sees a form sends it once per field with only that field hostile
                # (finds the single-field mistakes); then every role sends random multi-field mixes.
                single = [] if (not own or (url, index) in systematic_done) else list(form.fields)
                systematic_done.add((url, index))
                for round_ in [f"field:{n}" for n in single] + list(range(rounds)):
                    rng = random.Random(f"{SEED}:{name}:{role}:{index}:{round_}")
                    if isinstance(round_, str):
                        data = mutate(rng, form, only=round_.removeprefix("field:"))
                    else:
                        data = mutate(rng, form)
                    if form.method == "get":
                        data = {k: v for k, v in data.items() if not isinstance(v, SimpleUploadedFile)}
                        response = request(client, "get", target, data)
                    else:
                        response = request(
                            client, "post", target + ("?" + url.split("?")[1] if "?" in url else ""), data
                        )
                        seen_forms += 1
                    check(failures, response, f"{form.method.upper()} {target} as {role} {summary(data)}")
            if role in ("admin", "viewer", None):  # the query string, for pages that read it without a form
                rng = random.Random(f"{SEED}:{name}:{role}:query")
                query = {k: hostile(rng, {"kind": "text", "options": []}) for k in rng.sample(QUERY_PARAMS, k=8)}
                query = {k: (v[:2000] if isinstance(v, str) else v) for k, v in query.items()}  # a URL's length
                response = request(client, "get", url.split("?")[0], query)
                check(failures, response, f"GET {url} as {role} (query) {summary(query)}")
            rng = random.Random(f"{SEED}:{name}:{role}:blind")
            blind = {k: hostile(rng, {"kind": "text", "options": []}) for k in rng.sample(BLIND_FIELDS, k=6)}
            response = request(client, "post", url, blind)
            check(failures, response, f"POST {url} as {role} (blind) {summary(blind)}")
    assert seen_forms > 200, f"only {seen_forms} form posts: the pages' forms were not found"
    assert not failures, f"{len(failures)} requests ended in a 500:\n" + "\n".join(failures[:60])
