"""Benchmarks of the evaluation reports (issue 4): a 1,000-project plan (10 goals, 3 indicators each)
evaluated for one year through 自己評価 → 確認 → 内部評価, then the medians of building each report
for the whole plan, row source included (what a download costs the server).

Targets: Excel 評価シート < 2 s, PDF 報告書 < 5 s.

``run(report)`` expects Django to be set up with a migrated database (``sasaeai/bench.py`` does it);
``python -m bench.reports`` sets up a throw-away SQLite database and runs it alone.
"""

import time


def run(report):
    from django.utils import timezone

    from bench.common import RUNS, median_ms
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.permissions import ROLE_PERMISSIONS
    from sasaeai.core import fiscal
    from sasaeai.core.services import council_create
    from sasaeai.demo.generator import create_running_plan, fill_evaluations
    from sasaeai.evaluation import export_csv, export_docx, export_pdf, export_xlsx
    from sasaeai.evaluation.reports import build_report
    from sasaeai.evaluation.services import evaluation_setup

    year = fiscal.fiscal_year_of(timezone.localdate())
    council = council_create(name=f"ベンチ評価市社会福祉協議会{time.time_ns()}")
    evaluation_setup(council)
    started = time.perf_counter()
    plan = create_running_plan(
        council=council, projects=1000, goals=10, indicators=3, years=5, start=year - 2, title="ベンチ評価の計画"
    )
    count = fill_evaluations(plan, fiscal_year=year, stages=("self", "review", "internal"))
    print(
        f"# evaluation reports: {count:,} projects × 3 indicators, 3 submitted stages, generated in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    perms = ROLE_PERMISSIONS[Role.ADMIN]

    def rows():
        return build_report(plan, year, perms=perms)

    sample = rows()
    assert sample.project_count == count and sample.evaluated == count, (sample.project_count, sample.evaluated)
    report("evaluation_report_rows_1000", median_ms(rows))
    sizes = {}
    for name, writer in [("xlsx", export_xlsx), ("pdf", export_pdf), ("docx", export_docx), ("csv", export_csv)]:
        writer.build(sample)  # warm up (fonts, imports)

        def build(writer=writer, name=name):
            sizes[name] = len(writer.build(rows()))

        report(f"evaluation_report_{name}_1000", median_ms(build, runs=min(RUNS, 5) if name == "pdf" else RUNS))
    print("# sizes: " + ", ".join(f"{k} {v / 1024:,.0f} KiB" for k, v in sizes.items()), flush=True)


def main():
    from bench.common import run_alone

    run_alone(run, prefix="sasaeai-bench-reports-")


if __name__ == "__main__":
    main()
