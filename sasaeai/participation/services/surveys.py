"""The questionnaire engine shared by surveys (アンケート) and the public-comment form.

- Reads are in ``../selectors/surveys.py`` (``questionnaires_for_plan``, ``questionnaire_get`` — one
  404 for missing and foreign —, ``response_rate``, ``is_accepting``, ``free_answers``); this module
  keeps ``questionnaire_spec`` (the questions compiled for checking answers, two queries, cached on
  the instance), which the answer engine needs.
- Checking one respondent's answers: ``validate_answers(questionnaire, raw)`` returns the clean
  answers (the JSON stored in ``Response.answers``) or raises ``ValidationError`` keyed by question
  code. The file import (``surveys_import``) and every online form use the same rules.
- Writes (keyword-only, atomic, audited): ``questionnaire_create`` / ``_update`` / ``_set_status`` /
  ``_delete``, ``question_save`` / ``_delete`` / ``_move``, ``responses_delete``,
  ``response_submit_online`` (public, not audited) and ``voice_from_answer``.

Clean answer values: single choice → the choice code (str); multiple → list of codes in choice order;
scale → int; number → int or float; text → str. Blank answers are left out of the dict.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.core.audit import diff, log_action
from sasaeai.core.concurrency import check_version

from ..models import Choice, Question, Questionnaire, Response, Tag, Voice
from ..selectors.surveys import is_accepting
from . import ratelimit

# Limits (see docs/surveys.md).
TEXT_MAX_LENGTH = 4000  # a free answer without its own limit
RESPONDENT_MAX_LENGTH = 50
MAX_MULTIPLE_CHOICES = 64  # multiple choice is tabulated as a bitmask
MAX_SCALE_POINTS = 21
ONLINE_PREFIX = "W"
# Headers accepted for the respondent-ID column (compared after NFKC and case folding).
ID_HEADERS = ("回答者番号", "回答者ID", "回答番号", "ID", "No", "No.", "NO.", "番号", "サンプル番号")
# What separates the codes of a multiple-choice answer in one cell (after NFKC: ，→, ；→; 　→space).
MULTI_SEPARATORS = re.compile(r"[,、;\s]+")
FORBIDDEN_IN_CODE = re.compile(r"[,、;\s\x00-\x1f\x7f]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def setting(name, default):
    return getattr(settings, name, default)


def rate_limit():
    """(responses, seconds): at most this many online answers from one client in this window."""
    return (int(setting("SASAEAI_SURVEY_RATE_LIMIT", 5)), int(setting("SASAEAI_SURVEY_RATE_WINDOW", 600)))


def _norm(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def header_key(value) -> str:
    """How headers and codes are compared: NFKC, trimmed, case-folded."""
    return _norm("" if value is None else str(value)).casefold()


ID_HEADER_KEYS = frozenset(header_key(h) for h in ID_HEADERS)


# --------------------------------------------------------------------------- the engine


class AnswerError(Exception):
    """One answer is not acceptable; ``str(exc)`` says why in Japanese."""


@dataclass
class QuestionSpec:
    """A question compiled for checking and tabulating answers."""

    question: Question
    code: str
    kind: str
    required: bool
    is_attribute: bool
    categories: list  # [(code, label)]: choices, or the points of a scale
    max_choices: int | None = None
    max_length: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    lookup: dict = field(default_factory=dict)  # raw text → clean value (codes, labels; multiple: a memo)
    tokens: dict = field(default_factory=dict)  # multiple choice: one code or label → its code
    position: dict = field(default_factory=dict)  # clean code → 0-based category index

    @property
    def label(self):
        return self.question.text

    @property
    def is_choice(self):
        return self.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.SCALE)

    @property
    def is_axis(self):
        """Can be the rows of a cross tabulation (年代・性別・地区)."""
        return self.kind in (Question.Kind.SINGLE, Question.Kind.SCALE)

    def codes_text(self, limit=12):
        codes = [c for c, _l in self.categories]
        text = ", ".join(codes[:limit])
        return text + (" …" if len(codes) > limit else "")

    def clean(self, value):
        """The clean value of one raw answer (text from a file or a form, a number from Excel, a
        list from a form's check boxes), None when blank; raises AnswerError."""
        if value.__class__ is str:
            hit = self.lookup.get(value)
            if hit is not None:
                return hit
        return self._clean_slow(value)

    def _clean_slow(self, value):
        kind = self.kind
        if isinstance(value, (list, tuple)):
            if kind != Question.Kind.MULTIPLE:
                value = [v for v in value if not _blank(v)]
                if len(value) > 1:
                    raise AnswerError(_("選べるのは1つだけです。"))
                value = value[0] if value else ""
            else:
                return self._multiple([_cell_text(v) for v in value])
        text = _cell_text(value)
        if kind == Question.Kind.TEXT:
            return self._free_text(text)
        text = _norm(text)
        if not text:
            return None
        if kind == Question.Kind.NUMBER:
            return _number(text)
        if kind == Question.Kind.MULTIPLE:
            return self._multiple([text])
        hit = self.lookup.get(text)
        if hit is None:
            hit = self.lookup.get(text.casefold())
        if hit is not None:
            return hit
        if kind == Question.Kind.SCALE:
            return self._scale_point(text)
        raise AnswerError(
            _("選択肢にないコード「%(value)s」です（使えるコード: %(codes)s）。")
            % {"value": _short(text), "codes": self.codes_text()}
        )

    def _free_text(self, text):
        text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        if not text:
            return None
        limit = self.max_length or TEXT_MAX_LENGTH
        if len(text) > limit:
            raise AnswerError(
                _("%(limit)s 文字以内で入力してください（今は %(n)s 文字）。")
                % {"limit": f"{limit:,}", "n": f"{len(text):,}"}
            )
        return text

    def _scale_point(self, text):
        """A scale answer typed as its number (a label was already looked up)."""
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise AnswerError(
                _("%(min)s〜%(max)s の整数で答えてください（「%(value)s」は数ではありません）。")
                % {"min": self.scale_min, "max": self.scale_max, "value": _short(text)}
            ) from None
        if number.is_finite() and number == number.to_integral_value():
            if self.scale_min <= int(number) <= self.scale_max:
                return int(number)
        else:
            raise AnswerError(
                _("%(min)s〜%(max)s の整数で答えてください（「%(value)s」は整数ではありません）。")
                % {"min": self.scale_min, "max": self.scale_max, "value": _short(text)}
            )
        raise AnswerError(
            _("%(min)s〜%(max)s の整数で答えてください（「%(value)s」は範囲の外です）。")
            % {"min": self.scale_min, "max": self.scale_max, "value": _short(text)}
        )

    def _multiple(self, parts):
        key = parts[0] if len(parts) == 1 else tuple(parts)
        hit = self.lookup.get(key)
        if hit is not None:
            return hit
        chosen, unknown = set(), []
        for part in parts:
            for token in MULTI_SEPARATORS.split(_norm(part)):
                if not token:
                    continue
                code = self.tokens.get(token)
                if code is None:
                    code = self.tokens.get(token.casefold())
                if code is None:
                    unknown.append(token)
                else:
                    chosen.add(code)
        if unknown:
            raise AnswerError(
                _("選択肢にないコード「%(value)s」があります（使えるコード: %(codes)s）。")
                % {"value": _short("、".join(unknown)), "codes": self.codes_text()}
            )
        if not chosen:
            return None
        if self.max_choices and len(chosen) > self.max_choices:
            raise AnswerError(
                _("選べるのは %(max)s つまでです（%(n)s つ選ばれています）。")
                % {"max": self.max_choices, "n": len(chosen)}
            )
        result = sorted(chosen, key=self.position.__getitem__)
        if len(self.lookup) < 50_000:  # memo of the cells seen (files repeat them a lot)
            self.lookup[key] = result
        return result


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value) -> str:
    """A raw value as text: 3.0 → "3", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _short(text, limit=30):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(text):
    cleaned = text.replace(",", "").replace("，", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise AnswerError(
            _("数で答えてください（「%(value)s」は数ではありません）。") % {"value": _short(text)}
        ) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise AnswerError(_("数で答えてください（「%(value)s」は数ではありません）。") % {"value": _short(text)})
    if number == number.to_integral_value():
        return int(number)
    value = float(number)
    return value


def compile_question(question: Question, choices) -> QuestionSpec:
    spec = QuestionSpec(
        question=question,
        code=question.code,
        kind=question.kind,
        required=question.required,
        is_attribute=question.is_attribute,
        categories=[],
        max_choices=question.max_choices,
        max_length=question.max_length,
        scale_min=question.scale_min,
        scale_max=question.scale_max,
    )
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        spec.categories = [(c.code, c.label) for c in choices]
        table = spec.tokens if question.kind == Question.Kind.MULTIPLE else spec.lookup
        codes = {c.code for c in choices}
        codes_by_label: dict[str, list[str]] = {}
        for c in choices:
            codes_by_label.setdefault(_norm(c.label), []).append(c.code)
        for c in choices:
            table[c.code] = c.code
            table.setdefault(_norm(c.code), c.code)
        folded: dict[str, list[str]] = {}
        for c in choices:
            folded.setdefault(_norm(c.code).casefold(), []).append(c.code)
        for key, owners in folded.items():
            if len(owners) == 1:
                table.setdefault(key, owners[0])
        for label, owners in codes_by_label.items():  # a label typed instead of its code, when unambiguous
            if len(owners) == 1 and label and label not in codes and not MULTI_SEPARATORS.search(label):
                table.setdefault(label, owners[0])
    elif question.kind == Question.Kind.SCALE and question.scale_min is not None and question.scale_max is not None:
        labels = {c.code: c.label for c in choices}
        for point in range(question.scale_min, question.scale_max + 1):
            code = str(point)
            spec.categories.append((code, labels.get(code) or code))
            spec.lookup[code] = point
            spec.lookup[f"{point}.0"] = point
            point_label = labels.get(code)
            if point_label:
                spec.lookup.setdefault(_norm(point_label), point)
    spec.position = {code: i for i, (code, _label) in enumerate(spec.categories)}
    return spec


@dataclass
class Spec:
    questions: list  # [QuestionSpec] in order
    by_code: dict
    signature: str

    def attributes(self):
        return [q for q in self.questions if q.is_attribute and q.is_axis]


def questionnaire_spec(questionnaire, *, refresh=False) -> Spec:
    """The questions and choices of ``questionnaire`` compiled once (two queries), cached on it."""
    cached = getattr(questionnaire, "_survey_spec", None)
    if cached is not None and not refresh:
        return cached
    questions = list(
        Question.objects.filter(questionnaire=questionnaire).prefetch_related("choices").order_by("position", "pk")
    )
    specs = [compile_question(q, list(q.choices.all())) for q in questions]
    signature = hashlib.sha256(
        repr([(s.code, s.kind, [c for c, _l in s.categories]) for s in specs]).encode("utf-8")
    ).hexdigest()[:16]
    spec = Spec(questions=specs, by_code={s.code: s for s in specs}, signature=signature)
    questionnaire._survey_spec = spec
    return spec


def check_answers(spec: Spec, raw: dict, *, enforce_required=True):
    """(clean answers, {code: message}) for one respondent. Unknown keys in ``raw`` are ignored."""
    clean, errors = {}, {}
    for q in spec.questions:
        value = raw.get(q.code)
        try:
            result = q.clean(value) if value is not None else None
        except AnswerError as exc:
            errors[q.code] = str(exc)
            continue
        if result is None:
            if q.required and enforce_required:
                errors[q.code] = _("この質問には回答が必要です。")
            continue
        clean[q.code] = list(result) if q.kind == Question.Kind.MULTIPLE else result
    return clean, errors


def validate_answers(questionnaire, raw: dict, *, enforce_required=True) -> dict:
    """Check one respondent's answers ({question code: value}; a multiple choice may be a list of
    codes or one text of codes separated by "," "、" ";" or spaces). Returns the clean answers, or
    raises ``ValidationError`` whose ``message_dict`` is keyed by question code, every message in
    Japanese. Codes must exist, scale answers be whole numbers in range, numbers be numbers, required
    questions be answered, multiple choices stay within ``max_choices`` and text within
    ``max_length`` (``TEXT_MAX_LENGTH`` when unset). Keys that are not question codes are ignored."""
    clean, errors = check_answers(questionnaire_spec(questionnaire), raw or {}, enforce_required=enforce_required)
    if errors:
        raise ValidationError({code: [message] for code, message in errors.items()})
    return clean


# --------------------------------------------------------------------------- questionnaire writes

QUESTIONNAIRE_FIELDS = ("title", "description", "audience", "opens_on", "closes_on", "distributed", "returned")


def _snapshot(obj, fields):
    return {
        f: (str(getattr(obj, f)) if getattr(obj, f) is not None and f.endswith("_on") else getattr(obj, f))
        for f in fields
    }


def _check_dates(q):
    if q.opens_on and q.closes_on and q.closes_on < q.opens_on:
        raise ValidationError({"closes_on": [_("締切日は開始日より後の日付にしてください。")]})


def _bump_data(questionnaire_id):
    Questionnaire.objects.filter(pk=questionnaire_id).update(data_version=F("data_version") + 1)


def _audit(q, by, action, before=None, after=None):
    log_action(
        council=q.council,
        actor=by,
        action=action,
        plan_id=q.plan_id,
        target_label=q.title,
        before=before,
        after=after,
        obj=q,
    )


@transaction.atomic
def questionnaire_create(
    *, plan, by, title, description="", audience="", opens_on=None, closes_on=None, distributed=None, returned=None
) -> Questionnaire:
    q = Questionnaire(
        council=plan.council,
        plan=plan,
        kind=Questionnaire.Kind.SURVEY,
        title=(title or "").strip(),
        description=description or "",
        audience=audience or "",
        opens_on=opens_on,
        closes_on=closes_on,
        distributed=distributed,
        returned=returned,
    )
    q.full_clean()
    _check_dates(q)
    q.save()
    _audit(q, by, "questionnaire.save", None, _snapshot(q, QUESTIONNAIRE_FIELDS))
    return q


@transaction.atomic
def questionnaire_update(*, questionnaire, by, expected_version=None, **fields) -> Questionnaire:
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=questionnaire.pk)
    check_version(q, expected_version)
    before = _snapshot(q, QUESTIONNAIRE_FIELDS)
    for key, value in fields.items():
        if key not in QUESTIONNAIRE_FIELDS:
            raise TypeError(f"questionnaire_update() got an unexpected field {key!r}")
        setattr(q, key, value.strip() if key == "title" and isinstance(value, str) else value)
    q.full_clean()
    _check_dates(q)
    b, a = diff(before, _snapshot(q, QUESTIONNAIRE_FIELDS))
    if not a:
        return q
    q.version = F("version") + 1
    q.save()
    q.refresh_from_db()
    _audit(q, by, "questionnaire.save", b, a)
    return q


@transaction.atomic
def questionnaire_set_status(*, questionnaire, status, by) -> Questionnaire:
    """準備中 → 回答受付中 → 締切 (and back). Opening needs at least one question and gives the
    survey its public key (kept when closed, so the URL shows 「締め切りました」)."""
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=questionnaire.pk)
    if status not in Questionnaire.Status.values:
        raise ValidationError({"status": [_("受付状態の値が正しくありません。")]})
    if status == q.status:
        return q
    if status == Questionnaire.Status.OPEN and not Question.objects.filter(questionnaire=q).exists():
        raise ValidationError(_("質問が1つもないため、受付を始められません。先に質問を追加してください。"))
    before = q.status
    q.status = status
    if status == Questionnaire.Status.OPEN and not q.public_key:
        q.public_key = secrets.token_urlsafe(16)
    q.version = F("version") + 1
    q.save()
    q.refresh_from_db()
    _audit(q, by, "questionnaire.status", {"status": before}, {"status": status})
    return q


@transaction.atomic
def questionnaire_delete(*, questionnaire, by) -> None:
    q = Questionnaire.objects.select_related("council").get(pk=questionnaire.pk)
    count = Response.objects.filter(questionnaire=q).count()
    _audit(q, by, "questionnaire.delete", {"title": q.title, "responses": count}, None)
    q.delete()


# --------------------------------------------------------------------------- question writes


def _clean_code(code, *, field_name, max_length):
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not code:
        raise ValidationError({field_name: [_("入力してください。")]})
    if len(code) > max_length:
        raise ValidationError({field_name: [_("%(n)s 文字以内にしてください。") % {"n": max_length}]})
    if FORBIDDEN_IN_CODE.search(code):
        raise ValidationError({field_name: [_("「%(code)s」: 空白や「,」「、」「;」は使えません。") % {"code": code}]})
    return code


def _clean_choices(kind, choices, *, scale_min, scale_max):
    rows = []
    seen = {}
    for i, (code, label) in enumerate(choices or [], start=1):
        code = _clean_code(str(code), field_name="choices", max_length=20)
        label = (label or "").strip()
        if len(label) > 200:
            raise ValidationError({"choices": [_("%(i)s 行目: 選択肢は200文字以内にしてください。") % {"i": i}]})
        if code.casefold() in seen:
            raise ValidationError(
                {
                    "choices": [
                        _("コード「%(code)s」が2回あります（%(a)s 行目と %(b)s 行目）。")
                        % {"code": code, "a": seen[code.casefold()], "b": i}
                    ]
                }
            )
        seen[code.casefold()] = i
        if kind == Question.Kind.SCALE:
            try:
                point = int(code)
            except ValueError:
                point = None
            if point is None or not (scale_min <= point <= scale_max):
                raise ValidationError(
                    {
                        "choices": [
                            _("%(i)s 行目: 尺度の目盛りのコードは %(min)s〜%(max)s の整数にしてください。")
                            % {"i": i, "min": scale_min, "max": scale_max}
                        ]
                    }
                )
            code = str(point)
        elif not label:
            raise ValidationError(
                {"choices": [_("%(i)s 行目: コード「%(code)s」の選択肢の文字がありません。") % {"i": i, "code": code}]}
            )
        rows.append((code, label))
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and not rows:
        raise ValidationError({"choices": [_("選択肢を1つ以上入力してください。")]})
    if kind == Question.Kind.MULTIPLE and len(rows) > MAX_MULTIPLE_CHOICES:
        raise ValidationError({"choices": [_("複数選択の選択肢は %(n)s 個までです。") % {"n": MAX_MULTIPLE_CHOICES}]})
    if kind in (Question.Kind.NUMBER, Question.Kind.TEXT) and rows:
        raise ValidationError({"choices": [_("数値・自由記述の質問には選択肢を入力しません。")]})
    return rows


def _locked_question(q, question):
    """(the question being edited, locked, or None; the other questions of ``q``)."""
    others = Question.objects.filter(questionnaire=q)
    if question is None:
        return None, others
    question = Question.objects.select_for_update().get(pk=question.pk, questionnaire=q)
    return question, others.exclude(pk=question.pk)


def _question_code(code, others) -> str:
    """The cleaned column name of a question, refused when it is the respondent column or already used."""
    code = _clean_code(code, field_name="code", max_length=30)
    if header_key(code) in ID_HEADER_KEYS:
        raise ValidationError(
            {"code": [_("「%(code)s」は回答者番号の列名なので、質問の列名には使えません。") % {"code": code}]}
        )
    if any(header_key(c) == header_key(code) for c in others.values_list("code", flat=True)):
        raise ValidationError(
            {"code": [_("列名「%(code)s」はこのアンケートの別の質問で使っています。") % {"code": code}]}
        )
    return code


def _kind_limits(kind, max_choices, max_length, *, is_attribute):
    """(max_choices, max_length) that apply to the kind, checked; and whether it can be an attribute."""
    if kind != Question.Kind.MULTIPLE:
        max_choices = None
    if kind != Question.Kind.TEXT:
        max_length = None
    elif max_length and max_length > TEXT_MAX_LENGTH:
        raise ValidationError(
            {"max_length": [_("文字数の上限は %(n)s 文字までにしてください。") % {"n": f"{TEXT_MAX_LENGTH:,}"}]}
        )
    if is_attribute and kind not in (Question.Kind.SINGLE, Question.Kind.SCALE):
        raise ValidationError(
            {"is_attribute": [_("回答者の属性（クロス集計の軸）にできるのは、単一選択と尺度の質問です。")]}
        )
    return max_choices, max_length


def _scale_range(kind, scale_min, scale_max):
    """(min, max) of a scale question, checked; (None, None) for every other kind."""
    if kind != Question.Kind.SCALE:
        return None, None
    if scale_min is None or scale_max is None:
        raise ValidationError({"scale_max": [_("尺度の最小と最大を入力してください（例: 1 と 5）。")]})
    if scale_max <= scale_min:
        raise ValidationError({"scale_max": [_("尺度の最大は最小より大きくしてください。")]})
    if scale_max - scale_min + 1 > MAX_SCALE_POINTS:
        raise ValidationError({"scale_max": [_("尺度の目盛りは %(n)s 段階までです。") % {"n": MAX_SCALE_POINTS}]})
    return scale_min, scale_max


def _check_answered_question(question, old_codes, rows, *, code, kind, scale_min, scale_max) -> None:
    """Once a survey has responses, a question keeps its code, kind, scale range and choice codes."""
    fixed = [("code", code), ("kind", kind), ("scale_min", scale_min), ("scale_max", scale_max)]
    for name, value in fixed:
        if getattr(question, name) != value:
            raise ValidationError(
                {
                    name: [
                        _(
                            "回答があるため、列名・種類・尺度の範囲は変えられません。"
                            "変えるときは、先に回答を削除してください。"
                        )
                    ]
                }
            )
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        missing = [c for c, _l in old_codes if c not in {r[0] for r in rows}]
        if missing:
            raise ValidationError(
                {
                    "choices": [
                        _("回答があるため、選択肢のコード「%(codes)s」は削除できません（文字の変更と追加はできます）。")
                        % {"codes": "、".join(missing)}
                    ]
                }
            )


def _question_audit(question, choices) -> dict:
    """A question as its audit entry records it."""
    return {
        "code": question.code,
        "text": question.text,
        "kind": question.kind,
        "is_attribute": question.is_attribute,
        "required": question.required,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "max_choices": question.max_choices,
        "max_length": question.max_length,
        "choices": [f"{c} {label}" for c, label in choices],
    }


@transaction.atomic
def question_save(
    *,
    questionnaire,
    by,
    question=None,
    code,
    text,
    kind,
    is_attribute=False,
    required=False,
    scale_min=None,
    scale_max=None,
    max_choices=None,
    max_length=None,
    choices=(),
) -> Question:
    """Add (``question=None``) or edit a question with its choices (``[(code, label)]``; for a scale,
    optional labels of its points). Once the survey has responses the code, kind and scale range are
    fixed and choice codes can be added or relabelled but not removed, so stored answers stay valid."""
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=questionnaire.pk)
    has_responses = Response.objects.filter(questionnaire=q).exists()
    question, others = _locked_question(q, question)
    code = _question_code(code, others)
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": [_("種類を選んでください。")]})
    scale_min, scale_max = _scale_range(kind, scale_min, scale_max)
    max_choices, max_length = _kind_limits(kind, max_choices, max_length, is_attribute=is_attribute)
    rows = _clean_choices(kind, choices, scale_min=scale_min, scale_max=scale_max)

    before = None
    old_codes = []
    if question is not None:
        old_codes = list(question.choices.values_list("code", "label"))
        before = _question_audit(question, old_codes)
        if has_responses:
            _check_answered_question(
                question, old_codes, rows, code=code, kind=kind, scale_min=scale_min, scale_max=scale_max
            )
    else:
        question = Question(questionnaire=q, position=(others.aggregate(m=Max("position"))["m"] or 0) + 1)
    question.code, question.text, question.kind = code, (text or "").strip(), kind
    question.is_attribute, question.required = bool(is_attribute), bool(required)
    question.scale_min, question.scale_max = scale_min, scale_max
    question.max_choices, question.max_length = max_choices or None, max_length or None
    question.full_clean(exclude=["questionnaire"])
    question.save()
    if rows != old_codes:
        Choice.objects.filter(question=question).delete()
        Choice.objects.bulk_create(
            [Choice(question=question, position=i, code=c, label=label) for i, (c, label) in enumerate(rows)]
        )
    after = _question_audit(question, rows)
    if before is None:
        _audit(q, by, "questionnaire.save", None, {"question": after})
    else:
        b, a = diff(before, after)
        if not a:
            return question
        _audit(q, by, "questionnaire.save", {"question": code, **b}, {"question": code, **a})
    _bump_data(q.pk)
    if hasattr(questionnaire, "_survey_spec"):
        del questionnaire._survey_spec
    return question


@transaction.atomic
def question_delete(*, question, by) -> None:
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=question.questionnaire_id)
    if Response.objects.filter(questionnaire=q).exists():
        raise ValidationError(
            _("回答があるため、質問は削除できません。削除するときは、先に回答をすべて削除してください。")
        )
    _audit(q, by, "questionnaire.save", {"question": question.code, "text": question.text}, {"question": None})
    question.delete()
    _bump_data(q.pk)


@transaction.atomic
def question_move(*, question, by, up: bool) -> None:
    """Swap a question with the one before (``up``) or after it."""
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=question.questionnaire_id)
    questions = list(Question.objects.filter(questionnaire=q).order_by("position", "pk"))
    index = next(i for i, x in enumerate(questions) if x.pk == question.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(questions):
        return
    questions[index], questions[other] = questions[other], questions[index]
    for i, x in enumerate(questions):
        x.position = i + 1
    Question.objects.bulk_update(questions, ["position"])
    _audit(
        q,
        by,
        "questionnaire.save",
        {"question": question.code, "position": index + 1},
        {"question": question.code, "position": other + 1},
    )
    _bump_data(q.pk)


# --------------------------------------------------------------------------- responses


@transaction.atomic
def responses_delete(*, questionnaire, by, source=None) -> int:
    """Delete every response (or those of one ``source``); voices made from their free answers go too."""
    q = Questionnaire.objects.select_for_update().select_related("council").get(pk=questionnaire.pk)
    rows = Response.objects.filter(questionnaire=q)
    if source:
        rows = rows.filter(source=source)
    count = rows.count()
    if not count:
        return 0
    rows.delete()
    _audit(q, by, "responses.delete", {"responses": count, "source": source or "all"}, None)
    _bump_data(q.pk)
    return count


def client_hash(remote_addr: str) -> str:
    """sha256 of the client's address and the secret key: counts repeat submissions without storing the address."""
    return hashlib.sha256(f"{remote_addr or ''}{settings.SECRET_KEY}".encode()).hexdigest()


