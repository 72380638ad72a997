"""What every part of ``make bench`` shares: medians, the output line, a throw-away database."""

import os
import statistics
import sys
import tempfile
import time

RUNS = int(os.environ.get("BENCH_RUNS", 7))


def median_ms(fn, runs=RUNS, setup=None):
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(name, value, unit="ms"):
    print(f"bench {name} {value:.1f} {unit}", flush=True)


def django_setup(prefix="sasaeai-bench-"):
    """Django on a throw-away, migrated SQLite database (or BENCH_DATABASE_URL)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_alone(run, prefix):
    """For ``python -m bench.<name>``: one part of ``make bench`` on its own."""
    django_setup(prefix)
    run(report)
