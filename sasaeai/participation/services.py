"""Writes of the formulation record: steps, workshops and hearings, voices and their links, tags,
committees with members, meetings and materials.

Keyword-only, one transaction, validated (Japanese messages naming the field or the row), and one
audit entry per change. Survey questionnaires and public comment have their own services; voices
that come from them are written here too (``voice_save`` with ``source`` survey / public_comment).
"""
from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sasaeai.core.audit import diff, log_action

from .models import (
    Committee,
    CommitteeMeeting,
    CommitteeMember,
    EngagementSession,
    FormulationStep,
    MeetingMaterial,
    Tag,
    Voice,
)

VOICE_MAX_CHARS = 4000
MAX_VOICES_AT_ONCE = 500
MAX_MATERIALS = 20


def _iso(value):
    return value.isoformat() if value else ""


def default_step_names():
    """The usual steps, offered when a plan has none yet (editable)."""
    return [_("現状把握・課題抽出"), _("協議"), _("素案"), _("パブリックコメント"), _("完成")]


# --------------------------------------------------------------------------- formulation steps

STEP_FIELDS = ["name", "start_date", "end_date", "description", "outputs"]


def _step_line(step):
    when = f"{_iso(step.start_date)}〜{_iso(step.end_date)}" if (step.start_date or step.end_date) else ""
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
        log_action(council=plan.council, actor=by, action="formulation.steps", plan_id=plan.pk,
                   target_label=plan.title, before={"工程": before}, after={"工程": after})
    return steps


# --------------------------------------------------------------------------- workshops and hearings

SESSION_FIELDS = ["kind", "title", "held_on", "place", "occurrences", "participants", "group_name", "field", "notes"]


def source_for_session(session) -> str:
    return {EngagementSession.Kind.WORKSHOP: Voice.Source.WORKSHOP,
            EngagementSession.Kind.HEARING: Voice.Source.HEARING}.get(session.kind, Voice.Source.OTHER)


def _session_snapshot(session):
    data = {f: getattr(session, f) for f in SESSION_FIELDS}
    data["held_on"] = _iso(session.held_on)
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
        log_action(council=plan.council, actor=by, action="session.save", plan_id=plan.pk,
                   target_label=session.title, before=b, after=a, obj=session)
    return session


@transaction.atomic
def session_delete(*, session, by):
    plan = session.plan
    log_action(council=plan.council, actor=by, action="session.delete", plan_id=plan.pk, target_label=session.title,
               before={"title": session.title, "意見の数": session.voices.count()}, obj=session)
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
    return {"text": voice.text, "speaker": voice.speaker, "source": voice.get_source_display(),
            "session": voice.session.title if voice.session_id else "",
            "issues": sorted(str(i) for i in issues), "nodes": sorted(n.label for n in nodes),
            "tags": sorted(t.name for t in tags)}


def _voice_label(text):
    text = " ".join(text.split())
    return text[:40] + ("…" if len(text) > 40 else "")


