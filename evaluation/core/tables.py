"""The platform core's tables: departments and their catalogues, staff accounts, sign-in failures,
the audit trail and the office's own calendar entries."""

from __future__ import annotations

from enum import StrEnum

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class DepartmentGroup(StrEnum):
    county = "county"  # 旗县市区
    municipal = "municipal"  # 市直单位


class Role(StrEnum):
    office = "office"
    inspector = "inspector"
    liaison = "liaison"
    auditor = "auditor"


class Department(Table):
    id = Serial(primary_key=True)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    group = Varchar(length=16, choices=DepartmentGroup, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz()


class CatalogueItem(Table, tablename="catalogue_item"):
    """One kind of information a department publishes (机构职能, 领导信息 …)."""

    id = Serial(primary_key=True)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=100)
    description = Text(default="")
    url = Varchar(length=500, default="")
    position = Integer(default=0)


class Account(BaseUser, tablename="account"):
    """A staff account. Citizens and panel members have none (PRODUCT.md, Settled questions)."""

    id = Serial(primary_key=True)
    email = Varchar(length=255, null=True, default=None, unique=True)
    display_name = Varchar(length=100, default="")
    role = Varchar(length=16, choices=Role, index=True)
    department = ForeignKey(Department, null=True, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()
    # Sessions carry the number they were started under; a new password moves it on, and every
    # other session of the account ends with it.
    session_epoch = Integer(default=0)


class SignInFailure(Table, tablename="sign_in_failure"):
    """A sign-in attempt by name (known or not), from an address: written before the password is
    checked and removed when it succeeds, so the lockout counts every check under way too."""

    id = Serial(primary_key=True)
    username = Varchar(length=100, index=True)
    address = Varchar(length=64, default="")
    failed_at = Timestamptz(index=True)


class KnownAddress(Table, tablename="known_address"):
    """An address an account has signed in from: failures from elsewhere do not lock it out there."""

    id = Serial(primary_key=True)
    account = ForeignKey(Account, null=False, on_delete=OnDelete.cascade, index=True)
    address = Varchar(length=64)
    last_success = Timestamptz()
    # Unique on (account, address): index known_address_once, made by the migration.


class AuditEntry(Table, tablename="audit_entry"):
    """One change made by a signed-in account or the command line, append-only.

    ``seq``/``prev_hash``/``hash`` are filled by the sealing step (evaluation/core/audit.py),
    in commit order, so writers never queue on the chain.
    """

    id = Serial(primary_key=True)
    at = Timestamptz(index=True)
    actor = Varchar(length=120)
    action = Varchar(length=80, index=True)
    target = Varchar(length=200, index=True)
    old_value = Text(default="")
    new_value = Text(default="")
    seq = Integer(null=True, default=None, unique=True)
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class CalendarDay(Table, tablename="calendar_day"):
    """The office's own entry for a day: a holiday, or a weekend day made a working day (调休).
    Its entries win over the chinese-calendar package's."""

    id = Serial(primary_key=True)
    day = Date(unique=True)
    is_working = Boolean()
    note = Varchar(length=100, default="")


class RateCount(Table, tablename="rate_count"):
    """Hits of a brake (evaluation/core/limits.py) by key and window, when several workers share
    them without Redis."""

    id = Serial(primary_key=True)
    name = Varchar(length=40)
    key = Varchar(length=200)
    window_start = Integer(index=True)
    hits = Integer(default=0)
    # Unique on (name, key, window_start): index rate_count_window, made by the migration (the
    # ON CONFLICT of every hit names it).
