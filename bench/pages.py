"""Load benchmark of the public pages: ``GET /`` and ``GET /departments/{code}``.

For each engine (SQLite, PostgreSQL) and uvicorn worker count it loads the demo data into a
fresh database, serves Pingyi with ``pingyi serve``, and drives each page with wrk on
127.0.0.1 only. Side by side it serves the reference app in ../shared/bench (a bare Litestar +
Piccolo app: what the stack itself does on this machine) with the same engine, worker count and
connection count, and drives its ``GET /departments/{id}``.

Each figure is the median of --runs runs of --duration seconds; the runs of the pages are
interleaved (ours home, ours department, reference, then again), so a burst of other load on
the machine hits every page alike instead of one page's runs.

Run it by hand with the project's virtualenv (about 9 minutes with the defaults):

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --engines sqlite --workers 1 --runs 1 --duration 5

It needs wrk, and PostgreSQL on 127.0.0.1 for the ``pg`` engine (see --pg-server). Every
process it starts is stopped before it exits, also on Ctrl-C and on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
WRK_DIR = BENCH_DIR / "wrk"
DEPARTMENTS_CSV = PROJECT_DIR / "evaluation" / "core" / "data" / "departments.csv"
REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "bench"

# The reference is seeded like its own loadbench.py seeds it, so its figures here can be read
# against its results/summary.md.
REFERENCE_DEPARTMENTS = 1_000
REFERENCE_RATINGS = 100_000

WRK_THREADS = 1  # wrk shares the 2 cores with the server and PostgreSQL: one thread is plenty
WRK_SOCKET_TIMEOUT = "10s"
WARMUP_SECONDS = 2  # opens connections, fills caches, compiles templates; not recorded
SERVER_START_TIMEOUT = 60
SERVER_STOP_TIMEOUT = 15
SETUP_TIMEOUT = 600  # migrate, demo, seed: each bounded
RSS_SAMPLE_INTERVAL = 0.2

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# The caller's shell must not change what is measured (another database, Redis sessions,
# debug mode…): servers get a clean environment plus exactly what each one needs.
STRIPPED_ENV_PREFIXES = ("PINGYI_", "BENCH_")
STRIPPED_ENV_NAMES = {"DATABASE_URL", "REDIS_URL"}


class BenchError(Exception):
    """A step that cannot go on (no wrk, a server that does not start …): printed as one line."""


# --------------------------------------------------------------------------- what is measured


@dataclass(frozen=True)
class Page:
    """One page under load: which server serves it and which wrk script requests it."""

    app: str  # "pingyi" or "reference"
    name: str
    wrk_script: str

    @property
    def label(self) -> str:
        return f"{self.app} {self.name}"


HOME = Page("pingyi", "GET /", "home.lua")
DEPARTMENT = Page("pingyi", "GET /departments/{code}", "department.lua")
REFERENCE_DEPARTMENT = Page("reference", "GET /departments/{id}", "reference_department.lua")


@dataclass
class RunResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    not_2xx: int
    socket_errors: int
    peak_rss_mib: float


@dataclass
class CellSummary:
    """The medians of one page's runs in one configuration (engine × workers)."""

    engine: str
    workers: int
    page: Page
    runs: list[RunResult] = field(default_factory=list)

    @property
    def requests_per_second(self) -> float:
        return statistics.median(run.requests_per_second for run in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.median(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(run.p99_ms for run in self.runs)

    @property
    def not_2xx(self) -> int:
        return sum(run.not_2xx for run in self.runs)

    @property
    def socket_errors(self) -> int:
        return sum(run.socket_errors for run in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        return max(run.peak_rss_mib for run in self.runs)

    @property
    def throughput_range(self) -> str:
        rates = [run.requests_per_second for run in self.runs]
        return f"{min(rates):,.0f}–{max(rates):,.0f}"


# --------------------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """Runs in the child before exec: if this script is killed outright (no chance to clean
    up), the kernel still sends the server SIGTERM, and the server stops its workers."""
    with contextlib.suppress(Exception):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _session_pids(session_id: int) -> list[int]:
    """Every live process of a session: the server and all the workers it forked or spawned."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # Fields after the command name, which is in parentheses and may contain spaces:
        # state, ppid, pgrp, session, …
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == session_id:
            pids.append(int(entry.name))
    return pids


def _rss_bytes(pid: int) -> int:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


@dataclass
class Server:
    """A server started in a session of its own, so that all its processes can be measured
    together and stopped together, whatever the worker count."""

    name: str
    command: list[str]
    port: int
    env: dict[str, str]
    cwd: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with status {self.process.returncode}: {self.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not answer /healthz within {SERVER_START_TIMEOUT} s: {self.log_tail()}")

    def rss_bytes(self) -> int:
        if self.process is None:
            return 0
        return sum(_rss_bytes(pid) for pid in _session_pids(self.process.pid))

    def stop(self) -> None:
        if self.process is None:
            return
        session_id = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session_id, signal.SIGTERM)
        try:
            self.process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session_id, signal.SIGKILL)
            self.process.wait()
        # A worker that outlived its supervisor is still in the process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session_id, signal.SIGKILL)
        self.process = None

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def error_lines(self) -> list[str]:
        with contextlib.suppress(OSError):
            return [line for line in self.log_path.read_text(errors="replace").splitlines()
                    if "Error" in line or "Traceback" in line]
        return []


@contextlib.contextmanager
def serving(server: Server) -> Iterator[Server]:
    server.start()
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
        # The log goes with the temporary directory: show what went wrong before it does.
        errors = server.error_lines()
        if errors:
            print(f"  {server.name} logged {len(errors)} error lines, the first ones:", flush=True)
            for line in errors[:3]:
                print(f"    {line}", flush=True)


class PeakRssSampler:
    """Samples the summed RSS of a server's processes while a wrk run lasts, keeping the peak."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, self.server.rss_bytes())
            if self._stop.wait(RSS_SAMPLE_INTERVAL):
                return

    def __enter__(self) -> PeakRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self.server.rss_bytes())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_step(description: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
    """A bounded setup command (migrate, demo, seed); its output is shown only if it fails."""
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=SETUP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{description} took longer than {SETUP_TIMEOUT} s") from exc
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()
        raise BenchError(f"{description} failed: {' | '.join(output[-5:])}")


def server_env(**variables: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in STRIPPED_ENV_NAMES and not name.startswith(STRIPPED_ENV_PREFIXES)
    }
    env.update(variables)
    return env


# --------------------------------------------------------------------------- load


def run_wrk(page: Page, server: Server, duration: int, connections: int) -> RunResult:
    env = dict(os.environ)
    env["PAGES_BENCH_DEPARTMENTS_CSV"] = str(DEPARTMENTS_CSV)
    env["PAGES_BENCH_REFERENCE_DEPARTMENTS"] = str(REFERENCE_DEPARTMENTS)
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--timeout", WRK_SOCKET_TIMEOUT,
        "-s", str(WRK_DIR / page.wrk_script), server.base_url,
    ]
    with PeakRssSampler(server) as memory:
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 30)
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"wrk on {page.label} did not stop after {duration} s") from exc
    figures = {key: int(value) for key, value in re.findall(r"^([A-Z0-9_]+) (\d+)$", done.stdout, re.MULTILINE)}
    if done.returncode != 0 or "REQUESTS" not in figures:
        raise BenchError(f"wrk on {page.label} failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return RunResult(
        requests_per_second=figures["REQUESTS"] / (figures["DURATION_US"] / 1e6),
        p50_ms=figures["P50_US"] / 1000,
        p99_ms=figures["P99_US"] / 1000,
        max_ms=figures["MAX_US"] / 1000,
        not_2xx=figures["STATUS_NOT_2XX"],
        socket_errors=sum(figures[f"ERR_{kind}"] for kind in ("CONNECT", "READ", "WRITE", "TIMEOUT")),
        peak_rss_mib=memory.peak_bytes / 2**20,
    )


def check_page(server: Server, path: str) -> None:
    """One request before the load: a page that answers 404 or 500 must not be benchmarked."""
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise BenchError(f"{server.name}: GET {path} answered {exc.code}") from exc


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class PostgresServer:
    """The PostgreSQL server the bench databases are created on (never the test database)."""

    url: str

    def database_url(self, database: str) -> str:
        return urllib.parse.urlsplit(self.url)._replace(path=f"/{database}").geturl()

    async def _recreate(self, database: str) -> None:
        import asyncpg  # the project's PostgreSQL driver; only the pg engine needs it

        connection = await asyncpg.connect(self.database_url("postgres"), timeout=10)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{database}"')
        finally:
            await connection.close()

    def recreate(self, database: str) -> str:
        """Drops and creates the database, so each run loads its data into an empty one."""
        import asyncpg

        try:
            asyncio.run(self._recreate(database))
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            raise BenchError(f"could not recreate database {database} on {self.url}: {exc}") from exc
        return self.database_url(database)


@dataclass(frozen=True)
class Databases:
    """Where each app keeps its data on one engine: the environment its server starts with."""

    pingyi_env: dict[str, str]
    reference_env: dict[str, str] | None


def prepare_pingyi(engine: str, scratch: Path, postgres: PostgresServer, pg_database: str) -> dict[str, str]:
    """A fresh var dir, migrated and loaded with the demo data, as an operator would do it."""
    pingyi = Path(sys.executable).parent / "pingyi"
    if not pingyi.exists():
        raise BenchError(f"no `pingyi` command next to {sys.executable}: run this with the project's .venv/bin/python")
    variables = {"PINGYI_VAR_DIR": str(scratch / f"pingyi-{engine}")}
    if engine == "pg":
        variables["DATABASE_URL"] = postgres.recreate(pg_database)
    env = server_env(**variables)
    run_step(f"pingyi migrate ({engine})", [str(pingyi), "migrate"], env, PROJECT_DIR)
    run_step(f"pingyi demo ({engine})", [str(pingyi), "demo"], env, PROJECT_DIR)
    return env


def prepare_reference(engine: str, scratch: Path, postgres: PostgresServer, pg_database: str) -> dict[str, str]:
    """The reference's own schema and synthetic data, through its seed.py and its env vars."""
    variables = {"BENCH_SQLITE_PATH": str(scratch / "reference.sqlite")}
    if engine == "pg":
        variables["DATABASE_URL"] = postgres.recreate(pg_database)
    env = server_env(**variables)
    run_step(
        f"reference seed.py ({engine})",
        [sys.executable, "seed.py", "--departments", str(REFERENCE_DEPARTMENTS),
         "--ratings", str(REFERENCE_RATINGS), "--reset"],
        env,
        REFERENCE_DIR,
    )
    return env


def pingyi_server(engine: str, workers: int, env: dict[str, str], logs: Path) -> Server:
    port = free_port()
    command = [str(Path(sys.executable).parent / "pingyi"), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return Server("pingyi", command, port, env, PROJECT_DIR, logs / f"pingyi-{engine}-w{workers}.log")


def reference_server(engine: str, workers: int, env: dict[str, str], logs: Path) -> Server:
    # The same uvicorn options as the reference's loadbench.py; `pingyi serve` gets the same
    # loop and parser by default (uvloop and httptools are installed) and logs warnings only.
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "baseline_app:app", "--app-dir", str(REFERENCE_DIR),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"]
    return Server("reference", command, port, env, REFERENCE_DIR, logs / f"reference-{engine}-w{workers}.log")


# --------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class RunLog:
    """Every run as one JSON line, with the commit measured and how busy the machine was."""

    path: Path
    revision: str

    def write(self, **fields: object) -> None:
        record = {"revision": self.revision, **fields, "load_average_after_run": os.getloadavg()[0]}
        with self.path.open("a") as out:
            out.write(json.dumps(record) + "\n")


def first_department_code() -> str:
    return DEPARTMENTS_CSV.read_text(encoding="utf-8").splitlines()[1].split(",")[0]


def measure_configuration(
    engine: str, workers: int, databases: Databases, args: argparse.Namespace, logs: Path, run_log: RunLog
) -> list[CellSummary]:
    """Serves both apps with this engine and worker count, and loads each page --runs times."""
    one, five = os.getloadavg()[:2]
    print(f"\n== {engine}, {workers} worker{'s' if workers > 1 else ''} "
          f"(load average before: {one:.2f} / {five:.2f})", flush=True)
    cells = {page: CellSummary(engine, workers, page) for page in (HOME, DEPARTMENT)}
    with contextlib.ExitStack() as running:
        servers = {"pingyi": running.enter_context(serving(pingyi_server(engine, workers, databases.pingyi_env, logs)))}
        check_page(servers["pingyi"], "/")
        check_page(servers["pingyi"], f"/departments/{first_department_code()}")
        if databases.reference_env is not None:
            servers["reference"] = running.enter_context(
                serving(reference_server(engine, workers, databases.reference_env, logs))
            )
            check_page(servers["reference"], "/departments/1")
            cells[REFERENCE_DEPARTMENT] = CellSummary(engine, workers, REFERENCE_DEPARTMENT)

        for page in cells:
            run_wrk(page, servers[page.app], WARMUP_SECONDS, args.connections)
        for run in range(1, args.runs + 1):
            for page, cell in cells.items():
                result = run_wrk(page, servers[page.app], args.duration, args.connections)
                cell.runs.append(result)
                print(f"  run {run}  {page.label:<34} {result.requests_per_second:8,.0f} req/s  "
                      f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                      f"non-2xx {result.not_2xx}  socket errors {result.socket_errors}  "
                      f"RSS {result.peak_rss_mib:5.0f} MiB", flush=True)
                run_log.write(engine=engine, workers=workers, app=page.app, page=page.name, run=run,
                              connections=args.connections, duration_s=args.duration, **asdict(result))
    return list(cells.values())


def verdict(ours: CellSummary, reference: CellSummary | None) -> tuple[str, str, str]:
    """Throughput ratio, p99 ratio (ours / reference) and the target: at least the reference's
    throughput, and a p99 no worse than the reference's."""
    if reference is None:
        return "–", "–", "–"
    throughput = ours.requests_per_second / reference.requests_per_second
    tail = ours.p99_ms / reference.p99_ms
    passed = throughput >= 1.0 and tail <= 1.0
    return f"{throughput:.2f}×", f"{tail:.2f}×", "pass" if passed else "**miss**"


def print_table(cells: list[CellSummary], args: argparse.Namespace) -> None:
    references = {(c.engine, c.workers): c for c in cells if c.page.app == "reference"}
    ratios_note = ("Ratios are ours / reference (department page)." if references
                   else "The reference app was not measured: no ratios.")
    print(f"\nMedians of {args.runs} × {args.duration} s runs, {args.connections} connections, "
          f"wrk -t{WRK_THREADS}, 127.0.0.1. {ratios_note}\n")
    print("| engine | workers | app | page | req/s | req/s min–max | p50 ms | p99 ms | non-2xx | socket errors "
          "| peak RSS MiB | req/s ratio | p99 ratio | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cell in cells:
        reference = references.get((cell.engine, cell.workers))
        ratios = verdict(cell, reference) if cell.page.app == "pingyi" else ("", "", "")
        print(f"| {cell.engine} | {cell.workers} | {cell.page.app} | `{cell.page.name}` | "
              f"{cell.requests_per_second:,.0f} | {cell.throughput_range} | {cell.p50_ms:.1f} | {cell.p99_ms:.1f} | "
              f"{cell.not_2xx} | {cell.socket_errors} | {cell.peak_rss_mib:.0f} | {' | '.join(ratios)} |")
    print(flush=True)


# --------------------------------------------------------------------------- command line


def _comma_list(choices: set[str] | None = None, cast: type = str) -> Callable[[str], list]:
    """An argparse type for a comma-separated list, e.g. ``--workers 1,2``."""

    def parse(raw: str) -> list:
        values = [cast(item.strip()) for item in raw.split(",") if item.strip()]
        if not values or (choices and not set(values) <= choices):
            raise argparse.ArgumentTypeError(f"expected a comma list of {sorted(choices or [])}, got {raw!r}")
        return values

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per page and configuration (median reported)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent wrk connections")
    parser.add_argument("--engines", type=_comma_list({"sqlite", "pg"}), default=["sqlite", "pg"],
                        help="comma list of sqlite, pg")
    parser.add_argument("--workers", type=_comma_list(cast=int), default=[1, 2], help="comma list of worker counts")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (on this machine) to create the bench databases on")
    parser.add_argument("--pg-database", default="pingyi_bench",
                        help="database for Pingyi, dropped and recreated; the reference gets <name>_reference")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results",
                        help="where every run is written as one JSON line")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.runs < 1 or args.connections < 1 or min(args.workers) < 1:
        parser.error("--duration, --runs, --connections and --workers must be at least 1")
    if urllib.parse.urlsplit(args.pg_server).hostname not in LOOPBACK_HOSTS:
        parser.error("--pg-server must be on this machine (127.0.0.1): the bench sends no traffic elsewhere")
    if args.pg_database in {"test", "postgres", "template0", "template1"}:
        parser.error(f"--pg-database {args.pg_database!r} is not the bench's to drop")
    return args


@contextlib.contextmanager
def only_benchmark_running() -> Iterator[None]:
    """Two runs at once would share the cores and drop each other's databases: refuse the second."""
    lock_path = Path(tempfile.gettempdir()) / "pingyi-bench-pages.lock"
    with lock_path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BenchError("another bench/pages.py run is in progress on this machine: wait for it") from None
        yield  # the lock is released when the file closes, also if this process dies


def project_revision() -> str:
    """The commit measured, marked ``-dirty`` when the working tree differs from it."""
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=PROJECT_DIR,
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def reference_available() -> bool:
    return (REFERENCE_DIR / "baseline_app.py").is_file() and (REFERENCE_DIR / "seed.py").is_file()


def run_matrix(args: argparse.Namespace, cells: list[CellSummary]) -> Path:
    """Measures every configuration, appending to ``cells`` as each one completes (so an
    interrupted run can still show what it measured); returns the file of all runs."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (apt-get install wrk)")
    with_reference = reference_available()
    if not with_reference:
        print(f"The reference app is not there ({REFERENCE_DIR}): measuring Pingyi only, "
              "with no ratios and no target verdicts.", flush=True)
    revision = project_revision()
    print(f"Pingyi revision {revision}", flush=True)
    pages_per_configuration = 3 if with_reference else 2
    seconds = len(args.engines) * len(args.workers) * pages_per_configuration * (
        args.runs * args.duration + WARMUP_SECONDS)
    print(f"Load time alone: about {seconds / 60:.0f} min, plus loading the data.", flush=True)

    args.results_dir.mkdir(parents=True, exist_ok=True)
    run_log = RunLog(args.results_dir / f"pages-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl", revision)
    postgres = PostgresServer(args.pg_server)
    with tempfile.TemporaryDirectory(prefix="pingyi-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        logs = scratch / "logs"
        logs.mkdir()
        for engine in args.engines:
            print(f"\nLoading data for {engine} …", flush=True)
            databases = Databases(
                prepare_pingyi(engine, scratch, postgres, args.pg_database),
                prepare_reference(engine, scratch, postgres, f"{args.pg_database}_reference")
                if with_reference else None,
            )
            for workers in args.workers:
                cells += measure_configuration(engine, workers, databases, args, logs, run_log)
    return run_log.path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C and SIGTERM take one way out, through every `finally` that stops a server. SIGINT
    # is set explicitly because a shell starting this in the background makes it ignore SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cells: list[CellSummary] = []
    try:
        with only_benchmark_running():
            results_file = run_matrix(args, cells)
    except KeyboardInterrupt:
        print("\nInterrupted: every server was stopped.", file=sys.stderr)
        status = 130
    except BenchError as failure:
        print(f"pages.py: {failure}", file=sys.stderr)
        status = 1
    else:
        status = 0
    if cells:
        print_table(cells, args)
    if status == 0:
        print(f"Every run: {results_file}")
    return status


if __name__ == "__main__":
    sys.exit(main())