@transaction.atomic
def voice_save(*, plan, by, voice=None, text, speaker="", source=None, session=None, issues=None, nodes=None,
               tags=None, is_sample=False, response=None, question=None, comment=None):
    """Create or edit one voice. ``issues``/``nodes``/``tags`` None leaves an existing voice's links as
    they are. A voice of a session takes its source from the session; survey and public-comment voices
    keep their source and origin."""
    created = voice is None
    if not created and voice.plan_id != plan.pk:
        raise ValidationError(_("別の計画の意見です。"))
    issues = list(issues) if issues is not None else (list(voice.issues.all()) if voice else [])
    nodes = list(nodes) if nodes is not None else (list(voice.nodes.all()) if voice else [])
    tags = list(tags) if tags is not None else (list(voice.tags.all()) if voice else [])
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
    fixed_origin = voice.response_id or voice.comment_id or (
        not created and voice.source in (Voice.Source.SURVEY, Voice.Source.PUBLIC_COMMENT))
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
        log_action(council=plan.council, actor=by, action="voice.save", plan_id=plan.pk,
                   target_label=_voice_label(text), before=b, after=a, obj=voice)
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
def voices_add(*, plan, by, texts, session=None, source=None, speaker="", issues=(), nodes=(), tags=(),
               is_sample=False):
    """Quick entry: one voice per text (blank ones skipped), all with the same speaker and links.
    One audit entry for the lot."""
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
        [Voice(plan=plan, session=session, source=kind, text=t, speaker=speaker, is_sample=is_sample) for t in cleaned])
    for manager, objects, key in ((Voice.issues, issues, "communityissue_id"), (Voice.nodes, nodes, "plannode_id"),
                                  (Voice.tags, tags, "tag_id")):
        manager.through.objects.bulk_create(
            [manager.through(voice_id=v.pk, **{key: o.pk}) for v in voices for o in objects])
    after = {"追加した意見": len(voices)}
    if session is not None:
        after["懇談会・ヒアリング"] = session.title
    if issues:
        after["地域生活課題"] = [str(i) for i in issues]
    if nodes:
        after["項目"] = [n.label for n in nodes]
    if tags:
        after["タグ"] = [t.name for t in tags]
    log_action(council=plan.council, actor=by, action="voice.save", plan_id=plan.pk,
               target_label=_("意見 %(n)s 件") % {"n": len(voices)}, after=after,
               obj=session if session is not None else None)
    return voices


@transaction.atomic
def voice_delete(*, voice, by):
    plan = voice.plan
    log_action(council=plan.council, actor=by, action="voice.delete", plan_id=plan.pk,
               target_label=_voice_label(voice.text), before={"text": voice.text, "source": voice.get_source_display()},
               obj=voice)
    voice.delete()


@transaction.atomic
def voices_link(*, plan, by, voices, issues=(), nodes=(), tags=(), remove=False):
    """Link many voices to issues, items and tags at once (or, with ``remove``, unlink them).
    Returns the number of links made (or removed). One audit entry ``voice.link``."""
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
    for manager, objects, key in ((Voice.issues, issues, "communityissue_id"), (Voice.nodes, nodes, "plannode_id"),
                                  (Voice.tags, tags, "tag_id")):
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
    log_action(council=plan.council, actor=by, action="voice.link", plan_id=plan.pk,
               target_label=_("意見 %(n)s 件") % {"n": len(voices)}, after=after)
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
        log_action(council=council, actor=by, action="tag.save", target_label=name, before=before,
                   after={"name": name}, obj=tag)
    return tag


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


# --------------------------------------------------------------------------- committees

COMMITTEE_FIELDS = ["kind", "name", "plan", "term_start", "term_end"]


def _committee_snapshot(committee):
    return {"kind": committee.get_kind_display(), "name": committee.name,
            "plan": committee.plan.title if committee.plan_id else "",
            "term_start": _iso(committee.term_start), "term_end": _iso(committee.term_end)}


@transaction.atomic
def committee_save(*, council, by, committee=None, is_sample=False, **fields):
    created = committee is None
    committee = committee or Committee(council=council, is_sample=is_sample)
    if committee.council_id != council.pk:
        raise ValidationError(_("別の社協の委員会です。"))
    before = None if created else _committee_snapshot(committee)
    for key, value in fields.items():
        if key not in COMMITTEE_FIELDS:
            raise TypeError(f"committee_save() got an unexpected field {key!r}")
        setattr(committee, key, value.strip() if isinstance(value, str) else value)
    if committee.plan is not None and committee.plan.council_id != council.pk:
        raise ValidationError({"plan": _("別の社協の計画は選べません。")})
    if committee.term_start and committee.term_end and committee.term_end < committee.term_start:
        raise ValidationError({"term_end": _("任期の終了が開始より前です。")})
    committee.full_clean(exclude=["council"])
    committee.save()
    after = _committee_snapshot(committee)
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v})
    if a:
        log_action(council=council, actor=by, action="committee.save", plan_id=committee.plan_id,
                   target_label=committee.name, before=b, after=a, obj=committee)
    return committee


