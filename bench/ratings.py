"""Load benchmark of rating submissions: ``POST /departments/{code}/ratings``.

Every submission comes from a browser of its own (a voter cookie never seen before), to a
random department of the demo data, with the level mix citizens choose (about one in ten
negative, with a reason), sent as htmx sends the form. Side by side it drives the reference
app's ``POST /ratings`` in ../shared/bench (a bare Litestar + Piccolo insert: what the stack
itself does on this machine) with the same engine, worker count and connection count.

Closed loop: wrk sends submissions for --duration seconds, then sends nothing more and is
stopped once the last answers are in (at most --tail seconds later; bench/wrk/closed_loop.lua).
Every submission sent is answered before wrk stops, so the rows stored in each run must equal
the submissions acknowledged (ours: 200 with the thank-you; the reference: 201), exactly.

Each figure is the median of --runs runs; ours and the reference's alternate run by run.

    .venv/bin/python bench/ratings.py                 # the whole matrix, about 12 minutes
    .venv/bin/python bench/ratings.py --configurations sqlite:1:32 --runs 1 --duration 5

It needs wrk, and PostgreSQL on 127.0.0.1 for the ``pg`` configurations. It reuses the page
benchmark's helpers (bench/pages.py) to prepare data and to start and stop the servers, and
its lock: it will not run while bench/pages.py does, or another ratings run. Every process it
starts is stopped before it exits, also on Ctrl-C and on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookies
import os
import re
import secrets
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pages import (
    BENCH_DIR,
    DEPARTMENTS_CSV,
    LOOPBACK_HOSTS,
    REFERENCE_DEPARTMENTS,
    WARMUP_SECONDS,
    WRK_DIR,
    WRK_THREADS,
    BenchError,
    PeakRssSampler,
    PostgresServer,
    RunLog,
    Server,
    first_department_code,
    only_benchmark_running,
    pingyi_server,
    prepare_pingyi,
    prepare_reference,
    project_revision,
    reference_available,
    reference_server,
    serving,
)

WRK_SOCKET_TIMEOUT_SECONDS = 30  # a submission slower than this counts as a timeout error
RATINGS_PER_HOUR = "1000000000"  # the per-address brake, out of the way of a load test on 127.0.0.1
THANKS = "感谢您的评价"
HTMX_HEADERS = {"HX-Request": "true", "HX-Target": "rating"}

# Targets (the ratings issue, measured as PRODUCT.md's "Settled questions" say).
PG_MIN_RATIO = 0.7
SQLITE_MAX_P99_MS = 100.0
SQLITE_ZERO_ERRORS_AT = 256


# --------------------------------------------------------------------------- what is measured


@dataclass(frozen=True)
class Configuration:
    engine: str  # "sqlite" or "pg"
    workers: int
    connections: int

    @property
    def label(self) -> str:
        return f"{self.engine}, {self.workers} worker{'s' if self.workers > 1 else ''}, {self.connections} connections"


DEFAULT_CONFIGURATIONS = [Configuration("sqlite", 1, 32), Configuration("sqlite", 1, 256),
                          Configuration("pg", 1, 32), Configuration("pg", 2, 32)]


@dataclass
class RunResult:
    submissions_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    sent: int
    answered: int
    acknowledged: int
    other_2xx: int  # answered 2xx without the acknowledgement (e.g. "already rated")
    not_2xx: int
    socket_errors: int
    stored: int
    peak_rss_mib: float

    @property
    def unanswered(self) -> int:
        return self.sent - self.answered

    @property
    def errors(self) -> int:
        return self.not_2xx + self.socket_errors + self.unanswered

    @property
    def stored_equals_acknowledged(self) -> bool:
        return self.unanswered == 0 and self.stored == self.acknowledged


@dataclass
class Cell:
    """One app's runs in one configuration, and their medians."""

    configuration: Configuration
    app: str  # "pingyi" or "reference"
    runs: list[RunResult] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)

    def total(self, name: str) -> int:
        return sum(getattr(run, name) for run in self.runs)

    @property
    def spread(self) -> str:
        rates = [run.submissions_per_second for run in self.runs]
        return f"{min(rates):,.0f}–{max(rates):,.0f}"

    @property
    def stored_equals_acknowledged(self) -> bool:
        return all(run.stored_equals_acknowledged for run in self.runs)


@dataclass(frozen=True)
class Target:
    """The database whose rows are counted and the wrk script that submits to one app."""

    app: str
    server: Server
    wrk_script: str
    wrk_env: dict[str, str]
    count_rows: Callable[[], int]


# --------------------------------------------------------------------------- rows stored


