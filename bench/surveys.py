"""Benchmark of online surveys (issue 19): responses submitted under load, and the export of
100,000 responses of a 30-question survey.

Load: ``POST /surveys/{code}``, the one page of a 30-question survey (every kind of question)
submitted whole, each from a browser of its own, closed loop as bench/ratings.py runs it (whose
machinery this reuses: wrk, bench/wrk/closed_loop.lua, medians of --runs runs, every process
stopped on exit). Side by side it drives the reference app's ``POST /ratings`` in ../shared/bench
(a bare Litestar + Piccolo insert: what the stack itself does on this machine) with the same
engine, worker count and connection count; without ../shared/bench it says so and measures
Pingyi alone. The rows stored must equal the submissions acknowledged (303 to the thanks).

Export: the survey is filled to --export-responses responses (inserted directly, as the load
would have left them), then ``pingyi survey responses SURVEY -o FILE.xlsx`` (and ``.csv``) runs
as an operator runs it; its time and peak memory (the child's maximum resident set) are reported.

    .venv/bin/python bench/surveys.py                  # sqlite:1:32 and pg:1:32, 3 runs, then the export
    .venv/bin/python bench/surveys.py --configurations sqlite:1:32 --runs 1 --duration 5 --export-engines sqlite
    .venv/bin/python bench/surveys.py --export-only --export-engines sqlite,pg

Targets (issue 19): on PostgreSQL ≥ 0.7× the reference's insert; on SQLite p99 ≤ 100 ms at 32
connections; the export of 100,000 responses ≤ 60 s and ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pages import (
    PROJECT_DIR,
    REFERENCE_DEPARTMENTS,
    BenchError,
    PostgresServer,
    RunLog,
    pingyi_server,
    prepare_pingyi,
    prepare_reference,
    project_revision,
    reference_available,
    reference_server,
    run_step,
    serving,
)
from ratings import (
    Cell,
    Configuration,
    Target,
    _cookies,
    _request,
    check_reference,
    exclusive_machine,
    measured_runs,
    print_table,
    row_counter,
)
from ratings import parse_args as ratings_parse_args

sys.path.insert(0, str(PROJECT_DIR))

from evaluation.surveys.definition import Option, Page, Question, SurveyForm, SurveySettings  # noqa: E402
from evaluation.surveys.xlsform import write_xlsform  # noqa: E402

SURVEY_CODE = "bench-30"
RESPONSES_PER_HOUR = "1000000000"  # the per-address brake, out of the way of a load test on 127.0.0.1
EXPORT_MAX_SECONDS = 60.0
EXPORT_MAX_MIB = 150.0
BODIES = 200  # distinct answer sets the wrk script picks from
FILL_BATCH = 5_000

YES_NO = (Option("yes", "是"), Option("no", "否"), Option("unsure", "说不清"))
CHANNELS = (Option("web", "政府网站"), Option("app", "政务新媒体"), Option("hall", "政务服务大厅"),
            Option("paper", "公告栏"))
ROWS = (Option("timely", "及时性"), Option("complete", "完整性"), Option("useful", "实用性"))
ADVICE = ("希望公开更及时。", "办事指南写得很清楚，一次就办成了。", "在网站上找了半天才找到政策文件。", "")


def bench_form() -> SurveyForm:
    """30 questions on one page: 6 single, 4 multiple, 8 scale, 2 matrix, 4 number, 6 text."""
    questions = [Question(f"single_{i}", "single", f"单选题 {i}", required=i == 1, options=YES_NO) for i in range(1, 7)]
    questions += [Question(f"multiple_{i}", "multiple", f"多选题 {i}", options=CHANNELS, max_picks=3)
                  for i in range(1, 5)]
    questions += [Question(f"scale_{i}", "scale", f"量表题 {i}", required=True) for i in range(1, 9)]
    questions += [Question(f"matrix_{i}", "matrix", f"矩阵题 {i}", options=ROWS) for i in range(1, 3)]
    questions += [Question(f"number_{i}", "number", f"数字题 {i}", integer=True, minimum=None, maximum=None)
                  for i in range(1, 5)]
    questions += [Question(f"text_{i}", "text", f"文本题 {i}", max_length=200) for i in range(1, 7)]
    return SurveyForm(SurveySettings(code=SURVEY_CODE, title="性能测试调查（30 题）"),
                      (Page("all", "全部题目", tuple(questions)),))


def random_answers(form: SurveyForm, rng: random.Random) -> dict[str, object]:
    """Answers as the app stores them: single "opt", multiple [..], scale int, matrix {row: int},
    number as a decimal string, text."""
    answers: dict[str, object] = {}
    for question in form.questions():
        if question.kind == "single":
            answers[question.name] = rng.choice(question.options).name
        elif question.kind == "multiple":
            answers[question.name] = [o.name for o in rng.sample(question.options, rng.randint(1, 3))]
        elif question.kind == "scale":
            answers[question.name] = rng.randint(1, 5)
        elif question.kind == "matrix":
            answers[question.name] = {row.name: rng.randint(1, 5) for row in question.options}
        elif question.kind == "number":
            answers[question.name] = str(rng.randint(16, 90))
        elif (text := rng.choice(ADVICE)):
            answers[question.name] = text
    return answers


def form_body(form: SurveyForm, answers: dict[str, object]) -> str:
    """The page's form as a browser sends it (without the CSRF field)."""
    fields: list[tuple[str, str]] = [("page", "0"), ("action", "submit"),
                                     ("shown", ",".join(q.name for q in form.questions()))]
    for name, value in answers.items():
        if isinstance(value, list):
            fields.extend((name, item) for item in value)
        elif isinstance(value, dict):
            fields.extend((f"{name}.{row}", str(point)) for row, point in value.items())
        else:
            fields.append((name, str(value)))
    return urllib.parse.urlencode(fields)


