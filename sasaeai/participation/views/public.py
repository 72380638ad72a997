"""Public pages of パブリックコメント (no login): the draft plan, the comment form, the receipt and the
published results. Names, districts and contacts are never shown here."""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from sasaeai.core.view_helpers import form_errors_from
from sasaeai.plans.selectors import plan_tree

from ..forms_comments import PublicCommentForm
from ..selectors import comments as comment_selectors
from ..services import comments


def _ctx(period, **extra):
    return {"period": period, "plan": period.plan, "council": period.plan.council, **extra}


def comment_page(request, key):
    """The draft plan for comment: 基本理念, period, structure and every section, each with a link to
    the form. Before the period opens only the notice is shown."""
    period = comment_selectors.period_by_key(key)
    state = comments.period_state(period)
    extra = {}
    if state != comments.BEFORE:
        tree = plan_tree(period.plan)
        extra = {
            "structure": comment_selectors.structure_html(tree),
            "top_level": tree.levels[0].name if tree.levels else "",
            "sections": comment_selectors.plan_sections(period.plan),
        }
    return render(request, "participation/public_comment_page.html", _ctx(period, state=state, **extra))


def _form_page(request, period, form, *, status=200, notice=None):
    return render(
        request,
        "participation/public_comment_form.html",
        _ctx(period, form=form, state=comments.period_state(period), notice=notice, max_chars=comments.max_chars()),
        status=status,
    )


def _fresh(period, data=None, sections=()):
    """A bound copy of ``data`` (or an empty form) carrying a new signed time."""
    kwargs = {"sections": sections, "max_chars": comments.max_chars()}
    if data is None:
        return PublicCommentForm(initial={"issued": comments.form_token(period)}, **kwargs)
    data = data.copy()
    data["issued"] = comments.form_token(period)
    data["website"] = ""
    return PublicCommentForm(data, **kwargs)


@never_cache
@csrf_protect
def comment_submit(request, key):
    period = comment_selectors.period_by_key(key)
    state = comments.period_state(period)
    if state != comments.OPEN:
        # Outside the period: a page that says so (HTTP 200), nothing stored.
        return _form_page(request, period, None)
    sections = comment_selectors.plan_sections(period.plan)
    if request.method != "POST":
        form = _fresh(period, sections=sections)
        wanted = request.GET.get("section", "")
        if wanted in {str(s.pk) for s in sections}:
            form.initial["section"] = wanted
        return _form_page(request, period, form)

    if request.POST.get("website"):
        # The honeypot was filled in: a robot. A neutral page, nothing stored.
        return render(request, "participation/public_comment_thanks.html", _ctx(period, number=None))
    age = comments.form_token_age(period, request.POST.get("issued", ""))
    if age is None or age < comments.min_seconds():
        form = _fresh(period, request.POST, sections)
        form.is_valid()
        form.add_error(
            None,
            _(
                "送信を受け付けられませんでした（画面を開いてから送信までが短すぎたか、画面を開いてから"
                "時間がたちすぎました）。入力内容はそのまま残っています。内容を確かめて、もう一度「送信する」を"
                "押してください。"
            ),
        )
        return _form_page(request, period, form, status=400)
    form = PublicCommentForm(request.POST, sections=sections, max_chars=comments.max_chars())
    if not form.is_valid():
        return _form_page(request, period, _keep_errors(period, form, sections), status=400)
    data = form.cleaned_data
    try:
        comment = comments.comment_submit(
            period=period,
            text=data["text"],
            section=data["section"] or None,
            name=data["name"],
            district=data["district"],
            contact=data["contact"],
            client=comments.client_hash(request),
        )
    except comments.CommentRateLimited as exc:
        form = _keep_errors(period, form, sections)
        form.add_error(
            None, str(exc) + _("しばらく時間をおいてから、もう一度お試しください。入力内容はそのまま残っています。")
        )
        return _form_page(request, period, form, status=429)
    except ValidationError as exc:
        form = _keep_errors(period, form, sections)
        form_errors_from(exc, form)
        return _form_page(request, period, form, status=400)
    return redirect("public:comment_thanks", key=period.public_key, number=comment.number)


def _keep_errors(period, form, sections):
    """The same input with a new signed time (so sending again is not refused as too fast),
    keeping the errors found so far."""
    fresh = _fresh(period, form.data, sections)
    fresh.is_valid()  # the same data but the signed time and the (empty) honeypot: the same errors
    return fresh


def comment_thanks(request, key, number):
    period = comment_selectors.period_by_key(key)
    if not comment_selectors.comment_exists(period, number):
        return redirect("public:comment", key=period.public_key)
    return render(request, "participation/public_comment_thanks.html", _ctx(period, number=number))


def comment_results(request, key):
    """パブリックコメントの結果: comments (as sent, escaped), 社協の考え方 and 反映の状況; never who sent them."""
    period = comment_selectors.period_by_key(key)
    results = comment_selectors.results(period) if period.results_published else None
    return render(
        request,
        "participation/public_comment_results.html",
        _ctx(period, results=results, page_url=reverse("public:comment", args=[period.public_key])),
    )
