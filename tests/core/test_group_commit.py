"""SQLite's one writer per process and its group commit (evaluation/core/sqlite_writer.py):
concurrent writers share one transaction, each in a savepoint of its own, and every caller is
answered only with what is durably true: its work stored, or its own error with nothing of it
stored; one member's failure never undoes or falsely acknowledges another's. PostgreSQL commits
each writer on its own: there the rating path is checked, the facility itself is SQLite's.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest

import piccolo_conf
from evaluation.core import clock, database, sqlite_writer
from evaluation.core.sqlite_writer import WriteGroupFailed
from evaluation.ratings import periods, ratings
from evaluation.ratings.ratings import RatingForm
from evaluation.ratings.tables import Rating
from tests.conftest import ENGINE_NAME, run

INSERT = "INSERT INTO rating (period, department, channel, level, voter_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
sqlite_only = pytest.mark.skipif(ENGINE_NAME != "sqlite", reason="the group commit is SQLite's")


def _insert(period_id: int, department_id: int, voter_id: str) -> Callable[[sqlite3.Connection], Any]:
    from evaluation.core import clock

    return lambda db: db.execute(INSERT, (period_id, department_id, "public", "satisfied", voter_id, clock.now()))


async def _voters() -> list[str]:
    return sorted(row["voter_id"] for row in await Rating.select(Rating.voter_id))


@pytest.fixture
def grouped_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every group SQLite commits (empty on PostgreSQL, which does not group)."""
    sizes: list[int] = []
    commit = sqlite_writer._Group._commit

    async def counting(self: Any, group: list[Any]) -> None:
        sizes.append(len(group))
        await commit(self, group)

    monkeypatch.setattr(sqlite_writer._Group, "_commit", counting)
    return sizes


@sqlite_only
def test_concurrent_writers_are_all_stored_and_a_duplicate_only_is_refused(period, departments, grouped_sizes):
    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]
        await database.group_commit(_insert(period_row.id, department, "early"))  # stored before the others
        works = [_insert(period_row.id, department, f"v{i:02}") for i in range(20)]
        works.insert(5, _insert(period_row.id, department, "early"))  # duplicate of a stored rating
        works.insert(12, _insert(period_row.id, department, "v03"))  # duplicate within the same moment
        return await asyncio.gather(*(database.group_commit(work) for work in works), return_exceptions=True)

    outcomes = run(write_all())

    failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(failed) == 2 and all(database.is_unique_violation(error) for error in failed), failed
    assert isinstance(outcomes[5], BaseException)
    assert isinstance(outcomes[12], BaseException) and not isinstance(outcomes[3], BaseException)
    assert run(_voters()) == sorted(["early", *(f"v{i:02}" for i in range(20))])
    assert max(grouped_sizes) > 1, f"the writers were not grouped: {grouped_sizes}"
    assert sum(grouped_sizes) == 1 + len(outcomes)


@sqlite_only
def test_an_exception_in_one_member_undoes_that_member_only(period, departments, grouped_sizes):
    class Refused(Exception):
        pass

    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        def writes_then_fails(db: sqlite3.Connection) -> None:
            _insert(period_row.id, department, "half-done")(db)
            raise Refused("after its first statement")

        works = [_insert(period_row.id, department, f"w{i}") for i in range(10)]
        works.insert(4, writes_then_fails)
        return await asyncio.gather(*(database.group_commit(work) for work in works), return_exceptions=True)

    outcomes = run(write_all())

    assert isinstance(outcomes[4], Refused)
    assert not any(isinstance(outcome, BaseException) for i, outcome in enumerate(outcomes) if i != 4)
    assert run(_voters()) == [f"w{i}" for i in range(10)]  # not "half-done"
    assert max(grouped_sizes) > 1


