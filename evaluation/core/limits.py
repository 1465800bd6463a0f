"""Per-address brakes (rate limits): counters in fixed windows, one atomic step per hit.

A brake is named (``"rating"``, ``"sign-in"``, ``"panel-code"`` …) and counts hits of a key (an
address, an address and a department) within a window of its length. ``hit`` adds one and says
whether the hit is within the limit, and when the window ends (for ``Retry-After``). Where the
count lives depends on how the app runs (PRODUCT.md, Settled questions):

- one worker without Redis: this process's memory;
- Redis (``REDIS_URL``): ``INCR`` with an expiry, shared by every worker;
- several workers without Redis: the database, one row per name, key and window, added to by
  ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` — atomic on both engines.

A brake is not a guarantee (one rating per browser is the database's unique index); it stops a
flood and, on sign-in, spares the server from hashing made-up passwords all day. ``give_back``
takes a hit back (a panel code that was right, a sign-in that succeeded).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from piccolo.engine.finder import engine_finder

from evaluation.core.database import group_commit, is_postgres, statements
from evaluation.core.tables import RateCount
from settings import settings

_UPSERT = (
    "INSERT INTO rate_count (name, key, window_start, hits) VALUES ({}, {}, {}, 1)"
    " ON CONFLICT (name, key, window_start) DO UPDATE SET hits = rate_count.hits + 1 RETURNING hits"
)
_GIVE_BACK = "UPDATE rate_count SET hits = hits - 1 WHERE name = {} AND key = {} AND window_start = {} AND hits > 0"
_FORGET = "DELETE FROM rate_count WHERE window_start < {}"
_INCR_WITH_EXPIRY = (
    "local hits = redis.call('INCR', KEYS[1]) "
    "if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return hits"
)
_SWEEP_EVERY = 1_000  # hits between two sweeps of ended windows


@dataclass(frozen=True)
class Hit:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def _window(seconds: int, now: float) -> int:
    return int(now) // seconds * seconds


class _Memory:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        self.since_sweep = 0

    async def add(self, name: str, key: str, window: int, seconds: int) -> int:
        # No await between reading and writing: nothing else runs in between.
        entry = (name, key, window)
        self.counts[entry] = self.counts.get(entry, 0) + 1
        self.since_sweep += 1
        if self.since_sweep >= _SWEEP_EVERY:
            now = time.time()
            self.counts = {k: v for k, v in self.counts.items() if k[2] + 86_400 > now}
            self.since_sweep = 0
        return self.counts[entry]

    async def take_back(self, name: str, key: str, window: int) -> None:
        entry = (name, key, window)
        if self.counts.get(entry, 0) > 0:
            self.counts[entry] -= 1


class _Redis:
    """One client per event loop: a client's connections belong to the loop that opened them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def _client(self) -> Any:
        from redis.asyncio import Redis

        loop = asyncio.get_running_loop()
        client = self.clients.get(loop)
        if client is None:
            client = self.clients[loop] = Redis.from_url(self.url)
        return client

    async def close(self) -> None:
        client = self.clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    @staticmethod
    def _key(name: str, key: str, window: int) -> str:
        return f"pingyi:limit:{name}:{window}:{key}"

    async def add(self, name: str, key: str, window: int, seconds: int) -> int:
        # One round trip and one command, atomic on the server (rather than a MULTI/EXEC pipeline
        # of INCR and EXPIRE); the window's first hit sets the expiry.
        count = await self._client().eval(_INCR_WITH_EXPIRY, 1, self._key(name, key, window), seconds * 2)
        return int(count)

    async def take_back(self, name: str, key: str, window: int) -> None:
        counter = self._key(name, key, window)
        client = self._client()
        if int(await client.get(counter) or 0) > 0:
            await client.decr(counter)


class _Database:
    def __init__(self) -> None:
        self.since_sweep = 0

    async def add(self, name: str, key: str, window: int, seconds: int) -> int:
        self.since_sweep += 1
        if self.since_sweep >= _SWEEP_EVERY:
            self.since_sweep = 0
            await RateCount.raw(_FORGET, int(time.time()) - 86_400)
        if is_postgres():
            lane = statements(engine_finder())
            if lane is not None:
                return await lane.fetchval(_UPSERT.format("$1", "$2", "$3"), name, key, window)
            rows = await RateCount.raw(_UPSERT, name, key, window)
            return rows[0]["hits"]
        statement = _UPSERT.replace("{}", "?")
        return await group_commit(lambda db: db.execute(statement, (name, key, window)).fetchone()["hits"])

    async def take_back(self, name: str, key: str, window: int) -> None:
        await RateCount.raw(_GIVE_BACK, name, key, window)


_backend: Any = None


def _store() -> Any:
    global _backend
    if _backend is None:
        if settings.redis_url:
            _backend = _Redis(settings.redis_url)
        elif settings.workers == 1:
            _backend = _Memory()
        else:
            _backend = _Database()
    return _backend


async def hit(name: str, key: str, limit: int, window_seconds: int) -> Hit:
    """Counts one hit of ``key`` for the brake ``name``; allowed while the window's count is
    within ``limit``."""
    now = time.time()
    window = _window(window_seconds, now)
    count = await _store().add(name, key, window, window_seconds)
    return Hit(allowed=count <= limit, count=count, retry_after=max(1, window + window_seconds - int(now)))


async def give_back(name: str, key: str, window_seconds: int) -> None:
    """Takes one hit of this window back: the attempt turned out to be a rightful one."""
    await _store().take_back(name, key, _window(window_seconds, time.time()))


async def stop() -> None:
    """Closes what this event loop opened (a Redis client): the app stopping, a command's end."""
    if isinstance(_backend, _Redis):
        await _backend.close()


def forget_in_memory() -> None:
    """Starts the counts of this process afresh (the tests: each starts with no hits counted)."""
    global _backend
    _backend = None