# --------------------------------------------------------------------------- rows


COUNT_SQL = "SELECT count(*) FROM survey_response"
# The export counts the bench survey's own (the demo has surveys with responses too).
SURVEY_COUNT_SQL = ("SELECT count(*) FROM survey_response WHERE survey = "
                    f"(SELECT id FROM survey WHERE code = '{SURVEY_CODE}')")


def response_counter(engine: str, env: dict[str, str], sql: str = COUNT_SQL) -> Callable[[], int]:
    if engine == "pg":
        async def query() -> int:
            import asyncpg

            connection = await asyncpg.connect(env["DATABASE_URL"], timeout=10)
            try:
                return await connection.fetchval(sql)
            finally:
                await connection.close()

        return lambda: asyncio.run(query())
    path = Path(env["PINGYI_VAR_DIR"]) / "pingyi.sqlite"

    def count() -> int:
        connection = sqlite3.connect(path, timeout=30)
        try:
            return connection.execute(sql).fetchone()[0]
        finally:
            connection.close()

    return count


def fill(engine: str, env: dict[str, str], form: SurveyForm, target: int) -> int:
    """Inserts responses until the survey has ``target``; returns how many it inserted. The time
    of an existing response is reused (the stored format is the engine's own)."""
    rng = random.Random(19)
    if engine == "pg":
        return asyncio.run(_fill_pg(env["DATABASE_URL"], form, target, rng))
    connection = sqlite3.connect(Path(env["PINGYI_VAR_DIR"]) / "pingyi.sqlite", timeout=30)
    try:
        survey_id = connection.execute("SELECT id FROM survey WHERE code = ?", (SURVEY_CODE,)).fetchone()[0]
        have = connection.execute("SELECT count(*) FROM survey_response WHERE survey = ?", (survey_id,)).fetchone()[0]
        # Any response's time, in the engine's own format (the demo's closed survey has some).
        created_at = connection.execute("SELECT max(created_at) FROM survey_response").fetchone()[0]
        if created_at is None:
            raise BenchError("no stored response to take a time from: run the load first, or load the demo")
        missing = max(0, target - have)
        for start in range(0, missing, FILL_BATCH):
            rows = [(survey_id, f"fill-{start + i}", json.dumps(random_answers(form, rng), ensure_ascii=False),
                     created_at) for i in range(min(FILL_BATCH, missing - start))]
            connection.executemany(
                "INSERT INTO survey_response (survey, voter_id, code, answers, created_at) VALUES (?, ?, NULL, ?, ?)",
                rows)
            connection.commit()
        return missing
    finally:
        connection.close()


