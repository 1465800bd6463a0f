"""The few seconds' copies of evaluation/core/cache.py: an expired copy is refreshed in the
background while every request keeps the old one; a staff write (clear) is seen at once, also
when a refresh begun before it ends after it."""

from __future__ import annotations

import asyncio

from evaluation.core import cache


def test_an_expired_copy_is_served_while_one_refresh_runs_in_the_background(monkeypatch):
    monkeypatch.setattr(cache, "TTL_SECONDS", 0.05)
    calls: list[int] = []
    release = asyncio.Event()

    @cache.cached
    async def directory() -> str:
        calls.append(len(calls))
        if len(calls) > 1:
            await release.wait()  # the database is slow right now
        return f"version {len(calls)}"

    async def visits() -> None:
        assert await directory() == "version 1"
        await asyncio.sleep(0.06)
        # Expired: no visitor waits for the slow refresh, and only one refresh runs.
        answers = await asyncio.wait_for(asyncio.gather(*(directory() for _ in range(10))), timeout=1)
        assert answers == ["version 1"] * 10 and len(calls) == 2
        release.set()
        await asyncio.sleep(0.01)
        assert await directory() == "version 2"

    asyncio.run(visits())


def test_a_staff_write_during_a_refresh_is_not_undone_by_the_refresh(monkeypatch):
    monkeypatch.setattr(cache, "TTL_SECONDS", 0.05)
    names = ["集宁区"]
    release = asyncio.Event()

    @cache.cached
    async def department() -> str:
        name = names[0]
        if not release.is_set() and name == "集宁区" and cache._refreshing:
            await release.wait()  # read before the write, answered after it
        return name

    async def visits() -> None:
        assert await department() == "集宁区"
        await asyncio.sleep(0.06)
        assert await department() == "集宁区"  # starts the refresh, which reads the old name
        await asyncio.sleep(0.01)
        names[0] = "集宁区人民政府"
        cache.clear()  # the office's write
        release.set()
        await asyncio.sleep(0.01)
        assert await department() == "集宁区人民政府"
        await asyncio.sleep(0.01)
        assert await department() == "集宁区人民政府"

    asyncio.run(visits())
