"""Database engines: SQLite (default, one file) and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from evaluation.core import cache

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# At most this many callers share one group commit (one transaction on SQLite's writer).
GROUP_COMMIT_MAX_MEMBERS = 128

T = TypeVar("T")

# Set while a write group runs its members' work: their writes go to the shared writer
# connection, inside the group's transaction, without waiting for the writer (the group holds it).
_writing_in_group: contextvars.ContextVar[Any] = contextvars.ContextVar("writing_in_group", default=None)


class DurableSQLiteConnection(sqlite3.Connection):
    """Every connection, however it is opened, gets the pragmas durability depends on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA synchronous = FULL")
        self.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")


class PingyiSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, but statements outside a transaction reuse two open
    connections per event loop (one for reads, one for writes) instead of opening a new
    connection per query (~1 ms each).

    One writer connection per process also means this process's writers never fight each
    other for the lock, so they do not fall into SQLite's busy back-off sleeps.
    Transactions still get a connection of their own (Piccolo's ``transaction()``).
    Overrides the private ``_run_in_new_connection``: Piccolo is pinned exactly for it.

    The writer connection is held by one user at a time (``_writer_lock``): an autocommit
    statement, or a whole group commit (``group_commit``), so no statement of anyone else can
    slip into a group's open transaction and be answered before that transaction commits.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path=path, factory=DurableSQLiteConnection, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        self._shared: dict[asyncio.AbstractEventLoop, tuple[aiosqlite.Connection, aiosqlite.Connection]] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._writer_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._write_groups: dict[asyncio.AbstractEventLoop, _WriteGroup] = {}

    def _writer_lock(self) -> asyncio.Lock:
        return self._writer_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())

    def _write_group(self) -> _WriteGroup:
        loop = asyncio.get_running_loop()
        group = self._write_groups.get(loop)
        if group is None:
            group = self._write_groups[loop] = _WriteGroup(self)
        return group

    async def _open(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        return connection

    async def _shared_connections(self) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
        loop = asyncio.get_running_loop()
        pair = self._shared.get(loop)
        if pair is not None:
            return pair
        lock = self._opening.setdefault(loop, asyncio.Lock())
        async with lock:
            pair = self._shared.get(loop)
            if pair is None:
                pair = (await self._open(), await self._open())
                self._shared[loop] = pair
        return pair

    async def close_shared_connections(self) -> None:
        loop = asyncio.get_running_loop()
        group = self._write_groups.pop(loop, None)
        if group is not None:
            await group.finish()
        self._writer_locks.pop(loop, None)
        self._opening.pop(loop, None)
        pair = self._shared.pop(loop, None)
        if pair:
            for connection in pair:
                await connection.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        reader, writer = await self._shared_connections()
        # execute and fetch in one step on the connection's thread: an autocommit statement
        # is committed before the call returns, so nothing is acknowledged before it is durable.
        if query.lstrip()[:6].upper() == "SELECT":
            return list(await reader.execute_fetchall(query, args or []))
        if _writing_in_group.get() is self:
            # A member of the group running now: inside the group's transaction and savepoint.
            return list(await writer.execute_fetchall(query, args or []))
        async with self._writer_lock():
            return list(await writer.execute_fetchall(query, args or []))


class PingyiPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine with one connection pool per event loop.

    An asyncpg pool belongs to the loop that made it. The app's pool lives in the server's
    loop; a command or test running its own loop next to it must not borrow that pool.
    """

    def __init__(self, dsn: str) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        super().__init__(config={"dsn": dsn}, extensions=())

    @property  # type: ignore[override]
    def pool(self) -> Any:
        try:
            return self._pools.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

    @pool.setter
    def pool(self, value: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # Piccolo's __init__ sets None before any loop runs
        if value is None:
            self._pools.pop(loop, None)
        else:
            self._pools[loop] = value


# --------------------------------------------------------------------------- group commit


class WriteGroupFailed(Exception):
    """The group's transaction did not commit: nothing of this caller's work is stored."""


@dataclass
class _Member:
    work: Callable[[], Awaitable[Any]]
    answer: asyncio.Future[Any]


class _WriteGroup:
    """The callers waiting for SQLite's writer connection, and the task that commits them in
    groups (see ``group_commit``). One per event loop, like the shared connections."""

    def __init__(self, engine: PingyiSQLiteEngine) -> None:
        self.engine = engine
        self.waiting: list[_Member] = []
        self.committer: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        member = _Member(work, asyncio.get_running_loop().create_future())
        self.waiting.append(member)
        if self.committer is None or self.committer.done():
            # A task of its own, not the caller's: a caller that goes away (a closed connection
            # cancels its request) must not take the other members' transaction with it.
            self.committer = asyncio.create_task(self._commit_while_waiting())
        return await member.answer

    async def finish(self) -> None:
        if self.committer is not None:
            await asyncio.gather(self.committer, return_exceptions=True)

    async def _commit_while_waiting(self) -> None:
        # The first caller after a quiet moment is committed at once, alone; callers that
        # arrive while a group commits wait for the next one. No timer, so no added delay.
        while self.waiting:
            group = self.waiting[:GROUP_COMMIT_MAX_MEMBERS]
            del self.waiting[:GROUP_COMMIT_MAX_MEMBERS]
            await self._commit(group)

    async def _commit(self, group: list[_Member]) -> None:
        outcomes: list[tuple[_Member, bool, Any]] = []  # (member, its work succeeded, result or exception)
        failure: BaseException | None = None
        async with self.engine._writer_lock():
            _, writer = await self.engine._shared_connections()
            in_group = _writing_in_group.set(self.engine)
            try:
                await writer.execute("BEGIN IMMEDIATE")
                for member in group:
                    if member.answer.done():
                        continue  # its caller was cancelled before its turn: nothing written
                    await writer.execute("SAVEPOINT group_member")
                    try:
                        result = await member.work()
                    except Exception as error:
                        # Undoes this member's statements only; the others' stay in the transaction.
                        await writer.execute("ROLLBACK TO group_member")
                        await writer.execute("RELEASE group_member")
                        outcomes.append((member, False, error))
                    else:
                        await writer.execute("RELEASE group_member")
                        outcomes.append((member, True, result))
                    if not writer.in_transaction:
                        # SQLite rolls the whole transaction back by itself on some errors
                        # (disk full, I/O error): what the group wrote so far is gone.
                        raise WriteGroupFailed("the group's transaction was rolled back")
                await writer.execute("COMMIT")
            except BaseException as error:  # cancellation too: every member must be answered
                failure = error
                if writer.in_transaction:
                    with contextlib.suppress(Exception):
                        await writer.execute("ROLLBACK")
            finally:
                _writing_in_group.reset(in_group)
        # Every member is answered only now, after the COMMIT (or the ROLLBACK). A member whose
        # caller was cancelled meanwhile has nobody to answer.
        if failure is None:
            for member, succeeded, outcome in outcomes:
                if not member.answer.done():
                    if succeeded:
                        member.answer.set_result(outcome)
                    else:
                        member.answer.set_exception(outcome)
        else:
            # Nothing of the group is stored, whatever each work did: even a member refused as a
            # duplicate may have collided with another member's row that is now gone.
            for member in group:
                if not member.answer.done():
                    lost = WriteGroupFailed(f"the group commit failed: {failure!r}")
                    lost.__cause__ = failure
                    member.answer.set_exception(lost)
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # cancellation or exit of the committing task itself


async def group_commit(work: Callable[[], Awaitable[T]], *, one_statement: bool = False,
                       engine: Engine | None = None) -> T:
    """Runs ``work`` (a function making this caller's writes with Piccolo queries) so that its
    writes are durable when this returns, and returns what ``work`` returned, or raises what it
    raised (e.g. a unique violation: see ``is_unique_violation``), with nothing of it stored.

    On SQLite every commit syncs the WAL to disk (``synchronous = FULL``), and the commits of
    one process queue on its writer connection. Here the callers that arrive while a commit is
    under way wait together, then the writer runs all their work in one transaction, each
    member's work in a SAVEPOINT of its own, and syncs once for all of them:

        BEGIN IMMEDIATE
        SAVEPOINT group_member; <member 1's statements>; RELEASE group_member
        SAVEPOINT group_member; <member 2's statements: a unique violation>;
            ROLLBACK TO group_member; RELEASE group_member    (member 2 only is undone)
        …
        COMMIT

    Each caller is answered after the COMMIT: with its result, with its own exception, or, if
    the transaction itself fails, with ``WriteGroupFailed`` (then nothing of the group is
    stored). A caller is never told its work is stored before it is, and an exception in one
    member's work undoes that member only.

    What ``work`` may do: write with Piccolo queries outside a transaction of its own (they run
    on the writer connection, inside the group's transaction) and let their exceptions
    propagate. It runs in the group's task, after other members' work: it should not read
    (reads go to the reader connection and do not see the group's uncommitted rows), nor
    depend on context variables of the caller, nor wait on anything slow.

    On PostgreSQL each connection commits on its own and the server already shares WAL
    flushes between concurrent commits, so ``work`` just runs, in a transaction of its own,
    or without one when it is a single statement (``one_statement=True``, atomic anyway: two
    round trips fewer). Inside a transaction, or inside another group member, ``work`` runs
    there directly.
    """
    engine = engine or engine_finder()
    assert engine is not None
    if engine.current_transaction.get() is not None or _writing_in_group.get() is engine:
        return await work()
    if isinstance(engine, PingyiSQLiteEngine):
        return await engine._write_group().run(work)
    if one_statement:
        return await work()
    async with engine.transaction():
        return await work()


def create_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return PingyiSQLiteEngine(path=str(path))
    return PingyiPostgresEngine(dsn=database_url)


def enable_wal(path: str) -> None:
    """WAL is a property of the file, set once; readers then never block the writer."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()


async def _no_reset(connection: Any) -> None:
    return None


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        # No reset query on every release (asyncpg's default costs a round trip per query):
        # the app keeps no session state — its advisory locks and SET TRANSACTION are scoped
        # to transactions, which asyncpg still rolls back if one is left open.
        await engine.start_connection_pool(min_size=2, max_size=10, reset=_no_reset)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        if engine.pool:
            await engine.close_connection_pool()
    elif isinstance(engine, PingyiSQLiteEngine):
        await engine.close_shared_connections()


@contextlib.asynccontextmanager
async def write_transaction(engine: Engine | None = None) -> AsyncIterator[None]:
    """A transaction that may read then write: on SQLite it must take the write lock up front
    (``BEGIN IMMEDIATE``), or it fails with SQLITE_BUSY instead of waiting its turn.

    Staff changes all go through here, so this is also where the few seconds of cached
    directory and period data are dropped (evaluation/core/cache.py)."""
    engine = engine or engine_finder()
    if isinstance(engine, SQLiteEngine):
        transaction = engine.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = engine.transaction()
    try:
        async with transaction:
            yield
    finally:
        cache.clear()


def is_postgres(engine: Engine | None = None) -> bool:
    return isinstance(engine or engine_finder(), PostgresEngine)


def contains(column: Any, text: str) -> Any:
    """A case-insensitive substring match on either engine (SQLite's LIKE already ignores
    ASCII case; Piccolo warns when asked for ILIKE there)."""
    pattern = "%" + text.replace("%", "").replace("_", "") + "%"
    return column.ilike(pattern) if is_postgres() else column.like(pattern)


def is_unique_violation(error: BaseException) -> bool:
    """A duplicate refused by a unique index, on either engine."""
    import asyncpg

    if isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(error)
