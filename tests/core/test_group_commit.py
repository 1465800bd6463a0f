"""Group commit (``database.group_commit``): concurrent writers share one transaction on SQLite,
each in a savepoint of its own; on PostgreSQL each commits on its own. On both engines, every
caller is answered only with what is durably true: its work stored, or its own error with
nothing of it stored, and one member's failure never undoes or falsely acknowledges another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import piccolo_conf
from evaluation.core import database
from evaluation.ratings import periods, ratings
from evaluation.ratings.ratings import RatingForm
from evaluation.ratings.tables import Rating
from tests.conftest import ENGINE_NAME, run

INSERT = "INSERT INTO rating (period, department, channel, level, voter_id, created_at) VALUES ({}, {}, {}, {}, {}, {})"


def _insert(period_id: int, department_id: int, voter_id: str) -> Callable[[], Awaitable[Any]]:
    from evaluation.core import clock

    return lambda: Rating.raw(INSERT, period_id, department_id, "public", "satisfied", voter_id, clock.now()).run()


async def _voters() -> list[str]:
    return sorted(row["voter_id"] for row in await Rating.select(Rating.voter_id))


@pytest.fixture
def grouped_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every group SQLite commits (empty on PostgreSQL, which does not group)."""
    sizes: list[int] = []
    commit = database._WriteGroup._commit

    async def counting(self: Any, group: list[Any]) -> None:
        sizes.append(len(group))
        await commit(self, group)

    monkeypatch.setattr(database._WriteGroup, "_commit", counting)
    return sizes


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
    # Of the two v03 writes one is refused: on PostgreSQL either may reach the index first.
    assert isinstance(outcomes[3], BaseException) != isinstance(outcomes[12], BaseException)
    assert run(_voters()) == sorted(["early", *(f"v{i:02}" for i in range(20))])
    if ENGINE_NAME == "sqlite":
        assert max(grouped_sizes) > 1, f"the writers were not grouped: {grouped_sizes}"
        assert sum(grouped_sizes) == 1 + len(outcomes)


def test_an_exception_in_one_member_undoes_that_member_only(period, departments, grouped_sizes):
    class Refused(Exception):
        pass

    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        async def writes_then_fails() -> None:
            await _insert(period_row.id, department, "half-done")()
            raise Refused("after its first statement")

        works = [_insert(period_row.id, department, f"w{i}") for i in range(10)]
        works.insert(4, writes_then_fails)
        return await asyncio.gather(*(database.group_commit(work) for work in works), return_exceptions=True)

    outcomes = run(write_all())

    assert isinstance(outcomes[4], Refused)
    assert not any(isinstance(outcome, BaseException) for i, outcome in enumerate(outcomes) if i != 4)
    assert run(_voters()) == [f"w{i}" for i in range(10)]  # not "half-done"
    if ENGINE_NAME == "sqlite":
        assert max(grouped_sizes) > 1


@pytest.mark.skipif(ENGINE_NAME != "sqlite", reason="a group transaction exists on SQLite only")
def test_when_the_group_transaction_is_lost_no_member_is_acknowledged(period, departments, grouped_sizes):
    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        async def ends_the_transaction() -> None:
            # What SQLite does by itself on a full disk or an I/O error: the whole transaction is gone.
            await Rating.raw("ROLLBACK").run()

        first = asyncio.ensure_future(database.group_commit(_insert(period_row.id, department, "alone")))
        await asyncio.sleep(0)  # the first caller's group starts; the next ones wait for the second group
        works = [_insert(period_row.id, department, f"x{i}") for i in range(6)]
        works.insert(3, ends_the_transaction)
        rest = await asyncio.gather(*(database.group_commit(work) for work in works), return_exceptions=True)
        return [await first, *rest]

    outcomes = run(write_all())

    assert not isinstance(outcomes[0], BaseException)
    assert all(isinstance(outcome, database.WriteGroupFailed) for outcome in outcomes[1:]), outcomes
    assert run(_voters()) == ["alone"]
    assert grouped_sizes == [1, 7]

    # The writer is usable again afterwards, alone or grouped.
    async def write_again() -> None:
        period_row = await periods.current_period()
        await asyncio.gather(*(database.group_commit(_insert(period_row.id, departments["150902"], f"y{i}"))
                               for i in range(3)))

    run(write_again())
    assert run(_voters()) == ["alone", "y0", "y1", "y2"]


@pytest.mark.skipif(ENGINE_NAME != "sqlite", reason="the shared writer connection exists on SQLite only")
def test_an_autocommit_write_waits_for_the_group_and_is_never_part_of_it(period, departments):
    """A write outside the group (any other statement on the shared writer connection) is not
    caught in a group's open transaction, where it would be answered before being durable and
    undone with the group: it waits, then commits on its own."""

    async def write_all() -> list[Any]:
        period_row = await periods.current_period()
        department = departments["150902"]

        async def fails_late() -> None:
            await _insert(period_row.id, department, "grouped-then-failed")()
            await asyncio.sleep(0.2)  # meanwhile the autocommit write below is sent
            await Rating.raw("ROLLBACK").run()

        grouped = asyncio.ensure_future(database.group_commit(fails_late))
        await asyncio.sleep(0.05)  # the group has begun and holds the writer
        outside = await asyncio.gather(_insert(period_row.id, department, "outside")(), return_exceptions=True)
        return [*(await asyncio.gather(grouped, return_exceptions=True)), *outside]

    outcomes = run(write_all())

    assert isinstance(outcomes[0], database.WriteGroupFailed)
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


def test_inside_a_transaction_the_work_is_part_of_it(period, departments):
    async def write() -> None:
        period_row = await periods.current_period()
        async with database.write_transaction(piccolo_conf.DB):
            await database.group_commit(_insert(period_row.id, departments["150902"], "in-transaction"))
            raise RuntimeError("undo the transaction")

    with pytest.raises(RuntimeError):
        run(write())
    assert run(_voters()) == []