def sqlite_counter(path: Path) -> Callable[[], int]:
    def count() -> int:
        connection = sqlite3.connect(path, timeout=30)
        try:
            return connection.execute("SELECT count(*) FROM rating").fetchone()[0]
        finally:
            connection.close()

    return count


def postgres_counter(url: str) -> Callable[[], int]:
    async def query() -> int:
        import asyncpg

        connection = await asyncpg.connect(url, timeout=10)
        try:
            return await connection.fetchval("SELECT count(*) FROM rating")
        finally:
            await connection.close()

    return lambda: asyncio.run(query())


def row_counter(engine: str, env: dict[str, str], sqlite_path: Path) -> Callable[[], int]:
    return postgres_counter(env["DATABASE_URL"]) if engine == "pg" else sqlite_counter(sqlite_path)


# --------------------------------------------------------------------------- one submission first


def _request(url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None,
             ) -> tuple[int, str, list[str]]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(errors="replace"), answer.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), []


def _cookies(set_cookie: list[str]) -> dict[str, str]:
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    for header in set_cookie:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def pingyi_submission_env(server: Server, count_rows: Callable[[], int]) -> dict[str, str]:
    """Loads a department page as a browser would, takes the CSRF token and the reasons from it,
    then submits one rating the way the wrk script does and checks it is thanked and stored."""
    code = first_department_code()
    status, page, set_cookie = _request(f"{server.base_url}/departments/{code}")
    if status != 200:
        raise BenchError(f"pingyi: GET /departments/{code} answered {status}")
    cookies = _cookies(set_cookie)
    if "csrftoken" not in cookies or "voter" not in cookies:
        raise BenchError("pingyi: the department page set no CSRF or voter cookie (is a period open?)")
    select = re.search(r'<select id="reason" name="reason".*?</select>', page, re.S)
    reasons = re.findall(r'<option value="(\d+)"', select.group(0)) if select else []
    if not reasons:
        raise BenchError("pingyi: the rating form offers no reasons")
    before = count_rows()
    status, answer, _ = _request(
        f"{server.base_url}/departments/{code}/ratings",
        {"_csrf_token": cookies["csrftoken"], "level": "unsatisfied", "reason": reasons[0], "comment": "bench check"},
        {**HTMX_HEADERS, "Cookie": f"csrftoken={cookies['csrftoken']}; voter=bench-check-{secrets.token_hex(8)}"},
    )
    if status != 200 or THANKS not in answer:
        text = re.sub(r"<[^>]+>|\s+", " ", answer)
        raise BenchError(f"pingyi: a rating was answered {status}: {text[:200]}")
    if count_rows() != before + 1:
        raise BenchError("pingyi: a rating was thanked but not stored")
    return {
        "RATINGS_BENCH_DEPARTMENTS_CSV": str(DEPARTMENTS_CSV),
        "RATINGS_BENCH_CSRF": cookies["csrftoken"],
        "RATINGS_BENCH_REASONS": ",".join(reasons),
    }


def check_reference(server: Server, count_rows: Callable[[], int]) -> None:
    before = count_rows()
    status, answer, _ = _request(f"{server.base_url}/ratings", {"department": "1", "score": "4", "comment": "check"})
    if status != 201:
        raise BenchError(f"reference: POST /ratings answered {status}: {answer[:200]}")
    if count_rows() != before + 1:
        raise BenchError("reference: a rating was answered 201 but not stored")


# --------------------------------------------------------------------------- load


