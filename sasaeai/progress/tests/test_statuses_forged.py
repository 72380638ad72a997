"""The status scale form with a forged or stale ``statuses-N-id``: a Japanese error, nothing changed."""

import pytest
from django.urls import reverse

from sasaeai.progress import services
from sasaeai.progress.models import ProgressStatus

MESSAGE = "状況の一覧が画面を開いた後に変わったか、正しくない行があります。"


def formset_data(statuses, **override):
    data = {
        "statuses-TOTAL_FORMS": str(len(statuses)),
        "statuses-INITIAL_FORMS": str(len(statuses)),
        "statuses-MIN_NUM_FORMS": "0",
        "statuses-MAX_NUM_FORMS": "20",
    }
    for i, s in enumerate(statuses):
        data |= {
            f"statuses-{i}-id": str(s.pk),
            f"statuses-{i}-name": s.name,
            f"statuses-{i}-color": s.color,
            f"statuses-{i}-score": str(s.score),
        }
    return data | override


@pytest.mark.parametrize("forged", ["999999", "other-council", "duplicate"])
def test_forged_status_id_is_refused(councils, users, client_for, forged):
    statuses = list(services.statuses_for(councils["a"]))
    assert len(statuses) >= 2
    others = list(services.statuses_for(councils["b"]))
    value = {"999999": "999999", "other-council": str(others[0].pk), "duplicate": str(statuses[1].pk)}[forged]
    before = list(ProgressStatus.objects.order_by("pk").values_list("pk", "council_id", "name", "score"))
    response = client_for(users["admin"]).post(
        reverse("running:statuses", args=[councils["a"].pk]),
        formset_data(statuses, **{"statuses-0-id": value}),
        follow=True,
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert list(ProgressStatus.objects.order_by("pk").values_list("pk", "council_id", "name", "score")) == before