class NotAccepting(Exception):
    """The survey is not taking answers now."""


class RateLimited(Exception):
    """Too many answers from one client in a short time."""


def is_rate_limited(hash_value: str, now=None) -> bool:
    """Whether the client has sent ``SASAEAI_SURVEY_RATE_LIMIT`` online answers within the window, over
    every survey. Public comments have their own budget (their anonymous Response copies are not counted)."""
    limit, window = rate_limit()
    now = now or timezone.now()
    recent = Response.objects.filter(
        client_hash=hash_value, source=Response.Source.ONLINE, submitted_at__gte=now - timedelta(seconds=window)
    ).exclude(questionnaire__kind=Questionnaire.Kind.PUBLIC_COMMENT)
    return recent.count() >= limit


def next_online_respondent(questionnaire) -> str:
    """ "W000123": one more than the latest online answer's number (called under the questionnaire's lock)."""
    last = (
        Response.objects.filter(questionnaire=questionnaire, source=Response.Source.ONLINE)
        .order_by("-pk")
        .values_list("respondent", flat=True)
        .first()
    )
    number = 0
    if last and last.startswith(ONLINE_PREFIX) and last[1:].isdigit():
        number = int(last[1:])
    while True:
        number += 1
        candidate = f"{ONLINE_PREFIX}{number:06d}"
        if not Response.objects.filter(questionnaire=questionnaire, respondent=candidate).exists():
            return candidate


