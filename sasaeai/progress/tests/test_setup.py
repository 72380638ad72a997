"""A council's status scale is made when the council is created; reading a plan's pages writes nothing."""

from django.urls import reverse

from sasaeai.core.services import council_create
from sasaeai.progress.models import ProgressStatus, ReportingSchedule
from sasaeai.progress.services import schedule_for, schedule_update


def test_a_new_council_has_the_default_statuses(db):
    council = council_create(name="新しい市社会福祉協議会")
    assert list(ProgressStatus.objects.filter(council=council).order_by("position").values_list("name", flat=True)) == [
        "未着手",
        "遅れ",
        "やや遅れ",
        "順調",
        "完了",
    ]


def test_reading_progress_pages_creates_no_schedule(small_plan, users, client_for):
    client = client_for(users["admin"])
    before = ProgressStatus.objects.count()
    for name in ("progress:plan", "progress:schedule", "dashboard:plan"):
        assert client.get(reverse(name, args=[small_plan.pk])).status_code == 200, name
    assert not ReportingSchedule.objects.filter(plan=small_plan).exists()
    assert ProgressStatus.objects.count() == before
    schedule = schedule_for(small_plan)
    assert (schedule.pk, schedule.frequency, schedule.due_days) == (None, "yearly", 30)
    schedule_update(plan=small_plan, by=users["admin"], frequency="half", due_days=20, grace_days=7)
    assert ReportingSchedule.objects.get(plan=small_plan).frequency == "half"
