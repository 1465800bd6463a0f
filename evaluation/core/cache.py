"""A few seconds of memory for what every public page reads and only the office changes
(the directory, department pages, the open period, the reasons list).

Each worker keeps its own copy: a write clears this worker's copy at once, other workers see it
within ``TTL_SECONDS``. When an entry expires, one request refreshes it while the others keep
using the old value, so an expiry never makes every request queue on the database at once.
Nothing a citizen submits is cached, and a missing result (None) is never kept.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

TTL_SECONDS = 5.0
_entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
_refreshing: set[tuple[Any, ...]] = set()

T = TypeVar("T")


def cached(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        # The module too: two capabilities may each have a home_section() of their own.
        key = (function.__module__, function.__qualname__, *args, *sorted(kwargs.items()))
        hit = _entries.get(key)
        now = time.monotonic()
        if hit and (now - hit[0] < TTL_SECONDS or key in _refreshing):
            return hit[1]
        _refreshing.add(key)
        try:
            value = await function(*args, **kwargs)
        finally:
            _refreshing.discard(key)
        if value is not None:
            _entries[key] = (time.monotonic(), value)
        return value

    return wrapper


_on_clear: list[Callable[[], None]] = []


def on_clear(forget: Callable[[], None]) -> None:
    """Also run ``forget`` whenever the cache is cleared: for what a capability keeps of its own
    between requests (by ids that a restore can hand out again)."""
    _on_clear.append(forget)


def clear() -> None:
    _entries.clear()
    for forget in _on_clear:
        forget()