@ratelimit.retry_when_locked
@transaction.atomic
def response_submit_online(*, questionnaire, raw: dict, client: str) -> Response:
    """Store one resident's online answers (``client``: ``client_hash`` of the sender). Raises
    ``NotAccepting``, ``RateLimited`` or ``ValidationError`` (keyed by question code). Anonymous:
    not audited, no name stored. The rate limit is checked under the client's gate (``ratelimit.py``),
    so parallel answers to several surveys cannot pass it together."""
    ratelimit.gate(ratelimit.SURVEY, client, timezone.now())
    q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if not is_accepting(q):
        raise NotAccepting
    if is_rate_limited(client):
        raise RateLimited
    if hasattr(questionnaire, "_survey_spec"):
        q._survey_spec = questionnaire._survey_spec
    answers = validate_answers(q, raw)
    for _attempt in range(3):
        response = Response(
            questionnaire=q,
            respondent=next_online_respondent(q),
            source=Response.Source.ONLINE,
            answers=answers,
            client_hash=client,
        )
        try:
            with transaction.atomic():
                response.save()
            break
        except IntegrityError:  # a number taken meanwhile (databases without row locks)
            continue
    else:  # pragma: no cover - three collisions in a row
        raise ValidationError(_("混み合っているため保存できませんでした。もう一度送信してください。"))
    _bump_data(q.pk)
    return response


