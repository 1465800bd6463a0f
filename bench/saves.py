"""Load benchmark of checklist saves: ``POST /inspect/checklists/{id}/items/{indicator_id}``.

A round of its own (the sample indicator system, one covered department per inspector, each
inspector alone in a team, so each fills a checklist of their own) is loaded straight into a
fresh database; the app is served with ``pingyi serve --workers N``; the inspectors sign in
through the sign-in form, then for --duration seconds each saves in a closed loop (the next
save only once the last one is answered), round-robin over its checklist's items, the way the
checklist page sends a save: a fresh save id, the version of the item's last answer as the
base, a value valid for the item's kind and a note, asking for JSON.

Every save sent is answered before a run ends (nothing is sent after --duration; the saves in
flight are waited for), so the ``answer_save`` rows added by a run must equal the saves
answered 200 in it, exactly. Side by side, the same client drives the reference app's
``POST /ratings`` in ../shared/bench (a bare Litestar + Piccolo insert: what the stack itself
does on this machine) with the same engine, worker count and number of connections.

Each figure is the median of --runs runs; ours and the reference's alternate run by run.

    .venv/bin/python bench/saves.py                  # sqlite 1 worker, pg 1 and 2 workers; about 5 minutes
    .venv/bin/python bench/saves.py --configurations sqlite:1:16 --runs 1 --duration 5
    .venv/bin/python bench/saves.py --configurations pg:1:16 --database-url postgresql://postgres@127.0.0.1/mine

The load comes from this process (asyncio, one keep-alive connection per inspector, a minimal
HTTP/1.1 client: about 0.1 ms of CPU per request, where wrk cannot follow each item's version).
It needs PostgreSQL on 127.0.0.1 for the ``pg`` configurations. It takes the lock of
bench/pages.py and bench/ratings.py: only one benchmark runs at a time. Every process it starts
is stopped before it exits, also on Ctrl-C and on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import http.cookies
import json
import os
import random
import secrets
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pages import (
    BENCH_DIR,
    LOOPBACK_HOSTS,
    PROJECT_DIR,
    WARMUP_SECONDS,
    BenchError,
    PeakRssSampler,
    PostgresServer,
    RunLog,
    Server,
    _session_pids,
    free_port,
    only_benchmark_running,
    pingyi_server,
    prepare_reference,
    project_revision,
    reference_available,
    reference_server,
    run_step,
    server_env,
    serving,
)
from ratings import check_reference, row_counter

SAMPLE_SYSTEM = PROJECT_DIR / "inspections" / "data" / "indicators-sample.csv"
REQUEST_TIMEOUT_SECONDS = 30  # a save slower than this counts as a socket error
SEED_FILE = "bench-saves.json"
REFERENCE_DEPARTMENTS = 1_000  # as bench/pages.py seeds the reference

# Targets (issue 4, measured as PRODUCT.md's "Settled questions" say).
SQLITE_MAX_P99_MS = 100.0  # 16 inspectors, 1 worker
PG_MIN_SAVES_PER_SECOND = 1_000.0


# --------------------------------------------------------------------------- what is measured


@dataclass(frozen=True)
class Configuration:
    engine: str  # "sqlite" or "pg"
    workers: int
    inspectors: int

    @property
    def label(self) -> str:
        return f"{self.engine}, {self.workers} worker{'s' if self.workers > 1 else ''}, {self.inspectors} inspectors"


DEFAULT_CONFIGURATIONS = [Configuration("sqlite", 1, 16), Configuration("pg", 1, 16), Configuration("pg", 2, 16)]


@dataclass
class RunResult:
    saves_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    sent: int
    acknowledged: int  # ours: 200 "saved", not replayed; the reference: 201
    conflicts: int  # 409: a base version the client got wrong (never expected)
    other_status: int
    socket_errors: int
    stored: int
    peak_rss_mib: float
    server_cpu_ms_per_save: float
    client_cpu_ms_per_save: float

    @property
    def errors(self) -> int:
        return self.conflicts + self.other_status + self.socket_errors

    @property
    def stored_equals_acknowledged(self) -> bool:
        return self.stored == self.acknowledged


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
        rates = [run.saves_per_second for run in self.runs]
        return f"{min(rates):,.0f}–{max(rates):,.0f}"

    @property
    def stored_equals_acknowledged(self) -> bool:
        return all(run.stored_equals_acknowledged for run in self.runs)


# --------------------------------------------------------------------------- the data (a subprocess)


def _sample_items() -> list[dict[str, str]]:
    with SAMPLE_SYSTEM.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


async def _seed(inspectors: int, password: str) -> dict[str, object]:
    """The round, straight into the tables, in the shape opening a round leaves them: every
    checklist not started, every item unanswered. Runs in the server's environment."""
    import datetime as dt
    from decimal import Decimal

    from piccolo.apps.user.tables import BaseUser

    import piccolo_conf
    from evaluation.core import clock, database
    from evaluation.core.tables import Account, Department, DepartmentGroup, Role
    from inspections.tables import (
        Checklist,
        ChecklistAnswer,
        Indicator,
        IndicatorSystem,
        InspectionRound,
        RoundStatus,
        Team,
        TeamMember,
    )

    await database.start(piccolo_conf.DB)
    try:
        now = clock.now()
        system_id = (await IndicatorSystem.insert(
            IndicatorSystem(year=2026, code="2026", name="2026年度考核指标体系", created_at=now, frozen_at=now)
        ).returning(IndicatorSystem.id))[0]["id"]
        items = []
        for position, row in enumerate(_sample_items()):
            indicator_id = (await Indicator.insert(
                Indicator(system=system_id, code=row["code"], parent_code=row["parent_code"], title=row["title"],
                          max_points=Decimal(row["max_points"]), kind=row["kind"], scoring_rule=row["scoring_rule"],
                          per_occurrence=Decimal(row["per_occurrence"]) if row["per_occurrence"] else None,
                          position=position)
            ).returning(Indicator.id))[0]["id"]
            if row["parent_code"]:
                items.append({"indicator": indicator_id, "code": row["code"], "kind": row["kind"],
                              "max_points": row["max_points"]})
        round_id = (await InspectionRound.insert(
            InspectionRound(code="2026-bench", name="2026年度考核（压测）", year=2026, system=system_id,
                            deadline=dt.date(2026, 12, 31), status=RoundStatus.open, opened_at=now,
                            public_weight=Decimal("20"), bonus_cap=Decimal("5"),
                            grade_bands=[["优秀", "90"], ["良好", "80"], ["合格", "60"], ["不合格", "0"]],
                            created_at=now)
        ).returning(InspectionRound.id))[0]["id"]
        password_hash = BaseUser.hash_password(password)  # once: 600,000 PBKDF2 rounds
        seeded = []
        for number in range(1, inspectors + 1):
            department_id = (await Department.insert(
                Department(code=f"BENCH{number:03d}", name=f"压测单位{number}", group=DepartmentGroup.county.value,
                           active=True, created_at=now)
            ).returning(Department.id))[0]["id"]
            username = f"bench-inspector-{number:03d}"
            account_id = (await Account.insert(
                Account(username=username, password=password_hash, display_name=f"考核员{number}",
                        role=Role.inspector.value, active=True, created_at=now)
            ).returning(Account.id))[0]["id"]
            team_id = (await Team.insert(Team(round=round_id, name=f"第{number}组")).returning(Team.id))[0]["id"]
            await TeamMember.insert(TeamMember(team=team_id, account=account_id))
            checklist_id = (await Checklist.insert(
                Checklist(round=round_id, department=department_id, team=team_id)
            ).returning(Checklist.id))[0]["id"]
            await ChecklistAnswer.insert(
                *(ChecklistAnswer(checklist=checklist_id, indicator=item["indicator"]) for item in items)
            )
            seeded.append({"username": username, "checklist": checklist_id})
        return {"password": password, "items": items, "inspectors": seeded}
    finally:
        await database.stop(piccolo_conf.DB)


