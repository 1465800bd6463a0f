"""Database engines: SQLite (default, one file) and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from evaluation.core import cache
from evaluation.core.sqlite_writer import SQLiteWriter, Work
from settings import settings

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Rows of a large import written per transaction: on SQLite a citizen's rating waits at most for
# one chunk (tens of milliseconds), not for the whole file.
IMPORT_CHUNK_ROWS = 500

T = TypeVar("T")


class DurableSQLiteConnection(sqlite3.Connection):
    """Every connection, however it is opened, gets the pragmas durability depends on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA synchronous = FULL")
        self.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")


class PingyiSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, but reads outside a transaction reuse one open connection per
    event loop instead of opening a connection per query (~1 ms each), and every write outside
    a transaction goes through the process's one writer (evaluation/core/sqlite_writer.py),
    grouped with the writes of the same moment. Transactions still get a connection of their own
    (Piccolo's ``transaction()``). Overrides the private ``_run_in_new_connection``: Piccolo is
    pinned exactly for it."""

    def __init__(self, path: str) -> None:
        super().__init__(path=path, factory=DurableSQLiteConnection, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        self.writer = SQLiteWriter(self.connection_kwargs)
        self._readers: dict[asyncio.AbstractEventLoop, aiosqlite.Connection] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def _reader(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        reader = self._readers.get(loop)
        if reader is not None:
            return reader
        async with self._opening.setdefault(loop, asyncio.Lock()):
            reader = self._readers.get(loop)
            if reader is None:
                reader = await aiosqlite.connect(**self.connection_kwargs)
                reader.row_factory = dict_factory  # type: ignore[assignment]
                self._readers[loop] = reader
        return reader

    async def close_shared_connections(self) -> None:
        loop = asyncio.get_running_loop()
        await self.writer.finish()
        self._opening.pop(loop, None)
        reader = self._readers.pop(loop, None)
        if reader is not None:
            await reader.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        values = args or []
        if query.lstrip()[:6].upper() == "SELECT":
            reader = await self._reader()
            return list(await reader.execute_fetchall(query, values))
        # Answered only once committed: nothing is acknowledged before it is durable.
        return await self.writer.run(lambda db: db.execute(query, values).fetchall())


class StatementConnections:
    """A few of a worker's pooled PostgreSQL connections, kept aside for single statements
    outside any transaction: a rating, a survey's response, a rate-limit count, the signed-in
    account's row, a checklist's save — the requests that come by the thousand.

    asyncpg's pool spends about 30 µs of CPU lending and taking back a connection (a proxy
    object, a future, a shielded task, an inactivity timer), a tenth of a survey response's
    whole cost (bench/README.md, "Surveys"). These statements need none of it: each commits on
    its own and leaves no session state behind, so any connection will do. Up to ``size`` of
    the pool's connections, taken as statements first overlap that much, are kept and passed
    from one statement to the next through a plain queue, whose places each hold a connection or
    None (one to take from the pool when needed); the worker's connections stay the pool's
    number (``PINGYI_DB_CONNECTIONS``). A connection lost or interrupted halfway goes back to
    the pool closed, and its place takes a fresh one next time. Transactions, and everything
    Piccolo runs, use the rest of the pool.
    """

    def __init__(self, pool: Any, size: int) -> None:
        self._pool = pool
        self._closed = False
        self._places: asyncio.Queue[Any] = asyncio.Queue()
        for _ in range(size):
            self._places.put_nowait(None)

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, args)

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return await self._run("fetchrow", query, args)

    async def fetch(self, query: str, *args: Any) -> Any:
        return await self._run("fetch", query, args)

    async def execute(self, query: str, *args: Any) -> Any:
        return await self._run("execute", query, args)

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        connection = await self._places.get()
        try:
            if connection is None or not _open(connection):
                connection = None
                connection = await self._pool.acquire()
            result = await getattr(connection, method)(query, *args)
        except asyncpg.PostgresError:
            # The server refused the statement (a unique violation, say): the connection is
            # as good as before, and a lost one is found closed next time.
            await self._give_back(connection)
            raise
        except BaseException:
            # Lost, cancelled while the server may still be working on it, or never taken.
            if connection is not None:
                with contextlib.suppress(asyncpg.InterfaceError):
                    connection.terminate()  # the pool takes back a connection that ends
            await self._give_back(None)
            raise
        await self._give_back(connection)
        return result

    async def _give_back(self, connection: Any) -> None:
        if self._closed and connection is not None:
            await _release(self._pool, connection)  # the worker is stopping
            connection = None
        self._places.put_nowait(connection)

    async def close(self) -> None:
        """Before the pool closes: the connections go back to it."""
        self._closed = True
        while not self._places.empty():
            connection = self._places.get_nowait()
            if connection is not None:
                await _release(self._pool, connection)


def _open(connection: Any) -> bool:
    try:
        return not connection.is_closed()
    except asyncpg.InterfaceError:
        return False  # it ended (a server restart, a network cut) and the pool took it back


async def _release(pool: Any, connection: Any) -> None:
    with contextlib.suppress(asyncpg.InterfaceError):  # taken back already, when it ended
        await pool.release(connection)


class PingyiPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine with one connection pool per event loop, and the statement
    connections beside it (``StatementConnections``).

    An asyncpg pool belongs to the loop that made it. The app's pool lives in the server's
    loop; a command or test running its own loop next to it must not borrow that pool.
    """

    def __init__(self, dsn: str) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        self._statements: dict[asyncio.AbstractEventLoop, StatementConnections] = {}
        super().__init__(config={"dsn": dsn}, extensions=())

    @property
    def statements(self) -> StatementConnections | None:
        try:
            return self._statements.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

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


