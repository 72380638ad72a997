"""In a real browser the strict Content-Security-Policy blocks nothing the pages need."""

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_pages_run_under_the_policy_without_a_violation_and_the_print_button_works(demo_site, page):
    from sasaeai.plans.models import Plan

    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script("window.__printed = 0; window.print = function () { window.__printed++; };")
    login(page, demo_site)
    plan = Plan.objects.filter(nodes__progress_reports__isnull=False).distinct().order_by("pk").first()
    for path in ("structure/", "progress/", "dashboard/", "annual/", "evaluation/", "editor/"):
        response = page.goto(f"{demo_site}/plans/{plan.pk}/{path}")
        assert response.status == 200, path
        assert "style-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{demo_site}/plans/{plan.pk}/structure/")
    page.get_by_role("button", name="印刷する").click()
    assert page.evaluate("window.__printed") == 1
    # A coloured badge keeps its colour: the SVG fill behind the text is painted.
    page.goto(f"{demo_site}/plans/{plan.pk}/progress/")
    badge = page.locator(".status-badge.colored").first
    assert badge.locator("rect").get_attribute("fill").startswith("#")
    box = badge.bounding_box()
    fill = badge.locator("svg").bounding_box()
    assert box and fill and abs(box["width"] - fill["width"]) < 1 and abs(box["height"] - fill["height"]) < 1
    assert not violations, violations
