"""パブリックコメント: a draft plan published for comment for a period, residents' comments (no login),
the council's triage and answers (社協の考え方・反映の状況), and the published results.

The writes (reads are in ``../selectors/comments.py``):

- ``period_save`` / ``period_publish``: staff, audited (``comment_period.save`` / ``comment_period.publish``);
- ``comment_submit``: a resident, not audited (no actor). Checks the period is open, the text (length,
  number of URLs) and the per-client rate limit (atomic per client over every period: ``ratelimit.py``),
  numbers the comment under a lock on the period row,
  and creates the comment's ``Voice`` in the same transaction;
- ``comment_update`` / ``comments_bulk_update``: staff triage, version-checked, audited (``comment.update``);
- the staff export: ``export_rows`` / ``export_csv`` / ``export_xlsx``. The reads — ``period_by_key``,
  ``period_get``, ``periods_for_plan``, ``comment_page``, ``comment_get``, ``results`` (never loads
  name, district or contact) — are selectors.

Limits are settings (documented in docs/public-comment.md): ``SASAEAI_COMMENT_MIN_SECONDS``,
``SASAEAI_COMMENT_RATE_LIMITS``, ``SASAEAI_COMMENT_MAX_CHARS``, ``SASAEAI_COMMENT_MAX_URLS``.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from copy import copy
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.core import fiscal
from sasaeai.core.audit import diff, log_action
from sasaeai.core.concurrency import check_version
from sasaeai.plans.models import PlanSection

from ..models import PublicComment, PublicCommentPeriod, Voice
from . import ratelimit, surveys

TOKEN_SALT = "sasaeai.participation.comment-form"
TOKEN_MAX_AGE = 24 * 60 * 60  # a form older than a day is sent again (the text is kept)
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


# --------------------------------------------------------------------------- settings


def min_seconds() -> float:
    """Seconds a person needs at least between opening the form and sending it (faster = a robot)."""
    return float(getattr(settings, "SASAEAI_COMMENT_MIN_SECONDS", 3))


def rate_limits() -> tuple[tuple[int, int], ...]:
    """(window in seconds, most comments from one client in that window) pairs."""
    return tuple(getattr(settings, "SASAEAI_COMMENT_RATE_LIMITS", ((10 * 60, 5), (24 * 60 * 60, 20))))


def max_chars() -> int:
    return int(getattr(settings, "SASAEAI_COMMENT_MAX_CHARS", 4000))


def max_urls() -> int:
    return int(getattr(settings, "SASAEAI_COMMENT_MAX_URLS", 10))


# --------------------------------------------------------------------------- the period's state


OPEN, BEFORE, CLOSED = "open", "before", "closed"


def period_state(period: PublicCommentPeriod, today: date | None = None) -> str:
    today = today or timezone.localdate()
    if today < period.opens_on:
        return BEFORE
    if today > period.closes_on:
        return CLOSED
    return OPEN


def _not_open_message(period, state):
    if state == BEFORE:
        return _("受付開始前です（%(date)sから）") % {"date": fiscal.display_date(period.opens_on)}
    return _("受付は終了しました")


# --------------------------------------------------------------------------- anti-spam helpers


class CommentRateLimited(Exception):
    """Too many comments from one client in a short time: nothing is stored (HTTP 429)."""


def client_hash(request) -> str:
    """Who sent it, without keeping the address: the same hash online survey answers use."""
    return surveys.client_hash(request.META.get("REMOTE_ADDR", ""))


def form_token(period: PublicCommentPeriod) -> str:
    """A signed timestamp for the form's hidden field (``django.core.signing``), bound to the period."""
    return signing.dumps({"k": period.public_key, "t": time.time()}, salt=TOKEN_SALT, compress=True)


