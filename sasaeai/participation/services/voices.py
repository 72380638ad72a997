"""Writes of the formulation record: steps, workshops and hearings, voices and their links, tags.
Committees have their own module (committees.py).

Keyword-only, one transaction, validated (Japanese messages naming the field or the row), and one
audit entry per change. Survey questionnaires and public comment have their own services; voices
that come from them are written here too (``voice_save`` with ``source`` survey / public_comment).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sasaeai.core.audit import diff, iso_date, log_action

from ..models import EngagementSession, FormulationStep, Tag, Voice

VOICE_MAX_CHARS = 4000
MAX_VOICES_AT_ONCE = 500


def default_step_names():
    """The usual steps, offered when a plan has none yet (editable)."""
    return [_("現状把握・課題抽出"), _("協議"), _("素案"), _("パブリックコメント"), _("完成")]


# --------------------------------------------------------------------------- formulation steps

STEP_FIELDS = ["name", "start_date", "end_date", "description", "outputs"]


def _step_line(step):
    when = f"{iso_date(step.start_date)}〜{iso_date(step.end_date)}" if (step.start_date or step.end_date) else ""
    text = step.name + (f"（{when}）" if when else "")
    extra = [x for x in (step.description.strip()[:40], step.outputs.strip()[:40]) if x]
    return text + (": " + " / ".join(extra) if extra else "")


def _step_errors(step, number) -> list[str]:
    """What is wrong with one edited step (row ``number``), in Japanese."""
    errors = []
    if not step.name:
        errors.append(_("%(n)s行目: 段階の名前を入力してください。") % {"n": number})
    if step.start_date and step.end_date and step.end_date < step.start_date:
        errors.append(_("%(n)s行目（%(name)s）: 終了日が開始日より前です。") % {"n": number, "name": step.name})
    try:
        step.full_clean(exclude=["plan"] if step.name else ["plan", "name"])
    except ValidationError as exc:
        errors.extend(_("%(n)s行目: %(message)s") % {"n": number, "message": m} for m in exc.messages)
    return errors


@transaction.atomic
def formulation_steps_save(*, plan, by, rows):
    """Replace the plan's steps by ``rows`` (in order): dicts with ``id`` (an existing step, or None),
    ``name``, ``start_date``, ``end_date``, ``description``, ``outputs``. Steps not named are deleted."""
    existing = {s.pk: s for s in FormulationStep.objects.filter(plan=plan).order_by("position", "pk")}
    before = [_step_line(s) for s in existing.values()]
    errors, steps, seen = [], [], set()
    for number, row in enumerate(rows, start=1):
        step_id = row.get("id")
        if step_id:
            if step_id not in existing or step_id in seen:
                errors.append(_("%(n)s行目: この計画の工程ではありません。") % {"n": number})
                continue
            seen.add(step_id)
            step = existing[step_id]
        else:
            step = FormulationStep(plan=plan)
        for name in STEP_FIELDS:
            value = row.get(name)
            setattr(step, name, (value or "").strip() if name in ("name", "description", "outputs") else value)
        step.position = number
        errors.extend(_step_errors(step, number))
        steps.append(step)
    if errors:
        raise ValidationError(errors)
    for pk, step in existing.items():
        if pk not in seen:
            step.delete()
    for step in steps:
        step.save()
    after = [_step_line(s) for s in steps]
    if after != before:
        log_action(
            council=plan.council,
            actor=by,
            action="formulation.steps",
            plan_id=plan.pk,
            target_label=plan.title,
            before={"工程": before},
            after={"工程": after},
        )
    return steps


# --------------------------------------------------------------------------- workshops and hearings

SESSION_FIELDS = ["kind", "title", "held_on", "place", "occurrences", "participants", "group_name", "field", "notes"]


def source_for_session(session) -> str:
    return {
        EngagementSession.Kind.WORKSHOP: Voice.Source.WORKSHOP,
        EngagementSession.Kind.HEARING: Voice.Source.HEARING,
    }.get(session.kind, Voice.Source.OTHER)


def _session_snapshot(session):
    data = {f: getattr(session, f) for f in SESSION_FIELDS}
    data["held_on"] = iso_date(session.held_on)
    return data


@transaction.atomic
def session_save(*, plan, by, session=None, is_sample=False, **fields):
    created = session is None
    session = session or EngagementSession(plan=plan, is_sample=is_sample)
    if session.plan_id != plan.pk:
        raise ValidationError(_("別の計画の懇談会・ヒアリングです。"))
    before = None if created else _session_snapshot(session)
    for key, value in fields.items():
        if key not in SESSION_FIELDS:
            raise TypeError(f"session_save() got an unexpected field {key!r}")
        setattr(session, key, value.strip() if isinstance(value, str) and key != "notes" else value)
    if session.occurrences is None:
        session.occurrences = 1  # a form left blank: one session
    session.full_clean(exclude=["plan"])
    session.save()
    if not created and before["kind"] != session.kind:
        # The voices of a session come from it: keep their source in step with its kind.
        Voice.objects.filter(session=session).update(source=source_for_session(session))
    after = _session_snapshot(session)
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v not in ("", None)})
    if a:
        log_action(
            council=plan.council,
            actor=by,
            action="session.save",
            plan_id=plan.pk,
            target_label=session.title,
            before=b,
            after=a,
            obj=session,
        )
    return session


@transaction.atomic
def session_delete(*, session, by):
    plan = session.plan
    log_action(
        council=plan.council,
        actor=by,
        action="session.delete",
        plan_id=plan.pk,
        target_label=session.title,
        before={"title": session.title, "意見の数": session.voices.count()},
        obj=session,
    )
    session.delete()


# --------------------------------------------------------------------------- voices


def _check_links(plan, *, issues=(), nodes=(), tags=(), session=None):
    if any(i.plan_id != plan.pk for i in issues):
        raise ValidationError({"issues": _("別の計画の地域生活課題は選べません。")})
    if any(n.plan_id != plan.pk for n in nodes):
        raise ValidationError({"nodes": _("別の計画の項目は選べません。")})
    if any(t.council_id != plan.council_id for t in tags):
        raise ValidationError({"tags": _("別の社協のタグは選べません。")})
    if session is not None and session.plan_id != plan.pk:
        raise ValidationError({"session": _("別の計画の懇談会・ヒアリングは選べません。")})


def _voice_snapshot(voice, issues, nodes, tags):
    return {
        "text": voice.text,
        "speaker": voice.speaker,
        "source": voice.get_source_display(),
        "session": voice.session.title if voice.session_id else "",
        "issues": sorted(str(i) for i in issues),
        "nodes": sorted(n.label for n in nodes),
        "tags": sorted(t.name for t in tags),
    }


def _voice_label(text):
    text = " ".join(text.split())
    return text[:40] + ("…" if len(text) > 40 else "")


@transaction.atomic
def voice_save(
    *,
    plan,
    by,
    voice=None,
    text,
    speaker="",
    source=None,
    session=None,
    issues=None,
    nodes=None,
    tags=None,
    new_tags=None,
    is_sample=False,
    response=None,
    question=None,
    comment=None,
):
    """Create or edit one voice (``new_tags`` names tags to make and add). ``issues``/``nodes``/``tags``
    None leaves an existing voice's links as
    they are. A voice of a session takes its source from the session; survey and public-comment voices
    keep their source and origin."""
    created = voice is None
    if not created and voice.plan_id != plan.pk:
        raise ValidationError(_("別の計画の意見です。"))
    issues = list(issues) if issues is not None else (list(voice.issues.all()) if voice else [])
    nodes = list(nodes) if nodes is not None else (list(voice.nodes.all()) if voice else [])
    tags = list(tags) if tags is not None else (list(voice.tags.all()) if voice else [])
    tags = _with_new_tags(council=plan.council, by=by, tags=tags, new_tags=new_tags)
    _check_links(plan, issues=issues, nodes=nodes, tags=tags, session=session)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("意見を入力してください。")})
    if len(text) > VOICE_MAX_CHARS:
        raise ValidationError({"text": _("意見が長すぎます（%(max)s字まで）。") % {"max": f"{VOICE_MAX_CHARS:,}"}})
    before = None
    if created:
        voice = Voice(plan=plan, is_sample=is_sample, response=response, question=question, comment=comment)
    else:
        before = _voice_snapshot(voice, voice.issues.all(), voice.nodes.all(), voice.tags.all())
    fixed_origin = (
        voice.response_id
        or voice.comment_id
        or (not created and voice.source in (Voice.Source.SURVEY, Voice.Source.PUBLIC_COMMENT))
    )
    if not fixed_origin:
        voice.session = session
        if session is not None:
            voice.source = source_for_session(session)
        elif source:
            voice.source = source
        elif created:
            voice.source = Voice.Source.OTHER
    elif created:
        voice.source = source or (Voice.Source.PUBLIC_COMMENT if comment is not None else Voice.Source.SURVEY)
    voice.text, voice.speaker = text, (speaker or "").strip()
    voice.full_clean(exclude=["plan", "session", "response", "question", "comment"])
    voice.save()
    voice.issues.set(issues)
    voice.nodes.set(nodes)
    voice.tags.set(tags)
    after = _voice_snapshot(voice, issues, nodes, tags)
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v})
    if a:
        log_action(
            council=plan.council,
            actor=by,
            action="voice.save",
            plan_id=plan.pk,
            target_label=_voice_label(text),
            before=b,
            after=a,
            obj=voice,
        )
    return voice


def _voice_texts(texts) -> list[str]:
    """The non-blank texts of a quick entry, or a ValidationError naming the rows that are too long."""
    cleaned, errors = [], []
    for number, text in enumerate(texts, start=1):
        text = (text or "").strip()
        if not text:
            continue
        if len(text) > VOICE_MAX_CHARS:
            errors.append(_("%(n)s行目: 長すぎます（%(max)s字まで）。") % {"n": number, "max": f"{VOICE_MAX_CHARS:,}"})
        cleaned.append(text)
    if errors:
        raise ValidationError({"texts": errors})
    if not cleaned:
        raise ValidationError({"texts": _("意見を1行に1つずつ入力してください。")})
    if len(cleaned) > MAX_VOICES_AT_ONCE:
        raise ValidationError({"texts": _("一度に入力できる意見は %(max)s 件までです。") % {"max": MAX_VOICES_AT_ONCE}})
    return cleaned


@transaction.atomic
def voices_add(
    *,
    plan,
    by,
    texts,
    session=None,
    source=None,
    speaker="",
    issues=(),
    nodes=(),
    tags=(),
    new_tags=None,
    is_sample=False,
):
    """Quick entry: one voice per text (blank ones skipped), all with the same speaker and links
    (``new_tags`` names tags to make and add). One audit entry for the lot."""
    tags = _with_new_tags(council=plan.council, by=by, tags=tags, new_tags=new_tags)
    issues, nodes, tags = list(issues), list(nodes), list(tags)
    _check_links(plan, issues=issues, nodes=nodes, tags=tags, session=session)
    cleaned = _voice_texts(texts)
    speaker = (speaker or "").strip()
    if len(speaker) > 100:
        raise ValidationError({"speaker": _("発言者の属性は100字までです。")})
    kind = source_for_session(session) if session is not None else (source or Voice.Source.OTHER)
    if kind not in Voice.Source.values:
        raise ValidationError({"source": _("出どころを選んでください。")})
    voices = Voice.objects.bulk_create(
        [Voice(plan=plan, session=session, source=kind, text=t, speaker=speaker, is_sample=is_sample) for t in cleaned]
    )
    for manager, objects, key in (
        (Voice.issues, issues, "communityissue_id"),
        (Voice.nodes, nodes, "plannode_id"),
        (Voice.tags, tags, "tag_id"),
    ):
        manager.through.objects.bulk_create(
            [manager.through(voice_id=v.pk, **{key: o.pk}) for v in voices for o in objects]
        )
    after = {"追加した意見": len(voices)}
    if session is not None:
        after["懇談会・ヒアリング"] = session.title
    if issues:
        after["地域生活課題"] = [str(i) for i in issues]
    if nodes:
        after["項目"] = [n.label for n in nodes]
    if tags:
        after["タグ"] = [t.name for t in tags]
    log_action(
        council=plan.council,
        actor=by,
        action="voice.save",
        plan_id=plan.pk,
        target_label=_("意見 %(n)s 件") % {"n": len(voices)},
        after=after,
        obj=session if session is not None else None,
    )
    return voices


@transaction.atomic
def voice_delete(*, voice, by):
    plan = voice.plan
    log_action(
        council=plan.council,
        actor=by,
        action="voice.delete",
        plan_id=plan.pk,
        target_label=_voice_label(voice.text),
        before={"text": voice.text, "source": voice.get_source_display()},
        obj=voice,
    )
    voice.delete()


@transaction.atomic
def voices_link(*, plan, by, voices, issues=(), nodes=(), tags=(), new_tags=None, remove=False):
    """Link many voices to issues, items and tags at once (or, with ``remove``, unlink them);
    ``new_tags`` names tags to make and add. Returns the number of links made (or removed).
    One audit entry ``voice.link``."""
    tags = _with_new_tags(council=plan.council, by=by, tags=tags, new_tags=new_tags)
    voices, issues, nodes, tags = list(voices), list(issues), list(nodes), list(tags)
    if not voices:
        raise ValidationError({"voices": _("結び付ける意見を選んでください。")})
    if any(v.plan_id != plan.pk for v in voices):
        raise ValidationError({"voices": _("別の計画の意見は選べません。")})
    if not (issues or nodes or tags):
        raise ValidationError(_("地域生活課題・項目・タグのどれかを選んでください。"))
    _check_links(plan, issues=issues, nodes=nodes, tags=tags)
    voice_ids = [v.pk for v in voices]
    changed = 0
    for manager, objects, key in (
        (Voice.issues, issues, "communityissue_id"),
        (Voice.nodes, nodes, "plannode_id"),
        (Voice.tags, tags, "tag_id"),
    ):
        if not objects:
            continue
        through = manager.through
        object_ids = [o.pk for o in objects]
        links = through.objects.filter(voice_id__in=voice_ids, **{f"{key}__in": object_ids})
        if remove:
            changed += links.delete()[0]
            continue
        existing = set(links.values_list("voice_id", key))
        new = [through(voice_id=v, **{key: o}) for v in voice_ids for o in object_ids if (v, o) not in existing]
        through.objects.bulk_create(new)
        changed += len(new)
    after = {"操作": _("外す") if remove else _("結び付ける"), "意見の数": len(voices), "変わった結び付き": changed}
    if issues:
        after["地域生活課題"] = [str(i) for i in issues]
    if nodes:
        after["項目"] = [n.label for n in nodes]
    if tags:
        after["タグ"] = [t.name for t in tags]
    log_action(
        council=plan.council,
        actor=by,
        action="voice.link",
        plan_id=plan.pk,
        target_label=_("意見 %(n)s 件") % {"n": len(voices)},
        after=after,
    )
    return changed


# --------------------------------------------------------------------------- tags


@transaction.atomic
def tag_save(*, council, by, tag=None, name):
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("タグの名前を入力してください。")})
    if len(name) > 50:
        raise ValidationError({"name": _("タグの名前は50字までです。")})
    if Tag.objects.filter(council=council, name=name).exclude(pk=getattr(tag, "pk", None)).exists():
        raise ValidationError({"name": _("「%(name)s」というタグは既にあります。") % {"name": name}})
    before = {"name": tag.name} if tag is not None else None
    if tag is None:
        tag = Tag(council=council)
    elif tag.council_id != council.pk:
        raise ValidationError(_("別の社協のタグです。"))
    tag.name = name
    tag.full_clean(exclude=["council"])
    tag.save()
    if before != {"name": name}:
        log_action(
            council=council,
            actor=by,
            action="tag.save",
            target_label=name,
            before=before,
            after={"name": name},
            obj=tag,
        )
    return tag


def _with_new_tags(*, council, by, tags, new_tags):
    """``tags`` plus the council's tags named in ``new_tags`` (made when missing), each once."""
    if not new_tags:
        return tags
    tags = list(tags or [])
    for tag in tags_from_names(council=council, by=by, names=new_tags):
        if tag not in tags:
            tags.append(tag)
    return tags


def tags_from_names(*, council, by, names):
    """The council's tags named in ``names`` (comma / 、 separated text or a list), made when missing."""
    if isinstance(names, str):
        names = names.replace("、", ",").replace("，", ",").split(",")
    wanted = []
    for name in names:
        name = " ".join(name.split())
        if name and name not in wanted:
            wanted.append(name)
    existing = {t.name: t for t in Tag.objects.filter(council=council, name__in=wanted)}
    return [existing.get(n) or tag_save(council=council, by=by, name=n) for n in wanted]
