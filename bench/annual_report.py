"""The annual report under a person's hands, on SQLite and PostgreSQL: saving table 三 (175 cells,
checked on every save and audited cell by cell), opening a report with its checks, adding up the
city's tables over the departments' submitted reports, and downloading the report's workbook.

For each engine a fresh PINGYI_VAR_DIR (for PostgreSQL a database this script drops and creates)
is migrated and loaded with ``pingyi demo`` (47 departments, this year's reports in progress, 15 or
so submitted), then ``pingyi serve`` runs on a free port of 127.0.0.1 and one client, signed in as
集宁区's liaison or as the office, sends the requests one after another (closed loop: each answer
is awaited before the next request). Each measurement is --requests requests, repeated --runs
times; the table shows the median run's median and p95 latency, and the server's peak RSS.

    .venv/bin/python bench/annual_report.py                       # both engines, 3 runs: about 3 minutes
    .venv/bin/python bench/annual_report.py --engines sqlite --runs 1 --requests 10

It takes the lock of the other benchmarks (bench/pages.py): one benchmark at a time. The server
it starts is stopped before it exits, also on Ctrl-C; it talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pages import (
    PROJECT_DIR,
    BenchError,
    PeakRssSampler,
    PostgresServer,
    Server,
    free_port,
    only_benchmark_running,
    prepare_pingyi,
    project_revision,
    serving,
)

PASSWORD = "bench-password-1"
DEPARTMENT = "150902"  # 集宁区: its liaison is liaison-jining


@dataclass
class Measure:
    name: str
    runs: list[list[float]] = field(default_factory=list)  # seconds per request, per run
    peak_rss: float = 0.0

    def median_run(self) -> list[float]:
        return sorted(self.runs, key=statistics.median)[len(self.runs) // 2]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.median_run()) * 1000

    @property
    def p95_ms(self) -> float:
        times = sorted(self.median_run())
        return times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000


def _set_password(env: dict[str, str], username: str) -> None:
    pingyi = Path(sys.executable).parent / "pingyi"
    done = subprocess.run([str(pingyi), "user", "password", "--username", username, "--password-stdin"],
                          input=PASSWORD + "\n", env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0:
        raise BenchError(f"could not set the password of {username}: {done.stderr.strip()}")


def _signed_in(base_url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=60)
    client.get("/healthz")
    client.get("/staff/login")
    token = client.cookies.get("csrftoken")
    answer = client.post("/staff/login", data={"username": username, "password": PASSWORD, "_csrf_token": token})
    if answer.status_code != 303:
        raise BenchError(f"{username} could not sign in: {answer.status_code}")
    return client


def _fields(page: str) -> dict[str, str]:
    """The section form's figures as the page shows them."""
    return {name: value for name, value in re.findall(r'<input id="(T3-[^"]+)"[^>]*?value="([^"]*)"', page, re.S)}


def _timed(count: int, request: Callable[[int], httpx.Response], expected: int) -> list[float]:
    times = []
    for position in range(count):
        started = time.perf_counter()
        answer = request(position)
        times.append(time.perf_counter() - started)
        if answer.status_code != expected:
            raise BenchError(f"answered {answer.status_code}, expected {expected}: {answer.text[:200]}")
    return times


def measure_engine(engine: str, args: argparse.Namespace, scratch: Path, postgres: PostgresServer) -> list[Measure]:
    print(f"\n== {engine}: migrate and demo", flush=True)
    env = prepare_pingyi(engine, scratch, postgres, args.pg_database)
    for username in ("liaison-jining", "office"):
        _set_password(env, username)
    pingyi = Path(sys.executable).parent / "pingyi"
    port = free_port()
    server = Server(f"pingyi-{engine}", [str(pingyi), "serve", "--port", str(port)], port, env, PROJECT_DIR,
                    scratch / f"serve-{engine}.log")
    measures = {name: Measure(name) for name in ("save table 三", "open the report", "add up the city",
                                                  "download the workbook")}
    with serving(server):
        liaison = _signed_in(server.base_url, "liaison-jining")
        office = _signed_in(server.base_url, "office")
        year = int(re.search(r"/staff/reports/(\d+)/units/", liaison.get("/staff/reports").text).group(1))
        report = f"/staff/reports/{year}/units/{DEPARTMENT}"
        fields = _fields(liaison.get(f"{report}/sections/S3").text)
        if len(fields) != 175:
            raise BenchError(f"the form of table 三 has {len(fields)} fields, not 175")

        def save(position: int) -> httpx.Response:
            changed = {**fields, "T3-R3_1-A21": str(position % 7), "_csrf_token": liaison.cookies["csrftoken"]}
            return liaison.post(f"{report}/sections/S3", data=changed)

        def open_report(_: int) -> httpx.Response:
            return liaison.get(report)

        def add_up(_: int) -> httpx.Response:
            return office.post(f"/staff/reports/{year}/city/compile", data={"_csrf_token": office.cookies["csrftoken"]})

        def workbook(_: int) -> httpx.Response:
            return office.get(f"/annual-reports/{year}/city/report.xlsx")

        work = {"save table 三": (save, 303), "open the report": (open_report, 200), "add up the city": (add_up, 303),
                "download the workbook": (workbook, 200)}
        for request, _expected in work.values():
            request(0)  # warm-up: templates compiled, connections open
        for run in range(args.runs):
            for name, (request, expected) in work.items():
                with PeakRssSampler(server) as sampler:
                    measures[name].runs.append(_timed(args.requests, request, expected))
                measures[name].peak_rss = max(measures[name].peak_rss, sampler.peak_bytes / 2**20)
            print(f"  run {run + 1}/{args.runs} done", flush=True)
        liaison.close()
        office.close()
    return list(measures.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,pg")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30, help="requests per measurement and run")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="pingyi_bench")
    args = parser.parse_args()
    if args.pg_server.split("@")[-1].split(":")[0] not in ("127.0.0.1", "localhost"):
        print("bench: PostgreSQL must be on this machine (127.0.0.1)", file=sys.stderr)
        return 2
    results: list[tuple[str, Measure]] = []
    try:
        with only_benchmark_running(), tempfile.TemporaryDirectory(prefix="pingyi-bench-report-") as scratch:
            print(f"Pingyi revision {project_revision()}", flush=True)
            for engine in args.engines.split(","):
                for measure in measure_engine(engine, args, Path(scratch), PostgresServer(args.pg_server)):
                    results.append((engine, measure))
    except BenchError as problem:
        print(f"bench: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        with contextlib.suppress(Exception):
            print("\n| engine | what | median ms | p95 ms | peak RSS MiB |\n|---|---|---|---|---|")
            for engine, measure in results:
                print(f"| {engine} | {measure.name} | {measure.median_ms:.1f} | {measure.p95_ms:.1f} | "
                      f"{measure.peak_rss:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
