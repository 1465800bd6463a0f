"""Rankings at the size of a large round: compiling the draft and exporting its workbook, on
SQLite and PostgreSQL, side by side with the reference app's aggregate and workbook figures.

For each engine a fresh database is migrated by ``pingyi migrate`` (a temporary PINGYI_VAR_DIR;
for PostgreSQL a database this script drops and creates) and loaded straight into its tables
(sqlite3 ``executemany`` / asyncpg ``copy_records_to_table``): --units departments in two groups,
an indicator system of --items items (ten score categories, a bonus and a veto category),
frozen, an evaluation period, an open round covering every unit with 折算, a 30 % 优秀 quota
and the default bands, an approved checklist per unit with every item answered, and --ratings
ratings in the period over both channels (some units below the minimum sample of 30). Then
``ANALYZE`` (PostgreSQL: ``VACUUM ANALYZE rating``, so the count is an index-only scan).

Measured, each in a process that starts the engine as the app does (evaluation/core/database.py):

- compile: ``drafts.draft_for(round)`` (its queries and the rules), --runs times after one
  warm-up, in one process; then the same again with each part timed;
- export: ``exports.draft_workbook`` in a fresh process per run: wall time, the process's peak
  RSS (ru_maxrss) and its RSS just before the build;
- publish once (``snapshots.publish``), then the published version's workbook from its stored
  document, a fresh process per run.

Side by side, when ../shared/bench exists: its ``bench_agg.py`` on the same engine (as many
ratings as ours, seeded by its own seed.py; the ratio is our compile median over its best
aggregate median) and its ``bench_xlsx.py`` (openpyxl alone), both run unchanged from a
temporary copy, since bench_agg.py writes its SQLite file next to itself. Targets: compile ≤ 2 s;
export ≤ 10 s with a peak ≤ 150 MB.

    .venv/bin/python bench/rankings.py                        # both engines, 3 runs, the reference: about 4 minutes
    .venv/bin/python bench/rankings.py --engines sqlite --runs 1 --ratings 100000 --no-reference
    .venv/bin/python bench/rankings.py --without-database     # the workbook alone, no database
    .venv/bin/python bench/rankings.py --engines pg --keep    # keep the data to look at it afterwards

It takes the lock of the other benchmarks (bench/pages.py): one benchmark at a time. Every
process it starts is stopped before it exits, also on Ctrl-C; it talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import inspect
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pages import (
    BENCH_DIR,
    LOOPBACK_HOSTS,
    PROJECT_DIR,
    REFERENCE_DIR,
    BenchError,
    PostgresServer,
    RunLog,
    _die_with_parent,
    only_benchmark_running,
    project_revision,
    run_step,
    server_env,
)

# Targets (the issue "Scores, graded rankings…", PRODUCT.md §5), per engine.
COMPILE_MAX_SECONDS = 2.0
EXPORT_MAX_SECONDS = 10.0
EXPORT_MAX_PEAK_MB = 150.0

YEAR = 2026
ROUND_CODE = "2026-bench"
ROUND_NAME = f"{YEAR}年度政务公开考核（压测）"
PERIOD_CODE = "2026-bench-pj"
PERIOD_NAME = f"{YEAR}年度社会评议（压测）"
SYSTEM_NAME = f"{YEAR}年度政务公开考核指标（压测）"
NOTICE_TITLE = f"关于{YEAR}年度政务公开工作考核结果的通报（压测）"
ACTOR = "bench"
LEVELS = ("very_satisfied", "satisfied", "basic", "unsatisfied", "very_unsatisfied")
NEGATIVE = {"unsatisfied", "very_unsatisfied"}
SCORE_CATEGORIES = "ABCDEFGHKL"  # J is the bonus category and V the veto, as in the sample system
MIN_SAMPLE = 30
BELOW_SAMPLE_EVERY = 50  # unit 7, 57, 107 …: 5–25 ratings, below the minimum sample
PANEL_CODES = 2_000  # a panel code rates each unit at most once: more codes than any unit's panel ratings
TEAMS = 10
REASONS = [("信息未公开", False), ("内容过时", False), ("内容不完整", False), ("难以查找", False), ("其他", True)]
BANDS = [["优秀", "90"], ["良好", "80"], ["合格", "60"], ["不合格", "0"]]
LOAD_BATCH = 50_000
# The period runs from 00:00 of 1 January to 24:00 of 31 December, Asia/Shanghai.
PERIOD_START = datetime(YEAR - 1, 12, 31, 16, tzinfo=UTC)
PERIOD_SECONDS = 365 * 86_400
CHILD_TIMEOUT = 900  # seconds for any one process this script starts
REFERENCE_FILES = ("baseline_app.py", "seed.py", "bench_agg.py", "bench_xlsx.py")


@dataclass(frozen=True)
class Shape:
    units: int
    items: int
    ratings: int
    seed: int = YEAR


# The round's data, the same for every engine and for --without-database.


@dataclass(frozen=True)
class Item:
    """A row of the indicator system: a category (no parent) or one of its items."""

    code: str
    parent_code: str
    title: str
    kind: str
    max_points: Decimal
    per_occurrence: Decimal | None = None


def indicator_system(items: int) -> list[Item]:
    """``items`` items in all: the score items spread over ten categories (the last of each a
    deduct item), then the bonus items J1, J2 and the veto V1."""
    score_items = items - 3
    rows: list[Item] = []
    for number, category in enumerate(SCORE_CATEGORIES):
        size = score_items // len(SCORE_CATEGORIES) + (1 if number < score_items % len(SCORE_CATEGORIES) else 0)
        children = [Item(f"{category}{n}", category, f"{category}{n} 按要求公开有关信息并及时更新", "score", Decimal(1))
                    for n in range(1, size)]
        children.append(Item(f"{category}{size}", category, f"{category}{size} 目录和年度报告（从2分起扣）", "deduct",
                             Decimal(2), Decimal(1)))
        total = sum((child.max_points for child in children), Decimal(0))
        rows.append(Item(category, "", f"类目{category}：政府信息公开工作情况", "score", total))
        rows += children
    rows += [Item("J", "", "加分项", "bonus", Decimal(5)),
             Item("J1", "J", "受到市级政府及以上通报表彰", "bonus", Decimal(3)),
             Item("J2", "J", "经验做法被推广", "bonus", Decimal(2)),
             Item("V", "", "单项否决", "veto", Decimal(0)),
             Item("V1", "V", "违反规定不公开或有意隐瞒应公开事项", "veto", Decimal(0))]
    return rows


def unit_code(number: int) -> str:
    return f"B{number:04d}"


def unit_group(number: int) -> str:
    return "municipal" if number % 3 == 0 else "county"


def unit_name(number: int) -> str:
    return f"压测单位{number:04d}（{'市直' if unit_group(number) == 'municipal' else '旗县'}）"


def unit_answers(shape: Shape, system: list[Item]) -> list[dict[str, Decimal]]:
    """Every item of every unit answered: item code → the value saved (points, occurrences, 1/0)."""
    chance = random.Random(shape.seed)
    answers = []
    for number in range(shape.units):
        strength = chance.uniform(0.6, 0.97)
        values: dict[str, Decimal] = {}
        for item in system:
            if not item.parent_code:
                continue
            if item.kind == "score":
                roll = chance.random()
                values[item.code] = Decimal(1) if roll < strength else Decimal("0.5") if roll < 0.95 else Decimal(0)
            elif item.kind == "deduct":
                values[item.code] = Decimal(chance.choice((0, 0, 1, 2)))
            elif item.kind == "bonus":
                values[item.code] = Decimal(chance.choice((0, 0, 0, 0, 3)) if item.code == "J1"
                                            else chance.choice((0, 0, 0, 1, 2)))
            else:
                values[item.code] = Decimal(1 if number % 97 == 0 else 0)
        answers.append(values)
    return answers


def rating_counts(shape: Shape) -> list[dict[str, Counter[str]]]:
    """Per unit, channel → level → ratings: ``shape.ratings`` in all, every unit rated, a panel
    share of 15–35 %, each unit leaning its own way; every 50th unit below the minimum sample."""
    chance = random.Random(shape.seed + 1)
    small = {number: chance.randint(5, MIN_SAMPLE - 5) for number in range(shape.units)
             if number % BELOW_SAMPLE_EVERY == 7}
    others = [number for number in range(shape.units) if number not in small]
    weights = [chance.uniform(0.5, 1.5) for _ in others]
    rest = max(0, shape.ratings - sum(small.values()))
    totals = dict(small)
    shares = {number: rest * weight / sum(weights) for number, weight in zip(others, weights, strict=True)}
    for number, share in shares.items():
        totals[number] = int(share)
    # The largest remainders get the ratings rounding down left over, so the total is exact.
    left = rest - sum(totals[number] for number in others)
    for number in sorted(others, key=lambda n: shares[n] % 1, reverse=True)[:left]:
        totals[number] += 1
    counts = []
    for number in range(shape.units):
        total = totals[number]
        panel = min(PANEL_CODES, round(total * chance.uniform(0.15, 0.35)))
        lean = chance.random()
        level_weights = [35 + 30 * lean, 30, 20 - 10 * lean, 10 - 6 * lean, 5 - 4 * lean]
        counts.append({channel: Counter(chance.choices(LEVELS, level_weights, k=n))
                       for channel, n in (("public", total - panel), ("panel", panel))})
    return counts


# Loading the tables: explicit ids, so that every foreign key is known before the rows are written.

RATING_COLUMNS = ("period", "department", "channel", "source", "voter_id", "panel_code", "level", "criteria",
                  "reason", "reason_text", "comment", "comment_status", "answer_due", "created_at")


@dataclass
class Tables:
    """The rows of every table but ``rating``, in an order that satisfies the foreign keys."""

    rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = field(default_factory=dict)

    def add(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self.rows[table] = (columns, rows)


def round_tables(shape: Shape) -> Tables:
    now = datetime(YEAR, 12, 1, 2, tzinfo=UTC)
    system = indicator_system(shape.items)
    tables = Tables()
    tables.add("department", ("id", "code", "name", "group", "active", "created_at"),
               [(number + 1, unit_code(number), unit_name(number), unit_group(number), True, now)
                for number in range(shape.units)])
    tables.add("indicator_system", ("id", "year", "code", "name", "frozen_at", "created_at"),
               [(1, YEAR, "bench", SYSTEM_NAME, now, now)])
    tables.add("indicator", ("id", "system", "code", "parent_code", "title", "max_points", "kind", "scoring_rule",
                             "per_occurrence", "position"),
               [(position + 1, 1, item.code, item.parent_code, item.title, item.max_points, item.kind, "",
                 item.per_occurrence, position) for position, item in enumerate(system)])
    level_values = json.dumps({"very_satisfied": "100", "satisfied": "80", "basic": "60", "unsatisfied": "30",
                               "very_unsatisfied": "0"})
    tables.add("evaluation_period", ("id", "code", "name", "opens_on", "closes_on", "level_values", "public_weight",
                                     "panel_weight", "min_sample", "answer_working_days", "created_at"),
               [(1, PERIOD_CODE, PERIOD_NAME, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), level_values, Decimal("0.4"),
                 Decimal("0.6"), MIN_SAMPLE, 5, now)])
    tables.add("reason_choice", ("id", "label", "requires_text", "position", "active"),
               [(number + 1, label, needs_text, number, True) for number, (label, needs_text) in enumerate(REASONS)])
    tables.add("panel_batch", ("id", "period", "label", "size", "created_by", "created_at"),
               [(1, 1, "评议代表", PANEL_CODES, None, now)])
    tables.add("panel_code", ("id", "batch", "serial", "code"),
               [(number + 1, 1, number + 1, f"P{number + 1:05d}{number * 7919 % 100_000:05d}")
                for number in range(PANEL_CODES)])
    tables.add("inspection_round", ("id", "code", "name", "year", "system", "period", "deadline", "status", "opened_at",
                                    "public_weight", "convert_score", "below_sample", "bonus_cap", "grade_bands",
                                    "excellent_quota", "created_at"),
               [(1, ROUND_CODE, ROUND_NAME, YEAR, 1, 1, dt.date(YEAR + 1, 1, 31), "open", now,
                 Decimal(20), True, "group_mean", Decimal(5), json.dumps(BANDS, ensure_ascii=False), 30, now)])
    tables.add("team", ("id", "round", "name"), [(number + 1, 1, f"第{number + 1}组") for number in range(TEAMS)])
    tables.add("checklist", ("id", "round", "department", "team", "status", "review_comment", "submitted_at",
                             "reviewed_at", "reviewed_by"),
               [(number + 1, 1, number + 1, number % TEAMS + 1, "approved", "", now, now, None)
                for number in range(shape.units)])
    item_ids = {item.code: position + 1 for position, item in enumerate(system) if item.parent_code}
    answers = []
    for number, values in enumerate(unit_answers(shape, system)):
        for code, value in values.items():
            answers.append((len(answers) + 1, number + 1, item_ids[code], value, "", 1, now, None))
    tables.add("checklist_answer", ("id", "checklist", "indicator", "value", "note", "version", "answered_at",
                                    "answered_by"), answers)
    return tables


def rating_batches(shape: Shape) -> Iterator[list[tuple[Any, ...]]]:
    """The ratings in the order they arrived over the year, units interleaved as citizens rate
    them (the heap is not sorted by unit), ``LOAD_BATCH`` rows at a time."""
    counts = rating_counts(shape)
    chance = random.Random(shape.seed + 2)
    queues: list[list[tuple[str, str]]] = []
    for by_channel in counts:
        queue = [(channel, level) for channel, levels in by_channel.items() for level, n in levels.items()
                 for _ in range(n)]
        chance.shuffle(queue)
        queues.append(queue)
    arrivals = [number for number, queue in enumerate(queues) for _ in queue]
    chance.shuffle(arrivals)
    total = len(arrivals)
    panel_used = [0] * shape.units
    batch: list[tuple[Any, ...]] = []
    for position, number in enumerate(arrivals):
        channel, level = queues[number].pop()
        created = PERIOD_START + dt.timedelta(seconds=position * PERIOD_SECONDS // total)
        voter = panel = None
        if channel == "public":
            voter = f"{chance.getrandbits(128):032x}"
        else:
            panel = (number * 37 + panel_used[number]) % PANEL_CODES + 1
            panel_used[number] += 1
        negative = level in NEGATIVE
        reason = position % len(REASONS) + 1 if negative else None
        commented = position % 10 == 0
        batch.append((
            1, number + 1, channel, "web", voter, panel, level,
            f'{{"timeliness": "{level}"}}' if position % 4 == 0 else "{}",
            reason, "找不到去年的预算公开表" if reason == len(REASONS) else "",
            "希望网站的信息更新得再及时一些" if commented else "", "approved" if commented else "none",
            created + dt.timedelta(days=7) if negative else None, created,
        ))
        if len(batch) == LOAD_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load_sqlite(path: Path, shape: Shape) -> int:
    """Writes the round into a migrated SQLite file; returns the ratings written."""
    # Piccolo's adapters (Decimal → REAL, datetime → UTC text, date → ISO): the rows are stored
    # exactly as the app's own writes store them.
    import piccolo.engine.sqlite  # noqa: F401

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN")
        for table, (columns, rows) in round_tables(shape).rows.items():
            names = ", ".join(f'"{column}"' for column in columns)
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        written = 0
        marks = ", ".join("?" for _ in RATING_COLUMNS)
        statement = f"INSERT INTO rating ({', '.join(RATING_COLUMNS)}) VALUES ({marks})"
        for batch in rating_batches(shape):
            connection.executemany(statement, batch)
            written += len(batch)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return written
    finally:
        connection.close()


async def _load_postgres(url: str, shape: Shape) -> int:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=10)
    try:
        tables = round_tables(shape)
        async with connection.transaction():
            for table, (columns, rows) in tables.rows.items():
                await connection.copy_records_to_table(table, records=rows, columns=list(columns))
            written = 0
            for batch in rating_batches(shape):
                await connection.copy_records_to_table("rating", records=batch, columns=list(RATING_COLUMNS))
                written += len(batch)
            for table in tables.rows:
                # The ids were given: the sequences must move past them for the app's own inserts.
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
        await connection.execute("VACUUM ANALYZE rating")
        await connection.execute("ANALYZE")
        return written
    finally:
        await connection.close()


def load_postgres(url: str, shape: Shape) -> int:
    return asyncio.run(_load_postgres(url, shape))


# The measurements, each in a process of its own (``--child``), in the environment of the
# database being measured.


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field_name + ":")) / 1024


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peaks() -> dict[str, float]:
    """ru_maxrss, and VmHWM: the peak of this program alone since it started. ru_maxrss also
    counts the process this one was started from, so the two differ when that one was larger."""
    return {"peak_rss_mb": _peak_rss_mb(), "vm_hwm_mb": _status_mb("VmHWM")}


async def _start_engine() -> Any:
    """The engine started as the app's lifespan starts it (app.py): the pool on PostgreSQL, and
    what exists after start-up kept out of the collector's full passes."""
    import piccolo_conf
    from evaluation.core import database

    await database.start(piccolo_conf.DB)
    gc.collect()
    gc.freeze()
    return piccolo_conf.DB


