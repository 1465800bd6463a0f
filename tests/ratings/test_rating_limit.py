"""The per-address brake on rating submissions (evaluation/core/limits.py): counted atomically in
each of its stores (this process's memory, the database shared by several workers, Redis), held
across workers, and refused without losing what the citizen typed."""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import httpx
import pytest

from evaluation.core import limits
from evaluation.core.tables import RateCount
from evaluation.ratings.tables import Rating
from settings import settings
from tests.conftest import CSRF_FIELD, run, text_of
from tests.ratings.test_rating_concurrency import HTMX_HEADERS

LIMIT = 20  # the default of PINGYI_RATINGS_PER_HOUR
HTMX = {"HX-Request": "true", "HX-Target": "rating"}


def _redis_runs() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def _empty_redis(url: str) -> list[int]:
    """Empties the Redis database at ``url``; returns the brakes' counts it held."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        counts = [int(await client.get(key)) for key in await client.keys("pingyi:limit:*")]
        await client.flushdb()
        return counts
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "database", "redis"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each place the counts can live, as the app chooses it (one worker; several; Redis)."""
    if request.param == "redis":
        if not _redis_runs():
            pytest.skip("no Redis on 127.0.0.1:6379")
        monkeypatch.setattr(limits, "settings", dataclasses.replace(settings, redis_url="redis://127.0.0.1:6379/15"))
    else:
        workers = 1 if request.param == "memory" else 2
        monkeypatch.setattr(limits, "settings", dataclasses.replace(settings, redis_url=None, workers=workers))
    limits.forget_in_memory()
    yield request.param
    limits.forget_in_memory()


def test_fifty_hits_at_once_allow_exactly_the_limit_in_every_store(store, departments):
    key = f"test-{store}-{id(store)}"

    async def fifty() -> list[limits.Hit]:
        hits = await asyncio.gather(*(limits.hit("test", key, LIMIT, 3600) for _ in range(50)))
        await limits.give_back("test", key, 3600)  # a rightful attempt gives its hit back
        return [*hits, await limits.hit("test", key, LIMIT, 3600)]

    hits = run(fifty())
    assert sum(hit.allowed for hit in hits[:50]) == LIMIT
    assert sorted(hit.count for hit in hits[:50]) == list(range(1, 51))
    assert not hits[50].allowed and hits[50].count == 50  # one back, one more: still over
    assert all(1 <= hit.retry_after <= 3600 for hit in hits)


def test_a_refused_rating_keeps_the_form_and_what_was_typed_and_says_how_long_to_wait(visitor, period):
    for _ in range(LIMIT):
        visitor.client.cookies.pop("voter", None)  # another browser at the same address
        visitor.get("/departments/150902")
        assert visitor.post("/departments/150902/ratings", {"level": "satisfied"}, headers=HTMX).status_code == 200
    visitor.client.cookies.pop("voter", None)
    visitor.get("/departments/150902")
    typed = {"level": "unsatisfied", "comment": "办事指南三年没更新了", "reason_text": "材料清单不对"}
    refused = visitor.post("/departments/150902/ratings", typed, headers=HTMX)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    shown = text_of(refused.text)
    assert "评价次数过多" in shown and "分钟后再提交" in shown
    assert "办事指南三年没更新了" in refused.text and 'value="unsatisfied" required checked' in refused.text
    assert run(Rating.count()) == LIMIT
    # Per address and department: another department is still open to this address.
    assert visitor.post("/departments/SZ03/ratings", {"level": "satisfied"}, headers=HTMX).status_code == 200


def test_without_javascript_a_refused_rating_comes_back_as_the_whole_page_with_the_form(visitor, period):
    for _ in range(LIMIT):
        visitor.client.cookies.pop("voter", None)
        visitor.get("/departments/150902")
        assert visitor.post("/departments/150902/ratings", {"level": "satisfied"},
                            follow_redirects=False).status_code == 303
    visitor.client.cookies.pop("voter", None)
    visitor.get("/departments/150902")
    refused = visitor.post("/departments/150902/ratings", {"level": "basic", "comment": "第一行\n第二行"},
                           follow_redirects=False)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 3600
    minutes = -(-int(refused.headers["retry-after"]) // 60)
    assert f"请 {minutes} 分钟后再提交" in text_of(refused.text)
    assert "<html" in refused.text and "第一行\n第二行</textarea>" in refused.text
    assert 'value="basic" required checked' in refused.text
    assert run(Rating.count()) == LIMIT


@pytest.mark.parametrize("counted_in", ["database", "redis"])
def test_the_limit_holds_across_two_workers(period, start_server, counted_in):
    redis_url = ""
    if counted_in == "redis":
        if not _redis_runs():
            pytest.skip("no Redis on 127.0.0.1:6379")
        redis_url = "redis://127.0.0.1:6379/14"
        asyncio.run(_empty_redis(redis_url))
    base_url, _log = start_server(workers=2, ratings_per_hour=LIMIT, redis_url=redis_url)

    async def thirty_browsers() -> list[int]:
        async def one() -> int:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                await client.get("/departments/150902")
                token = client.cookies.get("csrftoken")
                answer = await client.post("/departments/150902/ratings", data={"level": "basic", CSRF_FIELD: token},
                                           headers=HTMX_HEADERS)
                return answer.status_code

        return list(await asyncio.gather(*(one() for _ in range(30))))

    statuses = asyncio.run(thirty_browsers())
    assert statuses.count(200) == LIMIT and statuses.count(429) == 30 - LIMIT, statuses
    assert run(Rating.count()) == LIMIT
    if counted_in == "redis":
        assert asyncio.run(_empty_redis(redis_url)) == [30]  # one counter, shared by both workers
    else:
        assert run(RateCount.select(RateCount.hits).where(RateCount.name == "rating")) == [{"hits": 30}]

