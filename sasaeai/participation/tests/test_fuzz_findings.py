"""Inputs the fuzz test (tests/test_fuzz.py) found ending in a 500, each kept as a regression test."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sasaeai.participation.services import committees as participation_services


@pytest.mark.parametrize("attendee", ["-9223372036854775809", "9223372036854775808", "9" * 40])
def test_meeting_attendee_id_too_large_for_the_database_is_a_form_error(small_plan, users, client_for, attendee):
    committee = participation_services.committee_save(
        council=small_plan.council, by=users["editor"], kind="formulation", name="策定委員会", plan=small_plan
    )
    url = reverse("participation:meeting_create", args=[committee.council_id, committee.pk])
    response = client_for(users["editor"]).post(
        url, {"number": "1", "held_on": timezone.localdate().isoformat(), "attendees": [attendee]}
    )
    assert response.status_code in (200, 400)
    assert f"“{attendee}” は無効な値です。" in response.content.decode()
    assert not committee.meetings.exists()