async def _fill_pg(url: str, form: SurveyForm, target: int, rng: random.Random) -> int:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=10)
    try:
        survey_id = await connection.fetchval("SELECT id FROM survey WHERE code = $1", SURVEY_CODE)
        have = await connection.fetchval("SELECT count(*) FROM survey_response WHERE survey = $1", survey_id)
        created_at = await connection.fetchval("SELECT max(created_at) FROM survey_response WHERE survey = $1",
                                                survey_id) or datetime.now(UTC)
        missing = max(0, target - have)
        for start in range(0, missing, FILL_BATCH):
            rows = [(survey_id, f"fill-{start + i}", json.dumps(random_answers(form, rng), ensure_ascii=False),
                     created_at) for i in range(min(FILL_BATCH, missing - start))]
            await connection.executemany(
                "INSERT INTO survey_response (survey, voter_id, code, answers, created_at) "
                "VALUES ($1, $2, NULL, $3, $4)", rows)
        return missing
    finally:
        await connection.close()


# --------------------------------------------------------------------------- preparing


def prepare_survey(env: dict[str, str], scratch: Path, form: SurveyForm, engine: str) -> None:
    """The bench survey imported as the office would (``pingyi survey import``), open from
    yesterday for a month."""
    path = scratch / f"bench-30-{engine}.xlsx"
    file = write_xlsform(form)
    try:
        path.write_bytes(file.read())
    finally:
        file.close()
    today = dt.date.today()
    run_step(f"pingyi survey import ({engine})",
             [str(Path(sys.executable).parent / "pingyi"), "survey", "import", str(path), "--code", SURVEY_CODE,
              "--opens", (today - dt.timedelta(days=1)).isoformat(),
              "--closes", (today + dt.timedelta(days=30)).isoformat()],
             env, PROJECT_DIR)


