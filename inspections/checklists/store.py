"""The database side of a checklist save (inspections/checklists/saves.py): one read of the
item's context, the decision, the writes and the checklist's progress. What both engines share,
and SQLite's path; PostgreSQL's is in inspections/checklists/store_postgres.py.

- SQLite: one writer at a time and a disk sync per commit. A save is a member of the process's
  group commit (evaluation/core/sqlite_writer.py): the saves of one moment share a transaction,
  each in a savepoint of its own, with one sync for all; the whole group runs in one call on the
  writer's thread, so a save costs no event-loop turn per statement.

Neither path goes through ``write_transaction``: a save changes nothing that evaluation/core/cache.py
keeps, and clearing that cache on every save would empty it many times a second. Messages are
not made here (this may run on the save thread, outside the request's language): ``Stored``
says what was found and done, and the caller words the answer.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.accounts import SignedIn
from evaluation.core.database import group_commit
from inspections.checklists.rules import (
    SAVE_ID,
    AnswerError,
    answer_audit,
    is_editable,
    may_see_every_checklist,
    parse_note,
    parse_value,
)
from inspections.checklists.scoring import as_decimal
from inspections.tables import Checklist, ChecklistStatus

# Statements are written with ``{}`` placeholders (Piccolo's raw style) and turned into
# SQLite's ``?`` or PostgreSQL's ``$n`` once, here.
_CONTEXT = """
    SELECT a.id AS answer_id, a.value, a.note, a.version, a.answered_at, c.id AS checklist_id, c.status,
           r.status AS round_status, r.system, i.code, i.kind, i.max_points, i.per_occurrence,
           sy.point_step, acc.display_name, acc.username,
           EXISTS (SELECT 1 FROM team_member m WHERE m.team = c.team AND m.account = {}) AS is_member,
           s.version AS saved_version
    FROM checklist_answer a
    JOIN checklist c ON c.id = a.checklist
    JOIN inspection_round r ON r.id = c.round
    JOIN indicator i ON i.id = a.indicator
    JOIN indicator_system sy ON sy.id = i.system
    LEFT JOIN account acc ON acc.id = a.answered_by
    LEFT JOIN answer_save s ON s.save_id = {} AND s.answer = a.id
    WHERE a.checklist = {} AND a.indicator = {}
"""
_PROGRESS = """
    SELECT i.code, i.parent_code, i.kind, i.max_points, i.per_occurrence, a.value
    FROM indicator i LEFT JOIN checklist_answer a ON a.indicator = i.id AND a.checklist = {}
    WHERE i.system = {}
"""
CURRENT_ANSWER = (
    "SELECT a.value, a.note, a.version, a.answered_at, acc.display_name, acc.username"
    " FROM checklist_answer a LEFT JOIN account acc ON acc.id = a.answered_by WHERE a.id = {}"
)
# The answer's write, spelled once: the page's saves (both engines) and the other paths
# (checklists.record_answer) set the same columns.
ANSWER_WRITE = ("value", "note", "version", "answered_at", "answered_by")


def answer_set(values: list[str]) -> str:
    """``SET value = …, note = …`` of an answer's write, with these SQL values."""
    return ", ".join(f"{column} = {value}" for column, value in zip(ANSWER_WRITE, values, strict=True))


UPDATE_ANSWER = f"UPDATE checklist_answer SET {answer_set(['{}'] * len(ANSWER_WRITE))} WHERE id = {{}}"
START_CHECKLIST = "UPDATE checklist SET status = {} WHERE id = {} AND status = {}"
_INSERT_SAVE = "INSERT INTO answer_save (save_id, answer, version, saved_by, saved_at) VALUES ({}, {}, {}, {}, {})"

_NOT_STARTED = ChecklistStatus.not_started.value
_IN_PROGRESS = ChecklistStatus.in_progress.value

def _qmarks(query: str) -> str:
    return query.replace("{}", "?")


_INSERT_AUDIT_SQLITE = audit.insert_sql(["?"] * len(audit.ENTRY_COLUMNS))


@dataclass(frozen=True)
class Stored:
    """What the database side of one save found and did. ``step``: missing (not visible) |
    bad_save_id | replayed | locked | bad_base | conflict | bad_value | lost_lock (locked while
    waiting for the row) | saved."""

    step: str
    row: dict[str, Any] | None = None
    version: int = 0
    value: Decimal | None = None
    note: str = ""
    progress: list[dict[str, Any]] | None = None  # the checklist's rows for scoring (replayed, saved)
    current: dict[str, Any] | None = None  # the answer as it is now (conflict)
    at: dt.datetime | None = None  # when it was written (saved)


