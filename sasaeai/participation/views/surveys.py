"""Survey screens (アンケート): staff pages under a plan and the public answer form. Thin: permission,
form, one service or selector, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.accounts.decorators import plan_permission
from sasaeai.core.forms import clean_search_text
from sasaeai.core.imports import pending
from sasaeai.core.view_helpers import form_errors_from, plan_context

from .. import survey_charts, surveys_import, tabulation
from .. import survey_export as exporter
from ..forms_surveys import AnswerForm, CrossForm, QuestionForm, QuestionnaireForm, TagForm, UploadForm
from ..models import Question, Questionnaire, Response
from ..permissions import MANAGE
from ..permissions import VIEW as READ
from ..selectors import surveys as survey_selectors
from ..services import surveys

FREE_PAGE_SIZE = 50


def _question_get(questionnaire, question_id):
    try:
        return Question.objects.get(pk=int(question_id), questionnaire=questionnaire)
    except (Question.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def _source_counts(questionnaire):
    counts = {Response.Source.IMPORT: 0, Response.Source.ONLINE: 0}
    for source, count in (
        Response.objects.filter(questionnaire=questionnaire).values_list("source").order_by().annotate(n=Count("pk"))
    ):
        counts[source] = count
    return counts


# --------------------------------------------------------------------------- list, create, edit


@plan_permission(READ)
def survey_list(request, plan):
    rows = []
    for q in survey_selectors.questionnaires_for_plan(plan):
        rows.append((q, survey_selectors.response_rate(q, q.response_count)))
    return render(request, "participation/survey_list.html", plan_context(request, plan, rows=rows))


@plan_permission(MANAGE)
def survey_create(request, plan):
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            q = surveys.questionnaire_create(plan=plan, by=request.user, **form.values())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(
                request, _("アンケート「%(title)s」を作りました。次に質問を追加してください。") % {"title": q.title}
            )
            return redirect("surveys:questions", plan_id=plan.pk, questionnaire_id=q.pk)
    return render(request, "participation/survey_form.html", plan_context(request, plan, form=form, creating=True))


@plan_permission(MANAGE)
def survey_edit(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    initial = {f: getattr(q, f) for f in surveys.QUESTIONNAIRE_FIELDS}
    initial["version"] = q.version
    form = QuestionnaireForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            q = surveys.questionnaire_update(
                questionnaire=q, by=request.user, expected_version=form.cleaned_data.get("version"), **form.values()
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("アンケートの情報を保存しました。"))
            return redirect("surveys:results", plan_id=plan.pk, questionnaire_id=q.pk)
    return render(
        request, "participation/survey_form.html", plan_context(request, plan, form=form, q=q, creating=False)
    )


@plan_permission(MANAGE)
def survey_delete(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    if request.method == "POST":
        surveys.questionnaire_delete(questionnaire=q, by=request.user)
        messages.success(request, _("アンケート「%(title)s」を削除しました。") % {"title": q.title})
        return redirect("surveys:list", plan_id=plan.pk)
    return render(
        request,
        "participation/survey_delete.html",
        plan_context(request, plan, q=q, count=survey_selectors.response_count(q), what="survey"),
    )


@plan_permission(MANAGE)
@require_POST
def survey_status(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    try:
        q = surveys.questionnaire_set_status(questionnaire=q, status=request.POST.get("status", ""), by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("受付状態を「%(status)s」にしました。") % {"status": q.get_status_display()})
    return redirect("surveys:questions", plan_id=plan.pk, questionnaire_id=q.pk)


# --------------------------------------------------------------------------- questions


@plan_permission(MANAGE)
def survey_questions(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    spec = surveys.questionnaire_spec(q)
    public_url = request.build_absolute_uri(reverse("surveys:public", args=[q.public_key])) if q.public_key else ""
    return render(
        request,
        "participation/survey_questions.html",
        plan_context(
            request,
            plan,
            q=q,
            spec=spec,
            count=survey_selectors.response_count(q),
            public_url=public_url,
            accepting=survey_selectors.is_accepting(q),
            statuses=Questionnaire.Status.choices,
        ),
    )


@plan_permission(MANAGE)
def question_edit(request, plan, questionnaire_id, question_id=None):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    question = _question_get(q, question_id) if question_id is not None else None
    initial = QuestionForm.initial_for(question) if question else {"kind": Question.Kind.SINGLE}
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = surveys.question_save(questionnaire=q, by=request.user, question=question, **form.values())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("質問「%(code)s」を保存しました。") % {"code": saved.code})
            if "another" in request.POST:
                return redirect("surveys:question_add", plan_id=plan.pk, questionnaire_id=q.pk)
            return redirect(reverse("surveys:questions", args=[plan.pk, q.pk]) + f"#question-{saved.pk}")
    return render(
        request,
        "participation/survey_question_form.html",
        plan_context(
            request, plan, q=q, form=form, question=question, has_responses=survey_selectors.response_count(q) > 0
        ),
    )


@plan_permission(MANAGE)
def question_delete(request, plan, questionnaire_id, question_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    question = _question_get(q, question_id)
    if request.method == "POST":
        try:
            surveys.question_delete(question=question, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("質問「%(code)s」を削除しました。") % {"code": question.code})
        return redirect("surveys:questions", plan_id=plan.pk, questionnaire_id=q.pk)
    return render(
        request,
        "participation/survey_delete.html",
        plan_context(request, plan, q=q, question=question, count=survey_selectors.response_count(q), what="question"),
    )


@plan_permission(MANAGE)
@require_POST
def question_move(request, plan, questionnaire_id, question_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    question = _question_get(q, question_id)
    surveys.question_move(question=question, by=request.user, up=request.POST.get("direction") == "up")
    return redirect(reverse("surveys:questions", args=[plan.pk, q.pk]) + f"#question-{question.pk}")


# --------------------------------------------------------------------------- import


def _import_page(request, plan, q, *, form=None, problems=None, total=0, status=200):
    spec = surveys.questionnaire_spec(q)
    return render(
        request,
        "participation/survey_import.html",
        plan_context(
            request,
            plan,
            q=q,
            spec=spec,
            form=form or UploadForm(),
            problems=problems,
            problem_total=total,
            counts=_source_counts(q),
            id_headers=surveys.ID_HEADERS,
            max_rows=f"{surveys_import.max_rows():,}",
            max_size=surveys_import.size_label(surveys_import.max_bytes()),
            multiple=[s for s in spec.questions if s.kind == Question.Kind.MULTIPLE],
        ),
        status=status,
    )


@plan_permission(MANAGE)
def survey_import(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    if request.method != "POST":
        return _import_page(request, plan, q)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, plan, q, form=form)
    upload = form.cleaned_data["file"]
    mode = form.cleaned_data["mode"]
    importer = surveys_import.SurveyResponseImporter(questionnaire=q, mode=mode)
    limit = importer.max_bytes()
    if upload.size is not None and upload.size > limit:
        return _import_page(request, plan, q, form=form, problems=[surveys_import.too_large_message()], total=1)
    raw = upload.read(limit + 1)  # one byte more than allowed is enough to refuse it
    try:
        parsed = importer.check(raw, upload.name)
    except surveys_import.SurveyImportError as exc:
        return _import_page(request, plan, q, form=form, problems=exc.messages(), total=exc.total)
    waiting = pending.save(
        request,
        kind=importer.kind,
        council_id=plan.council_id,
        raw=raw,
        filename=upload.name,
        extra={"questionnaire": q.pk, "mode": mode},
    )
    return render(
        request,
        "participation/survey_import_preview.html",
        plan_context(
            request,
            plan,
            q=q,
            parsed=parsed,
            preview=parsed.preview(),
            blanks=parsed.blanks(),
            sha=waiting.sha,
            codes=[qc.spec.code for qc in parsed.questions],
        ),
    )


@plan_permission(MANAGE)
@require_POST
def survey_import_confirm(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    kind = surveys_import.SurveyResponseImporter.kind
    waiting = pending.take(request, kind=kind, council_id=plan.council_id, sha=request.POST.get("sha"))
    if waiting is None or waiting.extra.get("questionnaire") != q.pk:
        messages.error(request, _("確認中の取り込みが見つかりません。もう一度ファイルを選んでください。"))
        return redirect("surveys:import", plan_id=plan.pk, questionnaire_id=q.pk)
    try:
        importer = surveys_import.SurveyResponseImporter(questionnaire=q, mode=waiting.extra.get("mode", ""))
    except ValueError:
        raise Http404 from None
    try:
        count = importer.apply(importer.check(waiting.raw, waiting.filename), by=request.user)
    except surveys_import.SurveyImportError as exc:
        return _import_page(request, plan, q, problems=exc.messages(), total=exc.total)
    messages.success(
        request,
        _("「%(name)s」から %(n)s 人分の回答を取り込みました。") % {"name": waiting.filename, "n": f"{count:,}"},
    )
    return redirect("surveys:results", plan_id=plan.pk, questionnaire_id=q.pk)


@plan_permission(MANAGE)
def responses_delete(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    if request.method == "POST":
        count = surveys.responses_delete(questionnaire=q, by=request.user)
        messages.success(request, _("回答を %(n)s 件削除しました。") % {"n": f"{count:,}"})
        return redirect("surveys:results", plan_id=plan.pk, questionnaire_id=q.pk)
    return render(
        request,
        "participation/survey_delete.html",
        plan_context(request, plan, q=q, count=survey_selectors.response_count(q), what="responses"),
    )


# --------------------------------------------------------------------------- results


@plan_permission(READ)
def survey_results(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    spec = surveys.questionnaire_spec(q)
    columns = tabulation.get_columns(q, spec)
    blocks = []
    for result in tabulation.simple_all(columns, spec):
        blocks.append((result, survey_charts.simple_chart(result)))
    return render(
        request,
        "participation/survey_results.html",
        plan_context(
            request,
            plan,
            q=q,
            spec=spec,
            blocks=blocks,
            n=columns.n,
            rate=survey_selectors.response_rate(q, columns.n),
            counts=_source_counts(q),
            accepting=survey_selectors.is_accepting(q),
            attributes=spec.attributes(),
        ),
    )


@plan_permission(READ)
def survey_cross(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    spec = surveys.questionnaire_spec(q)
    form = CrossForm(request.GET or None, spec=spec)
    result = chart = None
    if spec.attributes() and form.is_bound and form.is_valid():
        columns = tabulation.get_columns(q, spec)
        result = tabulation.cross(
            columns, spec.by_code[form.cleaned_data["question"]], spec.by_code[form.cleaned_data["attribute"]]
        )
        chart = survey_charts.cross_chart(result)
    return render(
        request,
        "participation/survey_cross.html",
        plan_context(
            request, plan, q=q, spec=spec, form=form, result=result, chart=chart, attributes=spec.attributes()
        ),
    )


@plan_permission(READ)
def survey_free(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    spec = surveys.questionnaire_spec(q)
    texts = [s for s in spec.questions if s.kind == Question.Kind.TEXT]
    if not texts:
        return render(request, "participation/survey_free.html", plan_context(request, plan, q=q, texts=texts))
    current = spec.by_code.get(request.GET.get("question", "")) or texts[0]
    if current.kind != Question.Kind.TEXT:
        current = texts[0]
    search = clean_search_text(request.GET.get("q"), 100)
    paginator = Paginator(survey_selectors.free_answers(q, current.question, search=search), FREE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    voices = survey_selectors.answer_voices(page.object_list, current.question)
    tags = survey_selectors.council_tags(plan.council)
    rows = []
    for response in page.object_list:
        voice = voices.get(response.pk)
        rows.append(
            {
                "response": response,
                "text": response.answers.get(current.code, ""),
                "speaker": surveys.speaker_of(response, spec),
                "voice": voice,
                "tag_ids": {t.pk for t in voice.tags.all()} if voice else set(),
                "voice_tags": list(voice.tags.all()) if voice else [],
            }
        )
    return render(
        request,
        "participation/survey_free.html",
        plan_context(
            request,
            plan,
            q=q,
            texts=texts,
            current=current,
            search=search,
            page=page,
            rows=rows,
            tags=tags,
            can_tag=MANAGE in request.council_permissions and q.plan_id is not None,
        ),
    )


@plan_permission(MANAGE)
@require_POST
def survey_free_tag(request, plan, questionnaire_id, response_id, question_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    question = _question_get(q, question_id)
    try:
        response = Response.objects.get(pk=int(response_id), questionnaire=q)
    except (Response.DoesNotExist, ValueError):
        raise Http404 from None
    form = TagForm(request.POST, tags=survey_selectors.council_tags(plan.council))
    back = (
        reverse("surveys:free", args=[plan.pk, q.pk])
        + "?"
        + urlencode({k: request.POST.get(k, "")[:100] for k in ("question", "q", "page") if request.POST.get(k)})
    )
    if not form.is_valid():
        messages.error(request, _("タグを保存できませんでした。入力を確かめてください。"))
        return redirect(back)
    try:
        surveys.voice_from_answer(
            response=response,
            question=question,
            by=request.user,
            tags=form.cleaned_data["tags"],
            new_tags=form.cleaned_data["new_tags"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("回答者番号 %(id)s の回答を意見として保存し、タグを付けました。") % {"id": response.respondent}
        )
    return redirect(back + f"#answer-{response.pk}")


@plan_permission(MANAGE)  # every free answer with the respondent's attributes: staff who run the survey
def survey_export(request, plan, questionnaire_id):
    q = survey_selectors.questionnaire_get(plan, questionnaire_id)
    data = exporter.build(q, attribute_code=request.GET.get("attribute") or None)
    response = HttpResponse(data, content_type=exporter.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, exporter.filename(q))
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- public answer form


def _public_ctx(q, **extra):
    return {"q": q, "council": q.council, "wait_minutes": max(1, surveys.rate_limit()[1] // 60), **extra}


def public_survey(request, key):
    q = survey_selectors.questionnaire_get_public(key)
    if not survey_selectors.is_accepting(q):
        return render(request, "participation/public_survey_closed.html", _public_ctx(q), status=200)
    spec = surveys.questionnaire_spec(q)
    form = AnswerForm(request.POST or None, spec=spec)
    if request.method == "POST":
        client = surveys.client_hash(request.META.get("REMOTE_ADDR", ""))
        if form.is_spam:  # a robot filled the hidden field: thank it and keep nothing
            return redirect("surveys:public_thanks", key=q.public_key)
        if surveys.is_rate_limited(client):
            return render(request, "participation/public_survey_limited.html", _public_ctx(q), status=429)
        if form.is_valid():
            try:
                surveys.response_submit_online(questionnaire=q, raw=form.answers, client=client)
            except surveys.RateLimited:
                return render(request, "participation/public_survey_limited.html", _public_ctx(q), status=429)
            except surveys.NotAccepting:
                return render(request, "participation/public_survey_closed.html", _public_ctx(q), status=200)
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                return redirect("surveys:public_thanks", key=q.public_key)
    return render(
        request,
        "participation/public_survey_form.html",
        _public_ctx(q, form=form, spec=spec),
    )


def public_survey_thanks(request, key):
    q = survey_selectors.questionnaire_get_public(key)
    return render(request, "participation/public_survey_thanks.html", _public_ctx(q))