async def _stop_engine(engine: Any) -> None:
    from evaluation.core import database

    await database.stop(engine)


def _timing(owner: Any, name: str, spent: Counter[str], label: str) -> Callable[[], None]:
    """Replaces ``owner.name`` by a version that adds its wall time to ``spent[label]``; returns
    what puts the original back."""
    original = getattr(owner, name)
    if inspect.iscoroutinefunction(original):
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started
    else:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started
    setattr(owner, name, timed)
    return lambda: setattr(owner, name, original)


COMPILE_PARTS = (
    # (module, function, label): what drafts.draft_for calls, in order
    ("inspections.rounds", "find", "round"),
    ("evaluation.periods", "by_id", "period"),
    ("inspections.rankings.drafts", "_units", "units"),
    ("inspections.rankings.drafts", "_answers", "answers"),
    ("evaluation.ratings", "counts", "rating counts"),
    ("inspections.rankings.drafts", "indicator_rows", "indicators"),
    ("inspections.rankings.drafts", "compile_ranking", "rules"),
)


async def compile_child(runs: int) -> dict[str, Any]:
    import importlib

    from inspections.rankings import drafts

    engine = await _start_engine()
    try:
        started = time.perf_counter()
        draft = await drafts.draft_for(ROUND_CODE)
        warm_up = time.perf_counter() - started
        if draft is None:
            raise SystemExit(f"no round {ROUND_CODE}")
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            await drafts.draft_for(ROUND_CODE)
            seconds.append(time.perf_counter() - started)
        # The same again with each part timed (a few microseconds more per call).
        parts: list[Counter[str]] = []
        for _ in range(runs):
            spent: Counter[str] = Counter()
            restore = [_timing(importlib.import_module(module), name, spent, label)
                       for module, name, label in COMPILE_PARTS]
            started = time.perf_counter()
            try:
                await drafts.draft_for(ROUND_CODE)
            finally:
                for undo in restore:
                    undo()
            spent["indexes and inputs"] = time.perf_counter() - started - sum(spent.values())
            parts.append(spent)
        labels = [label for _module, _name, label in COMPILE_PARTS] + ["indexes and inputs"]
        return {
            "warm_up_s": warm_up, "seconds": seconds,
            "parts_s": {label: statistics.median(part[label] for part in parts) for label in labels},
            "ranked": len(draft.ranking.ranked), "below_sample": len(draft.ranking.below_sample),
            "vetoed": sum(unit.vetoed for unit in draft.ranking.ranked),
            "ratings": sum(index.total for index in draft.indexes.values()),
            "answers": sum(len(unit.item_points) for unit in draft.ranking.ranked),
            "blockers": draft.blockers,
        }
    finally:
        await _stop_engine(engine)