def seed_main(inspectors: int) -> None:
    """``saves.py --seed N``: what prepare() runs in the server's environment."""
    sys.path.insert(0, str(PROJECT_DIR))
    seeded = asyncio.run(_seed(inspectors, secrets.token_urlsafe(18)))
    var_dir = Path(os.environ["PINGYI_VAR_DIR"])
    (var_dir / SEED_FILE).write_text(json.dumps(seeded, ensure_ascii=False), encoding="utf-8")


# --------------------------------------------------------------------------- databases


def sqlite_counter(path: Path, table: str) -> Callable[[], int]:
    def count() -> int:
        connection = sqlite3.connect(path, timeout=30)
        try:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            connection.close()

    return count


def postgres_counter(url: str, table: str) -> Callable[[], int]:
    async def query() -> int:
        import asyncpg

        connection = await asyncpg.connect(url, timeout=10)
        try:
            return await connection.fetchval(f"SELECT count(*) FROM {table}")
        finally:
            await connection.close()

    return lambda: asyncio.run(query())


async def _empty_schema(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


@dataclass(frozen=True)
class Prepared:
    """Where each app of one engine keeps its data, and how to count the rows a run adds."""

    pingyi_env: dict[str, str]
    pingyi_rows: Callable[[], int]
    seeded: dict[str, object]
    reference_env: dict[str, str] | None
    reference_rows: Callable[[], int] | None


def prepare(configuration: Configuration, scratch: Path, postgres: PostgresServer, args: argparse.Namespace,
            references: dict[str, tuple[dict[str, str], Callable[[], int]] | None]) -> Prepared:
    """A fresh database for every configuration (its checklists start unanswered); the
    reference's, given or made once per engine in ``references``."""
    pingyi = Path(sys.executable).parent / "pingyi"
    if not pingyi.exists():
        raise BenchError(f"no `pingyi` command next to {sys.executable}: run this with the project's .venv/bin/python")
    engine, inspectors = configuration.engine, configuration.inspectors
    var_dir = scratch / f"pingyi-{engine}-{configuration.workers}-{inspectors}"
    variables = {"PINGYI_VAR_DIR": str(var_dir)}
    if engine == "pg":
        if args.database_url:
            try:
                asyncio.run(_empty_schema(args.database_url))
            except Exception as exc:  # asyncpg's errors, refused connections, bad URLs: one line
                raise BenchError(f"could not empty {args.database_url}: {exc}") from exc
            variables["DATABASE_URL"] = args.database_url
        else:
            variables["DATABASE_URL"] = postgres.recreate(args.pg_database)
    env = server_env(**variables)
    run_step(f"pingyi migrate ({engine})", [str(pingyi), "migrate"], env, PROJECT_DIR)
    run_step(f"the round for {inspectors} inspectors ({engine})",
             [sys.executable, str(Path(__file__).resolve()), "--seed", str(inspectors)], env, PROJECT_DIR)
    seeded = json.loads((var_dir / SEED_FILE).read_text(encoding="utf-8"))
    if engine == "pg":
        pingyi_rows = postgres_counter(env["DATABASE_URL"], "answer_save")
    else:
        pingyi_rows = sqlite_counter(var_dir / "pingyi.sqlite", "answer_save")
    if engine not in references:
        reference_env = prepare_reference(engine, scratch, postgres, f"{args.pg_database}_reference")
        if engine == "sqlite":
            # Durable like ours: every acknowledged insert is synced (the reference defaults to NORMAL).
            reference_env = {**reference_env, "BENCH_SQLITE_SYNC": args.reference_sqlite_sync}
        references[engine] = (reference_env,
                              row_counter(engine, reference_env, Path(reference_env["BENCH_SQLITE_PATH"])))
    reference = references[engine]
    if reference is None:
        return Prepared(env, pingyi_rows, seeded, None, None)
    return Prepared(env, pingyi_rows, seeded, *reference)


# --------------------------------------------------------------------------- a minimal HTTP/1.1 client


class Connection:
    """One keep-alive connection to 127.0.0.1, and a cookie jar: what one tablet holds."""

    # uvicorn closes a keep-alive connection idle for 5 s: one idle that long (while the other
    # inspectors sign in) is opened again rather than written to as the server closes it.
    IDLE_SECONDS = 4.0

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, form: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self._writer is not None and time.monotonic() - self._last_used > self.IDLE_SECONDS:
            self.close()
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self._reader is not None
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}"]
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length, close = 0, False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                raise BenchError(f"{method} {path}: a chunked answer, which this client does not read")
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                self._keep_cookie(value)
        content = await self._reader.readexactly(length) if length else b""
        self._last_used = time.monotonic()
        if close:
            self.close()
        return status, content

    def _keep_cookie(self, header: str) -> None:
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if not morsel.value or morsel["max-age"] in {"0", "-1"}:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


