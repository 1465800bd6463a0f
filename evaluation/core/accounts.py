"""Staff accounts: sign-in with lockout, creation, roles, passwords.

Passwords are hashed with Piccolo's ``BaseUser`` scheme (PBKDF2, ~0.15 s), in a worker thread and
one at a time, so sign-ins — real or a flood of made-up ones — never take more than one core
from the pages citizens are reading.

The lockout is decided by the database: an attempt is written, under a lock on its name, before
its password is checked, and refused when the name already has ``PINGYI_LOCKOUT_FAILURES``
attempts in the window; however many arrive at once, no more passwords than that are checked.
Locking a name must not keep its owner out, so an address the account has signed in from
before counts only its own failures: the office still signs in from its desk while a stranger
is locked out (and ``pingyi user unlock`` clears a name's failures).
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from piccolo.engine.finder import engine_finder

from evaluation.core import audit, clock, limits
from evaluation.core.database import immediate_transaction, is_postgres, statements, write_transaction
from evaluation.core.i18n import N_, _
from evaluation.core.tables import Account, Department, KnownAddress, Role, SignInFailure
from settings import settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
_DUMMY_HASH = "pbkdf2_sha256$600000$" + "0" * 32 + "$" + "0" * 64

ROLE_LABELS = {
    Role.office: N_("政务公开办"),
    Role.inspector: N_("考核组成员"),
    Role.liaison: N_("单位联络员"),
    Role.auditor: N_("审计（只读）"),
}


class AccountError(ValueError):
    """A refusal with a message fit to show the user."""


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    session_epoch: int = 0

    @property
    def is_office(self) -> bool:
        return self.role == Role.office.value

    def may(self, *roles: Role) -> bool:
        return self.role in {role.value for role in roles}


def _hash(password: str) -> str:
    return Account.hash_password(password)


def _matches(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, _digest = Account.split_stored_password(stored)
        candidate = Account.hash_password(password, salt=salt, iterations=int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, stored)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hash, password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("密码至少需要 8 个字符。"))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("密码不能超过 128 个字符。"))


SIGN_IN_WINDOW_SECONDS = 600
_hashing: dict[Any, anyio.CapacityLimiter] = {}


def _one_hash_at_a_time() -> anyio.CapacityLimiter:
    # One limiter per event loop (the tests run several loops in one process).
    loop = asyncio.get_running_loop()
    if loop not in _hashing:
        _hashing.clear()
        _hashing[loop] = anyio.CapacityLimiter(1)
    return _hashing[loop]


def _too_many_failures() -> AccountError:
    return AccountError(
        _("登录失败次数过多，请 {minutes} 分钟后再试。").format(minutes=settings.lockout_minutes)
    )


async def _claim_attempt(username: str, address: str) -> int:
    """Writes the attempt before the password is checked, under a lock on the name, and returns
    its row; refuses when the name has had enough failures where they count from this address."""
    window_start = clock.now() - timedelta(minutes=settings.lockout_minutes)
    async with immediate_transaction():
        if is_postgres():
            await SignInFailure.raw("SELECT pg_advisory_xact_lock(hashtext({}))", "sign-in:" + username)
        known = await KnownAddress.raw(
            "SELECT known_address.address FROM known_address JOIN account ON account.id = known_address.account"
            " WHERE account.username = {}",
            username,
        )
        known_addresses = [row["address"] for row in known]
        recent = (SignInFailure.username == username) & (SignInFailure.failed_at > window_start)
        if address in known_addresses:
            counted = recent & (SignInFailure.address == address)
        elif known_addresses:
            counted = recent & SignInFailure.address.not_in(known_addresses)
        else:
            counted = recent
        if await SignInFailure.count().where(counted) >= settings.lockout_failures:
            raise _too_many_failures()
        rows = await SignInFailure.insert(
            SignInFailure(username=username, address=address, failed_at=clock.now())
        ).returning(SignInFailure.id)
    return rows[0]["id"]


async def authenticate(username: str, password: str, address: str) -> SignedIn:
    """The same message for an unknown name, a wrong password and an inactive account,
    so the sign-in form does not tell which names exist."""
    username = username.strip()[:100]
    address = address[:64]
    braked = await limits.hit("sign-in", address, settings.sign_in_tries, SIGN_IN_WINDOW_SECONDS)
    if not braked.allowed:
        raise AccountError(
            _("这个网络地址的登录尝试过多，请 {minutes} 分钟后再试。").format(
                minutes=max(1, -(-braked.retry_after // 60)))
        )
    attempt = await _claim_attempt(username, address)
    row = await Account.select().where(Account.username == username).first() if username else None
    stored = row["password"] if row else _DUMMY_HASH
    matches = await anyio.to_thread.run_sync(
        _matches, password[:MAX_PASSWORD_LENGTH], stored, limiter=_one_hash_at_a_time())
    if not (row and matches and row["active"]):
        raise AccountError(_("用户名或密码不正确。"))
    await limits.give_back("sign-in", address, SIGN_IN_WINDOW_SECONDS)
    async with write_transaction():
        # A success clears this address's failures only: a stranger's stay where they count.
        await SignInFailure.delete().where(
            (SignInFailure.id == attempt)
            | ((SignInFailure.username == username) & (SignInFailure.address == address))
        )
        await KnownAddress.raw(
            "INSERT INTO known_address (account, address, last_success) VALUES ({}, {}, {})"
            " ON CONFLICT (account, address) DO UPDATE SET last_success = excluded.last_success",
            row["id"], address, clock.now(),
        )
        await Account.update({Account.last_login: clock.now().replace(tzinfo=None)}).where(Account.id == row["id"])
    return _signed_in(row)


async def unlock(actor: str, username: str) -> int:
    """Forgets a name's failed sign-ins; how many there were."""
    async with write_transaction():
        failures = await SignInFailure.count().where(SignInFailure.username == username)
        await SignInFailure.delete().where(SignInFailure.username == username)
        if failures:
            await audit.record(actor, "account.unlock", f"account:{username}", old=failures, new=0)
    return failures


