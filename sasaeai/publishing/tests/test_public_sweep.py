"""Crawl every public page reachable from /public/ over the demo: no person, no sample, valid pages."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.core.management import call_command

from sasaeai.accounts.models import User
from sasaeai.plans.models import Plan, PlanNode
from sasaeai.publishing import services

pytestmark = pytest.mark.django_db


def publish_real_year(plan, fiscal_year):
    """Real (not sample) indicators with targets and actuals on the first items, and a confirmed 総評."""
    from sasaeai.evaluation.models import CommitteeOpinion
    from sasaeai.progress.models import Indicator, IndicatorActual, IndicatorTarget, ProgressReport, ProgressStatus

    status = ProgressStatus.objects.filter(council=plan.council).order_by("-score").first()
    for n, node in enumerate(PlanNode.objects.filter(plan=plan).order_by("pk")[:6]):
        indicator = Indicator.objects.create(node=node, name=f"実施回数{n}", unit="回", baseline_value=Decimal(4))
        IndicatorTarget.objects.create(indicator=indicator, fiscal_year=fiscal_year, value=Decimal(10))
        report = ProgressReport.objects.create(node=node, fiscal_year=fiscal_year, period=1, status=status)
        IndicatorActual.objects.create(report=report, indicator=indicator, value=Decimal(5 + n))
    CommitteeOpinion.objects.create(
        plan=plan, fiscal_year=fiscal_year, text="計画はおおむね順調に進んでいます。", is_submitted=True
    )
    services.publication_publish(plan=plan, part="progress", fiscal_year=fiscal_year, by=None)
    services.publication_publish(plan=plan, part="opinion", fiscal_year=fiscal_year, by=None)


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.h1, self.lang = [], 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "h1":
            self.h1 += 1
        if tag == "html":
            self.lang = attrs.get("lang")


SAMPLE_TEXTS = ["サンプル", "デモ用の架空", "近所にどんな人が住んでいるのか", "委員1"]


def test_every_public_page_is_clean(client):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    kurashiki = Plan.objects.get(title="第4次倉敷市地域福祉活動計画")
    publish_real_year(kurashiki, 2027)
    cache.clear()
    people = []
    for user in User.objects.all():
        people += [v for v in (user.email, getattr(user, "display_name", ""), user.get_full_name()) if v]
        if len(user.username) > 3 and not user.username.isascii():
            people.append(user.username)
    seen, todo, downloads = set(), ["/public/"], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        content_type = response["Content-Type"]
        if not content_type.startswith("text/html"):
            # Downloads: text formats are searched too; PDF and xlsx are checked by their own tests.
            downloads.add(path)
            if content_type.startswith(("text/csv", "application/json")):
                text = b"".join(response.streaming_content if response.streaming else [response.content])
                for needle in people + SAMPLE_TEXTS:
                    assert needle not in text.decode("utf-8-sig"), (path, needle)
            continue
        body = response.content.decode()
        page = Page()
        page.feed(body)
        assert page.lang == "ja" and page.h1 == 1, path
        for text in people:
            assert text not in body, (path, text)
        for text in SAMPLE_TEXTS:
            assert text not in body, (path, text)
        for href in page.links:
            href = href.split("#")[0].replace("&amp;", "&")
            if href.startswith("/public/") and not href.startswith(("/public/comment/", "/public/surveys/")):
                todo.append(href)
    assert f"/public/kurashiki/plans/{kurashiki.pk}/years/2027/" in seen
    assert f"/public/kurashiki/plans/{kurashiki.pk}/making/" in seen
    assert len(seen) > 20
    assert any(p.endswith(".pdf") for p in downloads) and any(p.endswith(".csv") for p in downloads)
