"""The office manages staff accounts and roles."""

from __future__ import annotations

import time

from evaluation.core.tables import Account, AuditEntry
from tests.conftest import run, text_of


def test_office_creates_a_liaison_bound_to_a_department_who_can_then_sign_in(office, new_visitor):
    response = office.post("/staff/accounts", {"username": "wugang", "display_name": "吴刚", "role": "liaison",
                                                "department_code": "SZ03", "password": "eight-chars-ok"},
                           follow_redirects=False)
    assert response.status_code == 303
    liaison = new_visitor()
    liaison.sign_in("wugang", "eight-chars-ok")
    dashboard = text_of(liaison.get("/staff").text)
    assert "吴刚" in dashboard and "单位联络员" in dashboard
    assert "/departments/SZ03" in liaison.get("/staff").text


def test_passwords_shorter_than_eight_characters_are_refused(office):
    response = office.post("/staff/accounts", {"username": "short", "role": "inspector", "password": "1234567"})
    assert response.status_code == 422 and "密码至少需要 8 个字符" in text_of(response.text)
    assert not run(Account.exists().where(Account.username == "short"))


def test_a_liaison_needs_a_department_and_usernames_are_unique(office):
    no_department = office.post("/staff/accounts", {"username": "x1", "role": "liaison", "password": "long-enough"})
    assert "单位联络员必须绑定一个单位" in text_of(no_department.text)
    taken = office.post("/staff/accounts", {"username": "liqiang", "role": "inspector", "password": "long-enough"})
    assert taken.status_code == 422 and "用户名 liqiang 已被使用" in text_of(taken.text)


def test_office_deactivates_an_account_and_the_change_is_audited(office):
    office.post("/staff/accounts/liqiang", {"display_name": "李强", "role": "inspector"})
    assert not run(Account.select(Account.active).where(Account.username == "liqiang").first())["active"]
    entry = run(AuditEntry.select().where(AuditEntry.action == "account.update").first())
    assert entry["actor"] == "wangmin" and entry["target"] == "account:liqiang"
    assert '"active": true' in entry["old_value"] and '"active": false' in entry["new_value"]


def test_password_reset_is_audited_without_the_password(office, new_visitor):
    office.post("/staff/accounts/liqiang/password", {"password": "a-new-password"})
    inspector = new_visitor()
    inspector.sign_in("liqiang", "a-new-password")
    entry = run(AuditEntry.select().where(AuditEntry.action == "account.password").first())
    assert "a-new-password" not in entry["new_value"] and "pbkdf2" not in entry["new_value"]


def test_passwords_are_stored_hashed_at_the_production_cost(office, new_visitor):
    """The tests' own people have a cheap hash (tests/conftest.py); an account the app makes is
    hashed with 600,000 PBKDF2 rounds, and signing in with it costs what it costs in production."""
    office.post("/staff/accounts", {"username": "hashme", "role": "auditor", "password": "plain-text-pw"})
    stored = run(Account.select(Account.password).where(Account.username == "hashme").first())["password"]
    assert stored.startswith("pbkdf2_sha256$600000$") and "plain-text-pw" not in stored
    started = time.perf_counter()
    new_visitor().sign_in("hashme", "plain-text-pw")
    assert time.perf_counter() - started > 0.05  # the rounds are really spent


def test_only_the_office_manages_accounts(visitor, people):
    visitor.sign_in("zhaoli")
    assert visitor.get("/staff/accounts").status_code == 403
    refused = visitor.post("/staff/accounts", {"username": "x", "role": "office", "password": "long-enough"})
    assert refused.status_code == 403
    assert not run(Account.exists().where(Account.username == "x"))
