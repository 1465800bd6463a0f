"""A few seconds of memory for what every public page reads and only the office changes
(the directory, the open period, the reasons list).

Each worker keeps its own copy: a write clears this worker's copy at once, other workers see it
within ``TTL_SECONDS``. Nothing a citizen submits is cached.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

TTL_SECONDS = 5.0
_entries: dict[tuple[Any, ...], tuple[float, Any]] = {}

T = TypeVar("T")


def cached(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        key = (function.__qualname__, *args, *sorted(kwargs.items()))
        hit = _entries.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < TTL_SECONDS:
            return hit[1]
        value = await function(*args, **kwargs)
        _entries[key] = (now, value)
        return value

    return wrapper


def clear() -> None:
    _entries.clear()