def submission_env(base_url: str, form: SurveyForm, count_rows: Callable[[], int], scratch: Path) -> dict[str, str]:
    """Loads the survey as a browser would, takes the CSRF cookie, submits one response the way
    the wrk script does and checks it is thanked and stored; writes the bodies wrk picks from."""
    status, _, set_cookie = _request(f"{base_url}/surveys/{SURVEY_CODE}")
    if status != 200:
        raise BenchError(f"pingyi: GET /surveys/{SURVEY_CODE} answered {status}")
    cookies = _cookies(set_cookie)
    if "csrftoken" not in cookies:
        raise BenchError("pingyi: the survey page set no CSRF cookie")
    rng = random.Random(7)
    bodies = [form_body(form, random_answers(form, rng)) for _ in range(BODIES)]
    path = scratch / "survey-bodies.txt"
    path.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    before = count_rows()
    body = f"_csrf_token={cookies['csrftoken']}&{bodies[0]}"
    request = urllib.request.Request(
        f"{base_url}/surveys/{SURVEY_CODE}", data=body.encode(),
        headers={"Cookie": f"csrftoken={cookies['csrftoken']}; respondent=bench-check-{random.randrange(10**9)}",
                 "Content-Type": "application/x-www-form-urlencoded"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        answer = opener.open(request, timeout=10)
        status, location, text = answer.status, answer.headers.get("Location", ""), answer.read().decode()
    except urllib.error.HTTPError as exc:
        status, location, text = exc.code, exc.headers.get("Location", ""), exc.read().decode(errors="replace")
    if status != 303 or "done=1" not in location:
        shown = re.sub(r"<[^>]+>|\s+", " ", text)
        raise BenchError(f"pingyi: a response was answered {status} {location}: {shown[:300]}")
    if count_rows() != before + 1:
        raise BenchError("pingyi: a response was thanked but not stored")
    return {"SURVEY_BENCH_CODE": SURVEY_CODE, "SURVEY_BENCH_BODIES": str(path),
            "SURVEY_BENCH_CSRF": cookies["csrftoken"]}


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportResult:
    engine: str
    fmt: str
    responses: int
    seconds: float
    peak_mib: float
    bytes: int

    @property
    def verdict(self) -> str:
        ok = self.seconds <= EXPORT_MAX_SECONDS and self.peak_mib <= EXPORT_MAX_MIB
        return "pass" if ok else "**miss**"


def measure_export(engine: str, env: dict[str, str], scratch: Path, fmt: str, responses: int) -> ExportResult:
    out = scratch / f"responses-{engine}.{fmt}"
    out.unlink(missing_ok=True)
    command = [str(Path(sys.executable).parent / "pingyi"), "survey", "responses", SURVEY_CODE, "-o", str(out)]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.kill()
        process.wait()
        raise
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0 or not out.exists():
        raise BenchError(f"pingyi survey responses failed ({process.returncode}): {errors.strip()[-300:]}")
    if fmt == "csv":
        with out.open("rb") as lines:
            rows = sum(1 for _ in lines) - 1
        if rows != responses:
            raise BenchError(f"the CSV holds {rows} responses, the database {responses}")
    return ExportResult(engine, fmt, responses, seconds, usage.ru_maxrss / 1024, out.stat().st_size)


# --------------------------------------------------------------------------- running


def measure_load(configuration: Configuration, env: dict[str, str], rows: Callable[[], int],
                 reference_env: dict[str, str] | None, args: argparse.Namespace, logs: Path, scratch: Path,
                 run_log: RunLog, form: SurveyForm) -> list[Cell]:
    served = project_revision()
    one, five = os.getloadavg()[:2]
    print(f"\n== {configuration.label} (revision {served}; load average before: {one:.2f} / {five:.2f})", flush=True)
    cells = {"pingyi": Cell(configuration, "pingyi")}
    with contextlib.ExitStack() as running:
        c = configuration
        ours = running.enter_context(serving(pingyi_server(c.engine, c.workers, env, logs)))
        targets = [Target("pingyi", ours, "survey.lua", submission_env(ours.base_url, form, rows, scratch), rows)]
        if reference_env is not None:
            reference_rows = row_counter(c.engine, reference_env, Path(reference_env["BENCH_SQLITE_PATH"]))
            reference = running.enter_context(serving(reference_server(c.engine, c.workers, reference_env, logs)))
            check_reference(reference, reference_rows)
            targets.append(Target("reference", reference, "reference_rate.lua",
                                  {"RATINGS_BENCH_REFERENCE_DEPARTMENTS": str(REFERENCE_DEPARTMENTS)}, reference_rows))
            cells["reference"] = Cell(configuration, "reference")
        for run, target, result in measured_runs(targets, args, c.connections):
            cells[target.app].runs.append(result)
            print(f"  run {run}  {target.app:<9} {result.submissions_per_second:7,.0f} responses/s  "
                  f"p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  non-2xx/3xx {result.not_2xx}  "
                  f"socket errors {result.socket_errors}  acknowledged {result.acknowledged}  "
                  f"stored {result.stored}  RSS {result.peak_rss_mib:4.0f} MiB", flush=True)
            run_log.write(served_revision=served, kind="load", engine=c.engine, workers=c.workers,
                          connections=c.connections, app=target.app, run=run, duration_s=args.duration,
                          submissions_per_second=result.submissions_per_second, p50_ms=result.p50_ms,
                          p99_ms=result.p99_ms, acknowledged=result.acknowledged, stored=result.stored,
                          not_2xx=result.not_2xx, socket_errors=result.socket_errors)
    return list(cells.values())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--export-responses", type=int, default=100_000)
    extra.add_argument("--export-engines", default="sqlite,pg", help="engines to measure the export on ('' for none)")
    extra.add_argument("--export-only", action="store_true", help="measure the export only, no load")
    known, rest = extra.parse_known_args(argv)
    if "--configurations" not in " ".join(rest):
        rest = ["--configurations", "sqlite:1:32,pg:1:32", *rest]
    if "--pg-database" not in " ".join(rest):
        rest = [*rest, "--pg-database", "pingyi_bench_surveys"]
    args = ratings_parse_args(rest)
    args.export_responses = known.export_responses
    args.export_engines = [name for name in known.export_engines.split(",") if name]
    if known.export_only:
        args.configurations = []
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with_reference = reference_available()
    if not with_reference:
        print("The reference app (../shared/bench) is not there: measuring Pingyi only, with no ratios.", flush=True)
    revision = project_revision()
    print(f"Pingyi revision {revision}", flush=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    run_log = RunLog(args.results_dir / f"surveys-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl", revision)
    postgres = PostgresServer(args.pg_server)
    form = bench_form()
    cells: list[Cell] = []
    exports: list[ExportResult] = []
    try:
        with exclusive_machine(), tempfile.TemporaryDirectory(prefix="pingyi-bench-surveys-") as scratch_dir:
            scratch = Path(scratch_dir)
            logs = scratch / "logs"
            logs.mkdir()
            prepared: dict[str, tuple[dict[str, str], dict[str, str] | None]] = {}
            engines = [c.engine for c in args.configurations] + args.export_engines
            for engine in dict.fromkeys(engines):
                print(f"\nLoading data for {engine} …", flush=True)
                env = {**prepare_pingyi(engine, scratch, postgres, args.pg_database),
                       "PINGYI_SURVEY_RESPONSES_PER_HOUR": RESPONSES_PER_HOUR}
                prepare_survey(env, scratch, form, engine)
                reference_env = None
                if with_reference and any(c.engine == engine for c in args.configurations):
                    reference_env = prepare_reference(engine, scratch, postgres, f"{args.pg_database}_reference")
                    if engine == "sqlite":
                        reference_env = {**reference_env, "BENCH_SQLITE_SYNC": args.reference_sqlite_sync}
                prepared[engine] = (env, reference_env)
            for configuration in args.configurations:
                env, reference_env = prepared[configuration.engine]
                cells += measure_load(configuration, env, response_counter(configuration.engine, env), reference_env,
                                      args, logs, scratch, run_log, form)
            for engine in args.export_engines:
                env = prepared[engine][0]
                print(f"\nFilling {args.export_responses:,} responses ({engine}) …", flush=True)
                fill(engine, env, form, args.export_responses)
                total = response_counter(engine, env, SURVEY_COUNT_SQL)()
                for fmt in ("xlsx", "csv"):
                    result = measure_export(engine, env, scratch, fmt, total)
                    exports.append(result)
                    run_log.write(kind="export", engine=engine, format=fmt, responses=total,
                                  seconds=result.seconds, peak_mib=result.peak_mib, bytes=result.bytes)
                    print(f"  export {fmt:<4} {total:,} responses: {result.seconds:5.1f} s, "
                          f"peak {result.peak_mib:5.0f} MiB, {result.bytes / 2**20:5.1f} MiB file  {result.verdict}",
                          flush=True)
    except KeyboardInterrupt:
        print("\nInterrupted: every server was stopped.", file=sys.stderr)
        return 130
    except BenchError as failure:
        print(f"surveys.py: {failure}", file=sys.stderr)
        if cells:
            print_table(cells, args)
        return 1
    if cells:
        print_table(cells, args)
    if exports:
        print(f"Export of a {len(form.questions())}-question survey (targets ≤ {EXPORT_MAX_SECONDS:.0f} s, "
              f"≤ {EXPORT_MAX_MIB:.0f} MiB peak):\n")
        print("| engine | format | responses | seconds | peak MiB | file MiB | target |")
        print("|---|---|---|---|---|---|---|")
        for result in exports:
            print(f"| {result.engine} | {result.fmt} | {result.responses:,} | {result.seconds:.1f} | "
                  f"{result.peak_mib:.0f} | {result.bytes / 2**20:.1f} | {result.verdict} |")
    print(f"\nEvery run: {run_log.path}")
    return 0 if all(cell.stored_equals_acknowledged for cell in cells) else 2


if __name__ == "__main__":
    sys.exit(main())
