"""Committees: members (21, one chair), meetings with attendance, materials with the attachment checks,
the evaluation committee's link to the plan's evaluation, and permissions."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.participation.models import Committee, CommitteeMeeting, CommitteeMember, MeetingMaterial
from sasaeai.participation.selectors import committees as committee_selectors
from sasaeai.participation.services import committees as committee_services

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def committee(small_plan, users):
    return committee_services.committee_save(
        council=small_plan.council,
        by=users["editor"],
        kind="formulation",
        name="地域福祉活動計画策定委員会",
        plan=small_plan,
    )


def members_post(rows, initial=0, quick=""):
    data = {
        "members-TOTAL_FORMS": str(len(rows)),
        "members-INITIAL_FORMS": str(initial),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "200",
        "quick-lines": quick,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"members-{i}-{key}"] = "" if value is None else str(value)
    return data


def test_committee_with_21_members_and_4_meetings_with_attendance(small_plan, committee, users, client_for):
    council = small_plan.council
    client = client_for(users["editor"])
    rows = [
        {"name": "山田 花子", "affiliation": "県立大学 教授", "category": "academic", "role": "chair", "ORDER": 1},
        {
            "name": "佐藤 一郎",
            "affiliation": "民生委員児童委員協議会",
            "category": "organisation",
            "role": "vice_chair",
            "ORDER": 2,
        },
    ]
    quick = "\n".join(f"委員{n:02d}, 地区社協 会長" for n in range(3, 22))
    response = client.post(
        reverse("participation:committee_members", args=[council.pk, committee.pk]), members_post(rows, quick=quick)
    )
    assert response.status_code == 302
    members = committee_selectors.committee_members(committee)
    assert len(members) == 21
    assert (members[0].name, members[0].role, members[1].role) == ("山田 花子", "chair", "vice_chair")
    assert (members[2].name, members[2].affiliation, members[2].role) == ("委員03", "地区社協 会長", "member")
    assert AuditEntry.objects.filter(action="committee.members").count() == 1
    absent = {1: [], 2: [5], 3: [5, 6, 7], 4: [20]}
    for number, held_on in [(1, "2025-05-20"), (2, "2025-07-15"), (3, "2025-09-02"), (4, "2025-10-28")]:
        present = [m.pk for i, m in enumerate(members) if i not in absent[number]]
        response = client.post(
            reverse("participation:meeting_create", args=[council.pk, committee.pk]),
            {
                "number": number,
                "held_on": held_on,
                "place": "福祉会館",
                "agenda": "計画素案について",
                "attendees": present,
            },
        )
        assert response.status_code == 302
    meetings = committee_selectors.committee_meetings(committee)
    assert [m.number for m in meetings] == [1, 2, 3, 4]
    assert [m.attendees.count() for m in meetings] == [21, 20, 18, 20]
    html = (
        client_for(users["viewer"])
        .get(reverse("participation:committee", args=[council.pk, committee.pk]))
        .content.decode()
    )
    assert "21人" in html and "4回" in html and "18人／21人" in html and "令和7年10月28日" in html
    overview = client_for(users["viewer"]).get(reverse("participation:overview", args=[small_plan.pk])).content.decode()
    assert "委員 21人・会議 4回" in overview


def test_new_meeting_suggests_the_next_number_and_refuses_a_duplicate(committee, users, client_for):
    council = committee.council
    committee_services.committee_meeting_save(committee=committee, by=None, number=1, held_on="2025-05-01")
    client = client_for(users["editor"])
    page = client.get(reverse("participation:meeting_create", args=[council.pk, committee.pk]))
    assert page.context["form"].initial["number"] == 2
    response = client.post(
        reverse("participation:meeting_create", args=[council.pk, committee.pk]), {"number": 1, "held_on": "2025-06-01"}
    )
    assert response.status_code == 400 and "第1回の会議は既にあります。" in response.content.decode()
    assert CommitteeMeeting.objects.count() == 1


def test_only_one_chair_and_members_of_this_committee_only(committee, councils, users):
    with pytest.raises(ValidationError) as info:
        committee_services.committee_members_save(
            committee=committee,
            by=None,
            rows=[{"name": "A", "role": "chair"}, {"name": "B", "role": "chair"}, {"name": "", "affiliation": "x"}],
        )
    assert "3行目: 氏名を入力してください。" in info.value.messages
    assert "委員長は一人だけにしてください（2人が委員長になっています）。" in info.value.messages
    assert not CommitteeMember.objects.exists()
    with pytest.raises(ValidationError) as info:
        committee_services.committee_members_save(
            committee=committee, by=None, rows=[{"name": "A", "user": users["outsider"]}]
        )
    assert info.value.messages == ["1行目: この社協の利用者ではありません。"]
    other = committee_services.committee_save(council=committee.council, by=None, kind="other", name="別の委員会")
    stranger = committee_services.committee_members_save(committee=other, by=None, rows=[{"name": "C"}])[0]
    with pytest.raises(ValidationError):
        committee_services.committee_meeting_save(
            committee=committee, by=None, number=1, held_on="2025-05-01", attendees=[stranger]
        )


def test_evaluation_committee_member_linked_to_a_user_and_the_evaluation_link(small_plan, users, client_for):
    council = small_plan.council
    committee = committee_services.committee_save(
        council=council, by=None, kind="evaluation", name="評価委員会", plan=small_plan
    )
    committee_services.committee_members_save(
        committee=committee, by=None, rows=[{"name": "評価 委員", "role": "chair", "user": users["committee"]}]
    )
    html = (
        client_for(users["committee"])
        .get(reverse("participation:committee", args=[council.pk, committee.pk]))
        .content.decode()
    )
    assert reverse("evaluation:plan", args=[small_plan.pk]) in html
    assert "利用者 committee_a" in html
    council_wide = committee_services.committee_save(
        council=council, by=None, kind="evaluation", name="社協全体の評価委員会"
    )
    html = (
        client_for(users["viewer"])
        .get(reverse("participation:committee", args=[council.pk, council_wide.pk]))
        .content.decode()
    )
    assert "この計画の評価を開く" not in html


def _upload(client, committee, meeting, name, content, content_type="application/pdf"):
    return client.post(
        reverse("participation:meeting_edit", args=[committee.council_id, committee.pk, meeting.pk]),
        {
            "number": meeting.number,
            "held_on": "2025-05-20",
            "material": SimpleUploadedFile(name, content, content_type=content_type),
        },
    )


def test_material_upload_checks_type_content_and_size(committee, users, client_for, settings):
    meeting = committee_services.committee_meeting_save(committee=committee, by=None, number=1, held_on="2025-05-20")
    client = client_for(users["editor"])
    response = _upload(client, committee, meeting, "run.exe", b"MZ\x90\x00", "application/octet-stream")
    assert response.status_code == 400 and "添付できない種類のファイルです" in response.content.decode()
    response = _upload(client, committee, meeting, "minutes.pdf", b"not a pdf at all")
    assert response.status_code == 400 and "中身がファイル名（.pdf）と合いません" in response.content.decode()
    settings.SASAEAI_ATTACHMENT_MAX_BYTES = 1024
    response = _upload(client, committee, meeting, "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 400 and "大きすぎます" in response.content.decode()
    with pytest.raises(ValidationError) as info:
        committee_services.meeting_material_add(
            meeting=meeting, by=None, upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
        )
    assert "material" in info.value.message_dict
    assert not MeetingMaterial.objects.exists()
    response = _upload(client, committee, meeting, "資料1 素案.pdf", PDF)
    assert response.status_code == 302
    material = MeetingMaterial.objects.get()
    assert (material.name, material.content_type, material.size) == ("資料1 素案.pdf", "application/pdf", len(PDF))
    assert AuditEntry.objects.filter(action="committee_meeting.material").count() == 1


def test_a_refused_material_leaves_the_meeting_unsaved(committee, users):
    """The meeting, its attendees and its material are one write: a refused file saves nothing."""
    with pytest.raises(ValidationError):
        committee_services.committee_meeting_save(
            committee=committee,
            by=users["editor"],
            number=1,
            held_on="2025-05-20",
            material=SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
        )
    assert not CommitteeMeeting.objects.exists()
    assert not AuditEntry.objects.filter(action="committee_meeting.save").exists()


def test_material_is_served_only_with_permission(committee, councils, users, client_for):
    meeting = committee_services.committee_meeting_save(committee=committee, by=None, number=1, held_on="2025-05-20")
    material = committee_services.meeting_material_add(
        meeting=meeting, by=None, upload=SimpleUploadedFile("a.pdf", PDF)
    )
    url = reverse("participation:material", args=[committee.council_id, material.pk])
    response = client_for(users["viewer"]).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff" and "attachment" in response["Content-Disposition"]
    assert client_for(users["outsider"]).get(url).status_code == 404
    assert client_for(users["reporter"]).get(url).status_code == 404
    assert client_for(users["committee"]).get(url).status_code == 404  # 評価委員: no downloads
    assert (
        client_for(users["outsider"])
        .get(reverse("participation:material", args=[councils["b"].pk, material.pk]))
        .status_code
        == 404
    )
    client = client_for(users["editor"])
    client.post(
        reverse("participation:meeting_edit", args=[committee.council_id, committee.pk, meeting.pk]),
        {"number": 1, "held_on": "2025-05-20", f"remove_{material.pk}": "on"},
    )
    assert not MeetingMaterial.objects.exists()


def test_permissions_viewer_reads_cannot_edit_other_council_404(committee, councils, users, client_for):
    council = committee.council
    viewer = client_for(users["viewer"])
    assert viewer.get(reverse("participation:committees", args=[council.pk])).status_code == 200
    assert viewer.get(reverse("participation:committee", args=[council.pk, committee.pk])).status_code == 200
    for name in ("committee_edit", "committee_members", "meeting_create"):
        assert viewer.get(reverse(f"participation:{name}", args=[council.pk, committee.pk])).status_code == 404, name
    assert viewer.get(reverse("participation:committee_create", args=[council.pk])).status_code == 404
    assert (
        viewer.post(
            reverse("participation:committee_edit", args=[council.pk, committee.pk]), {"delete": "1"}
        ).status_code
        == 404
    )
    assert Committee.objects.filter(pk=committee.pk).exists()
    outsider = client_for(users["outsider"])
    assert outsider.get(reverse("participation:committee", args=[council.pk, committee.pk])).status_code == 404
    # The outsider administers council b, but the committee is not b's.
    assert outsider.get(reverse("participation:committee", args=[councils["b"].pk, committee.pk])).status_code == 404
    assert (
        outsider.get(reverse("participation:committee_edit", args=[councils["b"].pk, committee.pk])).status_code == 404
    )


def test_committee_cannot_point_at_another_councils_plan(councils, small_plan, users):
    with pytest.raises(ValidationError) as info:
        committee_services.committee_save(council=councils["b"], by=None, kind="formulation", name="x", plan=small_plan)
    assert info.value.message_dict == {"plan": ["別の社協の計画は選べません。"]}


def test_deleting_a_committee_is_audited(committee, users, client_for):
    client = client_for(users["admin"])
    response = client.post(
        reverse("participation:committee_edit", args=[committee.council_id, committee.pk]), {"delete": "1"}
    )
    assert response.status_code == 302 and not Committee.objects.exists()
    assert AuditEntry.objects.filter(action="committee.delete").count() == 1
