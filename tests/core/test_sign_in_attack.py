"""Sign-in under attack, against a live server with two workers: sixty attempts at once check
no more passwords than the lockout allows, made-up names from one address are braked, and a
locked name still signs in from the desk it used before."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evaluation.core.tables import SignInFailure
from tests.conftest import PASSWORD, run, text_of
from tests.core.test_cli import pingyi
from tests.live_server import LiveServer

LOCKED = "登录失败次数过多"
WRONG = "用户名或密码不正确"
BRAKED = "这个网络地址的登录尝试过多"
ADDRESS_TRIES = 20


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    env = {**os.environ, "PINGYI_VAR_DIR": str(tmp_path / "var"), "PINGYI_SIGN_IN_TRIES": str(ADDRESS_TRIES)}
    server = LiveServer(env=env, log_path=tmp_path / "uvicorn.log", workers=2)
    server.start()
    yield server
    server.stop()
    assert not server.error_lines(), server.log()


async def _attempts(base_url: str, attempts: list[tuple[str, str, str]],
                    ready: asyncio.Event | None = None) -> list[tuple[int, str]]:
    """(username, password, address) sent all at once; (status, visible text) of each answer.
    Every attempt is a browser of its own (a CSRF cookie each), from the address it names (the
    server believes X-Forwarded-For from 127.0.0.1, as from a reverse proxy)."""

    async def one(username: str, password: str, address: str) -> tuple[int, str]:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as browser:
            await browser.get("/healthz")
            token = browser.cookies["csrftoken"]
            await ready.wait()
            response = await browser.post(
                "/staff/login", data={"username": username, "password": password, "_csrf_token": token},
                headers={"X-Forwarded-For": address})
            return response.status_code, text_of(response.text)

    ready = ready or asyncio.Event()
    tasks = [asyncio.create_task(one(*attempt)) for attempt in attempts]
    await asyncio.sleep(1.0)  # every browser has its cookie: now all at once
    ready.set()
    return await asyncio.gather(*tasks)


def _sign_in(base_url: str, username: str, password: str, address: str) -> tuple[int, str]:
    return asyncio.run(_attempts(base_url, [(username, password, address)]))[0]


def test_sixty_attempts_at_once_check_no_more_passwords_than_the_lockout_allows(live, people):
    attempts = [("wangmin", "wrong-password", f"198.51.100.{n}") for n in range(60)]
    attempts[30] = ("wangmin", PASSWORD, "198.51.100.200")
    answers = asyncio.run(_attempts(live.base_url, attempts))
    # Five wrong passwords are checked at most. The right one is checked too when it comes before
    # the fifth failure (the lock counts failures), and signs in; after it, it is refused as locked.
    wrong = [status for status, text in answers if WRONG in text]
    signed_in = [status for status, text in answers if WRONG not in text and LOCKED not in text]
    assert len(wrong) <= 5, wrong
    assert signed_in in ([], [303]), signed_in
    assert sum(LOCKED in text for _status, text in answers) >= 54
    assert run(SignInFailure.count().where(SignInFailure.username == "wangmin")) <= 5
    # Afterwards the right password is refused too, from any address the account never used.
    status, text = _sign_in(live.base_url, "wangmin", PASSWORD, "198.51.100.201")
    assert status == 422 and LOCKED in text


def test_a_locked_name_still_signs_in_from_the_address_it_used_before(live, people):
    desk = "10.20.30.40"
    assert _sign_in(live.base_url, "wangmin", PASSWORD, desk)[0] == 303
    for n in range(8):
        _sign_in(live.base_url, "wangmin", "guessing", f"203.0.113.{n}")
    status, text = _sign_in(live.base_url, "wangmin", PASSWORD, "203.0.113.99")
    assert status == 422 and LOCKED in text
    # The stranger's failures do not count at the desk: the office signs in there.
    assert _sign_in(live.base_url, "wangmin", PASSWORD, desk)[0] == 303
    # …and the stranger is still locked out after that success.
    assert LOCKED in _sign_in(live.base_url, "wangmin", PASSWORD, "203.0.113.98")[1]


def test_failures_at_the_desk_lock_the_desk_until_the_office_unlocks_the_name(live, people, capsys):
    desk = "10.20.30.40"
    assert _sign_in(live.base_url, "wangmin", PASSWORD, desk)[0] == 303
    for _ in range(5):
        assert WRONG in _sign_in(live.base_url, "wangmin", "mistyped", desk)[1]
    assert LOCKED in _sign_in(live.base_url, "wangmin", PASSWORD, desk)[1]
    assert pingyi("user", "unlock", "--username", "wangmin") == 0
    assert "unlocked: wangmin" in capsys.readouterr().out
    assert _sign_in(live.base_url, "wangmin", PASSWORD, desk)[0] == 303


def test_made_up_names_from_one_address_are_braked_and_public_pages_stay_quick(live, people):
    async def flood_while_reading() -> tuple[list[tuple[int, str]], list[float]]:
        latencies: list[float] = []
        stop = asyncio.Event()

        flood = asyncio.Event()

        async def read_home() -> None:
            async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as reader:
                for _ in range(10):
                    await reader.get("/")  # both workers build the page's templates and caches
                await flood.wait()
                while not stop.is_set():
                    started = time.perf_counter()
                    assert (await reader.get("/")).status_code == 200
                    latencies.append(time.perf_counter() - started)
                    await asyncio.sleep(0.05)

        reading = asyncio.create_task(read_home())
        answers = await _attempts(
            live.base_url, [(f"nobody{n}", "whatever-it-is", "192.0.2.7") for n in range(60)], flood)
        stop.set()
        await reading
        return answers, latencies

    answers, latencies = asyncio.run(flood_while_reading())
    assert sum(WRONG in text for _status, text in answers) <= ADDRESS_TRIES
    assert sum(BRAKED in text for _status, text in answers) >= 60 - ADDRESS_TRIES
    assert all(status == 422 for status, _text in answers)
    # Passwords are hashed one at a time: the other core keeps serving citizens.
    assert statistics.median(latencies) < 0.25 and max(latencies) < 1.0, latencies
    # Another address is not held back by this one.
    assert _sign_in(live.base_url, "wangmin", PASSWORD, "192.0.2.8")[0] == 303
