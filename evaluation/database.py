"""Database engines: SQLite (default, one file) and PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from evaluation import cache

SQLITE_BUSY_TIMEOUT_SECONDS = 30


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
    """

    def __init__(self, path: str) -> None:
        super().__init__(path=path, factory=DurableSQLiteConnection, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        self._shared: dict[asyncio.AbstractEventLoop, tuple[aiosqlite.Connection, aiosqlite.Connection]] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

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
        is_read = query.lstrip()[:6].upper() == "SELECT"
        connection = reader if is_read else writer
        # execute and fetch in one step on the connection's thread: an autocommit statement
        # is committed before the call returns, so nothing is acknowledged before it is durable.
        rows = await connection.execute_fetchall(query, args or [])
        return list(rows)


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
    directory and period data are dropped (evaluation/cache.py)."""
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