def _signed_in(row: dict[str, Any]) -> SignedIn:
    return SignedIn(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"] or row["username"],
        role=row["role"],
        department_id=row["department"],
        session_epoch=row["session_epoch"],
    )


_SIGNED_IN = (
    "SELECT id, username, display_name, role, department, active, session_epoch FROM account WHERE id = {}"
)
_SIGNED_IN_POSTGRES = _SIGNED_IN.replace("{}", "$1")


async def signed_in(account_id: int) -> SignedIn | None:
    """The account behind a session, or None once it was deactivated.

    Read on every signed-in request, so it is one lean query: straight on the pool with
    PostgreSQL (a prepared statement, no Piccolo query building). It is deliberately not cached:
    a deactivation or role change made anywhere (another worker, the command line, the database
    itself) must take effect on the very next request, and a per-worker cache would let other
    workers serve the old account for its lifetime."""
    lane = statements(engine_finder())
    if lane is not None:
        row = await lane.fetchrow(_SIGNED_IN_POSTGRES, account_id)
    else:
        rows = await Account.raw(_SIGNED_IN, account_id).run()
        row = rows[0] if rows else None
    if not row or not row["active"]:
        return None
    return _signed_in(row)


@dataclass
class AccountForm:
    username: str = ""
    display_name: str = ""
    role: str = ""
    department_code: str = ""
    active: bool = True


async def _department_id(role: str, department_code: str) -> int | None:
    if role != Role.liaison.value:
        return None
    if not department_code:
        raise AccountError(_("单位联络员必须绑定一个单位。"))
    department = await Department.select(Department.id).where(Department.code == department_code).first()
    if not department:
        raise AccountError(_("找不到代码为 {code} 的单位。").format(code=department_code))
    return department["id"]


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(_("角色必须是 office、inspector、liaison 或 auditor 之一。"))


async def create_account(actor: str, form: AccountForm, password: str) -> int:
    username = form.username.strip()
    if not username or len(username) > 100:
        raise AccountError(_("请填写用户名（不超过 100 个字符）。"))
    _check_role(form.role)
    check_password_rules(password)
    department_id = await _department_id(form.role, form.department_code.strip())
    hashed = await hash_password(password)
    async with write_transaction():
        if await Account.exists().where(Account.username == username):
            raise AccountError(_("用户名 {username} 已被使用。").format(username=username))
        rows = await Account.insert(
            Account(
                username=username,
                password=hashed,
                display_name=form.display_name.strip()[:100],
                role=form.role,
                department=department_id,
                active=True,
                created_at=clock.now(),
            )
        ).returning(Account.id)
        await audit.record(
            actor,
            "account.create",
            f"account:{username}",
            new={"role": form.role, "department": form.department_code or None, "active": True},
        )
    return rows[0]["id"]