def _wrk_until_drained(command: list[str], env: dict[str, str], bound_seconds: int) -> tuple[int, str, str]:
    """Runs wrk until every thread says DRAINED (all its submissions answered), then stops it with
    SIGINT, on which wrk still prints its report; wrk's -d bounds the wait otherwise."""
    wrk = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wrk.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + bound_seconds
    try:
        while wrk.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([wrk.stdout], [], [], 0.5)
            if not ready:
                continue
            line = wrk.stdout.readline()
            if not line:
                break
            lines.append(line)
            if sum(1 for seen in lines if seen.strip() == "DRAINED") >= WRK_THREADS:
                wrk.send_signal(signal.SIGINT)
                break
        rest, errors = wrk.communicate(timeout=max(5.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired as exc:
        wrk.kill()
        wrk.communicate()
        raise BenchError(f"wrk did not stop within {bound_seconds} s") from exc
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    return wrk.returncode, "".join(lines) + rest, errors


def measured_runs(targets: list[Target], args: argparse.Namespace,
                  connections: int) -> Iterator[tuple[int, Target, RunResult]]:
    """A warm-up of every target, then ``--runs`` runs of each, the apps taking turns, so that a
    change in the machine's load falls on both: (run number, target, its result)."""
    stamp = datetime.now(UTC).strftime("%H%M%S")
    for target in targets:
        run_wrk(target, WARMUP_SECONDS, args.tail, connections, f"{stamp}w")
    for run in range(1, args.runs + 1):
        for target in targets:
            yield run, target, run_wrk(target, args.duration, args.tail, connections, f"{stamp}r{run}")


def run_wrk(target: Target, duration: int, tail: int, connections: int, run_tag: str) -> RunResult:
    env = {**os.environ, **target.wrk_env, "RATINGS_BENCH_SECONDS": str(duration), "RATINGS_BENCH_RUN": run_tag}
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration + tail}s",
        "--timeout", f"{WRK_SOCKET_TIMEOUT_SECONDS}s", "-s", str(WRK_DIR / target.wrk_script), target.server.base_url,
    ]
    before = target.count_rows()
    with PeakRssSampler(target.server) as memory:
        returncode, stdout, stderr = _wrk_until_drained(command, env, duration + tail + 30)
    stored = target.count_rows() - before
    figures = {key: int(value) for key, value in re.findall(r"^([A-Z0-9_]+) (\d+)$", stdout, re.MULTILINE)}
    if returncode != 0 or "ANSWERED" not in figures:
        raise BenchError(f"wrk on {target.app} failed: {(stderr or stdout).strip()[-300:]}")
    window_seconds = figures["WINDOW_US"] / 1e6
    return RunResult(
        submissions_per_second=figures["ANSWERED"] / window_seconds if window_seconds else 0.0,
        p50_ms=figures["P50_US"] / 1000,
        p99_ms=figures["P99_US"] / 1000,
        max_ms=figures["MAX_US"] / 1000,
        sent=figures["SENT"],
        answered=figures["ANSWERED"],
        acknowledged=figures["ACKNOWLEDGED"],
        other_2xx=figures["OTHER_2XX"],
        not_2xx=figures["STATUS_4XX"] + figures["STATUS_5XX"] + figures["STATUS_OTHER"],
        socket_errors=sum(figures[f"ERR_{kind}"] for kind in ("CONNECT", "READ", "WRITE", "TIMEOUT")),
        stored=stored,
        peak_rss_mib=memory.peak_bytes / 2**20,
    )


@dataclass(frozen=True)
class Prepared:
    """Where each app of one engine keeps its data, and how to count its ratings."""

    pingyi_env: dict[str, str]
    pingyi_rows: Callable[[], int]
    reference_env: dict[str, str] | None
    reference_rows: Callable[[], int] | None


def prepare(engine: str, scratch: Path, postgres: PostgresServer, args: argparse.Namespace,
            with_reference: bool) -> Prepared:
    env = prepare_pingyi(engine, scratch, postgres, args.pg_database)
    env = {**env, "PINGYI_RATINGS_PER_HOUR": RATINGS_PER_HOUR}
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url  # sessions and rate limits shared through Redis
    pingyi_rows = row_counter(engine, env, Path(env["PINGYI_VAR_DIR"]) / "pingyi.sqlite")
    if not with_reference:
        return Prepared(env, pingyi_rows, None, None)
    reference_env = prepare_reference(engine, scratch, postgres, f"{args.pg_database}_reference")
    if engine == "sqlite":
        # Durable like ours: every acknowledged insert is synced (the reference defaults to NORMAL).
        reference_env = {**reference_env, "BENCH_SQLITE_SYNC": args.reference_sqlite_sync}
    reference_rows = row_counter(engine, reference_env, Path(reference_env["BENCH_SQLITE_PATH"]))
    return Prepared(env, pingyi_rows, reference_env, reference_rows)


