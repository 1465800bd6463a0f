"""What a reader's open interview page asks every few seconds: is there anything new?

Why htmx polling and not server-sent events. A reader of a live interview needs new answers
within seconds, not milliseconds. A server-sent event stream holds one open connection, and a
waiting task, per reader for the whole interview: 2,000 readers are 2,000 connections held by
one uvicorn worker, and every change has to be pushed through all of them by the worker that
holds them, which with several workers needs a broker (Redis) between them. A poll every 5 s is
a short request that holds nothing between polls: 2,000 readers are 400 requests a second, and
the one that finds nothing new is answered 204 from this worker's memory, with no query and no
template (bench/interviews.py measures it). It also survives a phone's flaky network and proxies
that cut long connections, and needs no JavaScript beyond htmx.

How a worker knows without a query. Every write that changes what the public page shows (an
approved question, an answer, a state move, a change of the interview) adds one to the
interview's ``live_version`` in the same transaction. Each worker keeps the versions of the
interviews that can change (collecting, live, just closed) in memory and reads them again, all
in one small query, at most once a second, when a poll arrives after that second; the worker
that made a write forgets its copy at once. So a poll is answered from memory, and a change made
through any worker is seen by every worker within a second.

And the polls that do find something new: after a change every reader's next poll asks for the
same new part of the page. The worker renders it once per version (and language) and hands the
same text to every reader after that (``rendered``); the polls that arrive while that one render
is under way wait for it rather than query too (``render_once``: on a busy database, hundreds of
polls a second each starting the same four queries would queue on the connection pool for
seconds). So a change costs each worker a few queries and one render, not one per reader.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from evaluation.interviews.tables import Interview, Status

REFRESH_SECONDS = 1.0
# The states whose public page polls (and a closed one, so open pages learn that it ended).
POLLED = (Status.collecting.value, Status.live.value, Status.closed.value)


class LiveVersions:
    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        self._read_at = float("-inf")
        self._reading = False

    async def current(self, code: str) -> int | None:
        """The interview's version as this worker last read it; None when it does not know
        (the caller then reads the database)."""
        if time.monotonic() - self._read_at >= REFRESH_SECONDS and not self._reading:
            # One request reads for all; the others meanwhile answer from the copy they have.
            self._reading = True
            try:
                rows = await Interview.select(Interview.code, Interview.live_version).where(
                    Interview.status.is_in(list(POLLED)) & Interview.published_at.is_not_null())
                self._versions = {row["code"]: row["live_version"] for row in rows}
                self._read_at = time.monotonic()
            finally:
                self._reading = False
        return self._versions.get(code)

    def saw(self, code: str, version: int) -> None:
        """A request read the interview from the database: its version is the newest this
        worker knows (a write of another worker meanwhile is caught by the next refresh)."""
        if version > self._versions.get(code, -1):
            self._versions[code] = version

    def forget(self, code: str) -> None:
        """This worker changed the interview: its next poll reads the database."""
        self._versions.pop(code, None)

    def clear(self) -> None:
        self._versions.clear()
        self._read_at = float("-inf")
        rendered.clear()


versions = LiveVersions()

# (code, language) → (version, the rendered part of the page): the newest version only.
rendered: dict[tuple[str, str], tuple[int, str]] = {}


def rendered_for(code: str, language: str, version: int | None) -> str | None:
    if version is None:
        return None
    kept = rendered.get((code, language))
    return kept[1] if kept is not None and kept[0] == version else None


# The render under way per event loop, interview and language (a test client runs each app in
# a loop of its own; a future belongs to one loop).
_rendering: dict[tuple[asyncio.AbstractEventLoop, str, str], asyncio.Future[str | None]] = {}


async def render_once(code: str, language: str, render: Callable[[], Awaitable[str | None]]) -> str | None:
    """``render()``'s result, shared with every caller that asks while it runs. None: the
    interview is not there (or the render failed, and each caller then tries itself)."""
    key = (asyncio.get_running_loop(), code, language)
    running = _rendering.get(key)
    if running is not None:
        html = await asyncio.shield(running)
        if html is not None:
            return html
        return await render()
    future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    _rendering[key] = future
    html = None
    try:
        html = await render()
        return html
    finally:
        del _rendering[key]
        future.set_result(html)


def keep_rendered(code: str, language: str, version: int, html: str) -> None:
    kept = rendered.get((code, language))
    if kept is None or kept[0] <= version:
        rendered[(code, language)] = (version, html)