@sqlite_only
def test_when_the_group_transaction_is_lost_no_member_is_acknowledged(period, departments, grouped_sizes):
    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        def ends_the_transaction(db: sqlite3.Connection) -> None:
            # What SQLite does by itself on a full disk or an I/O error: the whole transaction is gone.
            db.execute("ROLLBACK")

        first = asyncio.ensure_future(database.group_commit(_insert(period_row.id, department, "alone")))
        await asyncio.sleep(0)  # the first caller's group starts; the next ones wait for the second group
        works = [_insert(period_row.id, department, f"x{i}") for i in range(6)]
        works.insert(3, ends_the_transaction)
        rest = await asyncio.gather(*(database.group_commit(work) for work in works), return_exceptions=True)
        return [await first, *rest]

    outcomes = run(write_all())

    assert not isinstance(outcomes[0], BaseException)
    assert all(isinstance(outcome, WriteGroupFailed) for outcome in outcomes[1:]), outcomes
    assert run(_voters()) == ["alone"]
    assert grouped_sizes == [1, 7]

    # The writer is usable again afterwards, alone or grouped.
    async def write_again() -> None:
        period_row = await periods.current_period()
        await asyncio.gather(*(database.group_commit(_insert(period_row.id, departments["150902"], f"y{i}"))
                               for i in range(3)))

    run(write_again())
    assert run(_voters()) == ["alone", "y0", "y1", "y2"]


@sqlite_only
def test_a_write_outside_the_group_waits_for_it_and_is_never_part_of_its_transaction(period, departments):
    """Any other write of the process (a Piccolo statement outside a transaction) goes through
    the same writer: sent while a group commits, it is not caught in that group's transaction,
    where it would be undone with it; it is committed in the next group."""

    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        def fails_late(db: sqlite3.Connection) -> None:
            _insert(period_row.id, department, "grouped-then-failed")(db)
            time.sleep(0.2)  # meanwhile the write below is sent
            db.execute("ROLLBACK")

        grouped = asyncio.ensure_future(database.group_commit(fails_late))
        await asyncio.sleep(0.05)  # the group has begun and holds the writer
        outside = await asyncio.gather(
            Rating.raw("INSERT INTO rating (period, department, channel, level, voter_id, created_at)"
                       " VALUES ({}, {}, 'public', 'satisfied', 'outside', {})", period_row.id, department,
                       clock.now()).run(), return_exceptions=True)
        return [*(await asyncio.gather(grouped, return_exceptions=True)), *outside]

    outcomes = run(write_all())

    assert isinstance(outcomes[0], WriteGroupFailed)
    assert not isinstance(outcomes[1], BaseException)
    assert run(_voters()) == ["outside"]


def test_rating_submissions_of_one_moment_with_a_duplicate(period, departments, grouped_sizes):
    """The rating path: forty browsers at once and one of them twice. Forty are stored; the
    duplicate is told it already rated."""

    async def submit_all() -> list[Any]:
        period_row = await periods.current_period()
        form = RatingForm(level="satisfied")
        voters = [f"browser-{i}" for i in range(40)]
        voters.insert(20, "browser-7")
        return await asyncio.gather(
            *(ratings.submit_public(period_row, departments["SZ03"], voter, form) for voter in voters),
            return_exceptions=True,
        )

    outcomes = run(submit_all())

    refused = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], ratings.AlreadyRated), refused
    assert run(_voters()) == sorted(f"browser-{i}" for i in range(40))
    if ENGINE_NAME == "sqlite":
        assert max(grouped_sizes) > 1


@sqlite_only
def test_inside_a_transaction_the_work_is_part_of_it(period, departments):
    async def write() -> None:
        period_row = await periods.current_period()
        async with database.write_transaction(piccolo_conf.DB):
            await database.group_commit(_insert(period_row.id, departments["150902"], "in-transaction"))
            raise RuntimeError("undo the transaction")

    with pytest.raises(RuntimeError):
        run(write())
    assert run(_voters()) == []


@sqlite_only
def test_a_member_reads_what_the_members_before_it_wrote_in_the_group(period, departments, grouped_sizes):
    """Reads inside the group's transaction: what a checklist save needs to decide on the current
    version of the item it changes."""

    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        def count_then_insert(voter: str) -> Callable[[sqlite3.Connection], int]:
            def work(db: sqlite3.Connection) -> int:
                seen = db.execute("SELECT COUNT(*) AS n FROM rating").fetchone()["n"]
                _insert(period_row.id, department, voter)(db)
                return seen

            return work

        first = asyncio.ensure_future(database.group_commit(count_then_insert("first")))
        await asyncio.sleep(0)
        rest = await asyncio.gather(*(database.group_commit(count_then_insert(f"r{i}")) for i in range(5)))
        return [await first, *rest]

    assert run(write_all()) == [0, 1, 2, 3, 4, 5]
    assert grouped_sizes == [1, 5]