def _visible(account: SignedIn, row: dict[str, Any]) -> bool:
    return bool(row["is_member"]) or may_see_every_checklist(account)


def int_or_none(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def refusal_of(account: SignedIn, row: dict[str, Any] | None, save_id: str, base_version: Any) -> str | None:
    """Why this save writes nothing (a ``Stored`` step), from the context read under the lock;
    None when it is to be written. The order is the contract's."""
    if row is None or not _visible(account, row):
        return "missing"
    if not SAVE_ID.fullmatch(save_id or ""):
        return "bad_save_id"
    if row["saved_version"] is not None:
        return "replayed"
    if not is_editable(row["round_status"], row["status"], bool(row["is_member"])):
        return "locked"
    base = int_or_none(base_version)
    if base is None:
        return "bad_base"
    if base != row["version"]:
        return "conflict"
    return None


def parsed(row: dict[str, Any], value_text: str, note: str) -> tuple[Decimal | None, str]:
    step = as_decimal(row["point_step"])
    return parse_value(row["kind"], as_decimal(row["max_points"]), step, value_text), parse_note(note)


def _audit_entry(row: dict[str, Any], actor: str, value: Decimal | None, note: str) -> tuple[Any, ...]:
    return audit.entry_values(
        actor, "checklist.answer", f"checklist:{row['checklist_id']}:{row['code']}",
        answer_audit(row["value"], row["note"]), answer_audit(value, note),
    )


# ---------------------------------------------------------------------------------------------
# Both engines


async def replay(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str) -> Stored | None:
    """The first result of a save id already stored (the row as it is now stands in for the
    answer as it was then: a later save by the same page carries a new id)."""
    rows = await Checklist.raw(_CONTEXT, account.id, save_id, checklist_id, indicator_id).run()
    if not rows or not _visible(account, rows[0]) or rows[0]["saved_version"] is None:
        return None
    progress = await Checklist.raw(_PROGRESS, checklist_id, rows[0]["system"]).run()
    return Stored("replayed", rows[0], progress=progress)


# ---------------------------------------------------------------------------------------------
# SQLite

_CONTEXT_SQLITE = _qmarks(_CONTEXT)
_PROGRESS_SQLITE = _qmarks(_PROGRESS)
_UPDATE_ANSWER_SQLITE = _qmarks(UPDATE_ANSWER)
_START_CHECKLIST_SQLITE = _qmarks(START_CHECKLIST)
_INSERT_SAVE_SQLITE = _qmarks(_INSERT_SAVE)

def _one(db: sqlite3.Connection, query: str, *args: Any) -> dict[str, Any] | None:
    return db.execute(query, args).fetchone()


def _store_sqlite(db: sqlite3.Connection, account: SignedIn, checklist_id: int, indicator_id: int, save_id: str,
                  base_version: Any, value_text: str, note: str) -> Stored:
    """One save inside the group's transaction (on the save thread). The transaction holds
    SQLite's write lock, so the context read here is current until the commit."""
    row = _one(db, _CONTEXT_SQLITE, account.id, save_id, checklist_id, indicator_id)
    refusal = refusal_of(account, row, save_id, base_version)
    if refusal == "replayed":
        assert row is not None
        return Stored(refusal, row, progress=db.execute(_PROGRESS_SQLITE, (checklist_id, row["system"])).fetchall())
    if refusal is not None:
        return Stored(refusal, row)
    assert row is not None
    try:
        value, clean_note = parsed(row, value_text, note)
    except AnswerError:
        return Stored("bad_value", row)
    version, now = row["version"] + 1, clock.now()
    db.execute(_UPDATE_ANSWER_SQLITE, (value, clean_note, version, now, account.id, row["answer_id"]))
    if row["status"] == _NOT_STARTED:
        db.execute(_START_CHECKLIST_SQLITE, (_IN_PROGRESS, checklist_id, _NOT_STARTED))
    db.execute(_INSERT_SAVE_SQLITE, (save_id, row["answer_id"], version, account.id, now))
    db.execute(_INSERT_AUDIT_SQLITE, _audit_entry(row, account.username, value, clean_note))
    progress = db.execute(_PROGRESS_SQLITE, (checklist_id, row["system"])).fetchall()
    return Stored("saved", row, version, value, clean_note, progress=progress, at=now)


async def store_sqlite(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str, base_version: Any,
                       value_text: str, note: str) -> Stored:
    """One save, committed by the process's one SQLite writer with the saves of the same moment
    (evaluation/core/sqlite_writer.py): the context is read under the group's write lock."""
    return await group_commit(lambda db: _store_sqlite(db, account, checklist_id, indicator_id, save_id,
                                                       base_version, value_text, note))
