"""Many rating submissions at the same moment, against the app served by uvicorn.

One browser that loaded the page once (one voter cookie) and sends its rating fifty times at
once stores one rating, and every one of its fifty requests is answered: thanked once, told
"already rated" the other times, never an error. Fifty browsers sending at once store fifty.

Each test seeds its data (after the per-test emptying of the database), then starts its own
server on a free port of 127.0.0.1 over the test database, with the per-address rate limit
raised as for a load test and a var dir (secret key, rate-limit counts) of its own, and stops
it before the test ends.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from evaluation.ratings.ratings import VOTER_COOKIE
from evaluation.ratings.tables import Rating
from tests.conftest import CSRF_FIELD, ENGINE_NAME, run, text_of

SUBMISSIONS = 50
DEPARTMENT = "150902"
SERVER_START_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 60
# What htmx sends with the form: the answer is the fragment that replaces #rating.
HTMX_HEADERS = {"HX-Request": "true", "HX-Target": "rating", "HX-Current-URL": f"/departments/{DEPARTMENT}"}
THANKS = "感谢您的评价"
ALREADY_RATED = "评价过该单位"


def _client(base_url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=SUBMISSIONS, max_keepalive_connections=SUBMISSIONS)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS)


async def _load_the_page(client: httpx.AsyncClient) -> str:
    """What a browser does before it can rate: GET the page, which sets the voter id and the
    CSRF cookie. Returns the CSRF token the form carries."""
    page = await client.get(f"/departments/{DEPARTMENT}")
    assert page.status_code == 200, page.text
    assert client.cookies.get(VOTER_COOKIE), "the page did not give the browser a voter id"
    token = client.cookies.get("csrftoken")
    assert token, "the page did not set the CSRF cookie"
    return token


async def _rate(client: httpx.AsyncClient, token: str, level: str = "satisfied") -> httpx.Response:
    return await client.post(f"/departments/{DEPARTMENT}/ratings", data={"level": level, CSRF_FIELD: token},
                             headers=HTMX_HEADERS)


def _describe(responses: list[httpx.Response]) -> str:
    return ", ".join(f"{r.status_code}: {text_of(r.text)[:120]!r}" for r in responses[:5])


def _server_errors(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text(errors="replace").splitlines()
            if "Traceback" in line or "Error" in line]


async def _stored(voter_id: str | None = None) -> list[dict[str, object]]:
    query = Rating.select(Rating.voter_id, Rating.level, Rating.channel)
    if voter_id is not None:
        query = query.where(Rating.voter_id == voter_id)
    return await query


@pytest.mark.parametrize("workers", [1, 2])
def test_fifty_submissions_from_one_browser_store_one_rating(start_server, workers: int) -> None:
    base_url, log_path = start_server(workers)

    async def submit_all() -> tuple[str, list[httpx.Response]]:
        async with _client(base_url) as browser:
            token = await _load_the_page(browser)
            voter_id = browser.cookies[VOTER_COOKIE]
            levels = ["satisfied", "very_satisfied", "basic"]
            responses = await asyncio.gather(
                *(_rate(browser, token, levels[i % len(levels)]) for i in range(SUBMISSIONS))
            )
            return voter_id, list(responses)

    voter_id, responses = asyncio.run(submit_all())

    not_ok = [r for r in responses if r.status_code != 200]
    assert not not_ok, f"{len(not_ok)} of {SUBMISSIONS} were not answered 200 ({ENGINE_NAME}): {_describe(not_ok)}"
    texts = [text_of(r.text) for r in responses]
    thanked = [text for text in texts if THANKS in text]
    told_already = [text for text in texts if ALREADY_RATED in text]
    assert len(thanked) == 1, f"{len(thanked)} submissions were thanked, expected exactly one"
    assert len(told_already) == SUBMISSIONS - 1, f"the others were answered: {set(texts) - set(thanked)}"
    assert run(Rating.count()) == 1
    stored = run(_stored(voter_id))
    assert len(stored) == 1 and stored[0]["channel"] == "public"
    assert not _server_errors(log_path), "\n".join(_server_errors(log_path))


def test_fifty_browsers_submitting_at_once_store_fifty_ratings(start_server) -> None:
    base_url, log_path = start_server()

    async def submit_all() -> tuple[set[str], list[httpx.Response]]:
        browsers = [_client(base_url) for _ in range(SUBMISSIONS)]
        try:
            tokens = await asyncio.gather(*(_load_the_page(browser) for browser in browsers))
            voters = {browser.cookies[VOTER_COOKIE] for browser in browsers}
            responses = await asyncio.gather(*(_rate(b, t) for b, t in zip(browsers, tokens, strict=True)))
            return voters, list(responses)
        finally:
            await asyncio.gather(*(browser.aclose() for browser in browsers))

    voters, responses = asyncio.run(submit_all())

    assert len(voters) == SUBMISSIONS, "each browser gets a voter id of its own"
    not_ok = [r for r in responses if r.status_code != 200]
    assert not not_ok, f"{len(not_ok)} of {SUBMISSIONS} were not answered 200 ({ENGINE_NAME}): {_describe(not_ok)}"
    assert all(THANKS in text_of(r.text) for r in responses), _describe(responses)
    stored = run(_stored())
    assert len(stored) == SUBMISSIONS
    assert {row["voter_id"] for row in stored} == voters
    assert not _server_errors(log_path), "\n".join(_server_errors(log_path))


def test_browsers_at_once_with_one_sending_three_times_store_one_rating_each(start_server) -> None:
    """Concurrent ratings share commits on SQLite (database.group_commit): a duplicate among them
    is refused alone, kindly, and every other browser is thanked and stored."""
    base_url, log_path = start_server()
    browsers_count, repeats = 30, 3

    async def submit_all() -> tuple[set[str], list[httpx.Response]]:
        browsers = [_client(base_url) for _ in range(browsers_count)]
        try:
            tokens = await asyncio.gather(*(_load_the_page(browser) for browser in browsers))
            voters = {browser.cookies[VOTER_COOKIE] for browser in browsers}
            sends = [_rate(b, t) for b, t in zip(browsers, tokens, strict=True)]
            sends[10:10] = [_rate(browsers[0], tokens[0], "basic") for _ in range(repeats - 1)]
            return voters, list(await asyncio.gather(*sends))
        finally:
            await asyncio.gather(*(browser.aclose() for browser in browsers))

    voters, responses = asyncio.run(submit_all())

    not_ok = [r for r in responses if r.status_code != 200]
    assert not not_ok, f"{len(not_ok)} were not answered 200 ({ENGINE_NAME}): {_describe(not_ok)}"
    texts = [text_of(r.text) for r in responses]
    assert sum(THANKS in text for text in texts) == browsers_count
    assert sum(ALREADY_RATED in text for text in texts) == repeats - 1
    stored = run(_stored())
    assert len(stored) == browsers_count
    assert {row["voter_id"] for row in stored} == voters
    assert not _server_errors(log_path), "\n".join(_server_errors(log_path))