def measure_configuration(configuration: Configuration, prepared: Prepared, args: argparse.Namespace, logs: Path,
                          run_log: RunLog) -> list[Cell]:
    one, five = os.getloadavg()[:2]
    # The servers load the code as it is when they start, which may be after the run began.
    served = project_revision()
    print(f"\n== {configuration.label} (revision {served}; load average before: {one:.2f} / {five:.2f})", flush=True)
    cells: dict[str, Cell] = {"pingyi": Cell(configuration, "pingyi")}
    with contextlib.ExitStack() as running:
        c = configuration
        ours = running.enter_context(serving(pingyi_server(c.engine, c.workers, prepared.pingyi_env, logs)))
        targets = [Target("pingyi", ours, "rate.lua", pingyi_submission_env(ours, prepared.pingyi_rows),
                          prepared.pingyi_rows)]
        if prepared.reference_env is not None and prepared.reference_rows is not None:
            reference = running.enter_context(
                serving(reference_server(c.engine, c.workers, prepared.reference_env, logs))
            )
            check_reference(reference, prepared.reference_rows)
            targets.append(Target("reference", reference, "reference_rate.lua",
                                  {"RATINGS_BENCH_REFERENCE_DEPARTMENTS": str(REFERENCE_DEPARTMENTS)},
                                  prepared.reference_rows))
            cells["reference"] = Cell(configuration, "reference")

        for run, target, result in measured_runs(targets, args, configuration.connections):
            cells[target.app].runs.append(result)
            print(f"  run {run}  {target.app:<9} {result.submissions_per_second:7,.0f} submissions/s  "
                  f"p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  max {result.max_ms:7.1f} ms  "
                  f"non-2xx {result.not_2xx}  socket errors {result.socket_errors}  "
                  f"acknowledged {result.acknowledged}  stored {result.stored}"
                  f"{'' if result.unanswered == 0 else f'  UNANSWERED AT CUTOFF {result.unanswered}'}"
                  f"{'' if result.other_2xx == 0 else f'  other 2xx {result.other_2xx}'}  "
                  f"RSS {result.peak_rss_mib:4.0f} MiB", flush=True)
            run_log.write(served_revision=served, engine=configuration.engine, workers=configuration.workers,
                          connections=configuration.connections, app=target.app, run=run,
                          duration_s=args.duration, tail_s=args.tail, **asdict(result))
    return list(cells.values())


# --------------------------------------------------------------------------- verdicts and table


def verdicts(ours: Cell, reference: Cell | None) -> tuple[str, list[str]]:
    """The ratio ours / reference (throughput), and the targets that apply to this cell."""
    ratio = ours.median("submissions_per_second") / reference.median("submissions_per_second") if reference else None
    checks: list[str] = []
    configuration = ours.configuration
    if configuration.engine == "pg":
        if ratio is None:
            checks.append("ratio –")
        else:
            checks.append(f"≥ {PG_MIN_RATIO}× ref: {'pass' if ratio >= PG_MIN_RATIO else '**miss**'}")
    elif configuration.connections == SQLITE_ZERO_ERRORS_AT:
        errors = sum(run.errors for run in ours.runs)
        checks.append(f"0 errors: {'pass' if errors == 0 else '**miss**'}")
    else:
        p99 = ours.median("p99_ms")
        checks.append(f"p99 ≤ {SQLITE_MAX_P99_MS:.0f} ms: {'pass' if p99 <= SQLITE_MAX_P99_MS else '**miss**'}")
    checks.append(f"stored = ack: {'pass' if ours.stored_equals_acknowledged else '**miss**'}")
    return (f"{ratio:.2f}×" if ratio is not None else "–"), checks