# --------------------------------------------------------------------------- free answers → voices


def speaker_of(response, spec: Spec) -> str:
    """The respondent's attributes as labels, e.g. 「70代・女性・東地区」 (no names are ever stored)."""
    parts = []
    for q in spec.attributes():
        value = response.answers.get(q.code)
        if value is None:
            continue
        label = dict(q.categories).get(str(value))
        if label:
            parts.append(label)
    return "・".join(parts)[:100]


@transaction.atomic
def voice_from_answer(*, response, question, by, tags=(), new_tags="") -> Voice:
    """Turn a free answer into a Voice (source 「アンケートの自由記述」) of the survey's plan, linked to
    the response and the question, with the council's ``tags`` (Tag objects or ids) and ``new_tags``
    (names separated by 「、」 or ","; created when missing). Called again, it updates the tags."""
    q = Questionnaire.objects.select_related("council").get(pk=response.questionnaire_id)
    if q.plan_id is None:
        raise ValidationError(_("計画に結び付いていないアンケートの回答は、意見にできません。"))
    if question.questionnaire_id != q.pk or question.kind != Question.Kind.TEXT:
        raise ValidationError(_("自由記述の質問ではありません。"))
    text = response.answers.get(question.code)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(_("この回答者はこの質問に答えていません。"))
    ids = [getattr(t, "pk", t) for t in tags]
    chosen = list(Tag.objects.filter(council=q.council, pk__in=[int(i) for i in ids if str(i).isdigit()]))
    if len(chosen) != len(set(ids)):
        raise ValidationError({"tags": [_("この社協のタグではないものが含まれています。")]})
    created = []
    for name in re.split(r"[,、，]+", new_tags or ""):
        name = name.strip()
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"new_tags": [_("タグは50文字以内にしてください。")]})
        tag, made = Tag.objects.get_or_create(council=q.council, name=name)
        chosen.append(tag)
        if made:
            created.append(name)
    voice = (
        Voice.objects.select_for_update()
        .filter(response=response, question=question, source=Voice.Source.SURVEY)
        .order_by("pk")
        .first()
    )
    before = None
    if voice is None:
        voice = Voice(
            plan_id=q.plan_id,
            source=Voice.Source.SURVEY,
            response=response,
            question=question,
            text=text,
            speaker=speaker_of(response, questionnaire_spec(q)),
        )
        voice.full_clean()
        voice.save()
    else:
        before = {"tags": sorted(voice.tags.values_list("name", flat=True))}
    voice.tags.set({t.pk: t for t in chosen}.values())
    after = {"tags": sorted({t.name for t in chosen}), "question": question.code, "respondent": response.respondent}
    if created:
        after["new_tags"] = created
    if before is not None and before["tags"] == after["tags"]:
        return voice
    log_action(
        council=q.council,
        actor=by,
        action="voice.save",
        plan_id=q.plan_id,
        target_label=text[:80],
        before=before,
        after=after,
        obj=voice,
    )
    return voice
