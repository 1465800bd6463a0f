"""Several staff save clashing interviews at the same moment, against the app served by uvicorn
with two workers: exactly one is saved, every other one is told which interview it clashes with
(PRODUCT.md §3: the database guarantees it, not a check before the insert)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evaluation.interviews.tables import Booking, Interview
from tests.conftest import CSRF_FIELD, PASSWORD, run, text_of
from tests.interviews.conftest import interview_form
from tests.live_server import LiveServer

SAVES = 8


@pytest.fixture
def server(cast: dict[str, int], tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(env={**os.environ, "PINGYI_VAR_DIR": str(tmp_path / "var")}, log_path=tmp_path / "uvicorn.log",
                      workers=2)
    live.start()
    yield live
    live.stop()


async def _signed_in(base_url: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=60)
    await client.get("/staff/login")
    response = await client.post("/staff/login", data={"username": "wangmin", "password": PASSWORD,
                                                        CSRF_FIELD: client.cookies["csrftoken"]})
    assert response.status_code == 303, response.text
    return client


async def _save_at_once(base_url: str, forms: list[dict]) -> list[httpx.Response]:
    # One staff member's browser each: they sign in first, then all press "save" together.
    clients = [await _signed_in(base_url) for _ in forms]
    try:
        return await asyncio.gather(*[
            client.post("/staff/interviews/new", data={**form, CSRF_FIELD: client.cookies["csrftoken"]})
            for client, form in zip(clients, forms, strict=True)
        ])
    finally:
        for client in clients:
            await client.aclose()


def test_concurrent_clashing_bookings_save_exactly_one(server, cast):
    forms = [interview_form(cast, f"race-{n}", starts=f"09:{n:02d}", ends="11:00", topic=f"同时保存 {n}")
             for n in range(SAVES)]
    responses = asyncio.run(_save_at_once(server.base_url, forms))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303] + [422] * (SAVES - 1), [text_of(r.text)[:200] for r in responses]
    winner = run(Interview.select(Interview.code).first())["code"]
    for response in responses:
        if response.status_code == 422:
            assert "在该时段已有安排" in text_of(response.text)
            assert f"（{winner}，" in text_of(response.text)
    assert run(Interview.count()) == 1
    assert run(Booking.count().where(Booking.person == cast["王海涛"])) == 1
    assert not server.error_lines(), server.log()