def form_token_age(period: PublicCommentPeriod, token: str) -> float | None:
    """Seconds since the form was opened, or None when the token is missing, forged, expired or for
    another period."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") != period.public_key:
        return None
    try:
        return time.time() - float(data["t"])
    except (KeyError, TypeError, ValueError):
        return None


def url_count(text: str) -> int:
    return len(_URL.findall(text or ""))


# --------------------------------------------------------------------------- periods (staff)


PERIOD_FIELDS = ("title", "description", "opens_on", "closes_on")


def _period_snapshot(period):
    return {
        "title": period.title,
        "description": period.description,
        "opens_on": period.opens_on.isoformat() if period.opens_on else None,
        "closes_on": period.closes_on.isoformat() if period.closes_on else None,
    }


def _new_public_key() -> str:
    while True:
        key = secrets.token_urlsafe(16)[:22]
        if not PublicCommentPeriod.objects.filter(public_key=key).exists():
            return key


@transaction.atomic
def period_save(*, plan, by, period=None, expected_version=None, title, description="", opens_on, closes_on):
    """Create or edit a comment period of ``plan``. The public key is made once, on creation."""
    created = period is None
    if not created:
        if period.plan_id != plan.pk:
            raise ValidationError(_("別の計画のパブリックコメントは編集できません。"))
        period = PublicCommentPeriod.objects.select_for_update().get(pk=period.pk)
        check_version(period, expected_version)
    before = None if created else _period_snapshot(period)
    period = period or PublicCommentPeriod(plan=plan, public_key=_new_public_key())
    period.title = (title or "").strip()
    period.description = (description or "").strip()
    period.opens_on, period.closes_on = opens_on, closes_on
    if opens_on and closes_on and closes_on < opens_on:
        raise ValidationError(
            {
                "closes_on": _("受付終了日は、受付開始日（%(date)s）と同じ日かそれより後にしてください。")
                % {"date": fiscal.display_date(opens_on)}
            }
        )
    period.full_clean(exclude=["plan", "questionnaire"])
    if not created:
        period.version += 1
    period.save()
    _questionnaire_setup(period, by=by)
    after = _period_snapshot(period)
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v})
    if a:
        log_action(
            council=plan.council,
            actor=by,
            action="comment_period.save",
            plan_id=plan.pk,
            target_label=period.title,
            before=b,
            after=a,
            obj=period,
        )
    return period


@transaction.atomic
def period_publish(*, period, by, publish=True, today=None):
    """Publish (or withdraw) the results. Publishing needs the period to be over and every comment
    that is not 対象外 to have 社協の考え方 and 反映の状況."""
    today = today or timezone.localdate()
    period = PublicCommentPeriod.objects.select_for_update().select_related("plan__council").get(pk=period.pk)
    if publish:
        if period_state(period, today) != CLOSED:
            raise ValidationError(
                _("受付期間中は結果を公表できません（受付終了日: %(date)s）。")
                % {"date": fiscal.display_date(period.closes_on)}
            )
        missing = list(
            period.comments.exclude(status=PublicComment.Status.EXCLUDED)
            .filter(Q(answer="") | Q(reflection=""))
            .order_by("number")
            .values_list("number", flat=True)[:11]
        )
        if missing:
            numbers = "、".join(str(n) for n in missing[:10]) + (" …" if len(missing) > 10 else "")
            raise ValidationError(
                _(
                    "社協の考え方または反映の状況が未記入の意見があります（受付番号 %(numbers)s）。"
                    "すべて記入するか、対象外にしてから公表してください。"
                )
                % {"numbers": numbers}
            )
    before = {"results_published": period.results_published}
    if period.results_published == publish:
        return period
    period.results_published = publish
    period.results_published_on = today if publish else None
    period.version += 1
    period.save(update_fields=["results_published", "results_published_on", "version"])
    log_action(
        council=period.plan.council,
        actor=by,
        action="comment_period.publish",
        plan_id=period.plan_id,
        target_label=period.title,
        before=before,
        after={"results_published": publish},
        obj=period,
    )
    return period


# --------------------------------------------------------------------------- comments (residents)


def _clean_text(text):
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("ご意見を入力してください。")})
    if len(text) > max_chars():
        raise ValidationError(
            {
                "text": _("ご意見は%(max)s字以内で入力してください（現在 %(n)s字）。")
                % {"max": f"{max_chars():,}", "n": f"{len(text):,}"}
            }
        )
    if url_count(text) > max_urls():
        raise ValidationError(
            {
                "text": _(
                    "URL（ホームページのアドレス）が多すぎるため受け付けられません。URLは%(max)s件までにしてください。"
                )
                % {"max": max_urls()}
            }
        )
    return text


def _check_rate(client, now):
    if not client:
        return
    for window, limit in rate_limits():
        since = now - timedelta(seconds=window)
        sent = PublicComment.objects.filter(client_hash=client, submitted_at__gte=since).count()
        if sent >= limit:
            raise CommentRateLimited(_("短い時間に多くのご意見が送信されたため、受付を一時的に止めています。"))


@ratelimit.retry_when_locked
@transaction.atomic
def comment_submit(*, period, text, section=None, name="", district="", contact="", client="", today=None):
    """A resident's comment: the next number of the period, and its Voice, in one transaction.

    ``section`` is a PlanSection id (or None for the whole plan). Raises ValidationError (field
    named) or CommentRateLimited; nothing is stored then."""
    today = today or timezone.localdate()
    now = timezone.now()
    # The client's gate first: its comments to any period are counted and stored one at a time.
    ratelimit.gate(ratelimit.COMMENT, client, now)
    # Then the period row: its numbers are decided one submission at a time.
    period = PublicCommentPeriod.objects.select_for_update(of=("self",)).select_related("plan").get(pk=period.pk)
    state = period_state(period, today)
    if state != OPEN:
        raise ValidationError(_not_open_message(period, state))
    text = _clean_text(text)
    section_obj = None
    if section not in (None, ""):
        try:
            section_obj = PlanSection.objects.get(plan_id=period.plan_id, pk=int(section))
        except (PlanSection.DoesNotExist, TypeError, ValueError):
            raise ValidationError({"section": _("意見の対象（章・節）を一覧から選んでください。")}) from None
    _check_rate(client, now)
    comment = PublicComment(
        period=period,
        section=section_obj,
        text=text,
        name=(name or "").strip(),
        district=(district or "").strip(),
        contact=(contact or "").strip(),
        client_hash=client,
    )
    comment.full_clean(exclude=["period", "section", "node", "response", "answered_by", "number"])
    for attempt in range(3):
        comment.number = (period.comments.aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                comment.save()
            break
        except IntegrityError:
            # Another submission took the number (an engine without row locks): take the next one.
            comment.pk = None
            if attempt == 2:
                raise
    Voice.objects.create(plan_id=period.plan_id, source=Voice.Source.PUBLIC_COMMENT, comment=comment, text=text)
    _response_store(period, comment)
    return comment


# --------------------------------------------------------------------------- triage (staff)


def _comment_snapshot(comment):
    return {
        "status": comment.status,
        "group_label": comment.group_label,
        "answer": comment.answer,
        "reflection": comment.reflection,
    }


def _comment_label(comment, period):
    return _("%(title)s 受付番号 %(n)s") % {"title": period.title, "n": comment.number}


@transaction.atomic
def comment_update(*, comment, by, expected_version=None, status, group_label="", answer="", reflection=""):
    """Triage one comment: status, まとめ, 社協の考え方, 反映の状況. Refused if someone saved it since
    the form was opened (nothing is lost: the view keeps what was typed)."""
    comment = PublicComment.objects.select_for_update().select_related("period__plan__council").get(pk=comment.pk)
    check_version(comment, expected_version)
    before = _comment_snapshot(comment)
    comment.status = status
    comment.group_label = (group_label or "").strip()
    comment.answer = (answer or "").strip()
    comment.reflection = reflection or ""
    comment.full_clean(exclude=["period", "section", "node", "response", "answered_by"])
    after = _comment_snapshot(comment)
    b, a = diff(before, after)
    if not a:
        return comment
    if "answer" in a:
        comment.answered_by = by if getattr(by, "pk", None) else None
        comment.answered_at = timezone.now() if comment.answer else None
    comment.version += 1
    comment.save()
    period = comment.period
    log_action(
        council=period.plan.council,
        actor=by,
        action="comment.update",
        plan_id=period.plan_id,
        target_label=_comment_label(comment, period),
        before=b,
        after=a,
        obj=comment,
    )
    return comment


def _bulk_changes(*, status, group_label, clear_group, reflection, answer) -> dict[str, str]:
    """The fields a bulk update sets (blank = unchanged), each checked; at least one."""
    changes = {}
    if status:
        if status not in PublicComment.Status.values:
            raise ValidationError({"status": _("状態を一覧から選んでください。")})
        changes["status"] = status
    group_label = (group_label or "").strip()
    if clear_group:
        changes["group_label"] = ""
    elif group_label:
        if len(group_label) > 200:
            raise ValidationError({"group_label": _("まとめの見出しは200字以内にしてください。")})
        changes["group_label"] = group_label
    if reflection:
        if reflection not in PublicComment.Reflection.values:
            raise ValidationError({"reflection": _("反映の状況を一覧から選んでください。")})
        changes["reflection"] = reflection
    answer = (answer or "").strip()
    if answer:
        changes["answer"] = answer
    if not changes:
        raise ValidationError(_("変更する内容（状態・まとめ・反映の状況・社協の考え方のどれか）を入力してください。"))
    return changes


@transaction.atomic
def comments_bulk_update(*, period, by, ids, status="", group_label="", clear_group=False, reflection="", answer=""):
    """The same change for the selected comments of one period (blank = unchanged). One audit entry."""
    try:
        ids = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise ValidationError({"ids": _("変更する意見を一覧から選んでください。")})
    changes = _bulk_changes(
        status=status, group_label=group_label, clear_group=clear_group, reflection=reflection, answer=answer
    )
    rows = PublicComment.objects.select_for_update().filter(period=period, pk__in=ids)
    numbers = list(rows.order_by("number").values_list("number", flat=True))
    if len(numbers) != len(ids):
        raise ValidationError({"ids": _("選んだ意見の一部が見つかりません。画面を開き直してください。")})
    extra = {}
    if "answer" in changes:
        extra = {"answered_by": by if getattr(by, "pk", None) else None, "answered_at": timezone.now()}
    rows.update(**changes, **extra, version=F("version") + 1)
    log_action(
        council=period.plan.council,
        actor=by,
        action="comment.update",
        plan_id=period.plan_id,
        target_label=_("%(title)s %(n)s件の意見をまとめて変更") % {"title": period.title, "n": len(numbers)},
        after={**changes, "numbers": numbers},
    )
    return len(numbers)


# --------------------------------------------------------------------------- questionnaire (shared engine)


SECTION_QUESTION, TEXT_QUESTION, DISTRICT_QUESTION = "section", "text", "district"
WHOLE_PLAN_CODE = "0"


def _questionnaire_setup(period, *, by):
    """The period's form as a Questionnaire (kind public_comment): questions section (single: the
    plan's sections), text (text) and district (text). Choices follow the plan's sections."""
    from ..models import Choice, Question, Questionnaire

    q = period.questionnaire
    plan = period.plan
    if q is None:
        q = Questionnaire.objects.create(
            council_id=plan.council_id,
            plan=plan,
            kind=Questionnaire.Kind.PUBLIC_COMMENT,
            title=period.title,
            status=Questionnaire.Status.OPEN,
            opens_on=period.opens_on,
            closes_on=period.closes_on,
        )
        period.questionnaire = q
        period.save(update_fields=["questionnaire"])
        Question.objects.bulk_create(
            [
                Question(
                    questionnaire=q,
                    position=1,
                    code=SECTION_QUESTION,
                    text=_("意見の対象（章・節）"),
                    kind=Question.Kind.SINGLE,
                ),
                Question(
                    questionnaire=q,
                    position=2,
                    code=TEXT_QUESTION,
                    text=_("ご意見"),
                    kind=Question.Kind.TEXT,
                    required=True,
                    max_length=max_chars(),
                ),
                Question(
                    questionnaire=q,
                    position=3,
                    code=DISTRICT_QUESTION,
                    text=_("お住まいの地区"),
                    kind=Question.Kind.TEXT,
                    is_attribute=True,
                    max_length=100,
                ),
            ]
        )
    else:
        Questionnaire.objects.filter(pk=q.pk).update(
            title=period.title, opens_on=period.opens_on, closes_on=period.closes_on
        )
    question = Question.objects.get(questionnaire=q, code=SECTION_QUESTION)
    wanted = [(WHOLE_PLAN_CODE, _("計画全体"))] + [
        (str(s.pk), s.title[:200]) for s in PlanSection.objects.filter(plan=plan).order_by("position", "pk")
    ]
    have = {c.code: c for c in Choice.objects.filter(question=question)}
    for position, (code, label) in enumerate(wanted):
        choice = have.get(code)
        if choice is None:
            Choice.objects.create(question=question, position=position, code=code, label=label)
        elif (choice.position, choice.label) != (position, label):
            Choice.objects.filter(pk=choice.pk).update(position=position, label=label)
    return q


def _response_store(period, comment):
    """The comment's structured fields as an anonymous Response (no name, no contact), validated by the
    shared engine. The PublicComment row stays the source of truth."""
    from ..models import Question, Questionnaire, Response

    if period.questionnaire_id is None or (
        comment.section_id is not None
        and not Question.objects.filter(
            questionnaire_id=period.questionnaire_id, code=SECTION_QUESTION, choices__code=str(comment.section_id)
        ).exists()
    ):
        _questionnaire_setup(period, by=None)  # a period saved before the engine, or a section added since
    questionnaire = Questionnaire.objects.get(pk=period.questionnaire_id)
    # The comment's own limit is the rule (a setting changed since the period was saved).
    Question.objects.filter(questionnaire=questionnaire, code=TEXT_QUESTION).exclude(max_length=max_chars()).update(
        max_length=max_chars()
    )
    raw = {
        SECTION_QUESTION: str(comment.section_id or WHOLE_PLAN_CODE),
        TEXT_QUESTION: comment.text,
        DISTRICT_QUESTION: comment.district,
    }
    answers = surveys.validate_answers(questionnaire, raw)
    response = Response.objects.create(
        questionnaire=questionnaire,
        respondent=f"PC{comment.number:05d}",
        source=Response.Source.ONLINE,
        answers=answers,
        client_hash=comment.client_hash,
    )
    Questionnaire.objects.filter(pk=questionnaire.pk).update(data_version=F("data_version") + 1)
    PublicComment.objects.filter(pk=comment.pk).update(response=response)
    comment.response = response
    return response


# --------------------------------------------------------------------------- export (staff only)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: str) -> str:
    value = _CONTROL.sub("", value or "")
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def export_header():
    return [
        _("受付番号"),
        _("受付日時"),
        _("意見の対象（章・節）"),
        _("意見"),
        _("氏名"),
        _("お住まいの地区"),
        _("連絡先"),
        _("状態"),
        _("まとめ"),
        _("社協の考え方"),
        _("反映の状況"),
        _("回答した人"),
        _("回答日時"),
    ]


def export_rows(period):
    """One row per comment, with names and contacts: for ``participation.comments`` only. Plain
    values (no model instances), so 10,000 comments take well under a second."""
    qs = (
        PublicComment.objects.filter(period=period)
        .order_by("number")
        .values_list(
            "number",
            "submitted_at",
            "section__title",
            "text",
            "name",
            "district",
            "contact",
            "status",
            "group_label",
            "answer",
            "reflection",
            "answered_by__display_name",
            "answered_by__username",
            "answered_at",
        )
    )
    # Labels translated once, not per row.
    statuses = {k: str(v) for k, v in PublicComment.Status.choices}
    reflections = {k: str(v) for k, v in PublicComment.Reflection.choices}
    whole = str(_("計画全体"))
    tz = timezone.get_current_timezone()

    def when(value):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    for (
        number,
        submitted_at,
        section,
        text,
        name,
        district,
        contact,
        status,
        group_label,
        answer,
        reflection,
        display_name,
        username,
        answered_at,
    ) in qs.iterator(chunk_size=2000):
        yield [
            number,
            when(submitted_at),
            _cell(section) if section else whole,
            _cell(text),
            _cell(name),
            _cell(district),
            _cell(contact),
            statuses.get(status, status),
            _cell(group_label),
            _cell(answer),
            reflections.get(reflection, ""),
            _cell(display_name or username or ""),
            when(answered_at),
        ]


def export_csv(period) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export_header())
    writer.writerows(export_rows(period))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(period) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    # Untyped on purpose: the fast path below writes cells through openpyxl's private API.
    ws: Any = wb.active
    ws.title = _("意見の一覧")
    ws.append(
        [
            _("%(plan)s %(title)s（受付期間 %(opens)s〜%(closes)s）")
            % {
                "plan": period.plan.title,
                "title": period.title,
                "opens": fiscal.display_date(period.opens_on),
                "closes": fiscal.display_date(period.closes_on),
            }
        ]
    )
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(export_header())
    head_font, head_alignment = Font(bold=True), Alignment(vertical="center", wrap_text=True)
    for head in ws[2]:
        head.font, head.alignment = head_font, head_alignment
    # One wrapped style, made once on a scratch cell and copied onto each cell (setting a style per
    # cell costs 10×; cells are made directly, since ws.append/ws[row] rescan the sheet).
    scratch = ws.cell(1, 20)
    scratch.alignment = Alignment(vertical="top", wrap_text=True)
    wrap = copy(scratch._style)
    del ws._cells[(1, 20)]
    for r, row in enumerate(export_rows(period), start=3):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue  # an empty cell is not written at all
            cell: Any = Cell(ws, row=r, column=c, style_array=copy(wrap))
            if isinstance(value, str):
                cell._value, cell.data_type = value[:32767], "s"  # text, never a formula
            else:
                cell._value, cell.data_type = value, "n"
            ws._cells[(r, c)] = cell
    widths = [8, 16, 20, 60, 14, 14, 24, 10, 20, 50, 10, 12, 16]
    for i, width in enumerate(widths):
        letter = chr(ord("A") + i)
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
