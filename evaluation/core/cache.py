"""A few seconds of memory for what every public page reads and only the office changes
(the directory, department pages, the open period, the reasons list), and for the results
overview, which is costly to compute and may lag a few seconds.

Each worker keeps its own copy: a write clears this worker's copy at once, other workers see it
within ``TTL_SECONDS``. An expired entry is refreshed in the background while every request,
the one that noticed it included, keeps using the old value: a request waits for the database
only when nothing is kept (at start, after a staff write). Before, the request that noticed had
to wait for the refresh; on a busy machine that was the slowest one in fifty of the department
page (47 departments each expiring every 5 s, some 10 refreshes a second at 450 views a second).
What a citizen submits, and what the citizen is answered, is never cached; the overview of every
department's results (``results.shared_overview``) is, so a new rating shows there within those
seconds. A missing result (None) is never kept.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

TTL_SECONDS = 5.0
_entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
_refreshing: set[tuple[Any, ...]] = set()
_refreshes: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak references
_generation = 0  # raised by clear(): a refresh begun before a staff write does not store its old result

T = TypeVar("T")
log = logging.getLogger(__name__)


def cached(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        # The module too: two capabilities may each have a home_section() of their own.
        key = (function.__module__, function.__qualname__, *args, *sorted(kwargs.items()))
        hit = _entries.get(key)
        if hit is not None:
            if time.monotonic() - hit[0] >= TTL_SECONDS and key not in _refreshing:
                _refreshing.add(key)
                task = asyncio.get_running_loop().create_task(_refresh(key, function, args, kwargs, _generation))
                _refreshes.add(task)
                task.add_done_callback(_refreshes.discard)
            return hit[1]
        value = await function(*args, **kwargs)
        if value is not None:
            _entries[key] = (time.monotonic(), value)
        return value

    return wrapper


async def _refresh(key: tuple[Any, ...], function: Callable[..., Awaitable[Any]], args: tuple[Any, ...],
                   kwargs: dict[str, Any], generation: int) -> None:
    try:
        value = await function(*args, **kwargs)
    except Exception:
        # The old value stays; the next request after the expiry tries again.
        log.exception("refreshing %s failed", key[:2])
        return
    finally:
        _refreshing.discard(key)
    if generation != _generation:
        return
    if value is None:
        _entries.pop(key, None)  # gone (a department deactivated): the next request asks again
    else:
        _entries[key] = (time.monotonic(), value)


_on_clear: list[Callable[[], None]] = []


def on_clear(forget: Callable[[], None]) -> None:
    """Also run ``forget`` whenever the cache is cleared: for what a capability keeps of its own
    between requests (by ids that a restore can hand out again)."""
    _on_clear.append(forget)


def clear() -> None:
    global _generation
    _generation += 1
    _entries.clear()
    _refreshing.clear()
    for forget in _on_clear:
        forget()