async def export_child(which: str) -> dict[str, Any]:
    """One workbook, the draft's or the latest published version's, as the download builds it."""
    from inspections.rankings import drafts, exports, snapshots

    engine = await _start_engine()
    try:
        spent: Counter[str] = Counter()
        if which == "draft":
            _timing(drafts, "draft_for", spent, "compile")
            _timing(exports, "draft_document", spent, "document")
        else:
            _timing(snapshots, "find", spent, "read version")
        _timing(exports, "ranking_workbook", spent, "workbook")
        before = _rss_mb()
        started = time.perf_counter()
        download = await (exports.draft_workbook(ROUND_CODE, ACTOR) if which == "draft"
                          else exports.published_workbook(ROUND_CODE))
        seconds = time.perf_counter() - started
        peaks = _peaks()
        if download is None:
            raise SystemExit(f"no {which} workbook for {ROUND_CODE}")
        size = len(download.file.read())
        spent["other"] = seconds - sum(spent.values())
        return {"seconds": seconds, "rss_before_mb": before, **peaks, "bytes": size, "parts_s": dict(spent)}
    finally:
        await _stop_engine(engine)


async def publish_child() -> dict[str, Any]:
    from inspections.rankings import snapshots

    engine = await _start_engine()
    try:
        started = time.perf_counter()
        publication = await snapshots.publish(ACTOR, ROUND_CODE, title=NOTICE_TITLE)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "version": publication.version, "checksum": publication.checksum,
                "payload_bytes": len(publication.payload_bytes), **_peaks()}
    finally:
        await _stop_engine(engine)


