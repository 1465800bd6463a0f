"""Sessions: a new password ends the others, the CSRF token belongs to its session, the idle
timeout is exact, and what staff see is never kept by a cache."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import subprocess
import sys
import time

import msgspec
import pytest

from evaluation.core import web
from evaluation.core.web import SESSION_LAST_SEEN
from settings import PROJECT_DIR, settings
from tests.conftest import PASSWORD, text_of
from tests.core.test_cli import pingyi

NEW_PASSWORD = "a-brand-new-password"


def _signed_in(visitor) -> bool:
    return visitor.get("/staff", follow_redirects=False).status_code == 200


def test_office_resetting_a_password_ends_every_session_of_that_account(office, new_visitor, people):
    tablet, phone = new_visitor(), new_visitor()
    tablet.sign_in("liqiang")
    phone.sign_in("liqiang")
    assert _signed_in(tablet) and _signed_in(phone)
    assert office.post("/staff/accounts/liqiang/password", {"password": NEW_PASSWORD},
                       follow_redirects=False).status_code == 303
    for device in (tablet, phone):
        answer = device.get("/staff", follow_redirects=False)
        assert answer.status_code == 303 and "expired=1" in answer.headers["location"]
    assert _signed_in(office), "the office's own session is not the account's"
    tablet.sign_in("liqiang", NEW_PASSWORD)
    assert _signed_in(tablet)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(visitor, new_visitor, people):
    visitor.sign_in("liqiang")
    other = new_visitor()
    other.sign_in("liqiang")
    form = visitor.get("/staff/password")
    assert form.status_code == 200 and "当前密码" in text_of(form.text)
    saved = visitor.post("/staff/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert "密码已修改" in text_of(saved.text) and "其他设备" in text_of(saved.text)
    assert _signed_in(visitor)
    assert not _signed_in(other)
    visitor.post("/staff/logout")
    visitor.sign_in("liqiang", NEW_PASSWORD)


@pytest.mark.parametrize(("current", "new", "repeated", "message"), [
    ("not-my-password", NEW_PASSWORD, NEW_PASSWORD, "当前密码不正确"),
    (PASSWORD, NEW_PASSWORD, "something-else", "两次输入的新密码不一致"),
    (PASSWORD, "short", "short", "密码至少需要 8 个字符"),
])
def test_an_own_password_change_that_cannot_be_made_says_why_and_changes_nothing(
        visitor, people, current, new, repeated, message):
    visitor.sign_in("liqiang")
    refused = visitor.post("/staff/password", {"current": current, "new": new, "repeated": repeated})
    assert refused.status_code == 422 and message in text_of(refused.text)
    assert _signed_in(visitor)
    visitor.post("/staff/logout")
    visitor.sign_in("liqiang", PASSWORD)


def test_a_password_set_on_the_command_line_ends_open_sessions(visitor, people):
    visitor.sign_in("liqiang")
    assert pingyi("user", "password", "--username", "liqiang", "--password-stdin", stdin=NEW_PASSWORD + "\n") == 0
    assert not _signed_in(visitor)


def test_a_csrf_token_works_only_with_the_session_it_was_issued_to(visitor, new_visitor, people):
    visitor.sign_in("liqiang")
    office = new_visitor()
    office.sign_in("wangmin")
    # The inspector's own token, from their own cookie, works for them…
    assert visitor.post("/staff/password", {"current": "x", "new": "y", "repeated": "y"}).status_code == 422
    # …but the office's token (cookie and form alike) does not work in the inspector's session.
    stolen = office.client.cookies.get("csrftoken")
    visitor.client.cookies.set("csrftoken", stolen, domain="testserver.local")
    refused = visitor.client.post("/staff/password", data={"_csrf_token": stolen, "current": PASSWORD,
                                                           "new": NEW_PASSWORD, "repeated": NEW_PASSWORD})
    assert refused.status_code == 403 and "请刷新后重试" in text_of(refused.text)


def test_the_token_held_before_signing_in_is_worthless_after(visitor, people):
    before = visitor.csrf_token()
    visitor.sign_in("wangmin")
    after = visitor.client.cookies.get("csrftoken")
    assert after and after != before
    visitor.client.cookies.set("csrftoken", before, domain="testserver.local")
    refused = visitor.client.post("/staff/accounts/liqiang", data={"_csrf_token": before, "role": "office"})
    assert refused.status_code == 403


def _age_session(app, visitor, seconds: float) -> None:
    session_id = visitor.client.cookies.get("session")
    store = app.stores.get("sessions")

    async def age() -> None:
        data = msgspec.json.decode(await store.get(session_id))
        data[SESSION_LAST_SEEN] = time.time() - seconds
        await store.set(session_id, msgspec.json.encode(data))

    asyncio.run(age())


def test_the_idle_timeout_is_exact_to_the_configured_minutes(visitor, people, app):
    visitor.sign_in("wangmin")
    _age_session(app, visitor, 30 * 60 - 5)
    assert _signed_in(visitor), "29 minutes 55 seconds idle is within 30 minutes"
    # That request moved the idle clock on: another 29 minutes 55 seconds is fine again.
    _age_session(app, visitor, 30 * 60 - 5)
    assert _signed_in(visitor)
    _age_session(app, visitor, 30 * 60 + 2)
    expired = visitor.get("/staff/departments", follow_redirects=False)
    assert expired.status_code == 303 and "expired=1" in expired.headers["location"]
    assert "登录已超时" in text_of(visitor.get(expired.headers["location"]).text)


def test_staff_pages_are_never_kept_by_a_cache_and_public_ones_may_be(visitor, people, departments):
    assert "no-store" not in visitor.get("/").headers.get("cache-control", "")
    assert visitor.get("/staff/login").headers["cache-control"] == "no-store"
    visitor.sign_in("wangmin")
    for path in ("/staff", "/staff/accounts", "/staff/departments", "/inspect", "/"):
        assert visitor.get(path).headers["cache-control"] == "no-store", path
    # Static files keep their long life: they hold nothing personal.
    assert "max-age" in visitor.get("/static/app.css").headers["cache-control"]
    assert "strict-transport-security" not in visitor.get("/").headers


def test_https_is_insisted_on_once_cookies_are_secure(visitor, monkeypatch):
    monkeypatch.setattr(web, "settings", dataclasses.replace(settings, secure_cookies=True))
    assert visitor.get("/").headers["strict-transport-security"].startswith("max-age=31536000")


@pytest.mark.skipif(not settings.is_sqlite, reason="the SQLite file's own permissions")
def test_the_sqlite_file_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    env = {**os.environ, "PINGYI_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'pingyi.sqlite'}"}
    subprocess.run([sys.executable, "cli.py", "migrate"], cwd=PROJECT_DIR, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "cli.py", "user", "create", "--username", "a", "--role", "office",
                    "--password-stdin"], input=b"long-enough-password\n", cwd=PROJECT_DIR, env=env, check=True,
                   capture_output=True)
    files = [path for path in tmp_path.iterdir() if path.name.startswith("pingyi.sqlite")]
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