def value_for(kind: str, max_points: str, ordinal: int) -> str:
    """A value the item accepts, changing from one save of it to the next."""
    if kind == "veto":
        return str(ordinal % 2)
    if kind == "deduct":
        return str(ordinal % 6)
    steps = int(float(max_points) * 2) + 1  # 0, 0.5, … max
    step = ordinal % steps
    return f"{step // 2}.5" if step % 2 else str(step // 2)


@dataclass
class Inspector:
    """One signed-in inspector on their own checklist, and the versions the page holds."""

    username: str
    checklist: int
    items: list[dict[str, object]]
    connection: Connection
    versions: dict[int, int] = field(default_factory=dict)
    saves: int = 0

    async def sign_in(self, password: str) -> None:
        status, _ = await self.connection.request("GET", "/staff/login")
        token = self.connection.cookies.get("csrftoken")
        if status != 200 or not token:
            raise BenchError(f"GET /staff/login answered {status} without a CSRF cookie")
        status, answer = await self.connection.request(
            "POST", "/staff/login", {"_csrf_token": token, "username": self.username, "password": password}
        )
        if status != 303:
            raise BenchError(f"{self.username} could not sign in: {status} {answer[:200]!r}")

    def next_save(self) -> tuple[str, dict[str, str], int]:
        item = self.items[self.saves % len(self.items)]
        self.saves += 1
        indicator = int(item["indicator"])  # type: ignore[call-overload]
        form = {
            "save_id": f"b{secrets.token_hex(12)}",
            "base_version": str(self.versions.get(indicator, 0)),
            "value": value_for(str(item["kind"]), str(item["max_points"]), self.saves // len(self.items) + 1),
            "note": f"现场核查记录 {self.saves}：资料齐全，已拍照留存。",
        }
        return f"/inspect/checklists/{self.checklist}/items/{indicator}", form, indicator

    async def save(self) -> tuple[int, dict[str, object]]:
        path, form, indicator = self.next_save()
        status, content = await self.connection.request(
            "POST", path, form, {"Accept": "application/json", "x-csrftoken": self.connection.cookies["csrftoken"]}
        )
        body = json.loads(content) if content.startswith(b"{") else {}
        if status in (200, 409) and isinstance(body.get("version"), int):
            self.versions[indicator] = body["version"]
        return status, body


class ReferenceClient:
    """The same closed loop against the reference app: one rating per request, answered 201."""

    def __init__(self, port: int) -> None:
        self.connection = Connection(port)

    async def save(self) -> tuple[int, dict[str, object]]:
        form = {"department": str(random.randint(1, REFERENCE_DEPARTMENTS)), "score": str(random.randint(1, 5)),
                "comment": "quick and friendly"}
        status, _ = await self.connection.request("POST", "/ratings", form)
        return status, {}


# --------------------------------------------------------------------------- load


def _cpu_seconds(server: Server) -> float:
    """utime + stime of every process of the server, from /proc."""
    if server.process is None:
        return 0.0
    ticks = 0
    for pid in _session_pids(server.process.pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (Path("/proc") / str(pid) / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _closed_loop(clients: list, seconds: float, acknowledged_status: int) -> tuple[list[float], Counter[str],
                                                                                         float]:
    """Each client sends, waits for the answer, sends again, until ``seconds`` have passed; the
    saves in flight then are waited for. Returns the latencies, the counts and the window (from
    the first send to the last answer)."""
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    stop_at = started + seconds
    last_answer = started

    async def loop(client: Inspector | ReferenceClient) -> None:
        nonlocal last_answer
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            counts["sent"] += 1
            try:
                status, body = await asyncio.wait_for(client.save(), REQUEST_TIMEOUT_SECONDS)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
                counts["socket_errors"] += 1
                client.connection.close()
                continue
            last_answer = time.perf_counter()
            latencies.append(last_answer - sent)
            if status == acknowledged_status and not body.get("replayed"):
                counts["acknowledged"] += 1
            elif status == 409:
                counts["conflicts"] += 1
            else:
                counts["other_status"] += 1
                counts[f"status {status}"] += 1

    await asyncio.gather(*(loop(client) for client in clients))
    return latencies, counts, last_answer - started


def run_load(server: Server, clients: list, seconds: float, acknowledged_status: int,
             count_rows: Callable[[], int], loop: asyncio.AbstractEventLoop) -> RunResult:
    before = count_rows()
    cpu_before, client_before = _cpu_seconds(server), time.process_time()
    with PeakRssSampler(server) as memory:
        latencies, counts, window = loop.run_until_complete(_closed_loop(clients, seconds, acknowledged_status))
    cpu, client_cpu = _cpu_seconds(server) - cpu_before, time.process_time() - client_before
    stored = count_rows() - before
    ordered = sorted(latencies)
    answered = len(latencies)
    return RunResult(
        saves_per_second=answered / window if window > 0 else 0.0,
        p50_ms=_percentile(ordered, 0.50) * 1000,
        p95_ms=_percentile(ordered, 0.95) * 1000,
        p99_ms=_percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
        sent=counts["sent"],
        acknowledged=counts["acknowledged"],
        conflicts=counts["conflicts"],
        other_status=counts["other_status"],
        socket_errors=counts["socket_errors"],
        stored=stored,
        peak_rss_mib=memory.peak_bytes / 2**20,
        server_cpu_ms_per_save=cpu * 1000 / answered if answered else 0.0,
        client_cpu_ms_per_save=client_cpu * 1000 / answered if answered else 0.0,
    )


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # installed with uvicorn[standard]: the cheaper client

        return uvloop.new_event_loop()
    except ImportError:
        return asyncio.new_event_loop()


def check_one_save(server: Server, inspector: Inspector, count_rows: Callable[[], int],
                   loop: asyncio.AbstractEventLoop) -> None:
    """One save the way the load sends it, before the load: saved, version 1, stored once."""
    before = count_rows()
    status, body = loop.run_until_complete(inspector.save())
    if status != 200 or body.get("status") != "saved" or body.get("version") != 1:
        raise BenchError(f"pingyi: a save was answered {status}: {str(body)[:200]}")
    if count_rows() != before + 1:
        raise BenchError("pingyi: a save was answered 200 but not stored")


# uvicorn raises the stop signal again once it has shut down, which would end the process
# before ``python -m cProfile`` writes anything: the handler installed first turns it into an exit.
PROFILED_SERVER = """
import cProfile, signal, sys, uvicorn
def stop(signum, frame):
    raise SystemExit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
profile = cProfile.Profile()
profile.enable()
try:
    uvicorn.run("app:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[2]), workers=1,
                log_level="warning", access_log=False)
except SystemExit:
    pass
finally:
    profile.disable()
    profile.dump_stats(sys.argv[1])
"""


def profiled_server(env: dict[str, str], profile_path: Path, logs: Path) -> Server:
    """uvicorn (1 worker) under cProfile, written to ``profile_path`` when it stops."""
    port = free_port()
    command = [sys.executable, "-c", PROFILED_SERVER, str(profile_path), str(port)]
    return Server("pingyi", command, port, {**env, "PINGYI_WORKERS": "1"}, PROJECT_DIR, logs / "pingyi-profiled.log")


def print_profile(profile_path: Path) -> None:
    import pstats

    if not profile_path.exists():
        print(f"  (no profile written to {profile_path})", flush=True)
        return
    print(f"\nProfile of the server ({profile_path}), by cumulative time:", flush=True)
    stats = pstats.Stats(str(profile_path))
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def measure_configuration(configuration: Configuration, prepared: Prepared, args: argparse.Namespace, logs: Path,
                          run_log: RunLog) -> list[Cell]:
    one, five = os.getloadavg()[:2]
    served = project_revision()
    print(f"\n== {configuration.label} (revision {served}; load average before: {one:.2f} / {five:.2f})", flush=True)
    c = configuration
    cells: dict[str, Cell] = {"pingyi": Cell(configuration, "pingyi")}
    loop = _new_loop()
    profile_path = args.profile / f"saves-{c.engine}-{datetime.now(UTC):%H%M%S}.prof" if args.profile else None
    try:
        with contextlib.ExitStack() as running:
            if profile_path is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
                ours = running.enter_context(serving(profiled_server(prepared.pingyi_env, profile_path, logs)))
            else:
                ours = running.enter_context(serving(pingyi_server(c.engine, c.workers, prepared.pingyi_env, logs)))
            seeded = prepared.seeded
            inspectors = [Inspector(row["username"], row["checklist"], seeded["items"], Connection(ours.port))
                          for row in seeded["inspectors"][: c.inspectors]]  # type: ignore[index]
            for inspector in inspectors:
                loop.run_until_complete(inspector.sign_in(str(seeded["password"])))
            check_one_save(ours, inspectors[0], prepared.pingyi_rows, loop)
            targets: list[tuple[str, Server, list, int, Callable[[], int]]] = [
                ("pingyi", ours, inspectors, 200, prepared.pingyi_rows)
            ]
            if prepared.reference_env is not None and prepared.reference_rows is not None and profile_path is None:
                reference = running.enter_context(
                    serving(reference_server(c.engine, c.workers, prepared.reference_env, logs))
                )
                check_reference(reference, prepared.reference_rows)
                targets.append(("reference", reference, [ReferenceClient(reference.port) for _ in inspectors], 201,
                                prepared.reference_rows))
                cells["reference"] = Cell(configuration, "reference")

            for _app, server, clients, ok, rows in targets:
                run_load(server, clients, WARMUP_SECONDS, ok, rows, loop)
            for run in range(1, args.runs + 1):
                for app, server, clients, ok, rows in targets:
                    result = run_load(server, clients, args.duration, ok, rows, loop)
                    cells[app].runs.append(result)
                    print(f"  run {run}  {app:<9} {result.saves_per_second:7,.0f} saves/s  "
                          f"p50 {result.p50_ms:6.1f} ms  p95 {result.p95_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                          f"max {result.max_ms:6.1f} ms  errors {result.errors}  acknowledged {result.acknowledged}  "
                          f"stored {result.stored}  RSS {result.peak_rss_mib:4.0f} MiB  "
                          f"server CPU {result.server_cpu_ms_per_save:.2f} ms/save  "
                          f"client CPU {result.client_cpu_ms_per_save:.2f} ms/save", flush=True)
                    run_log.write(served_revision=served, engine=c.engine, workers=c.workers,
                                  inspectors=c.inspectors, app=app, run=run, duration_s=args.duration,
                                  profiled=profile_path is not None, **asdict(result))
            for inspector in inspectors:
                inspector.connection.close()
    finally:
        loop.close()
    if profile_path is not None:
        print_profile(profile_path)
    return list(cells.values())


# --------------------------------------------------------------------------- verdicts and table


def verdicts(ours: Cell, reference: Cell | None) -> tuple[str, list[str]]:
    """The ratio ours / reference (saves/s against inserts/s), and the targets of this cell."""
    ratio = ours.median("saves_per_second") / reference.median("saves_per_second") if reference else None
    checks: list[str] = []
    c = ours.configuration
    if c.engine == "pg":
        rate = ours.median("saves_per_second")
        checks.append(f"≥ {PG_MIN_SAVES_PER_SECOND:,.0f} saves/s: "
                      f"{'pass' if rate >= PG_MIN_SAVES_PER_SECOND else '**miss**'}")
    elif c.workers == 1:
        p99 = ours.median("p99_ms")
        checks.append(f"p99 ≤ {SQLITE_MAX_P99_MS:.0f} ms: {'pass' if p99 <= SQLITE_MAX_P99_MS else '**miss**'}")
    checks.append(f"stored = ack: {'pass' if ours.stored_equals_acknowledged else '**miss**'}")
    return (f"{ratio:.2f}×" if ratio is not None else "–"), checks


def print_table(cells: list[Cell], args: argparse.Namespace) -> None:
    print(f"\nMedians of {args.runs} runs of {args.duration} s of saves (closed loop, then the saves in flight "
          "answered), 127.0.0.1. Ratio: our saves/s ÷ the reference's inserts/s.\n")
    print("| engine | workers | inspectors | app | saves/s | min–max | p50 ms | p95 ms | p99 ms | max ms | errors "
          "| acknowledged | stored | stored = ack | peak RSS MiB | server CPU ms/save | ratio | targets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    references = {cell.configuration: cell for cell in cells if cell.app == "reference"}
    for cell in cells:
        ratio, checks = verdicts(cell, references.get(cell.configuration)) if cell.app == "pingyi" else ("", [])
        c = cell.configuration
        print(f"| {c.engine} | {c.workers} | {c.inspectors} | {cell.app} | "
              f"{cell.median('saves_per_second'):,.0f} | {cell.spread} | {cell.median('p50_ms'):.1f} | "
              f"{cell.median('p95_ms'):.1f} | {cell.median('p99_ms'):.1f} | "
              f"{max(run.max_ms for run in cell.runs):.0f} | {cell.total('errors')} | "
              f"{cell.total('acknowledged'):,} | {cell.total('stored'):,} | "
              f"{'yes' if cell.stored_equals_acknowledged else '**no**'} | "
              f"{max(run.peak_rss_mib for run in cell.runs):.0f} | {cell.median('server_cpu_ms_per_save'):.2f} | "
              f"{ratio} | {'; '.join(checks)} |")
    print(flush=True)


# --------------------------------------------------------------------------- command line


def _configurations(raw: str) -> list[Configuration]:
    """``ENGINE:WORKERS:INSPECTORS,…``, e.g. ``sqlite:1:16,pg:2:16``."""
    configurations = []
    for item in raw.split(","):
        parts = item.strip().split(":")
        if len(parts) != 3 or parts[0] not in {"sqlite", "pg"} or not all(p.isdigit() and int(p) > 0
                                                                          for p in parts[1:]):
            raise argparse.ArgumentTypeError(f"expected ENGINE:WORKERS:INSPECTORS (engine sqlite or pg), got {item!r}")
        configurations.append(Configuration(parts[0], int(parts[1]), int(parts[2])))
    return configurations


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--configurations", type=_configurations, default=DEFAULT_CONFIGURATIONS,
                        metavar="ENGINE:WORKERS:INSPECTORS,…",
                        help="default: " + ",".join(f"{c.engine}:{c.workers}:{c.inspectors}"
                                                    for c in DEFAULT_CONFIGURATIONS))
    parser.add_argument("--duration", type=int, default=10, help="seconds of saves per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per app and configuration (median reported)")
    parser.add_argument("--reference-sqlite-sync", default="FULL", choices=["NORMAL", "FULL"],
                        help="the reference's SQLite synchronous pragma (ours is FULL)")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (on this machine) to create the bench databases on")
    parser.add_argument("--pg-database", default="pingyi_bench_saves",
                        help="database for Pingyi, dropped and recreated; the reference gets <name>_reference")
    parser.add_argument("--database-url",
                        help="an existing PostgreSQL database for Pingyi on this machine instead of --pg-database: "
                             "its public schema is dropped and made again")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="serve one worker under cProfile (slower: read the shares, not the rates), write the "
                             "profile to DIR and print its top entries; the reference is not run")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results",
                        help="where every run is written as one JSON line")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # internal: load the round, see prepare()
    args = parser.parse_args(argv)
    if args.seed is not None:
        return args
    if args.duration < 1 or args.runs < 1:
        parser.error("--duration and --runs must be at least 1")
    for url in filter(None, [args.pg_server, args.database_url]):
        if urllib.parse.urlsplit(url).hostname not in LOOPBACK_HOSTS:
            parser.error("PostgreSQL must be on this machine (127.0.0.1): the bench sends no traffic elsewhere")
    taken = {"test", "postgres", "template0", "template1", "pingyi_bench", "pingyi_bench_ratings"}
    if args.pg_database in taken:
        parser.error(f"--pg-database {args.pg_database!r} is not the bench's to drop")
    if args.database_url and urllib.parse.urlsplit(args.database_url).path.strip("/") in taken:
        parser.error("--database-url names a database that is not the bench's to empty")
    return args


@contextlib.contextmanager
def exclusive_machine() -> Iterator[None]:
    """The page benchmark's lock: two benchmarks at once would share the cores."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(only_benchmark_running())
        except BenchError:
            raise BenchError("another benchmark (bench/pages.py, ratings.py or saves.py) is running on this "
                             "machine: wait for it") from None
        yield


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed is not None:
        seed_main(args.seed)
        return 0
    with_reference = reference_available() and args.profile is None
    if not reference_available():
        print("The reference app (../shared/bench) is not there: measuring Pingyi only, with no ratios.", flush=True)
    revision = project_revision()
    print(f"Pingyi revision {revision}", flush=True)
    print(f"Targets: SQLite, 1 worker, 16 inspectors: p99 ≤ {SQLITE_MAX_P99_MS:.0f} ms; PostgreSQL: "
          f"≥ {PG_MIN_SAVES_PER_SECOND:,.0f} saves/s; every run: stored = acknowledged.", flush=True)
    apps = 2 if with_reference else 1
    seconds = len(args.configurations) * apps * (args.runs * args.duration + WARMUP_SECONDS)
    print(f"Load time alone: about {seconds / 60:.0f} min, plus loading the data.", flush=True)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    run_log = RunLog(args.results_dir / f"saves-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl", revision)
    postgres = PostgresServer(args.pg_server)
    cells: list[Cell] = []
    try:
        with exclusive_machine(), tempfile.TemporaryDirectory(prefix="pingyi-bench-saves-") as scratch_dir:
            scratch = Path(scratch_dir)
            logs = scratch / "logs"
            logs.mkdir()
            # None: no reference (not there, or profiling); filled per engine otherwise.
            references: dict[str, tuple[dict[str, str], Callable[[], int]] | None] = (
                {} if with_reference else {"sqlite": None, "pg": None})
            for configuration in args.configurations:
                print(f"\nLoading data for {configuration.label} …", flush=True)
                prepared = prepare(configuration, scratch, postgres, args, references)
                cells += measure_configuration(configuration, prepared, args, logs, run_log)
    except KeyboardInterrupt:
        print("\nInterrupted: every server was stopped.", file=sys.stderr)
        if cells:
            print_table(cells, args)
        return 130
    except BenchError as failure:
        print(f"saves.py: {failure}", file=sys.stderr)
        if cells:
            print_table(cells, args)
        return 1
    print_table(cells, args)
    print(f"Every run: {run_log.path}")
    return 0 if all(cell.stored_equals_acknowledged for cell in cells) else 2


if __name__ == "__main__":
    sys.exit(main())
