"""The public site under load: gunicorn (4 workers of 4 threads, the gthread worker: keep-alive, as
docs/operations.md recommends) on the bench database, 32 concurrent keep-alive connections asking for gzip as
browsers do, for ~10 s per address, against the framework's floor (/alive/: a plain "ok").

Addresses: the public plan page of a 2,000-node published plan, the council's index (/public/<slug>/),
and /alive/. Reported: requests per second, median and p99 latency, errors, the plan page against the floor,
and the plan page's weight (HTML + CSS; public pages carry no JavaScript).
"""

import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import run_alone

CONNECTIONS = int(os.environ.get("BENCH_PUBLIC_CONNECTIONS", 32))
SECONDS = float(os.environ.get("BENCH_PUBLIC_SECONDS", 10))
ROUNDS = int(os.environ.get("BENCH_PUBLIC_ROUNDS", 5))
WORKERS = int(os.environ.get("BENCH_PUBLIC_WORKERS", 4))
THREADS = int(os.environ.get("BENCH_PUBLIC_THREADS", 4))
NODES = int(os.environ.get("BENCH_NODES", 2000))
ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare():
    """The demo, plus a council whose public site shows a published 2,000-node plan. Returns (slug, plan)."""
    import io

    from django.core.management import call_command

    from sasaeai.core.models import Council
    from sasaeai.core.services import council_create
    from sasaeai.demo import generator
    from sasaeai.publishing.models import Publication, PublicSite
    from sasaeai.publishing.services import publication_publish

    if not PublicSite.objects.filter(slug="kurashiki").exists():
        call_command("demo", stdout=io.StringIO())
    council = Council.objects.filter(name="ベンチ公開市社会福祉協議会").first() or council_create(
        name="ベンチ公開市社会福祉協議会"
    )
    started = time.perf_counter()
    plan = generator.create_plan(council=council, nodes=NODES, issues=30, title="ベンチ公開計画")
    publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=None)
    PublicSite.objects.update_or_create(council=council, defaults={"slug": "bench-public", "is_open": True})
    elapsed = time.perf_counter() - started
    print(f"# public site: {plan.nodes.count()}-node plan generated and published in {elapsed:.1f} s", flush=True)
    return "bench-public", plan


def _get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return response.status, response.read()


def _plan_path(base, slug, plan):
    """The public plan page's address, as the council page links to it."""
    status, body = _get(base, f"/public/{slug}/")
    assert status == 200, status
    hrefs = re.findall(r'href="(/public/[^"?#]+)', body.decode())
    for href in hrefs:
        if href.startswith(f"/public/{slug}/") and re.search(rf"/{plan.pk}/?$", href):
            return href
    return None


async def _worker(host, port, path, deadline, latencies, errors):
    # As a browser asks: keep-alive and gzip (public pages are kept gzipped in the page cache).
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\nAccept-Encoding: gzip\r\n\r\n"
    ).encode()
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
            if re.search(rb"(?i)connection:\s*close", head):
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, AttributeError, ValueError) as e:
            errors.append(type(e).__name__)
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _load(host, port, path, seconds):
    latencies: list[float] = []
    errors: list[object] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(_worker(host, port, path, deadline, latencies, errors) for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _summary(latencies, errors, elapsed):
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(latencies) / elapsed, statistics.median(ordered) * 1000, p99 * 1000, len(errors)


def load_all(host, port, paths, seconds=SECONDS, rounds=ROUNDS):
    """{path: (requests per second, median ms, p99 ms, errors)} of ``CONNECTIONS`` clients, ``seconds`` per path
    in all, taken in alternating rounds so that other load on the machine falls on every address alike."""
    totals = {path: ([], [], 0.0) for path in paths}
    for path in paths:
        asyncio.run(_load(host, port, path, 1.0))  # warm every worker's cache and connections
    for _ in range(rounds):
        for path in paths:
            latencies, errors, elapsed = asyncio.run(_load(host, port, path, seconds / rounds))
            before = totals[path]
            totals[path] = (before[0] + latencies, before[1] + errors, before[2] + elapsed)
    return {path: _summary(*totals[path]) for path in paths}


def _single_ms(base, path, runs=30):
    """Median time of one request at a time (no queueing): the server's own cost of the page."""
    _get(base, path)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        _get(base, path)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _wait(base, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if _get(base, "/alive/")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /alive/")


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run(report):
    from django.conf import settings

    slug, plan = _prepare()
    port = _free_port()
    host = "127.0.0.1"
    base = f"http://{host}:{port}"
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")
    env.setdefault("DATABASE_URL", f"sqlite:///{settings.DATABASES['default']['NAME']}")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [
            *(gunicorn, "config.wsgi", "--workers", str(WORKERS), "--worker-class", "gthread"),
            *("--threads", str(THREADS), "--bind", f"{host}:{port}", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: stopped as one on exit
    )
    try:
        _wait(base, proc)
        plan_path = _plan_path(base, slug, plan)
        if plan_path is None:
            print("# public plan page: no link to it on the council page; the council page stands in", flush=True)
            plan_path = f"/public/{slug}/"
        index_path = f"/public/{slug}/"
        status, html = _get(base, plan_path)
        assert status == 200, (plan_path, status)
        css = 0
        for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html):
            css += len(_get(base, href.decode())[1])
        scripts = len(re.findall(rb"<script", html))
        request = urllib.request.Request(base + plan_path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            sent = len(response.read())  # urllib does not decompress: the bytes on the wire
        print(
            f"# {WORKERS} gunicorn workers × {THREADS} threads, {CONNECTIONS} connections × {SECONDS:.0f} s each, "
            f"{os.cpu_count()} CPUs shared with the load generator; plan page {plan_path}",
            flush=True,
        )
        single = {path: _single_ms(base, path) for path in ("/alive/", plan_path)}
        print(f"# load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        results = load_all(host, port, ["/alive/", plan_path, index_path])
        floor, plan_result, index_result = results["/alive/"], results[plan_path], results[index_path]
    finally:
        _stop(proc)
    print(f"bench floor_rps {floor[0]:.0f} req/s", flush=True)
    print(f"bench public_plan_rps {plan_result[0]:.0f} req/s", flush=True)
    report("public_plan_median", plan_result[1])
    report("public_plan_p99", plan_result[2])
    print(f"bench public_plan_errors {plan_result[3]} count", flush=True)
    print(f"bench public_plan_vs_floor {plan_result[0] / floor[0]:.2f} x", flush=True)
    print(f"bench public_index_rps {index_result[0]:.0f} req/s", flush=True)
    report("public_index_p99", index_result[2])
    print(f"bench public_index_errors {index_result[3]} count", flush=True)
    report("floor_p99", floor[2])
    report("floor_single_request", single["/alive/"])
    report("public_plan_single_request", single[plan_path])
    print(f"bench public_plan_page_weight {(len(html) + css) / 1024:.1f} KB", flush=True)
    print(f"bench public_plan_page_weight_gzip {sent / 1024:.1f} KB", flush=True)
    print(f"# plan page: {len(html):,} bytes HTML, {css:,} bytes CSS, {scripts} script elements", flush=True)


if __name__ == "__main__":
    run_alone(run, "sasaeai-bench-public-")
