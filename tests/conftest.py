# ruff: noqa: E402  (the environment must be set before the app modules are imported)
"""Test harness: a real database (SQLite file, or PostgreSQL when PINGYI_TEST_DATABASE_URL is set),
migrated once per run and emptied before each test; the app driven through HTTP.

The same people appear in every test: 王敏 (office), 赵立 (auditor), 李强 (inspector) and
陈静 (liaison of 集宁区).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

_VAR_DIR = Path(tempfile.mkdtemp(prefix="pingyi-test-"))
os.environ["PINGYI_VAR_DIR"] = str(_VAR_DIR)
os.environ["DATABASE_URL"] = os.environ.get("PINGYI_TEST_DATABASE_URL") or f"sqlite:///{_VAR_DIR / 'test.sqlite'}"
os.environ.pop("REDIS_URL", None)
# Tests open several app instances side by side, as several workers would be: they share
# sessions and rate-limit counts through the file stores.
os.environ["PINGYI_WORKERS"] = "2"
# Up to twenty of them at once (tests/ratings/test_panel.py), each with its own PostgreSQL
# connections: four each stays within the server's default 100, as an operator running that
# many workers would set it.
os.environ["PINGYI_DB_CONNECTIONS"] = "4"

from litestar.testing import TestClient
from piccolo.apps.user.tables import BaseUser

import piccolo_conf
from evaluation.core import cache, database, limits
from evaluation.core.backup import all_tables
from evaluation.core.tables import Account, Department, DepartmentGroup, Role
from evaluation.ratings import periods
from evaluation.ratings.periods import PeriodForm
from evaluation.ratings.tables import Rating, ReasonChoice

PASSWORD = "correct-horse-battery"
# The people of the tests get a cheap hash (one PBKDF2 round, as Django's test hasher does):
# signing in verifies with the rounds the stored hash names, and at the production cost (600,000,
# ~0.16 s) the sign-ins alone would take most of a test run. Accounts the app makes get the
# production cost (tests/core/test_accounts_admin.py checks it).
PASSWORD_HASH = BaseUser.hash_password(PASSWORD, iterations=1)
ENGINE_NAME = "postgresql" if database.is_postgres(piccolo_conf.DB) else "sqlite"

T = TypeVar("T")


def run(work: Callable[[], Awaitable[T]] | Awaitable[T]) -> T:
    """Run database work from a test, outside the app's own event loop."""

    async def wrapped() -> T:
        try:
            return await (work() if callable(work) else work)
        finally:
            await limits.stop()
            await database.stop(piccolo_conf.DB)

    return asyncio.run(wrapped())


def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    async def fresh_schema() -> None:
        if database.is_postgres(piccolo_conf.DB):
            await piccolo_conf.DB.run_ddl("DROP SCHEMA public CASCADE")
            await piccolo_conf.DB.run_ddl("CREATE SCHEMA public")
        result = await run_forwards("all")
        assert result.success, result.message

    if ENGINE_NAME == "sqlite":
        database.enable_wal(str(_VAR_DIR / "test.sqlite"))
    run(fresh_schema)


_migrate()