def _delete_files_on_commit(names):
    from django.core.files.storage import default_storage

    def delete():
        for name in names:
            with contextlib.suppress(OSError):  # a missing file is already gone
                default_storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def committee_delete(*, committee, by):
    files = list(MeetingMaterial.objects.filter(meeting__committee=committee).values_list("file", flat=True))
    log_action(council=committee.council, actor=by, action="committee.delete", plan_id=committee.plan_id,
               target_label=committee.name, before=_committee_snapshot(committee), obj=committee)
    committee.delete()
    _delete_files_on_commit(files)


MEMBER_FIELDS = ["name", "affiliation", "category", "role", "user"]


def _member_line(member):
    text = f"{member.get_role_display()} {member.name}"
    if member.affiliation:
        text += f"（{member.affiliation}）"
    if member.user_id:
        text += f" [{member.user.get_username()}]"
    return text


@transaction.atomic
def committee_members_save(*, committee, by, rows):
    """Replace the members by ``rows`` (in order): dicts with ``id`` (or None), ``name``, ``affiliation``,
    ``category``, ``role``, ``user``. Members not named are removed (and from attendance)."""
    from sasaeai.accounts.selectors import users_for_council

    existing = {m.pk: m for m in CommitteeMember.objects.filter(committee=committee).select_related("user")}
    before = [_member_line(m) for m in sorted(existing.values(), key=lambda m: (m.position, m.pk))]
    allowed_users = None
    errors, members, seen, users_seen, chairs = [], [], set(), set(), 0
    for number, row in enumerate(rows, start=1):
        member_id = row.get("id")
        if member_id:
            if member_id not in existing or member_id in seen:
                errors.append(_("%(n)s行目: この委員会の委員ではありません。") % {"n": number})
                continue
            seen.add(member_id)
            member = existing[member_id]
        else:
            member = CommitteeMember(committee=committee)
        member.name = (row.get("name") or "").strip()
        member.affiliation = (row.get("affiliation") or "").strip()
        member.category = row.get("category") or CommitteeMember.Category.OTHER
        member.role = row.get("role") or CommitteeMember.Role.MEMBER
        member.user = row.get("user")
        member.position = number
        if not member.name:
            errors.append(_("%(n)s行目: 氏名を入力してください。") % {"n": number})
        if member.role == CommitteeMember.Role.CHAIR:
            chairs += 1
        if member.user is not None:
            if allowed_users is None:
                allowed_users = set(users_for_council(committee.council).values_list("pk", flat=True))
            if member.user.pk not in allowed_users:
                errors.append(_("%(n)s行目: この社協の利用者ではありません。") % {"n": number})
            if member.user.pk in users_seen:
                errors.append(_("%(n)s行目: 同じ利用者が二人の委員に結び付いています。") % {"n": number})
            users_seen.add(member.user.pk)
        try:
            member.full_clean(exclude=["committee", "name", "user"])
        except ValidationError as exc:
            errors.extend(_("%(n)s行目: %(message)s") % {"n": number, "message": m} for m in exc.messages)
        members.append(member)
    if chairs > 1:
        errors.append(_("委員長は一人だけにしてください（%(n)s人が委員長になっています）。") % {"n": chairs})
    if errors:
        raise ValidationError(errors)
    for pk, member in existing.items():
        if pk not in seen:
            member.delete()
    for member in members:
        member.save()
    after = [_member_line(m) for m in members]
    if after != before:
        log_action(council=committee.council, actor=by, action="committee.members", plan_id=committee.plan_id,
                   target_label=committee.name, before={"委員": before}, after={"委員": after}, obj=committee)
    return members


MEETING_FIELDS = ["number", "held_on", "date_note", "place", "agenda", "minutes"]