async def update_account(actor: str, username: str, form: AccountForm) -> None:
    _check_role(form.role)
    department_id = await _department_id(form.role, form.department_code.strip())
    async with write_transaction():
        row = await _account_row(username)
        old = await _audit_view(row)
        await Account.update(
            {
                Account.display_name: form.display_name.strip()[:100],
                Account.role: form.role,
                Account.department: department_id,
                Account.active: form.active,
            }
        ).where(Account.id == row["id"])
        new = await _audit_view(await _account_row(username))
        if new != old:
            await audit.record(actor, "account.update", f"account:{username}", old=old, new=new)


async def set_password(actor: str, username: str, password: str) -> int:
    """A new password; every session of the account started before it ends. Returns the new
    session number, which a session that should go on (the person changing their own) takes."""
    check_password_rules(password)
    hashed = await hash_password(password)
    async with write_transaction():
        row = await _account_row(username)
        epoch = row["session_epoch"] + 1
        await Account.update({Account.password: hashed, Account.session_epoch: epoch}).where(
            Account.id == row["id"])
        await SignInFailure.delete().where(SignInFailure.username == username)
        # The trail says that the password changed, never what it is.
        await audit.record(actor, "account.password", f"account:{username}", new="******")
    return epoch


async def change_own_password(account: SignedIn, current: str, new: str, repeated: str) -> int:
    """A signed-in person's own new password, given the current one."""
    if new != repeated:
        raise AccountError(_("两次输入的新密码不一致。"))
    check_password_rules(new)
    row = await _account_row(account.username)
    matches = await anyio.to_thread.run_sync(
        _matches, current[:MAX_PASSWORD_LENGTH], row["password"], limiter=_one_hash_at_a_time())
    if not matches:
        raise AccountError(_("当前密码不正确。"))
    return await set_password(account.username, account.username, new)


async def _account_row(username: str) -> dict[str, Any]:
    row = await Account.select().where(Account.username == username).first()
    if not row:
        raise AccountError(_("找不到用户 {username}。").format(username=username))
    return row


async def _audit_view(row: dict[str, Any]) -> dict[str, Any]:
    code = None
    if row["department"]:
        department = await Department.select(Department.code).where(Department.id == row["department"]).first()
        code = department["code"] if department else None
    return {
        "display_name": row["display_name"],
        "role": row["role"],
        "department": code,
        "active": row["active"],
    }


async def list_accounts() -> list[dict[str, Any]]:
    return (
        await Account.select(
            Account.id,
            Account.username,
            Account.display_name,
            Account.role,
            Account.active,
            Account.last_login,
            Account.department.code,
            Account.department.name,
        )
        .order_by(Account.role)
        .order_by(Account.username)
        .output(nested=True)
    )


async def account_form(username: str) -> AccountForm:
    row = await _account_row(username)
    view = await _audit_view(row)
    return AccountForm(
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        department_code=view["department"] or "",
        active=row["active"],
    )


async def department_code(account: SignedIn) -> str | None:
    if account.department_id is None:
        return None
    row = await Department.select(Department.code).where(Department.id == account.department_id).first()
    return row["code"] if row else None


async def liaisons_of(department_ids: list[int]) -> dict[int, list[str]]:
    """department → the names of its active liaisons ("陈静（chenjing）"), for lists that say who
    answers for a department."""
    rows = await Account.select(Account.department, Account.display_name, Account.username).where(
        (Account.role == Role.liaison.value) & Account.active.eq(True)
        & Account.department.is_in(department_ids or [0])
    ).order_by(Account.username)
    names: dict[int, list[str]] = {}
    for row in rows:
        shown = f"{row['display_name']}（{row['username']}）" if row["display_name"] else row["username"]
        names.setdefault(row["department"], []).append(shown)
    return names
