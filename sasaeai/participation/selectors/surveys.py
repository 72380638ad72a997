"""Reads of surveys (アンケート): a plan's questionnaires, one fetched and checked, response counts and
rates, whether a form accepts answers, and free answers with their voices. Figures are read by
../tabulation.py; writes and the answer engine are in ../services/surveys.py."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Questionnaire, Response, Tag, Voice

# Limits (see docs/surveys.md).

# --------------------------------------------------------------------------- reads


def questionnaires_for_plan(plan):
    """The plan's surveys with their response counts (one query)."""
    return list(
        Questionnaire.objects.filter(plan=plan, council_id=plan.council_id, kind=Questionnaire.Kind.SURVEY)
        .annotate(response_count=Count("responses"))
        .order_by("-pk")
    )


def questionnaire_get(plan, questionnaire_id) -> Questionnaire:
    """A survey of ``plan`` (already permission-checked); one 404 for missing, foreign or malformed."""
    try:
        return Questionnaire.objects.select_related("council", "plan").get(
            pk=int(questionnaire_id), plan=plan, council_id=plan.council_id, kind=Questionnaire.Kind.SURVEY
        )
    except (Questionnaire.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def questionnaire_get_public(key) -> Questionnaire:
    """The survey behind a public URL; 404 for an unknown key or a survey still in preparation."""
    if not key or len(str(key)) > 32:
        raise Http404
    try:
        q = Questionnaire.objects.select_related("council").get(public_key=str(key), kind=Questionnaire.Kind.SURVEY)
    except Questionnaire.DoesNotExist:
        raise Http404 from None
    if q.status == Questionnaire.Status.DRAFT:
        raise Http404
    return q


def response_count(questionnaire) -> int:
    return Response.objects.filter(questionnaire=questionnaire).count()


@dataclass
class Rate:
    distributed: int | None
    returned: int | None
    rate: Decimal | None  # percent, one decimal
    returned_is_count: bool  # True when ``returned`` is the number of responses in Sasaeai

    @property
    def label(self) -> str:
        """「配布 2,000 ／ 回収 943 ／ 回収率 47.2%」 (parts left out when unknown)."""
        parts = []
        if self.distributed is not None:
            parts.append(_("配布 %(n)s") % {"n": f"{self.distributed:,}"})
        if self.returned is not None:
            parts.append(_("回収 %(n)s") % {"n": f"{self.returned:,}"})
        if self.rate is not None:
            parts.append(_("回収率 %(rate)s%%") % {"rate": self.rate})
        return " ／ ".join(parts)


def response_rate(questionnaire, count: int) -> Rate:
    """回収率 = returned (or ``count``, the responses held, when returned is blank) ÷ distributed,
    in percent rounded half up to one decimal; None without a distributed number."""
    returned = questionnaire.returned if questionnaire.returned is not None else count
    rate = None
    if questionnaire.distributed:
        rate = (Decimal(returned) * 100 / Decimal(questionnaire.distributed)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return Rate(questionnaire.distributed, returned, rate, questionnaire.returned is None)


def is_accepting(questionnaire, today=None) -> bool:
    """Online answers are taken while the survey is open and today is within opens_on..closes_on."""
    if questionnaire.status != Questionnaire.Status.OPEN:
        return False
    today = today or timezone.localdate()
    if questionnaire.opens_on and today < questionnaire.opens_on:
        return False
    return not (questionnaire.closes_on and today > questionnaire.closes_on)


# --------------------------------------------------------------------------- free answers


def free_answers(questionnaire, question, *, search=""):
    """Responses answering the text ``question`` (a queryset, ordered), filtered by a substring."""
    rows = Response.objects.filter(questionnaire=questionnaire, answers__has_key=question.code).order_by("pk")
    if search:
        rows = rows.annotate(_answer=KeyTextTransform(question.code, "answers")).filter(_answer__icontains=search)
    return rows


def answer_voices(responses, question):
    """{response id: Voice with its tags} for the given responses of ``question`` (two queries)."""
    ids = [r.pk for r in responses]
    voices = (
        Voice.objects.filter(response_id__in=ids, question=question, source=Voice.Source.SURVEY)
        .prefetch_related("tags")
        .order_by("pk")
    )
    return {v.response_id: v for v in voices}


def council_tags(council):
    return list(Tag.objects.filter(council=council).order_by("name"))