def large_document(shape: Shape) -> dict[str, Any]:
    """--without-database: the same round compiled and made into a published version's document
    by the app's code (compiling.py, snapshots.py) from the generated rows, read back from its
    canonical JSON as a stored version is."""
    from evaluation.ratings.periods import DEFAULT_LEVEL_VALUES, DEFAULT_WEIGHTS, Period
    from evaluation.ratings.satisfaction import IndexSettings, compute, is_sufficient
    from inspections.rankings import snapshots
    from inspections.rankings.compiling import RANKED, IndicatorRow, UnitInput, compile_ranking
    from inspections.rankings.drafts import Draft, settings_of
    from inspections.rounds.rounds import Round
    from inspections.rounds.settings import DEFAULT_BANDS

    system = indicator_system(shape.items)
    indicators = [IndicatorRow(item.code, item.parent_code, item.title, item.kind, item.max_points, item.per_occurrence)
                  for item in system]
    settings = IndexSettings(level_values=dict(DEFAULT_LEVEL_VALUES), channel_weights=dict(DEFAULT_WEIGHTS),
                             min_sample=MIN_SAMPLE)
    found = Round(id=1, code=ROUND_CODE, name=ROUND_NAME, year=YEAR, system_id=1, system_code="bench",
                  system_name=SYSTEM_NAME, system_frozen=True, period_id=1, period_code=PERIOD_CODE,
                  period_name=PERIOD_NAME, deadline=dt.date(YEAR + 1, 1, 31),
                  status="open", opened_at=None, public_weight=Decimal(20), convert_score=True,
                  below_sample="group_mean", bonus_cap=Decimal(5), grade_bands=DEFAULT_BANDS, excellent_quota=30)
    period = Period(id=1, code=PERIOD_CODE, name=PERIOD_NAME, opens_on=dt.date(YEAR, 1, 1),
                    closes_on=dt.date(YEAR, 12, 31), settings=settings, answer_working_days=5)
    inputs, indexes = [], {}
    for number, (answers, counts) in enumerate(zip(unit_answers(shape, system), rating_counts(shape), strict=True)):
        index = compute({channel: dict(levels) for channel, levels in counts.items()}, settings)
        indexes[unit_code(number)] = index
        inputs.append(UnitInput(code=unit_code(number), name=unit_name(number), group=unit_group(number),
                                state=RANKED, answers=answers, own_index=index.index, sample=index.total,
                                sufficient=is_sufficient(index, settings), checklist_status="approved"))
    ranking = compile_ranking(indicators, inputs, settings_of(found))
    draft = Draft(round=found, period=period, ranking=ranking, checklists={}, indexes=indexes)
    document = snapshots.document(draft, version=1, title=NOTICE_TITLE, reason="",
                                  published_by=ACTOR, published_at=datetime(YEAR, 12, 6, 8, tzinfo=UTC))
    return json.loads(snapshots.canonical(document))