def print_table(cells: list[Cell], args: argparse.Namespace) -> None:
    print(f"\nMedians of {args.runs} runs of {args.duration} s of submissions (then up to {args.tail} s for the "
          "last answers), "
          f"wrk -t{WRK_THREADS}, 127.0.0.1. Ratio: ours / reference submissions/s.\n")
    print("| engine | workers | conns | app | submissions/s | min–max | p50 ms | p99 ms | max ms | non-2xx "
          "| socket errors | acknowledged | stored | stored = ack | ratio | targets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    references = {cell.configuration: cell for cell in cells if cell.app == "reference"}
    for cell in cells:
        ratio, checks = verdicts(cell, references.get(cell.configuration)) if cell.app == "pingyi" else ("", [])
        c = cell.configuration
        print(f"| {c.engine} | {c.workers} | {c.connections} | {cell.app} | "
              f"{cell.median('submissions_per_second'):,.0f} | {cell.spread} | {cell.median('p50_ms'):.1f} | "
              f"{cell.median('p99_ms'):.1f} | {max(run.max_ms for run in cell.runs):.0f} | {cell.total('not_2xx')} | "
              f"{cell.total('socket_errors')} | {cell.total('acknowledged'):,} | {cell.total('stored'):,} | "
              f"{'yes' if cell.stored_equals_acknowledged else '**no**'} | {ratio} | {'; '.join(checks)} |")
    print(flush=True)


# --------------------------------------------------------------------------- command line


def _configurations(raw: str) -> list[Configuration]:
    """``ENGINE:WORKERS:CONNECTIONS,…``, e.g. ``sqlite:1:32,pg:2:32``."""
    configurations = []
    for item in raw.split(","):
        parts = item.strip().split(":")
        if len(parts) != 3 or parts[0] not in {"sqlite", "pg"} or not all(p.isdigit() and int(p) > 0
                                                                          for p in parts[1:]):
            raise argparse.ArgumentTypeError(f"expected ENGINE:WORKERS:CONNECTIONS (engine sqlite or pg), got {item!r}")
        configurations.append(Configuration(parts[0], int(parts[1]), int(parts[2])))
    return configurations


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--configurations", type=_configurations, default=DEFAULT_CONFIGURATIONS,
                        metavar="ENGINE:WORKERS:CONNECTIONS,…",
                        help="default: " + ",".join(f"{c.engine}:{c.workers}:{c.connections}"
                                                    for c in DEFAULT_CONFIGURATIONS))
    parser.add_argument("--duration", type=int, default=10, help="seconds of submissions per run")
    parser.add_argument("--tail", type=int, default=20,
                        help="at most this many seconds after the last submission is sent, for the last answers "
                             "(wrk is stopped as soon as they are all in)")
    parser.add_argument("--runs", type=int, default=3, help="runs per app and configuration (median reported)")
    parser.add_argument("--reference-sqlite-sync", default="FULL", choices=["NORMAL", "FULL"],
                        help="the reference's SQLite synchronous pragma (ours is FULL)")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (on this machine) to create the bench databases on")
    parser.add_argument("--pg-database", default="pingyi_bench_ratings",
                        help="database for Pingyi, dropped and recreated; the reference gets <name>_reference")
    parser.add_argument("--redis-url", default="",
                        help="serve Pingyi with this REDIS_URL (the shared store recommended for several workers)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results",
                        help="where every run is written as one JSON line")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.runs < 1 or args.tail < 1:
        parser.error("--duration, --tail and --runs must be at least 1")
    if args.tail + 2 > WRK_SOCKET_TIMEOUT_SECONDS:
        parser.error(f"--tail must stay under wrk's {WRK_SOCKET_TIMEOUT_SECONDS} s timeout minus 2 s")
    if urllib.parse.urlsplit(args.pg_server).hostname not in LOOPBACK_HOSTS:
        parser.error("--pg-server must be on this machine (127.0.0.1): the bench sends no traffic elsewhere")
    if args.pg_database in {"test", "postgres", "template0", "template1", "pingyi_bench"}:
        parser.error(f"--pg-database {args.pg_database!r} is not the bench's to drop")
    return args


@contextlib.contextmanager
def exclusive_machine() -> Iterator[None]:
    """The page benchmark's lock: two benchmarks at once would share the cores."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(only_benchmark_running())
        except BenchError:
            raise BenchError("another benchmark (bench/pages.py or bench/ratings.py) is running on this "
                             "machine: wait for it") from None
        yield


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("ratings.py: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    with_reference = reference_available()
    if not with_reference:
        print("The reference app is not there: measuring Pingyi only, with no ratios.", flush=True)
    revision = project_revision()
    print(f"Pingyi revision {revision}", flush=True)
    apps = 2 if with_reference else 1
    seconds = len(args.configurations) * apps * (args.runs + 1) * (args.duration + 2)  # +2: the last answers
    print(f"Load time alone: about {seconds / 60:.0f} min, plus loading the data.", flush=True)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    run_log = RunLog(args.results_dir / f"ratings-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl", revision)
    postgres = PostgresServer(args.pg_server)
    cells: list[Cell] = []
    try:
        with exclusive_machine(), tempfile.TemporaryDirectory(prefix="pingyi-bench-ratings-") as scratch_dir:
            scratch = Path(scratch_dir)
            logs = scratch / "logs"
            logs.mkdir()
            prepared: dict[str, Prepared] = {}
            for configuration in args.configurations:
                if configuration.engine not in prepared:
                    print(f"\nLoading data for {configuration.engine} …", flush=True)
                    prepared[configuration.engine] = prepare(configuration.engine, scratch, postgres, args,
                                                             with_reference)
                cells += measure_configuration(configuration, prepared[configuration.engine], args, logs, run_log)
    except KeyboardInterrupt:
        print("\nInterrupted: every server was stopped.", file=sys.stderr)
        if cells:
            print_table(cells, args)
        return 130
    except BenchError as failure:
        print(f"ratings.py: {failure}", file=sys.stderr)
        if cells:
            print_table(cells, args)
        return 1
    print_table(cells, args)
    print(f"Every run: {run_log.path}")
    return 0 if all(cell.stored_equals_acknowledged for cell in cells) else 2


if __name__ == "__main__":
    sys.exit(main())
