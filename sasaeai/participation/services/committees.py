"""Writes of committees (策定委員会・評価委員会): the committee, its members, meetings with attendance
and materials. Keyword-only, one transaction, validated (Japanese messages naming the field or the
row), one audit entry per change."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sasaeai.core.audit import diff, iso_date, log_action

from ..models import Committee, CommitteeMeeting, CommitteeMember, MeetingMaterial

MAX_MATERIALS = 20


# --------------------------------------------------------------------------- committees

COMMITTEE_FIELDS = ["kind", "name", "plan", "term_start", "term_end"]


def _committee_snapshot(committee):
    return {
        "kind": committee.get_kind_display(),
        "name": committee.name,
        "plan": committee.plan.title if committee.plan_id else "",
        "term_start": iso_date(committee.term_start),
        "term_end": iso_date(committee.term_end),
    }


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
        log_action(
            council=council,
            actor=by,
            action="committee.save",
            plan_id=committee.plan_id,
            target_label=committee.name,
            before=b,
            after=a,
            obj=committee,
        )
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
    log_action(
        council=committee.council,
        actor=by,
        action="committee.delete",
        plan_id=committee.plan_id,
        target_label=committee.name,
        before=_committee_snapshot(committee),
        obj=committee,
    )
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


def _member_for_row(
    *, committee: Committee, existing: dict[int, CommitteeMember], seen: set[int], row: dict[str, Any]
) -> CommitteeMember | None:
    """The member a row edits (an existing one, marked seen), a new one, or None for a foreign or repeated id."""
    member_id = row.get("id")
    if not member_id:
        return CommitteeMember(committee=committee)
    if member_id not in existing or member_id in seen:
        return None
    seen.add(member_id)
    return existing[member_id]


def _fill_member(member: CommitteeMember, row: dict[str, Any], number: int) -> None:
    member.name = (row.get("name") or "").strip()
    member.affiliation = (row.get("affiliation") or "").strip()
    member.category = row.get("category") or CommitteeMember.Category.OTHER
    member.role = row.get("role") or CommitteeMember.Role.MEMBER
    member.user = row.get("user")
    member.position = number


def _name_errors(member: CommitteeMember, number: int) -> list[str]:
    """The row's error for a missing or too long name, if any."""
    name_limit = CommitteeMember._meta.get_field("name").max_length
    if not member.name:
        return [_("%(n)s行目: 氏名を入力してください。") % {"n": number}]
    if name_limit is not None and len(member.name) > name_limit:
        return [_("%(n)s行目: 氏名は%(limit)s文字以内にしてください。") % {"n": number, "limit": name_limit}]
    return []


def _clean_errors(member: CommitteeMember, number: int) -> list[str]:
    """The row's model validation errors (choices, lengths), each prefixed with the row number."""
    try:
        member.full_clean(exclude=["committee", "name", "user"])
    except ValidationError as exc:
        return [_("%(n)s行目: %(message)s") % {"n": number, "message": m} for m in exc.messages]
    return []


def _user_errors(user_pk: int, number: int, allowed_users: set[int], users_seen: set[int]) -> list[str]:
    """Row errors of a member's linked user: of this council, and linked to one member only."""
    errors: list[str] = []
    if user_pk not in allowed_users:
        errors.append(_("%(n)s行目: この社協の利用者ではありません。") % {"n": number})
    if user_pk in users_seen:
        errors.append(_("%(n)s行目: 同じ利用者が二人の委員に結び付いています。") % {"n": number})
    users_seen.add(user_pk)
    return errors


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
        member = _member_for_row(committee=committee, existing=existing, seen=seen, row=row)
        if member is None:
            errors.append(_("%(n)s行目: この委員会の委員ではありません。") % {"n": number})
            continue
        _fill_member(member, row, number)
        errors.extend(_name_errors(member, number))
        if member.role == CommitteeMember.Role.CHAIR:
            chairs += 1
        if member.user is not None:
            if allowed_users is None:
                allowed_users = set(users_for_council(committee.council).values_list("pk", flat=True))
            errors.extend(_user_errors(member.user.pk, number, allowed_users, users_seen))
        errors.extend(_clean_errors(member, number))
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
        log_action(
            council=committee.council,
            actor=by,
            action="committee.members",
            plan_id=committee.plan_id,
            target_label=committee.name,
            before={"委員": before},
            after={"委員": after},
            obj=committee,
        )
    return members


MEETING_FIELDS = ["number", "held_on", "date_note", "place", "agenda", "minutes"]


def _meeting_snapshot(meeting, attendees):
    data = {f: getattr(meeting, f) for f in MEETING_FIELDS}
    data["held_on"] = iso_date(meeting.held_on)
    data["attendees"] = [m.name for m in sorted(attendees, key=lambda m: (m.position, m.pk))]
    return data


def _meeting_label(meeting):
    return _("%(committee)s 第%(n)s回") % {"committee": meeting.committee.name, "n": meeting.number}


@transaction.atomic
def committee_meeting_save(
    *, committee, by, meeting=None, attendees=(), remove_materials=(), material=None, is_sample=False, **fields
):
    """Create or edit a meeting with its attendees; ``remove_materials`` are deleted and ``material``
    (an upload) is attached, all in one transaction."""
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
    if (
        meeting.number
        and CommitteeMeeting.objects.filter(committee=committee, number=meeting.number).exclude(pk=meeting.pk).exists()
    ):
        raise ValidationError({"number": _("第%(n)s回の会議は既にあります。") % {"n": meeting.number}})
    meeting.full_clean(exclude=["committee"], validate_constraints=False)
    meeting.save()
    meeting.attendees.set(attendees)
    after = _meeting_snapshot(meeting, attendees)
    b, a = diff(before, after) if before else (None, {k: v for k, v in after.items() if v})
    if a:
        log_action(
            council=committee.council,
            actor=by,
            action="committee_meeting.save",
            plan_id=committee.plan_id,
            target_label=_meeting_label(meeting),
            before=b,
            after=a,
            obj=meeting,
        )
    for removed in remove_materials:
        meeting_material_delete(material=removed, by=by)
    if material:
        meeting_material_add(meeting=meeting, by=by, upload=material)
    return meeting


@transaction.atomic
def committee_meeting_delete(*, meeting, by):
    committee = meeting.committee
    files = list(meeting.materials.values_list("file", flat=True))
    log_action(
        council=committee.council,
        actor=by,
        action="committee_meeting.delete",
        plan_id=committee.plan_id,
        target_label=_meeting_label(meeting),
        before={"held_on": iso_date(meeting.held_on)},
        obj=meeting,
    )
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
    material = MeetingMaterial(
        meeting=meeting,
        name=name,
        size=upload.size,
        content_type=content_type,
        uploaded_by=by if getattr(by, "pk", None) else None,
    )
    material.file.save(name, upload, save=False)
    material.save()
    committee = meeting.committee
    log_action(
        council=committee.council,
        actor=by,
        action="committee_meeting.material",
        plan_id=committee.plan_id,
        target_label=_meeting_label(meeting),
        after={"資料": name},
        obj=meeting,
    )
    return material


@transaction.atomic
def meeting_material_delete(*, material, by):
    meeting = material.meeting
    committee = meeting.committee
    log_action(
        council=committee.council,
        actor=by,
        action="committee_meeting.material",
        plan_id=committee.plan_id,
        target_label=_meeting_label(meeting),
        before={"資料": material.name},
        obj=meeting,
    )
    stored = material.file.name
    material.delete()
    _delete_files_on_commit([stored])
