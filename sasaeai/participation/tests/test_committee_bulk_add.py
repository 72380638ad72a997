"""Adding committee members in bulk: a name or affiliation too long for the column is a form error that
names the line (it used to reach the database: a 500 on PostgreSQL, silently stored on SQLite)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sasaeai.participation.models import CommitteeMember
from sasaeai.participation.services import committees as services


@pytest.fixture
def committee(small_plan, users):
    return services.committee_save(
        council=small_plan.council,
        by=users["editor"],
        kind="formulation",
        name="地域福祉活動計画策定委員会",
        plan=small_plan,
    )


def post(quick):
    return {
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "200",
        "quick-lines": quick,
    }


@pytest.mark.parametrize(
    "line, message",
    [
        ("名" * 101 + ", 地区社協", "3行目: 氏名は100文字以内にしてください（101文字あります）。"),
        ("山田 花子, " + "所" * 201, "3行目: 所属・役職は200文字以内にしてください（201文字あります）。"),
    ],
    ids=["name", "affiliation"],
)
def test_too_long_line_is_a_form_error_naming_the_line(committee, users, client_for, line, message):
    url = reverse("participation:committee_members", args=[committee.council_id, committee.pk])
    response = client_for(users["editor"]).post(url, post(f"佐藤 一郎, 民生委員\n\n{line}\n鈴木, 自治会"))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CommitteeMember.objects.exists()


def test_service_refuses_a_name_longer_than_the_column(committee):
    with pytest.raises(ValidationError) as exc:
        services.committee_members_save(committee=committee, by=None, rows=[{"name": "A"}, {"name": "名" * 101}])
    assert exc.value.messages == ["2行目: 氏名は100文字以内にしてください。"]
    assert not CommitteeMember.objects.exists()