async def group_commit(work: Work[T], engine: Engine | None = None) -> T:
    """SQLite: ``work`` (a function of the ``sqlite3.Connection``) committed by the process's one
    writer together with the writes of the same moment, each in a savepoint of its own; returns
    what ``work`` returned, or raises what it raised (e.g. a unique violation: see
    ``is_unique_violation``) with nothing of it stored, or ``WriteGroupFailed`` when the group's
    transaction is lost. See evaluation/core/sqlite_writer.py.

    Inside a transaction of this task ``work`` runs there, on the transaction's connection, and
    is committed (or undone) with it. PostgreSQL has no use for it (each connection commits on
    its own and the server shares WAL flushes between concurrent commits): its callers write
    their one statement straight on the pool.
    """
    engine = engine or engine_finder()
    assert isinstance(engine, PingyiSQLiteEngine), "group_commit is SQLite's"
    transaction = engine.current_transaction.get()
    if transaction is not None:
        # aiosqlite runs each call on its connection's own thread: the work goes there too.
        connection = transaction.connection
        return await connection._execute(work, connection._conn)
    return await engine.writer.run(work)


def create_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return PingyiSQLiteEngine(path=str(path))
    return PingyiPostgresEngine(dsn=database_url)


def enable_wal(path: str) -> None:
    """WAL is a property of the file, set once; readers then never block the writer.

    The file holds password hashes: it is made readable by its owner only, and SQLite gives its
    -wal and -shm files the database file's permissions."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
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
        size = settings.database_connections
        await engine.start_connection_pool(min_size=min(2, size), max_size=size, reset=_no_reset)
        if isinstance(engine, PingyiPostgresEngine):
            # Two thirds of them may be kept by single statements; the rest serve Piccolo (pages,
            # transactions).
            lane = StatementConnections(engine.pool, max(1, size * 2 // 3))
            engine._statements[asyncio.get_running_loop()] = lane


def statements(engine: Engine) -> StatementConnections | None:
    """Where a single statement of this task goes when it can skip the pool: PostgreSQL, the
    server running (a command has none), and no transaction of this task open."""
    if isinstance(engine, PingyiPostgresEngine) and engine.current_transaction.get() is None:
        return engine.statements
    return None


async def stop(engine: Engine) -> None:
    if isinstance(engine, PingyiPostgresEngine):
        lane = engine._statements.pop(asyncio.get_running_loop(), None)
        if lane is not None:
            await lane.close()
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
    try:
        async with immediate_transaction(engine):
            yield
    finally:
        cache.clear()


async def write_in_chunks(rows: Sequence[T], write: Callable[[Sequence[T]], Awaitable[None]],
                          size: int = IMPORT_CHUNK_ROWS) -> None:
    """A large import's rows written ``size`` at a time, each chunk in a write transaction of its
    own, so that other writers (citizens' ratings, inspectors' saves) take their turn between two
    chunks instead of waiting for the whole file. Check the whole file before calling: a file is
    refused whole before anything is written. Should the database fail between two chunks, the
    earlier chunks stay written; the caller makes its import safe to run again."""
    for start in range(0, len(rows), size):
        async with write_transaction():
            await write(rows[start:start + size])
        await asyncio.sleep(0)  # let what queued behind the chunk run before the next one


@contextlib.asynccontextmanager
async def immediate_transaction(engine: Engine | None = None) -> AsyncIterator[None]:
    """A transaction holding the write lock from its start. On SQLite it also holds this process's
    writer lock, so it never waits in SQLite's busy back-off behind this process's own writer
    (evaluation/core/sqlite_writer.py); a transaction inside it just joins it."""
    engine = engine or engine_finder()
    if engine.current_transaction.get() is not None:
        yield
        return
    if isinstance(engine, PingyiSQLiteEngine):
        async with engine.writer.lock(), engine.transaction(transaction_type=TransactionType.immediate):
            yield
    elif isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


@contextlib.asynccontextmanager
async def triggers_set_aside(tables: list[str], engine: Engine | None = None) -> AsyncIterator[None]:
    """The guarding triggers of these tables off, for what only an administrator does to them
    (restoring a backup into an empty database writes sealed rows as they were), then back on.
    Call inside the transaction of that work: on PostgreSQL the switch is part of it."""
    engine = engine or engine_finder()
    if is_postgres(engine):
        for table in tables:
            await engine.run_ddl(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        try:
            yield
        finally:
            for table in tables:
                await engine.run_ddl(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        return
    names = ", ".join(f"'{table}'" for table in tables)
    triggers = await engine.run_ddl(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({names})")
    for trigger in triggers:
        await engine.run_ddl(f'DROP TRIGGER "{trigger["name"]}"')
    try:
        yield
    finally:
        for trigger in triggers:
            await engine.run_ddl(trigger["sql"])


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
