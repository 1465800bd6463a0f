"""SQLite's one writer per process, and the group commit it makes.

On SQLite every commit syncs the WAL to disk (``synchronous = FULL``) and a database file admits
one writer at a time. This process writes through one connection on one thread: the callers that
arrive while a commit is under way wait together, then the writer runs all their work in one
transaction, each caller's work in a SAVEPOINT of its own, and syncs once for all of them:

    BEGIN IMMEDIATE
    SAVEPOINT member; <caller 1's statements>; RELEASE member
    SAVEPOINT member; <caller 2's statements: a unique violation>;
        ROLLBACK TO member; RELEASE member        (caller 2 only is undone)
    …
    COMMIT

Each caller is answered after the COMMIT: with its result, with its own exception, or, when the
transaction itself is lost (SQLite rolls it back by itself on a full disk or an I/O error),
with ``WriteGroupFailed``, and then nothing of the group is stored. A caller is never told its
work is stored before it is, and an exception in one caller's work undoes that caller's only.

A caller's work is a plain function of the ``sqlite3.Connection``: it runs on the writer's
thread, inside the group's transaction, so its reads see what the group wrote before it (a
checklist save reads the item it is about to change under the write lock), and a whole group
costs one trip to the thread, not one per statement. The first caller after a quiet moment is
committed at once, alone: there is no timer, so no added delay.

Every other write of the process that is not a transaction of its own (Piccolo's autocommit
statements) goes through the same writer as a group member of one statement; the staff's
transactions (``database.write_transaction``) and the audit sealer take the process's writer
lock, so this process's writers never wait for each other in SQLite's busy back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from piccolo.engine.sqlite import dict_factory

# At most this many callers share one group (one transaction).
GROUP_MAX_MEMBERS = 128

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


class WriteGroupFailed(Exception):
    """The group's transaction did not commit: nothing of this caller's work is stored."""


class _Connection:
    """The writer's connection to one database file, opened on the writer's thread and only ever
    used there, opened again if the file was replaced (a restore)."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self.kwargs = connection_kwargs
        self.inode: int | None = None
        self.db: sqlite3.Connection | None = None

    def get(self) -> sqlite3.Connection:
        inode = os.stat(self.kwargs["database"]).st_ino
        if self.db is None or inode != self.inode:
            if self.db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self.db.close()
            self.db = sqlite3.connect(**{**self.kwargs, "check_same_thread": False})
            self.db.row_factory = dict_factory
            self.inode = inode
        return self.db


def _commit(connection: _Connection, works: list[Work[Any]]) -> list[tuple[bool, Any]]:
    """On the writer's thread: every work in one transaction, each in a savepoint. Returns
    (succeeded, result or exception) per work; raises when the transaction itself is lost."""
    db = connection.get()
    outcomes: list[tuple[bool, Any]] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        for work in works:
            db.execute("SAVEPOINT member")
            try:
                result = work(db)
            except Exception as error:
                if db.in_transaction:
                    db.execute("ROLLBACK TO member")
                    db.execute("RELEASE member")
                outcomes.append((False, error))
            else:
                db.execute("RELEASE member")
                outcomes.append((True, result))
            if not db.in_transaction:
                raise WriteGroupFailed("the group's transaction was rolled back")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise
    return outcomes


@dataclass
class _Member:
    work: Work[Any]
    answer: asyncio.Future[Any]


class SQLiteWriter:
    """The one writer of a database file in this process: its thread and its connection, shared
    by every event loop of the process (the groups of each loop queue for the thread)."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self.connection = _Connection(connection_kwargs)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = weakref.WeakKeyDictionary()
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def lock(self) -> asyncio.Lock:
        """Held by a group while it commits, and by this loop's transactions and sealing."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def run(self, work: Work[T]) -> T:
        """``work`` committed with the group of this moment; its result, or its own exception
        with nothing of it stored, or ``WriteGroupFailed``."""
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group(self)
        return await group.run(work)

    async def finish(self) -> None:
        """Waits for this loop's groups under way (the app stopping)."""
        group = self._groups.pop(asyncio.get_running_loop(), None)
        if group is not None and group.committer is not None:
            await asyncio.gather(group.committer, return_exceptions=True)


class _Group:
    """The callers of one event loop waiting for the writer, and the task that commits them."""

    def __init__(self, writer: SQLiteWriter) -> None:
        self.writer = writer
        self.waiting: list[_Member] = []
        self.committer: asyncio.Task[None] | None = None

    async def run(self, work: Work[T]) -> T:
        member = _Member(work, asyncio.get_running_loop().create_future())
        self.waiting.append(member)
        if self.committer is None or self.committer.done():
            # A task of its own, not the caller's: a caller that goes away (a closed connection
            # cancels its request) must not take the other members' transaction with it.
            self.committer = asyncio.create_task(self._commit_while_waiting())
        return await member.answer

    async def _commit_while_waiting(self) -> None:
        while self.waiting:
            group = self.waiting[:GROUP_MAX_MEMBERS]
            del self.waiting[:GROUP_MAX_MEMBERS]
            await self._commit([member for member in group if not member.answer.done()])

    async def _commit(self, group: list[_Member]) -> None:
        if not group:
            return  # every caller went away before its turn: nothing written
        loop = asyncio.get_running_loop()
        try:
            async with self.writer.lock():
                outcomes = await loop.run_in_executor(self.writer.thread, _commit, self.writer.connection,
                                                      [member.work for member in group])
        except BaseException as failure:  # cancellation too: no caller may wait for ever
            # Nothing of the group is stored, whatever each work did: even a member refused as a
            # duplicate may have collided with another member's row that is now gone.
            for member in group:
                if not member.answer.done():
                    lost = WriteGroupFailed(f"the group commit failed: {failure!r}")
                    lost.__cause__ = failure
                    member.answer.set_exception(lost)
            if not isinstance(failure, Exception):
                raise  # cancellation or exit of the committing task itself
            return
        # Answered only now, after the COMMIT. A member whose caller was cancelled has nobody to answer.
        for member, (succeeded, outcome) in zip(group, outcomes, strict=True):
            if member.answer.done():
                continue
            if succeeded:
                member.answer.set_result(outcome)
            else:
                member.answer.set_exception(outcome)
