"""JIS X 8341-3:2016 (WCAG 2.1) AA on the public site, proven in Chromium.

Every public page reachable from /public/ by links (with ふりがな off and on) is checked by axe-core at
1280 px and 375 px, for reflow at 320 px and at 200% zoom (640 CSS px at device scale 2), and for its
structure (lang, one h1, no skipped heading level, named tables and charts). The plan and council pages get
a keyboard walk. The run is written with ``a11y.record_results`` (shown on /public/accessibility/results/).
"""

import contextlib
import re
from collections import deque
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.browser

VIEWPORTS = {"1280px": {"width": 1280, "height": 900}, "375px": {"width": 375, "height": 812}}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DOWNLOADS = re.compile(r"\.(csv|xlsx|json|pdf|zip|png|svg|ico)$|^/public/api/v\d", re.I)
MAX_PAGES = 400


def publish_real_year(council_name="倉敷市社会福祉協議会"):
    """Real (not sample) figures for one year of the council's current plan, published as progress, evaluation
    and the committee's opinion. The year is last fiscal year, or the plan's first year when it started since.
    Returns (plan, year)."""
    from decimal import Decimal

    from django.utils import timezone

    from sasaeai.core import fiscal
    from sasaeai.evaluation.models import CommitteeOpinion, Evaluation, Stage, StageEntry
    from sasaeai.evaluation.selectors import directions_for, grades_for
    from sasaeai.evaluation.services import evaluation_setup
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
    year = max(plan.period_start, fiscal.fiscal_year_of(timezone.localdate()) - 1)
    council = plan.council
    statuses = statuses_for(council)
    evaluation_setup(council)
    grades, directions = grades_for(council), directions_for(council)
    now = timezone.now()
    leaves = list(plan.nodes.filter(children__isnull=True).order_by("pk")[:4])
    for i, node in enumerate(leaves):
        indicator = Indicator.objects.create(
            node=node, position=90 + i, name=f"参加者数（{node.title[:10]}）", unit="人", baseline_value=Decimal(50)
        )
        IndicatorTarget.objects.create(indicator=indicator, fiscal_year=year, value=Decimal(100))
        report, _ = ProgressReport.objects.update_or_create(
            node=node,
            fiscal_year=year,
            period=1,
            defaults={"status": statuses[i % len(statuses)], "done_text": "実施しました", "is_sample": False},
        )
        IndicatorActual.objects.create(report=report, indicator=indicator, value=Decimal(70 + 15 * i))
        evaluation, _ = Evaluation.objects.update_or_create(
            node=node, fiscal_year=year, period=Evaluation.Period.YEAR, defaults={"is_sample": False}
        )
        StageEntry.objects.update_or_create(
            evaluation=evaluation,
            stage=Stage.FINAL,
            defaults={
                "state": StageEntry.State.SUBMITTED,
                "grade": grades[i % len(grades)],
                "results": "参加者が増え、地域のつながりが広がりました。",
                "comment": "計画どおり実施できています。",
                "challenges": "担い手の確保が課題です。",
                "improvements": "若い世代への呼びかけを強めます。",
                "direction": directions[i % len(directions)],
                "submitted_at": now,
            },
        )
    CommitteeOpinion.objects.update_or_create(
        plan=plan,
        fiscal_year=year,
        defaults={
            "text": "おおむね計画どおりに進んでいます。担い手の確保に力を入れてください。",
            "is_submitted": True,
            "submitted_at": now,
        },
    )
    for part in (Publication.Part.PROGRESS, Publication.Part.EVALUATION, Publication.Part.OPINION):
        publication_publish(plan=plan, part=part, fiscal_year=year, by=None)
    return plan, year


def seeds():
    """Public addresses a council's pages may not link to yet (概要版, flyer, open data, the API page), so the
    crawl checks them too; an address the code does not have is left out."""
    from django.urls import NoReverseMatch, reverse

    from sasaeai.publishing import selectors

    names = {"summary": "plan", "opendata": "plan", "flyer_html": "site"}
    found = []
    for site in selectors.open_sites():
        for public_plan in selectors.site_plans(site):
            for name, kind in names.items():
                args = [site.slug, public_plan.plan_id] if kind == "plan" else [site.slug]
                try:
                    found.append(reverse(f"site:{name}", args=args))
                except NoReverseMatch:
                    continue
    with contextlib.suppress(NoReverseMatch):
        found.append(reverse("site:api_docs"))
    return list(dict.fromkeys(found))