async def empty_database() -> None:
    tables = all_tables()
    if database.is_postgres(piccolo_conf.DB):
        names = ", ".join(f'"{table._meta.tablename}"' for table in tables)
        await piccolo_conf.DB.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        # Triggers that keep published rows immutable would refuse the DELETE: each test starts
        # from nothing, so they step aside while the tables are emptied and come back as they were.
        triggers = await piccolo_conf.DB.run_ddl("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        for trigger in triggers:
            await piccolo_conf.DB.run_ddl(f'DROP TRIGGER "{trigger["name"]}"')
        try:
            for table in reversed(tables):
                await piccolo_conf.DB.run_ddl(f'DELETE FROM "{table._meta.tablename}"')
        finally:
            for trigger in triggers:
                await piccolo_conf.DB.run_ddl(trigger["sql"])


@pytest.fixture(autouse=True)
def _fresh_database(request: pytest.FixtureRequest) -> None:
    if "browser" in request.keywords:
        return  # browser tests run against their own live server and database
    run(empty_database)
    cache.clear()
    # Sessions and rate-limit counts live in file stores, the audit chain's head in a file: a test
    # starts without them too.
    shutil.rmtree(_VAR_DIR / "stores", ignore_errors=True)
    (_VAR_DIR / "audit_head").unlink(missing_ok=True)


@pytest.fixture
def var_dir() -> Path:
    return _VAR_DIR


CSRF_FIELD = "_csrf_token"


class Visitor:
    """One browser's view of the app: cookies kept, forms sent with their CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def csrf_token(self) -> str:
        token = self.client.cookies.get("csrftoken")
        if not token:
            self.client.get("/healthz")
            token = self.client.cookies.get("csrftoken")
        if not token:
            self.client.get("/")
            token = self.client.cookies.get("csrftoken")
        assert token, "the app did not set a CSRF cookie"
        return token

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        form = dict(data or {})
        form.setdefault(CSRF_FIELD, self.csrf_token())
        return self.client.post(url, data=form, **kwargs)

    def upload(self, url: str, filename: str, content: bytes, field: str = "file", **kwargs: Any) -> Any:
        return self.client.post(
            url, data={CSRF_FIELD: self.csrf_token()}, files={field: (filename, content)}, **kwargs
        )

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        response = self.post("/staff/login", {"username": username, "password": password}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def app() -> Any:
    from app import create_app

    return create_app()


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def visitor(client: TestClient) -> Visitor:
    return Visitor(client)


@pytest.fixture
def new_visitor() -> Iterator[Callable[[], Visitor]]:
    """Further browsers, each with its own cookies (and its own app instance: sessions and
    data are shared through the stores and the database, as between workers)."""
    from app import create_app

    opened: list[TestClient] = []

    def open_one() -> Visitor:
        test_client = TestClient(app=create_app(), base_url="http://testserver.local")
        test_client.__enter__()
        opened.append(test_client)
        return Visitor(test_client)

    yield open_one
    for test_client in opened:
        test_client.__exit__(None, None, None)


async def add_department(code: str, name: str, group: DepartmentGroup, active: bool = True) -> int:
    from evaluation.core import clock

    rows = await Department.insert(
        Department(code=code, name=name, group=group.value, active=active, created_at=clock.now())
    ).returning(Department.id)
    return rows[0]["id"]


def add_many_departments(n: int) -> None:
    """``n`` more 市直单位, D00000 …: a city's directory at its largest."""
    from evaluation.core import clock

    async def insert() -> None:
        now = clock.now()
        rows = [Department(code=f"D{i:05d}", name=f"第{i}号测试单位", group=DepartmentGroup.municipal.value,
                           active=True, created_at=now) for i in range(n)]
        for start in range(0, n, 500):
            await Department.insert(*rows[start:start + 500])

    run(insert)


async def add_account(username: str, role: Role, display_name: str = "", department_id: int | None = None,
                      active: bool = True) -> int:
    from evaluation.core import clock

    rows = await Account.insert(
        Account(username=username, password=PASSWORD_HASH, display_name=display_name, role=role.value,
                department=department_id, active=active, created_at=clock.now())
    ).returning(Account.id)
    return rows[0]["id"]


@pytest.fixture
def departments() -> dict[str, int]:
    """集宁区 and 丰镇市 (旗县市区), 市教育局 and 市财政局 (市直单位)."""

    async def make() -> dict[str, int]:
        return {
            "150902": await add_department("150902", "集宁区", DepartmentGroup.county),
            "150981": await add_department("150981", "丰镇市", DepartmentGroup.county),
            "SZ03": await add_department("SZ03", "乌兰察布市教育局", DepartmentGroup.municipal),
            "SZ10": await add_department("SZ10", "乌兰察布市财政局", DepartmentGroup.municipal),
        }

    return run(make)


@pytest.fixture
def people(departments: dict[str, int]) -> dict[str, str]:
    async def make() -> dict[str, str]:
        await add_account("wangmin", Role.office, "王敏")
        await add_account("zhaoli", Role.auditor, "赵立")
        await add_account("liqiang", Role.inspector, "李强")
        await add_account("chenjing", Role.liaison, "陈静", department_id=departments["150902"])
        return {"office": "wangmin", "auditor": "zhaoli", "inspector": "liqiang", "liaison": "chenjing"}

    return run(make)


@pytest.fixture
def office(visitor: Visitor, people: dict[str, str]) -> Visitor:
    visitor.sign_in("wangmin")
    return visitor


def open_period(code: str = "2026-pj", opens: dt.date | None = None, closes: dt.date | None = None) -> None:
    today = periods.today()
    form = PeriodForm(code=code, name="2026年度社会评议", opens_on=(opens or today - dt.timedelta(days=30)).isoformat(),
                      closes_on=(closes or today + dt.timedelta(days=30)).isoformat())
    assert run(periods.create("wangmin", form)), form.errors


@pytest.fixture
def period(departments: dict[str, int]) -> None:
    """An evaluation period open today: 2026年度社会评议 (code 2026-pj), default settings."""
    open_period()


def add_ratings(department_id: int, channel: str, level: str, n: int, period_code: str = "2026-pj") -> None:
    """``n`` ratings of one level, each from a browser (public) or a panel member of its own."""

    async def insert() -> None:
        from evaluation.core import clock

        period = await periods.find(period_code)
        await Rating.insert(*[
            Rating(period=period.id, department=department_id, channel=channel, level=level,
                   voter_id=secrets.token_hex(8) if channel == "public" else None, created_at=clock.now())
            for _ in range(n)
        ])

    run(insert)


def reason_id(label: str) -> str:
    return str(run(ReasonChoice.select(ReasonChoice.id).where(ReasonChoice.label == label).first())["id"])


def text_of(html: str) -> str:
    """The visible text of a page, tags removed and white space folded: what a user reads."""
    without_tags = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    without_tags = re.sub(r"<[^>]+>", " ", without_tags)
    return re.sub(r"\s+", " ", without_tags).strip()
