"""Load benchmark of a live interview's readers: ``GET /interviews/{code}/live?since=N``.

Every reader of a live interview keeps its page open, and the page asks every --interval seconds
(5 s, as the page's ``hx-trigger="every 5s"``) whether anything is new, sending the version it
shows. Most polls find nothing new and are answered 204 from the worker's memory; while the load
runs, something new happens every --update-every seconds (an approved question: a row and the
interview's ``live_version`` raised, written straight into the database as another worker
would), and the next poll of each reader gets the new part of the page (200) and its new version.

The load is open-loop: reader i polls at its own phase plus every interval, whatever the server
does, so a slow answer delays nobody else's poll and the latency of a poll counts from the moment
it was due (no coordinated omission). The polls go over a pool of --connections keep-alive
connections, as behind a reverse proxy; a poll waiting for a free connection waits on the clock.
The ladder --readers 2000,4000,8000 shows how many readers one server holds: the target is 2,000
readers every 5 s (400 polls/s) with p99 ≤ 200 ms, on the 2 cores of this machine.

Side by side, the same readers drive the reference app's ``GET /departments/{id}`` in
../shared/bench (a bare Litestar + Piccolo page with one query): what a poll costs on this stack
when it reads the database every time.

    .venv/bin/python bench/interviews.py               # sqlite and pg, 1 worker, the ladder; about 15 minutes
    .venv/bin/python bench/interviews.py --engines sqlite --readers 2000 --runs 1 --duration 10

It reuses bench/pages.py (data, servers, the lock: one benchmark at a time) and the HTTP client
of bench/saves.py. The demo's ``demo-collecting`` interview is the one polled (its page polls
like a live one). Every process it starts is stopped before it exits, also on Ctrl-C and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pages import (
    BENCH_DIR,
    REFERENCE_DEPARTMENTS,
    BenchError,
    PeakRssSampler,
    PostgresServer,
    RunLog,
    Server,
    only_benchmark_running,
    pingyi_server,
    prepare_pingyi,
    prepare_reference,
    project_revision,
    reference_available,
    reference_server,
    serving,
)
from saves import Connection, _cpu_seconds, _new_loop, _percentile

CODE = "demo-collecting"
TARGET_READERS = 2000
TARGET_P99_MS = 200.0
REQUEST_TIMEOUT_SECONDS = 30
VERSION = re.compile(rb'data-version="(\d+)"')


@dataclass
class RunResult:
    app: str
    engine: str
    workers: int
    readers: int
    interval: float
    polls_per_second: float  # answered ÷ the run's length
    target_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_lag_p99_ms: float  # how late this process itself woke a reader (a busy machine, not the server)
    nothing_new: int  # 204
    news: int  # 200 with the changed part of the page
    other_status: int
    errors: int  # socket errors and timeouts
    updates: int
    server_cpu_ms_per_poll: float
    peak_rss_mib: float


class Updates:
    """Something new in the interview every few seconds, written as another worker would."""

    def __init__(self, engine: str, env: dict[str, str]) -> None:
        self.engine = engine
        self.env = env
        self.count = 0

    def _sqlite(self) -> None:
        path = Path(self.env["PINGYI_VAR_DIR"]) / "pingyi.sqlite"
        connection = sqlite3.connect(path, timeout=30)
        try:
            with connection:
                interview = connection.execute("SELECT id FROM interview WHERE code = ?", (CODE,)).fetchone()[0]
                connection.execute(
                    "INSERT INTO interview_question (interview, body, display_name, channel, status, created_at) "
                    "VALUES (?, ?, '', 'web', 'approved', ?)",
                    (interview, f"压测问题 {self.count}", str(datetime.now(UTC))))
                connection.execute("UPDATE interview SET live_version = live_version + 1 WHERE id = ?", (interview,))
        finally:
            connection.close()

    async def _postgres(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.env["DATABASE_URL"])
        try:
            async with connection.transaction():
                interview = await connection.fetchval("SELECT id FROM interview WHERE code = $1", CODE)
                await connection.execute(
                    "INSERT INTO interview_question (interview, body, display_name, channel, status, created_at) "
                    "VALUES ($1, $2, '', 'web', 'approved', now())", interview, f"压测问题 {self.count}")
                await connection.execute("UPDATE interview SET live_version = live_version + 1 WHERE id = $1",
                                         interview)
        finally:
            await connection.close()

    async def one(self) -> None:
        if self.engine == "pg":
            await self._postgres()
        else:
            await asyncio.to_thread(self._sqlite)
        self.count += 1


def current_version(server: Server) -> int:
    with urllib.request.urlopen(f"{server.base_url}/interviews/{CODE}", timeout=10) as page:
        found = VERSION.search(page.read())
    if found is None:
        raise BenchError(f"GET /interviews/{CODE} shows no version: is the demo's interview collecting questions?")
    return int(found.group(1))


async def _open_loop(server: Server, readers: int, interval: float, seconds: float, connections: int,
                     reference: bool, updates: Updates | None, update_every: float,
                     ) -> tuple[list[float], list[float], Counter]:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(Connection(server.port))
    latencies: list[float] = []
    lags: list[float] = []
    counts: Counter = Counter()
    start_version = 0 if reference else current_version(server)
    started = time.perf_counter() + 0.2
    stop_at = started + seconds
    rng = random.Random(2026)

    async def reader(phase: float) -> None:
        since = start_version
        due = started + phase
        while due < stop_at:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            lags.append(time.perf_counter() - due)
            connection = await pool.get()
            path = (f"/departments/{rng.randint(1, REFERENCE_DEPARTMENTS)}" if reference
                    else f"/interviews/{CODE}/live?since={since}")
            try:
                status, body = await asyncio.wait_for(connection.request("GET", path, headers={"HX-Request": "true"}),
                                                      REQUEST_TIMEOUT_SECONDS)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
                counts["errors"] += 1
                connection.close()
            else:
                latencies.append(time.perf_counter() - due)  # from when the poll was due
                if status == 204:
                    counts["nothing_new"] += 1
                elif status == 200:
                    counts["news"] += 1
                    found = VERSION.search(body)
                    if found and not reference:
                        since = int(found.group(1))
                else:
                    counts["other_status"] += 1
            finally:
                pool.put_nowait(connection)
            due += interval

    async def update_loop() -> None:
        next_at = started + update_every
        while updates is not None and next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await updates.one()
            next_at += update_every

    await asyncio.gather(update_loop(), *(reader(rng.uniform(0, interval)) for _ in range(readers)))
    while not pool.empty():
        pool.get_nowait().close()
    return latencies, lags, counts


def run_once(server: Server, app: str, engine: str, workers: int, readers: int, args: argparse.Namespace,
             updates: Updates | None, loop: asyncio.AbstractEventLoop) -> RunResult:
    cpu_before = _cpu_seconds(server)
    before = updates.count if updates else 0
    with PeakRssSampler(server) as memory:
        latencies, lags, counts = loop.run_until_complete(_open_loop(
            server, readers, args.interval, args.duration, args.connections, app == "reference", updates,
            args.update_every))
    cpu = _cpu_seconds(server) - cpu_before
    ordered = sorted(latencies)
    answered = len(latencies)
    return RunResult(
        app=app, engine=engine, workers=workers, readers=readers, interval=args.interval,
        polls_per_second=answered / args.duration, target_per_second=readers / args.interval,
        p50_ms=_percentile(ordered, 0.50) * 1000, p99_ms=_percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
        client_lag_p99_ms=_percentile(sorted(lags), 0.99) * 1000,
        nothing_new=counts["nothing_new"], news=counts["news"],
        other_status=counts["other_status"], errors=counts["errors"],
        updates=(updates.count - before) if updates else 0,
        server_cpu_ms_per_poll=cpu * 1000 / answered if answered else 0.0, peak_rss_mib=memory.peak_bytes / 2**20)


def median_of(runs: list[RunResult]) -> RunResult:
    middle = sorted(runs, key=lambda run: run.p99_ms)[len(runs) // 2]
    figures = {name: statistics.median(getattr(run, name) for run in runs)
               for name in ("polls_per_second", "p50_ms", "p99_ms", "max_ms", "client_lag_p99_ms",
                            "server_cpu_ms_per_poll", "peak_rss_mib")}
    totals = {name: sum(getattr(run, name) for run in runs)
              for name in ("nothing_new", "news", "other_status", "errors", "updates")}
    return RunResult(**{**asdict(middle), **figures, **totals})


def print_table(rows: list[RunResult], runs: int) -> None:
    print(f"\nMedians of {runs} runs (counts summed over the runs).\n")
    print("| engine | workers | app | readers | polls/s (target) | p50 ms | p99 ms | max ms | client lag p99 ms "
          "| 204 | 200 | other | errors | updates | server CPU ms/poll | peak RSS MiB | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        verdict = ""
        if row.app == "pingyi" and row.readers == TARGET_READERS and row.interval == 5:
            ok = row.p99_ms <= TARGET_P99_MS and row.errors == 0 and row.other_status == 0
            verdict = "p99 ≤ 200 ms: " + ("pass" if ok else "**miss**")
        print(f"| {row.engine} | {row.workers} | {row.app} | {row.readers:,} | {row.polls_per_second:,.0f} "
              f"({row.target_per_second:,.0f}) | {row.p50_ms:.1f} | {row.p99_ms:.1f} | {row.max_ms:.0f} | "
              f"{row.client_lag_p99_ms:.1f} | "
              f"{row.nothing_new:,} | {row.news:,} | {row.other_status} | {row.errors} | {row.updates} | "
              f"{row.server_cpu_ms_per_poll:.2f} | {row.peak_rss_mib:.0f} | {verdict} |")


def _numbers(cast: type) -> object:
    return lambda text: [cast(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", type=lambda text: text.split(","), default=["sqlite", "pg"])
    parser.add_argument("--workers", type=_numbers(int), default=[1])
    parser.add_argument("--readers", type=_numbers(int), default=[2000, 4000, 8000])
    parser.add_argument("--reference-readers", type=_numbers(int), default=[2000],
                        help="reader counts driven against the reference's page (empty: none)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between one reader's polls")
    parser.add_argument("--update-every", type=float, default=5.0, help="seconds between two changes")
    parser.add_argument("--connections", type=int, default=256, help="keep-alive connections shared by readers")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of polling per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="pingyi_bench_interviews")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    if args.pg_database in {"test", "postgres", "template0", "template1"}:
        parser.error(f"--pg-database {args.pg_database!r} is not the bench's to drop")
    return args


def measure(args: argparse.Namespace, rows: list[RunResult], run_log: RunLog) -> None:
    postgres = PostgresServer(args.pg_server)
    with_reference = reference_available() and bool(args.reference_readers)
    loop = _new_loop()
    with tempfile.TemporaryDirectory(prefix="pingyi-bench-interviews-") as scratch_dir:
        scratch = Path(scratch_dir)
        logs = scratch / "logs"
        logs.mkdir()
        for engine in args.engines:
            print(f"\nLoading data for {engine} …", flush=True)
            env = prepare_pingyi(engine, scratch, postgres, args.pg_database)
            reference_env = (prepare_reference(engine, scratch, postgres, f"{args.pg_database}_reference")
                             if with_reference else None)
            for workers in args.workers:
                jobs = [("pingyi", readers) for readers in args.readers]
                if reference_env is not None:
                    jobs += [("reference", readers) for readers in args.reference_readers]
                for app, readers in jobs:
                    server = (pingyi_server(engine, workers, env, logs) if app == "pingyi"
                              else reference_server(engine, workers, reference_env, logs))
                    runs = []
                    with serving(server):
                        updates = Updates(engine, env) if app == "pingyi" else None
                        for number in range(args.runs):
                            result = run_once(server, app, engine, workers, readers, args, updates, loop)
                            run_log.write(**asdict(result), run=number + 1)
                            print(f"  {engine} ×{workers} {app} {readers:,} readers: {result.polls_per_second:,.0f}"
                                  f" polls/s, p99 {result.p99_ms:.1f} ms (client lag p99 "
                                  f"{result.client_lag_p99_ms:.1f} ms), {result.errors} errors, load average "
                                  f"{os.getloadavg()[0]:.1f}", flush=True)
                            runs.append(result)
                    rows.append(median_of(runs))
    loop.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    revision = project_revision()
    print(f"Pingyi revision {revision}; target: {TARGET_READERS:,} readers polling every 5 s, "
          f"p99 ≤ {TARGET_P99_MS:.0f} ms", flush=True)
    if not reference_available():
        print("The reference app (../shared/bench) is not there: measuring Pingyi only.", flush=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    run_log = RunLog(args.results_dir / f"interviews-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl", revision)
    rows: list[RunResult] = []
    status = 0
    try:
        with only_benchmark_running():
            measure(args, rows, run_log)
    except KeyboardInterrupt:
        print("\nInterrupted: every server was stopped.", file=sys.stderr)
        status = 130
    except BenchError as failure:
        print(f"interviews.py: {failure}", file=sys.stderr)
        status = 1
    if rows:
        print_table(rows, args.runs)
        print(f"Every run: {run_log.path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