def _meeting_snapshot(meeting, attendees):
    data = {f: getattr(meeting, f) for f in MEETING_FIELDS}
    data["held_on"] = _iso(meeting.held_on)
    data["attendees"] = [m.name for m in sorted(attendees, key=lambda m: (m.position, m.pk))]
    return data


def _meeting_label(meeting):
    return _("%(committee)s 第%(n)s回") % {"committee": meeting.committee.name, "n": meeting.number}


@transaction.atomic
def committee_meeting_save(*, committee, by, meeting=None, attendees=(), is_sample=False, **fields):
    attendees = list(attendees)
    if any(m.committee_id != committee.pk for m in attendees):
        raise ValidationError({"attendees": _("この委員会の委員だけを選べます。")})
    created = meeting is None
    meeting = meeting or CommitteeMeeting(committee=committee, is_sample=is_sample)
    if meeting.committee_id != committee.pk:
        raise ValidationError(_("別の委員会の会議です。"))
    before = None if created else _meeting_snapshot(meeting, meeting.attendees.all())
    for key, value in fields.items():
        if key not in MEETING_FIELDS:
            raise TypeError(f"committee_meeting_save() got an unexpected field {key!r}")
        setattr(meeting, key, value.strip() if isinstance(value, str) and key == "place" else value)
    if meeting.number and CommitteeMeeting.objects.filter(committee=committee, number=meeting.number).exclude(
            pk=meeting.pk).exists():
        raise ValidationError({"number": _("第%(n)s回の会議は既にあります。") % {"n": meeting.number}})
    meeting.full_clean(exclude=["committee"], validate_constraints=False)
    meeting.save()
    meeting.attendees.set(attendees)
    after = _meeting_snapshot(meeting, attendees)
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v})
    if a:
        log_action(council=committee.council, actor=by, action="committee_meeting.save", plan_id=committee.plan_id,
                   target_label=_meeting_label(meeting), before=b, after=a, obj=meeting)
    return meeting


@transaction.atomic
def committee_meeting_delete(*, meeting, by):
    committee = meeting.committee
    files = list(meeting.materials.values_list("file", flat=True))
    log_action(council=committee.council, actor=by, action="committee_meeting.delete", plan_id=committee.plan_id,
               target_label=_meeting_label(meeting), before={"held_on": _iso(meeting.held_on)}, obj=meeting)
    meeting.delete()
    _delete_files_on_commit(files)


@transaction.atomic
def meeting_material_add(*, meeting, by, upload, max_bytes=None):
    """Attach a file to a meeting, with the checks of progress attachments (type by extension and
    content, size limit ``SASAEAI_ATTACHMENT_MAX_BYTES``)."""
    from sasaeai.progress.services import attachment_check

    max_bytes = max_bytes or settings.SASAEAI_ATTACHMENT_MAX_BYTES
    try:
        content_type, name = attachment_check(upload, max_bytes=max_bytes)
    except ValidationError as exc:
        raise ValidationError({"material": exc.messages}) from exc
    if meeting.materials.count() >= MAX_MATERIALS:
        raise ValidationError({"material": _("資料は一つの会議に %(n)s 件までです。") % {"n": MAX_MATERIALS}})
    material = MeetingMaterial(meeting=meeting, name=name, size=upload.size, content_type=content_type,
                               uploaded_by=by if getattr(by, "pk", None) else None)
    material.file.save(name, upload, save=False)
    material.save()
    committee = meeting.committee
    log_action(council=committee.council, actor=by, action="committee_meeting.material", plan_id=committee.plan_id,
               target_label=_meeting_label(meeting), after={"資料": name}, obj=meeting)
    return material


@transaction.atomic
def meeting_material_delete(*, material, by):
    meeting = material.meeting
    committee = meeting.committee
    log_action(council=committee.council, actor=by, action="committee_meeting.material", plan_id=committee.plan_id,
               target_label=_meeting_label(meeting), before={"資料": material.name}, obj=meeting)
    stored = material.file.name
    material.delete()
    _delete_files_on_commit([stored])