def workbook_child(shape: Shape, traced: bool) -> dict[str, Any]:
    """--without-database: one build of the workbook, timed, or traced by tracemalloc (which
    slows allocation down, so the time comes from an untraced run)."""
    from inspections.rankings.workbook import ranking_workbook

    document = large_document(shape)
    before = _rss_mb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    file = ranking_workbook(document, checksum="0" * 64)
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "rss_before_mb": before, **_peaks(), "bytes": len(file.read()),
              "items": sum(1 for row in document["indicators"] if row["parent_code"])}
    if traced:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def child_main(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    shape = Shape(args.units, args.items, args.ratings)
    if args.child == "compile":
        result = asyncio.run(compile_child(args.runs))
    elif args.child in ("export-draft", "export-published"):
        result = asyncio.run(export_child(args.child.removeprefix("export-")))
    elif args.child == "publish":
        result = asyncio.run(publish_child())
    elif args.child == "seed":
        result = seed_child(shape)
    else:
        result = workbook_child(shape, traced=args.child == "workbook-traced")
    print(json.dumps(result, ensure_ascii=False))


# Processes and databases.


def run_process(description: str, command: list[str], *, env: dict[str, str], cwd: Path) -> str:
    """Runs a command in a session of its own and returns its standard output. The whole session
    (the command and anything it started) is stopped when it ends, fails, times out or when this
    script is interrupted."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_die_with_parent)
    try:
        output, errors = process.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{description} took longer than {CHILD_TIMEOUT} s") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode != 0:
        lines = (errors or output).strip().splitlines()
        raise BenchError(f"{description} failed: {' | '.join(lines[-5:])}")
    return output


def run_child(kind: str, shape: Shape, env: dict[str, str], runs: int = 1) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--units", str(shape.units),
               "--items", str(shape.items), "--ratings", str(shape.ratings), "--runs", str(runs)]
    output = run_process(kind, command, env=env, cwd=PROJECT_DIR)
    return json.loads(output.strip().splitlines()[-1])


async def _drop(server: PostgresServer, database: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(server.database_url("postgres"), timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


@dataclass
class Seeded:
    env: dict[str, str]
    ratings: int
    seconds: float


def seed_child(shape: Shape) -> dict[str, Any]:
    """Loads the round into the database the environment names, as the app finds it (settings.py)."""
    from settings import settings

    started = time.perf_counter()
    if settings.is_sqlite:
        written = load_sqlite(settings.sqlite_path, shape)
    else:
        written = load_postgres(settings.database_url, shape)
    return {"ratings": written, "seconds": time.perf_counter() - started}


def seed(engine: str, shape: Shape, scratch: Path, postgres: PostgresServer, database: str) -> Seeded:
    """A fresh database migrated by ``pingyi migrate``, then the round loaded straight into it. The
    rows are made in a process of their own: a child's ru_maxrss counts the memory of the process
    it was started from (Linux keeps the larger across fork and exec), so this one stays small."""
    pingyi = Path(sys.executable).parent / "pingyi"
    if not pingyi.exists():
        raise BenchError(f"no `pingyi` command next to {sys.executable}: run this with the project's .venv/bin/python")
    started = time.perf_counter()
    variables = {"PINGYI_VAR_DIR": str(scratch / f"pingyi-{engine}")}
    if engine == "pg":
        variables["DATABASE_URL"] = postgres.recreate(database)
    env = server_env(**variables)
    run_step(f"pingyi migrate ({engine})", [str(pingyi), "migrate"], env, PROJECT_DIR)
    loaded = run_child("seed", shape, env)
    return Seeded(env, loaded["ratings"], time.perf_counter() - started)


# The reference app (../shared/bench).


def reference_available() -> bool:
    return all((REFERENCE_DIR / name).is_file() for name in REFERENCE_FILES)


def reference_copy(scratch: Path) -> Path:
    """The reference's scripts, unchanged, in a directory of their own: bench_agg.py writes its
    SQLite file next to itself, and ../shared/bench is read-only."""
    copy = scratch / "reference"
    copy.mkdir(exist_ok=True)
    for name in REFERENCE_FILES:
        shutil.copy2(REFERENCE_DIR / name, copy / name)
    return copy


def reference_aggregate(engine: str, copy: Path, postgres: PostgresServer, database: str, runs: int,
                        ratings: int) -> list[dict[str, Any]]:
    """Its bench_agg.py as its run.sh runs it, seeding its own ratings (as many as ours) over its
    200 departments."""
    out = copy / f"agg-{engine}.jsonl"
    variables = {}
    if engine == "pg":
        variables["BENCH_AGG_PG_URL"] = postgres.recreate(database)
    run_process(f"reference bench_agg.py ({engine})",
                [sys.executable, "bench_agg.py", "--db", engine, "--runs", str(runs), "--ratings", str(ratings),
                 "--out", str(out)],
                env=server_env(**variables), cwd=copy)
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def reference_workbooks(copy: Path, runs: int) -> list[dict[str, Any]]:
    out = copy / "xlsx.jsonl"
    run_process("reference bench_xlsx.py", [sys.executable, "bench_xlsx.py", "--runs", str(runs), "--out", str(out)],
                env=server_env(BENCH_SQLITE_PATH=str(copy / "bench.sqlite")), cwd=copy)
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


# One engine, and the report.


@dataclass
class EngineResult:
    engine: str
    load_average: float
    seeded: Seeded | None = None
    compile: dict[str, Any] | None = None
    draft_exports: list[dict[str, Any]] = field(default_factory=list)
    publish: dict[str, Any] | None = None
    published_exports: list[dict[str, Any]] = field(default_factory=list)
    reference: list[dict[str, Any]] = field(default_factory=list)

    @property
    def compile_median(self) -> float | None:
        return statistics.median(self.compile["seconds"]) if self.compile else None

    @property
    def reference_best(self) -> dict[str, Any] | None:
        return min(self.reference, key=lambda record: record["median_s"]) if self.reference else None


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _verdict(value: float, most: float) -> str:
    return "pass" if value <= most else "**miss**"


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"


def measure_engine(result: EngineResult, shape: Shape, args: argparse.Namespace, scratch: Path,
                   postgres: PostgresServer, copy: Path | None, run_log: RunLog) -> None:
    """Fills ``result`` step by step, so that an interrupted run still shows what it measured."""
    engine = result.engine
    seeded = result.seeded = seed(engine, shape, scratch, postgres, args.pg_database)
    print(f"  seeded in {seeded.seconds:.1f} s: {shape.units} units × {shape.items} items, "
          f"{seeded.ratings:,} ratings (pingyi migrate, bulk load, ANALYZE)", flush=True)
    run_log.write(engine=engine, step="seed", seconds=seeded.seconds, ratings=seeded.ratings)

    compiled = result.compile = run_child("compile", shape, seeded.env, args.runs)
    run_log.write(engine=engine, step="compile", **compiled)
    if compiled["blockers"] or compiled["ranked"] != shape.units or compiled["ratings"] != seeded.ratings:
        raise BenchError(f"{engine}: the draft is not the round loaded: {compiled['ranked']} ranked, "
                         f"{compiled['ratings']} ratings, blockers {compiled['blockers']}")
    parts = ", ".join(f"{label} {seconds * 1000:.0f}" for label, seconds in compiled["parts_s"].items())
    print(f"  compile: median {statistics.median(compiled['seconds']):.3f} s ({_spread(compiled['seconds'])} s, "
          f"warm-up {compiled['warm_up_s']:.3f} s); {compiled['ranked']} ranked, {compiled['below_sample']} below "
          f"the sample, {compiled['vetoed']} vetoed, {compiled['answers']:,} item answers", flush=True)
    print(f"    parts (ms, median): {parts}", flush=True)

    for kind, runs in (("export-draft", result.draft_exports), ("publish", None),
                       ("export-published", result.published_exports)):
        if runs is None:
            published = result.publish = run_child("publish", shape, seeded.env)
            run_log.write(engine=engine, step="publish", **published)
            print(f"  publish: {published['seconds']:.2f} s, version {published['version']}, "
                  f"{published['payload_bytes'] / 2**20:.1f} MB document, sha256 {published['checksum'][:12]}…",
                  flush=True)
            continue
        for run in range(1, args.runs + 1):
            measured = run_child(kind, shape, seeded.env)
            runs.append(measured)
            run_log.write(engine=engine, step=kind, run=run, **measured)
            parts = ", ".join(f"{label} {seconds:.2f}" for label, seconds in measured["parts_s"].items())
            print(f"  {kind} run {run}: {measured['seconds']:.2f} s ({parts}), peak RSS "
                  f"{measured['peak_rss_mb']:.0f} MB (VmHWM {measured['vm_hwm_mb']:.0f}), before the build "
                  f"{measured['rss_before_mb']:.0f} MB, {measured['bytes'] / 2**20:.2f} MB xlsx", flush=True)

    if copy is not None:
        print(f"  reference bench_agg.py ({engine}, seeding its own {shape.ratings:,} ratings) …", flush=True)
        result.reference = reference_aggregate(engine, copy, postgres, f"{args.pg_database}_reference",
                                               args.reference_runs, shape.ratings)
        for record in result.reference:
            run_log.write(engine=engine, step="reference_agg", **record)
            print(f"    {record['index']:8} {record['variant']:15} median {record['median_s'] * 1000:7.1f} ms "
                  f"(first {record['first_s'] * 1000:.1f} ms)", flush=True)


def print_report(results: list[EngineResult], workbooks: list[dict[str, Any]], args: argparse.Namespace,
                 with_reference: bool) -> None:
    print(f"\nMedians of {args.runs} runs; compile after one warm-up in one process, each export in a fresh "
          "process.\n")
    print("| engine | load avg | seed s | compile s (min–max) | draft export s | peak RSS MB (before build) "
          "| publish s | published export s | peak RSS MB (before build) | reference aggregate, best | "
          "compile ÷ reference | targets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        if result.compile is None or result.seeded is None:
            continue
        compile_median = result.compile_median or 0.0
        drafts_ = result.draft_exports
        published = result.published_exports
        checks = [f"compile ≤ {COMPILE_MAX_SECONDS:.0f} s: {_verdict(compile_median, COMPILE_MAX_SECONDS)}"]
        if drafts_:
            seconds, peak = _median(drafts_, "seconds"), _median(drafts_, "peak_rss_mb")
            checks.append(f"export ≤ {EXPORT_MAX_SECONDS:.0f} s: {_verdict(seconds, EXPORT_MAX_SECONDS)}")
            checks.append(f"peak ≤ {EXPORT_MAX_PEAK_MB:.0f} MB: {_verdict(peak, EXPORT_MAX_PEAK_MB)}")
        best = result.reference_best
        reference = (f"{best['median_s'] * 1000:.0f} ms ({best['variant']}, {best['index']})" if best
                     else "–" if with_reference else "not run")
        ratio = f"{compile_median / best['median_s']:.1f}×" if best else "–"
        draft_cell = f"{_median(drafts_, 'seconds'):.2f}" if drafts_ else "–"
        draft_peak = (f"{_median(drafts_, 'peak_rss_mb'):.0f} ({_median(drafts_, 'rss_before_mb'):.0f})"
                      if drafts_ else "–")
        published_cell = f"{_median(published, 'seconds'):.2f}" if published else "–"
        published_peak = (f"{_median(published, 'peak_rss_mb'):.0f} ({_median(published, 'rss_before_mb'):.0f})"
                          if published else "–")
        publish = f"{result.publish['seconds']:.2f}" if result.publish else "–"
        print(f"| {result.engine} | {result.load_average:.2f} | {result.seeded.seconds:.0f} | {compile_median:.3f} "
              f"({_spread(result.compile['seconds'])}) | {draft_cell} | {draft_peak} | {publish} | {published_cell} "
              f"| {published_peak} | {reference} | {ratio} | {'; '.join(checks)} |")
    if workbooks:
        print("\nReference workbooks (bench_xlsx.py, openpyxl alone; medians):\n")
        print("| case | mode | lxml | seconds | peak RSS MiB | peak − before MiB | xlsx KiB |")
        print("|---|---|---|---|---|---|---|")
        cases: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
        for record in workbooks:
            cases.setdefault((record["case"], record["mode"], record["lxml"]), []).append(record)
        for (case, mode, lxml), runs in cases.items():
            print(f"| {case} | {mode} | {'yes' if lxml else 'no'} | {_median(runs, 'seconds'):.3f} | "
                  f"{_median(runs, 'peak_rss_mib'):.0f} | {_median(runs, 'peak_delta_mib'):.0f} | "
                  f"{runs[0]['bytes'] / 1024:.0f} |")
    print(flush=True)


def without_database(args: argparse.Namespace, shape: Shape) -> None:
    """The workbook alone, from a document built in memory (no database): each run a process."""
    results: dict[str, list[dict[str, Any]]] = {"workbook-timed": [], "workbook-traced": []}
    env = server_env()
    for kind, runs in results.items():
        for _ in range(args.runs):
            runs.append(run_child(kind, shape, env))
    timed, traced = results["workbook-timed"], results["workbook-traced"]
    print(f"Without a database: {shape.units} units × {timed[0]['items']} items, {args.runs} runs each, median:")
    print(f"  build time          {_median(timed, 'seconds'):.2f} s")
    print(f"  peak RSS (process)  {_median(timed, 'peak_rss_mb'):.0f} MB, of which "
          f"{_median(timed, 'rss_before_mb'):.0f} MB before the build (interpreter, libraries, the document)")
    print(f"  traced peak (build) {_median(traced, 'traced_peak_mb'):.0f} MB")
    print(f"  workbook size       {timed[0]['bytes'] / 2**20:.1f} MB")


def _comma_list(raw: str) -> list[str]:
    engines = [item.strip() for item in raw.split(",") if item.strip()]
    if not engines or not set(engines) <= {"sqlite", "pg"}:
        raise argparse.ArgumentTypeError(f"expected a comma list of sqlite, pg; got {raw!r}")
    return engines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--engines", type=_comma_list, default=["sqlite", "pg"], help="comma list of sqlite, pg")
    parser.add_argument("--runs", type=int, default=3, help="timed compiles, and export processes (median reported)")
    parser.add_argument("--units", type=int, default=300, help="units covered by the round (two groups)")
    parser.add_argument("--items", type=int, default=120, help="items of the indicator system (at least 13)")
    parser.add_argument("--ratings", type=int, default=1_000_000, help="ratings in the round's period")
    parser.add_argument("--without-database", action="store_true",
                        help="only build the workbook from a document made in memory (no database, no reference)")
    parser.add_argument("--no-reference", action="store_true", help="skip ../shared/bench even when it is there")
    parser.add_argument("--reference-runs", type=int, default=5,
                        help="bench_agg.py --runs (its run.sh uses 5); bench_xlsx.py gets --runs")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (on this machine) to create the bench databases on")
    parser.add_argument("--pg-database", default="pingyi_bench_rankings",
                        help="database for Pingyi, dropped and recreated; the reference gets <name>_reference")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite files and the PostgreSQL databases afterwards (printed at the end)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results",
                        help="where every run is written as one JSON line")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one measurement, see child_main()
    args = parser.parse_args(argv)
    if args.child:
        return args
    if args.runs < 1 or args.reference_runs < 1 or args.units < 2 or args.items < 13 or args.ratings < 0:
        parser.error("--runs and --reference-runs must be at least 1, --units at least 2, --items at least 13")
    if urllib.parse.urlsplit(args.pg_server).hostname not in LOOPBACK_HOSTS:
        parser.error("--pg-server must be on this machine (127.0.0.1): the bench sends no traffic elsewhere")
    if args.pg_database in {"test", "postgres", "template0", "template1", "pingyi_bench", "pingyi_bench_saves",
                            "pingyi_bench_ratings"}:
        parser.error(f"--pg-database {args.pg_database!r} is not this benchmark's to drop")
    return args


def run(args: argparse.Namespace, results: list[EngineResult], workbooks: list[dict[str, Any]]) -> None:
    shape = Shape(args.units, args.items, args.ratings)
    if args.without_database:
        without_database(args, shape)
        return
    with_reference = not args.no_reference and reference_available()
    if not with_reference:
        print(f"The reference app ({REFERENCE_DIR}) is not there: measuring Pingyi only, without ratios."
              if not args.no_reference else "Reference not run (--no-reference).", flush=True)
    revision = project_revision()
    print(f"Pingyi revision {revision}; {shape.units} units × {shape.items} items, {shape.ratings:,} ratings; "
          f"targets: compile ≤ {COMPILE_MAX_SECONDS:.0f} s, export ≤ {EXPORT_MAX_SECONDS:.0f} s with a peak "
          f"≤ {EXPORT_MAX_PEAK_MB:.0f} MB", flush=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    run_log = RunLog(args.results_dir / f"rankings-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl", revision)
    postgres = PostgresServer(args.pg_server)
    scratch = Path(tempfile.mkdtemp(prefix="pingyi-bench-rankings-"))
    try:
        copy = reference_copy(scratch) if with_reference else None
        for engine in args.engines:
            one, five = os.getloadavg()[:2]
            print(f"\n== {engine} (load average before: {one:.2f} / {five:.2f})", flush=True)
            results.append(EngineResult(engine, one))
            measure_engine(results[-1], shape, args, scratch, postgres, copy, run_log)
        if copy is not None:
            print("\nReference bench_xlsx.py …", flush=True)
            workbooks += reference_workbooks(copy, args.runs)
            for record in workbooks:
                run_log.write(step="reference_xlsx", **record)
        print(f"Load average at the end: {os.getloadavg()[0]:.2f}. Every run: {run_log.path}", flush=True)
    finally:
        if args.keep:
            print(f"Kept: {scratch}" + (f" and PostgreSQL databases {args.pg_database}, {args.pg_database}_reference"
                                        if "pg" in args.engines else ""), flush=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
            if "pg" in args.engines:
                for database in (args.pg_database, f"{args.pg_database}_reference"):
                    with contextlib.suppress(Exception):
                        asyncio.run(_drop(postgres, database))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args)
        return 0
    # Ctrl-C and SIGTERM take one way out, through every `finally` that stops a process.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    results: list[EngineResult] = []
    workbooks: list[dict[str, Any]] = []
    try:
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(only_benchmark_running())
            except BenchError:
                raise BenchError("another benchmark (bench/pages.py, ratings.py, saves.py or rankings.py) is running "
                                 "on this machine: wait for it") from None
            run(args, results, workbooks)
    except KeyboardInterrupt:
        print("\nInterrupted: every process was stopped.", file=sys.stderr)
        status = 130
    except BenchError as failure:
        print(f"rankings.py: {failure}", file=sys.stderr)
        status = 1
    else:
        status = 0
    if results:
        print_report(results, workbooks, args, with_reference=not args.no_reference and reference_available())
    return status


if __name__ == "__main__":
    sys.exit(main())
