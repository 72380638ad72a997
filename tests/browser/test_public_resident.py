"""The issue's "done when", as an anonymous resident in Chromium: from /public/ to 倉敷市's plan, with ふりがな,
to last year's published progress, and the plan's CSV from the open-data page; no staff member's name or
e-mail address appears anywhere on the way."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STAFF_NAME, STAFF_EMAIL = "倉敷 春子", "haruko.kurashiki@example.jp"


def publish_last_year(council_name="倉敷市社会福祉協議会"):
    """Real progress (an indicator with target and actual on two projects) for last fiscal year, or the plan's
    first year when it started since, published by a named staff member. Returns (plan, year, indicator names)."""
    from decimal import Decimal

    from django.utils import timezone

    from sasaeai.accounts.models import Membership, User
    from sasaeai.core import fiscal
    from sasaeai.plans.models import Plan
    from sasaeai.progress.models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport
    from sasaeai.progress.services import statuses_for
    from sasaeai.publishing.models import Publication
    from sasaeai.publishing.services import publication_publish

    plan = (
        Plan.objects.filter(council__name=council_name, status=Plan.Status.ACTIVE, publications__is_current=True)
        .distinct()
        .order_by("-period_start")
        .first()
    )
    staff = User.objects.create_user("kurashiki-haruko", email=STAFF_EMAIL, display_name=STAFF_NAME, password="x" * 16)
    Membership.objects.create(user=staff, council=plan.council, role="editor")
    year = max(plan.period_start, fiscal.fiscal_year_of(timezone.localdate()) - 1)
    statuses = statuses_for(plan.council)
    names = []
    for i, node in enumerate(plan.nodes.filter(children__isnull=True).order_by("pk")[:2]):
        indicator = Indicator.objects.create(node=node, position=90 + i, name=f"サロン参加者数{i + 1}", unit="人")
        names.append(indicator.name)
        IndicatorTarget.objects.create(indicator=indicator, fiscal_year=year, value=Decimal(120))
        report, _ = ProgressReport.objects.update_or_create(
            node=node,
            fiscal_year=year,
            period=1,
            defaults={"status": statuses[0], "done_text": "実施しました", "is_sample": False, "updated_by": staff},
        )
        IndicatorActual.objects.create(report=report, indicator=indicator, value=Decimal(90 + 20 * i))
    publication_publish(plan=plan, part=Publication.Part.PROGRESS, fiscal_year=year, by=staff)
    return plan, year, names


RUBY_ON_TITLES_JS = """titles => {
  const bare = el => { const c = el.cloneNode(true); c.querySelectorAll('rt, rp').forEach(r => r.remove());
                       return c.textContent.replace(/\\s+/g, ''); };
  const holders = new Set(Array.from(document.querySelectorAll('ruby')).map(r => r.parentElement));
  return Array.from(holders).map(bare).filter(t => titles.some(title => t.includes(title.replace(/\\s+/g, ''))));
}"""


def test_resident_reads_the_plan_with_furigana_progress_and_open_data(page, demo_site):
    from sasaeai.accounts.models import User

    plan, year, indicator_names = publish_last_year()
    goal_titles = list(plan.nodes.filter(parent__isnull=True).values_list("title", flat=True))
    base = demo_site
    visited = []

    def keep():
        visited.append((page.url, page.content()))

    page.goto(base + "/public/")
    keep()
    page.get_by_role("link", name="倉敷市社会福祉協議会").first.click()
    page.wait_for_url(base + "/public/kurashiki/**")
    keep()
    page.get_by_role("link", name=plan.title).first.click()
    page.wait_for_load_state()
    plan_url = page.url
    keep()
    assert page.locator("ruby").count() == 0

    page.get_by_role("link", name="ふりがなをつける").click()
    page.wait_for_url("**ruby=1**")
    keep()
    assert page.locator("ruby rt").count() > 0
    assert page.evaluate(RUBY_ON_TITLES_JS, goal_titles), "no goal title is shown with ふりがな"

    # Last year's published progress, linked from the plan page.
    page.goto(plan_url)
    year_link = page.locator(f'a[href*="/{year}/"]').first
    assert year_link.count(), f"no link to {year} on the plan page"
    year_link.click()
    page.wait_for_load_state()
    keep()
    text = page.locator("main").inner_text()
    for name in indicator_names:
        assert name in text

    # The open-data page and its CSV.
    page.goto(plan_url)
    opendata = page.get_by_role("link", name="オープンデータ")
    if not opendata.count():
        page.goto(base + "/public/kurashiki/")
        opendata = page.get_by_role("link", name="オープンデータ")
    opendata.first.click()
    page.wait_for_load_state()
    keep()
    csv_link = page.locator("a", has_text="CSV").first
    with page.expect_download() as download:
        csv_link.click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.strip()
    visited.append(("csv", csv_text))

    staff = [(u.display_name, u.email) for u in User.objects.all()]
    assert any(name == STAFF_NAME for name, _email in staff)
    for url, content in visited:
        for name, email in staff:
            for word in (name, email):
                assert not word or word not in content, f"{word!r} appears on {url}"
