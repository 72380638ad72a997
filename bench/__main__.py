"""`make bench` (``python -m bench``): server-side timings on generated data, one `bench <name> <value> <unit>`
line each. Runs against a throw-away SQLite database (or BENCH_DATABASE_URL). Figures are medians.

The bench code lives outside the ``sasaeai`` package: it imports the apps, no app imports it.
"""

import os
import time

from bench.common import RUNS, django_setup, median_ms, report


def main():
    django_setup()
    import django
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from sasaeai.accounts.models import Membership, User
    from sasaeai.core.services import council_create
    from sasaeai.demo import generator
    from sasaeai.plans import planfile
    from sasaeai.plans.models import Plan
    from sasaeai.plans.selectors import plan_file_data
    from sasaeai.plans.services import plan_file_import

    council = council_create(name="ベンチ市社会福祉協議会")
    user = User.objects.create_user("bench", password="bench-password-1")
    Membership.objects.create(user=user, council=council, role="admin")
    nodes = int(os.environ.get("BENCH_NODES", 2000))
    print(f"# {nodes}-node plan, {RUNS} runs each, database {django.db.connection.vendor}", flush=True)
    plan = generator.create_plan(council=council, nodes=nodes, issues=30, title="ベンチ計画")

    client = Client()
    client.force_login(user)
    for name, url in [
        ("plan_structure_page", reverse("plans:structure", args=[plan.pk])),
        ("plan_overview_page", reverse("plans:overview", args=[plan.pk])),
        ("plan_matrix_page", reverse("plans:matrix", args=[plan.pk])),
        ("plan_editor_page", reverse("plans:editor", args=[plan.pk])),
    ]:
        client.get(url)  # warm caches (templates, URL resolver)
        report(name, median_ms(lambda url=url: client.get(url)))

    text = planfile.dump(plan_file_data([plan]))
    raw = text.encode("utf-8")
    print(f"# plan file: {len(raw):,} bytes", flush=True)
    report("plan_file_export", median_ms(lambda: planfile.dump(plan_file_data([plan]))))
    report("plan_file_parse", median_ms(lambda: planfile.parse(raw, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)))

    data = planfile.parse(raw, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
    data.plans[0].title = "取り込み計画"

    def clear():
        Plan.objects.filter(council=council, title="取り込み計画").delete()

    report("plan_file_import", median_ms(lambda: plan_file_import(council=council, data=data, by=user), setup=clear))

    def round_trip():
        clear()
        parsed = planfile.parse(raw, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
        parsed.plans[0].title = "取り込み計画"
        imported = plan_file_import(council=council, data=parsed, by=user)
        planfile.dump(plan_file_data(imported))

    report("plan_file_round_trip", median_ms(round_trip, runs=3))

    running(council, user, client)
    evaluation(council, user, client)
    from bench import furigana as bench_furigana
    from bench import members as bench_members
    from bench import public as bench_public
    from bench import surveys as bench_surveys

    bench_surveys.run(report)
    bench_members.run(report)
    bench_furigana.run(report)
    bench_public.run(report)


def running(council, user, client):
    """Issue 3: a plan with 1,000 projects, 3 indicators each and 10 fiscal years of reports."""
    import io

    from django.urls import reverse
    from django.utils import timezone

    from sasaeai.core import fiscal
    from sasaeai.demo.generator import create_running_plan
    from sasaeai.progress import excel

    year = fiscal.fiscal_year_of(timezone.localdate())
    started = time.perf_counter()
    plan = create_running_plan(council=council, owner=user, start=year - 9, title="ベンチ推進計画")
    print(
        f"# running plan: 1,000 projects × 3 indicators × 10 years generated in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    for name, url in [
        ("dashboard_page", reverse("dashboard:plan", args=[plan.pk]) + f"?year={year}"),
        ("progress_page", reverse("progress:plan", args=[plan.pk]) + f"?year={year}"),
        ("my_items_page", reverse("running:my_items")),
    ]:
        assert client.get(url).status_code == 200, url
        report(name, median_ms(lambda url=url: client.get(url)))

    def fill(content):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content))
        sheet = book[excel.sheet_name()]
        actual_col = [c.value for c in sheet[2]].index("実績値") + 1
        for row in range(3, sheet.max_row + 1):
            if sheet.cell(row, 5).value:  # rows with an indicator
                sheet.cell(row, actual_col).value = 77
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def round_trip(target, label):
        """download → fill → upload (parse and check) → apply, as a person would."""
        content = excel.build(plan=target, fiscal_year=year, period=1)
        filled = fill(content)
        timings = {}
        started = time.perf_counter()
        excel.build(plan=target, fiscal_year=year, period=1)
        timings["download"] = time.perf_counter() - started
        started = time.perf_counter()
        parsed = excel.parse(filled, filename="bench.xlsx", plan=target, user=user, fiscal_year=year, period=1)
        timings["upload"] = time.perf_counter() - started
        started = time.perf_counter()
        excel.apply(parsed, by=user)
        timings["apply"] = time.perf_counter() - started
        print(f"# {label}: {parsed.row_count:,} rows, {len(parsed.items):,} items updated", flush=True)
        return timings

    full = round_trip(plan, "plan workbook (1,000 projects × 3 indicators)")
    for key, value in full.items():
        report(f"excel_plan_3000_rows_{key}", value * 1000)
    small = create_running_plan(
        council=council, owner=user, indicators=1, years=1, start=year, title="ベンチ1000行の計画"
    )
    rows_1000 = round_trip(small, "1,000-row workbook (1,000 projects × 1 indicator)")
    for key, value in rows_1000.items():
        report(f"excel_1000_rows_{key}", value * 1000)
    report("excel_1000_rows_round_trip", sum(rows_1000.values()) * 1000)


def evaluation(council, user, client):
    """Issue 4: evaluating and closing a year of the 1,000-project plan; the reports."""
    from django.urls import reverse

    from sasaeai.demo.generator import create_running_plan, fill_evaluations
    from sasaeai.evaluation.models import YearClosing
    from sasaeai.evaluation.services import year_close
    from sasaeai.progress.models import AnnualPlan

    plan = create_running_plan(council=council, owner=user, years=2, start=2026, title="ベンチ評価計画")
    count = fill_evaluations(plan, fiscal_year=2026)
    print(f"# evaluation: {count:,} projects with all five stages submitted", flush=True)
    node = plan.nodes.filter(children__isnull=True).order_by("pk").first()
    for name, url in [
        ("evaluation_plan_page", reverse("evaluation:plan", args=[plan.pk]) + "?year=2026"),
        ("evaluation_project_page", reverse("evaluation:project", args=[plan.pk, node.pk]) + "?year=2026"),
    ]:
        assert client.get(url).status_code == 200, url
        report(name, median_ms(lambda url=url: client.get(url)))

    def reopen_year():
        YearClosing.objects.filter(plan=plan, fiscal_year=2026).delete()
        AnnualPlan.objects.filter(node__plan=plan, fiscal_year=2027).delete()

    report(
        "close_year_1000_projects",
        median_ms(lambda: year_close(plan=plan, fiscal_year=2026, by=user), runs=5, setup=reopen_year),
    )
    closing = YearClosing.objects.get(plan=plan, fiscal_year=2026)
    print(f"# close year: {closing.summary}", flush=True)
    from bench import reports as bench_reports

    bench_reports.run(report)


if __name__ == "__main__":
    main()