def crawl(page, base, extra=()):
    """Every HTML page under /public/ reachable by links from /public/ (addresses without their query), then
    from ``extra``. Returns ([(path, title)], the extra paths no page linked to)."""
    seen, queue, pages = {"/public/"}, deque(["/public/"]), []
    linked = set()
    pending = list(extra)
    while (queue or pending) and len(pages) < MAX_PAGES:
        if not queue:
            path = pending.pop(0)
            if path in seen:
                continue
            seen.add(path)
            queue.append(path)
        path = queue.popleft()
        response = page.goto(base + path)
        assert response is not None
        if response.status != 200 or "text/html" not in (response.headers.get("content-type") or ""):
            assert response.status == 200, f"{path}: {response.status}"
            continue
        pages.append((path, page.title()))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != base or not parts.path.startswith("/public/"):
                continue
            linked.add(parts.path)
            if DOWNLOADS.search(parts.path) or parts.path in seen:
                continue
            seen.add(parts.path)
            queue.append(parts.path)
    return pages, [p for p in extra if p not in linked]


STRUCTURE_JS = """() => {
  const problems = [];
  if (document.documentElement.getAttribute('lang') !== 'ja') problems.push('html lang is not "ja"');
  const headings = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'));
  const h1 = headings.filter(h => h.tagName === 'H1').length;
  if (h1 !== 1) problems.push(`${h1} h1 elements`);
  let previous = 0;
  for (const h of headings) {
    const level = Number(h.tagName[1]);
    const text = h.textContent.trim().slice(0, 30);
    if (previous && level > previous + 1) problems.push(`h${previous} → h${level} 「${text}」`);
    if (!previous && level !== 1) problems.push(`first heading is h${level}`);
    previous = level;
  }
  document.querySelectorAll('table').forEach((t, i) => {
    const caption = t.querySelector(':scope > caption');
    if (!(caption && caption.textContent.trim()) && !t.getAttribute('aria-label') && !t.getAttribute('aria-labelledby'))
      problems.push(`table #${i + 1} has no caption or label`);
  });
  document.querySelectorAll('svg').forEach((s, i) => {
    if (s.getAttribute('aria-hidden') === 'true' || s.closest('[aria-hidden="true"]')) return;
    const title = s.querySelector(':scope > title');
    const named = s.getAttribute('aria-label') || s.getAttribute('aria-labelledby')
      || (title && title.textContent.trim());
    if (s.getAttribute('role') !== 'img' || !named) problems.push(`svg #${i + 1} without role="img" and a name`);
  });
  return problems;
}"""

FOCUSABLE_JS = """() => {
  const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const items = Array.from(document.querySelectorAll(selector)).filter(el =>
    !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
  items.forEach((el, i) => el.setAttribute('data-walk', String(i)));
  const label = el => (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40);
  return items.map(el => `${el.tagName.toLowerCase()} ${label(el)}`);
}"""

ACTIVE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {walk: el.getAttribute('data-walk'), id: el.id, cls: el.className, visible: outline || !!shadow,
          text: (el.textContent || '').trim().slice(0, 40)};
}"""


def keyboard_walk(page, url):
    """Problems found walking ``url`` with Tab: skip link first and working, every control in order, each
    focused control visibly marked."""
    problems = []
    page.goto(url)
    expected = page.evaluate(FOCUSABLE_JS)
    page.keyboard.press("Tab")
    first = page.evaluate(ACTIVE_JS)
    if not first or "skip-link" not in str(first["cls"]):
        problems.append(f"{url}: first Tab focuses {first}, not the skip link")
    order = []
    for step in range(len(expected)):
        active = page.evaluate(ACTIVE_JS)
        if active is None:
            problems.append(f"{url}: Tab {step + 1} left the page")
            break
        order.append(active["walk"])
        if not active["visible"]:
            problems.append(f"{url}: no visible focus on {active['text']!r}")
        page.keyboard.press("Tab")
    want = [str(i) for i in range(len(expected))]
    if order != want:
        first_wrong = next((i for i, (a, b) in enumerate(zip(order, want, strict=False)) if a != b), len(order))
        problems.append(
            f"{url}: Tab order differs at step {first_wrong + 1}: got {order[first_wrong : first_wrong + 3]}, "
            f"expected {expected[first_wrong : first_wrong + 3]}"
        )
    page.goto(url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    if page.evaluate("() => document.activeElement && document.activeElement.id") != "main":
        problems.append(f"{url}: the skip link does not move focus to main")
    return problems, len(expected)


def axe_version():
    import axe_playwright_python

    header = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")[:200]
    return re.search(r"axe v([\d.]+)", header).group(1)


def _violations(results, path):
    from sasaeai.publishing.a11y import criterion_of_tag

    found = []
    for v in results.response["violations"]:
        criteria = [c for c in (criterion_of_tag(t) for t in v["tags"]) if c]
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        found.append(
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "criteria": criteria, "targets": targets}
        )
    return found


def axe_every_page(pages, base, crawled):
    """axe-core on every page, at each viewport, ふりがな off and on: (per-page records, failure lines)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    records, failures = [], []
    for path, title in crawled:
        runs = []
        for name, page in pages.items():
            for ruby in (False, True):
                page.goto(base + path + ("?ruby=1" if ruby else ""))
                found = _violations(axe.run(page, options=options), path)
                runs.append({"viewport": name, "ruby": ruby, "violations": found})
                failures += [
                    f"{v['id']} ({v['impact']}) {path}{' ふりがな' if ruby else ''} @{name}: {v['targets'][:3]}"
                    for v in found
                ]
        records.append({"url": path, "title": title, "runs": runs})
    return records, failures


