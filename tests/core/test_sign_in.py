"""Staff sign in and out: sessions, lockout, inactive accounts, idle timeout, CSRF."""

from __future__ import annotations

import asyncio
import time

from evaluation.core.tables import Account, SignInFailure
from evaluation.core.web import SESSION_LAST_SEEN
from tests.conftest import run, text_of


def test_office_signs_in_and_reaches_the_dashboard(visitor, people):
    response = visitor.post("/staff/login", {"username": "wangmin", "password": "correct-horse-battery"},
                            follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    dashboard = text_of(visitor.get("/staff").text)
    assert "王敏" in dashboard and "政务公开办" in dashboard


def test_sign_in_issues_a_fresh_session_id(visitor, people):
    visitor.client.cookies.set("session", "chosen-by-an-attacker", domain="testserver.local")
    visitor.sign_in("wangmin")
    assert visitor.client.cookies.get("session") not in (None, "chosen-by-an-attacker")
    first = visitor.client.cookies.get("session")
    visitor.post("/staff/logout")
    visitor.sign_in("wangmin")
    assert visitor.client.cookies.get("session") != first


def test_signing_out_ends_the_session(visitor, people):
    visitor.sign_in("wangmin")
    old_session = visitor.client.cookies.get("session")
    assert visitor.post("/staff/logout", follow_redirects=False).status_code == 303
    response = visitor.get("/staff", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    # The old id is worthless even if replayed.
    visitor.client.cookies.set("session", old_session, domain="testserver.local")
    assert visitor.get("/staff", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_message(visitor, people):
    wrong = visitor.post("/staff/login", {"username": "wangmin", "password": "not-the-password"})
    unknown = visitor.post("/staff/login", {"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 422
    assert "用户名或密码不正确" in text_of(wrong.text)
    assert "用户名或密码不正确" in text_of(unknown.text)


def test_five_failures_lock_the_name_for_fifteen_minutes_known_or_not(visitor, people):
    for username in ("wangmin", "nobody"):
        for _ in range(5):
            visitor.post("/staff/login", {"username": username, "password": "wrong-password"})
        locked = visitor.post("/staff/login", {"username": username, "password": "correct-horse-battery"})
        assert locked.status_code == 422
        assert "登录失败次数过多，请 15 分钟后再试" in text_of(locked.text)
    assert visitor.get("/staff", follow_redirects=False).status_code == 303


def test_lockout_ends_after_the_window(visitor, people):
    for _ in range(5):
        visitor.post("/staff/login", {"username": "wangmin", "password": "wrong-password"})
    from datetime import timedelta

    from evaluation.core import clock

    run(SignInFailure.update({SignInFailure.failed_at: clock.now() - timedelta(minutes=16)}, force=True))
    visitor.sign_in("wangmin")
    assert run(SignInFailure.count()) == 0


def test_inactive_account_is_refused(visitor, people):
    run(Account.update({Account.active: False}).where(Account.username == "liqiang"))
    refused = visitor.post("/staff/login", {"username": "liqiang", "password": "correct-horse-battery"})
    assert refused.status_code == 422 and "用户名或密码不正确" in text_of(refused.text)


def test_deactivating_an_account_ends_its_open_session(visitor, new_visitor, people):
    visitor.sign_in("liqiang")
    assert visitor.get("/staff").status_code == 200
    run(Account.update({Account.active: False}).where(Account.username == "liqiang"))
    assert visitor.get("/staff", follow_redirects=False).status_code == 303


def test_idle_session_expires_after_thirty_minutes(visitor, people, app):
    visitor.sign_in("wangmin")
    assert visitor.get("/staff").status_code == 200
    session_id = visitor.client.cookies.get("session")
    store = app.stores.get("sessions")

    async def age_session() -> None:
        import msgspec

        data = msgspec.json.decode(await store.get(session_id))
        data[SESSION_LAST_SEEN] = time.time() - 31 * 60
        await store.set(session_id, msgspec.json.encode(data))

    asyncio.run(age_session())
    response = visitor.get("/staff", follow_redirects=False)
    assert response.status_code == 303 and "expired=1" in response.headers["location"]
    assert "登录已超时" in text_of(visitor.get(response.headers["location"]).text)


def test_sign_in_without_csrf_token_is_refused(visitor, people):
    response = visitor.client.post("/staff/login", data={"username": "wangmin", "password": "correct-horse-battery"})
    assert response.status_code == 403
    # A sign-in page left open (or its cookie cleared) is a page that expired, not a permission.
    assert "页面已过期，请刷新后重试" in text_of(response.text) and "没有权限" not in text_of(response.text)


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(visitor, people):
    asked = visitor.get("/staff/departments", follow_redirects=False)
    assert asked.headers["location"] == "/staff/login?next=/staff/departments"
    ok = visitor.post("/staff/login", {"username": "wangmin", "password": "correct-horse-battery",
                                        "next": "/staff/departments"}, follow_redirects=False)
    assert ok.headers["location"] == "/staff/departments"
    visitor.post("/staff/logout")
    evil = visitor.post("/staff/login", {"username": "wangmin", "password": "correct-horse-battery",
                                          "next": "//evil.example/"}, follow_redirects=False)
    assert evil.headers["location"] == "/staff"
