"""Inputs the fuzz test (tests/test_fuzz.py) found ending in a 500, each kept as a regression test."""

import pytest
from django.urls import reverse

from sasaeai.core.models import AuditEntry
from sasaeai.progress import services
from sasaeai.progress.models import Indicator


@pytest.mark.parametrize("back", ["-1", "plans:history", "https://evil.example/", "//evil.example/x", "٣"])
def test_restore_goes_back_only_to_a_path_of_this_site(evaluated_plan, users, client_for, back):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    services.indicator_update(indicator=indicator, by=users["editor"], name="変更した名前")
    entry = AuditEntry.objects.filter(action="indicator.update").latest("pk")
    response = client_for(users["admin"]).post(
        reverse("progress:audit_restore", args=[evaluated_plan.pk, entry.pk]), {"next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:history", args=[evaluated_plan.pk])


def test_restore_goes_back_to_the_page_it_was_asked_from(evaluated_plan, users, client_for):
    indicator = Indicator.objects.filter(node__plan=evaluated_plan).order_by("pk").first()
    services.indicator_update(indicator=indicator, by=users["editor"], name="変更した名前")
    entry = AuditEntry.objects.filter(action="indicator.update").latest("pk")
    back = reverse("plans:node", args=[evaluated_plan.pk, indicator.node_id])
    response = client_for(users["admin"]).post(
        reverse("progress:audit_restore", args=[evaluated_plan.pk, entry.pk]), {"next": back}
    )
    assert response["Location"] == back


def test_working_group_member_id_too_large_is_a_form_error(evaluated_plan, users, client_for):
    url = reverse("progress:group_create", args=[evaluated_plan.pk])
    response = client_for(users["editor"]).post(url, {"name": "新しいWG", "members": ["-9223372036854775809"]})
    assert response.status_code in (200, 400)
    assert "“-9223372036854775809” は無効な値です。" in response.content.decode()
    from sasaeai.progress.models import WorkingGroup

    assert not WorkingGroup.objects.filter(name="新しいWG").exists()