def automatic_criteria(page):
    """The success criteria the axe-core rules we run look at (the page has axe injected)."""
    from sasaeai.publishing.a11y import criterion_of_tag

    found = set()
    for tags in page.evaluate(f"() => axe.getRules({TAGS!r}).map(r => r.tags)"):
        found.update(c for c in (criterion_of_tag(t) for t in tags) if c)
    return found


def structure_checks(page, base, paths):
    """lang, headings, named tables and charts of every page, ふりがな off and on."""
    problems = []
    for path in paths:
        for query in ("", "?ruby=1"):
            page.goto(base + path + query)
            problems += [f"{path}{query}: {p}" for p in page.evaluate(STRUCTURE_JS)]
    return problems


def reflow_checks(browser, base, paths):
    """Reflow at 320 CSS px, and 200% zoom of a 1280 px window (640 CSS px at device scale 2)."""
    reflow = {"320px": [], "200%": []}
    for key, kwargs in (
        ("320px", {"viewport": {"width": 320, "height": 640}}),
        ("200%", {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}),
    ):
        ctx = browser.new_context(locale="ja-JP", **kwargs)
        page = ctx.new_page()
        for path in paths:
            for query in ("", "?ruby=1"):
                page.goto(base + path + query)
                width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                if width > inner:
                    reflow[key].append(f"{path}{query}: scrollWidth {width} > {inner} @{key}")
        ctx.close()
    return reflow


def test_every_public_page_meets_aa(browser, demo_site):
    from sasaeai.publishing import a11y

    plan, _year = publish_real_year()
    base = demo_site

    contexts = {name: browser.new_context(viewport=vp, locale="ja-JP") for name, vp in VIEWPORTS.items()}
    pages = {name: ctx.new_page() for name, ctx in contexts.items()}
    crawled, unlinked = crawl(pages["1280px"], base, seeds())
    paths = [p for p, _title in crawled]
    assert "/public/accessibility/" in paths and "/public/accessibility/results/" in paths
    assert any(p.startswith("/public/kurashiki/") and p != "/public/kurashiki/" for p in paths), paths

    records, failures = axe_every_page(pages, base, crawled)
    automatic = automatic_criteria(pages["1280px"])
    structure = structure_checks(pages["1280px"], base, paths)
    reflow = reflow_checks(browser, base, paths)

    # Keyboard walk of the council page and the plan page, as 倉敷 publishes them.
    walk_page = pages["1280px"]
    walk_page.goto(base + "/public/kurashiki/")
    plan_link = walk_page.get_by_role("link", name=plan.title).first
    assert plan_link.count(), "the council page does not link to its plan"
    plan_url = plan_link.evaluate("a => a.href")
    keyboard = []
    for url in (base + "/public/kurashiki/", plan_url):
        found, _count = keyboard_walk(walk_page, url)
        keyboard += found

    checks = [
        {
            "criteria": ["2.1.1", "2.1.2", "2.4.1", "2.4.3", "2.4.7"],
            "name": "キーボード操作（本文へ移動・移動の順序・フォーカスの表示）",
            "method": "キーボード操作試験",
            "pages": 2,
            "failures": keyboard,
        },
        {
            "criteria": ["1.4.10"],
            "name": "画面の幅 320px で横に動かさずに読める",
            "method": "表示幅の試験",
            "pages": len(paths),
            "failures": reflow["320px"],
        },
        {
            "criteria": ["1.4.4"],
            "name": "200%に拡大しても横に動かさずに読める",
            "method": "拡大表示の試験",
            "pages": len(paths),
            "failures": reflow["200%"],
        },
        {
            "criteria": ["1.3.1", "2.4.6", "3.1.1"],
            "name": "ページの構造（言語・見出しの順序・表とグラフの名前）",
            "method": "構造の試験",
            "pages": len(paths),
            "failures": structure,
        },
    ]
    written = a11y.record_results(
        tested_at=datetime.now(ZoneInfo("Asia/Tokyo")),
        axe_version=axe_version(),
        browser=f"Chromium {browser.version}",
        viewports=list(VIEWPORTS),
        pages=records,
        automatic_criteria=sorted(automatic),
        checks=checks,
    )
    for ctx in contexts.values():
        ctx.close()
    print(f"\n{len(paths)} pages, {len(failures)} axe violations, written to {written}")
    if unlinked:
        print("public pages no page links to (checked all the same):", *unlinked, sep="\n  ")
    problems = failures + keyboard + reflow["320px"] + reflow["200%"] + structure
    assert not problems, "\n".join(problems)
