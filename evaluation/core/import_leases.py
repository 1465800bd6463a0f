"""Whether the process writing a large import is still alive.

An import written in chunks (``database.write_in_chunks``) is marked complete only by its last
transaction; until then its rows count nowhere. If its process dies between two chunks, the rows
written so far are left behind, and whoever finds them must know that nobody is still writing
them before deleting them: a lease, held by the writing process for as long as the import runs,
answers that exactly, whatever the clock says and however long a chunk waits for its turn.

- SQLite: an exclusive ``flock`` on a file beside the database file (every process that opens
  the database opens it from this host). The kernel releases it when the process ends, killed or
  not.
- PostgreSQL: a session advisory lock taken on a connection of its own, which the server
  releases when the connection ends (the process ended, or the network is gone).

A lease is named by a random token kept on the import's row: the lease exists before the row,
so no process ever sees the row without its lease while the writer lives.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder

from evaluation.core.database import is_postgres

# The advisory locks' first key: the leases' own space, apart from any other advisory lock.
_ADVISORY_SPACE = 0x1A9


def _directory(engine: Engine) -> Path:
    return Path(str(engine.connection_kwargs["database"]) + "-imports")


def _path(engine: Engine, token: str) -> Path:
    return _directory(engine) / f"{token}.lock"


def _advisory_key(token: str) -> int:
    return int.from_bytes(hashlib.sha256(token.encode()).digest()[:4], "big", signed=True)


@contextlib.asynccontextmanager
async def held(engine: Engine | None = None) -> AsyncIterator[str]:
    """A new lease, held until the block ends; yields its token (to keep on the import's row)."""
    engine = engine or engine_finder()
    token = secrets.token_hex(16)
    if is_postgres(engine):
        connection = await asyncpg.connect(engine.config["dsn"])
        try:
            await connection.execute("SELECT pg_advisory_lock($1, $2)", _ADVISORY_SPACE, _advisory_key(token))
            yield token
        finally:
            await connection.close()
        return
    path = _path(engine, token)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield token
    finally:
        path.unlink(missing_ok=True)
        os.close(descriptor)


async def abandoned(token: str, engine: Engine | None = None) -> bool:
    """True when no process holds the lease any more. On PostgreSQL, call inside the transaction
    that cleans up after it: the lock taken to look is held until that transaction ends, so the
    lease cannot be taken again meanwhile (tokens are never reused anyway)."""
    engine = engine or engine_finder()
    if not token:
        return True
    if is_postgres(engine):
        rows = await engine.run_ddl(
            f"SELECT pg_try_advisory_xact_lock({_ADVISORY_SPACE}, {_advisory_key(token)}) AS free")
        return bool(rows[0]["free"])
    try:
        descriptor = os.open(_path(engine, token), os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing lets go of the lock, if it was taken
    _path(engine, token).unlink(missing_ok=True)
    return True
