"""A checklist save on PostgreSQL: one statement, committed on its own.

The statement locks the answer row and then the checklist row (``FOR UPDATE OF a``, then
``FOR SHARE OF c``, or ``FOR NO KEY UPDATE OF c`` while the checklist may still be "not started"
and this save may start it: answers before the checklist, the order every writer locks them in),
writes only when everything it read under those locks allows it, and returns what it read,
whether it wrote, and the checklist's progress with the new value in place. One round trip
instead of a transaction's four (``BEGIN``, read, write, ``COMMIT``).

Why the locks make the read current: in READ COMMITTED, a row lock that meets a committed change
re-reads the locked rows at their latest version. A submit locks every answer row of the
checklist, then changes the checklist's status; a save that waited for its answer row then locks
the checklist row, finds it changed, reads it again as submitted and writes nothing. (A key-share
lock would not do: it may lock the old version of a row whose key did not change.) The round's
row is not locked, as every save of a round would then share one row lock: a round closed while
this save waits for another save of the same item still takes this save, as it would a save
that began an instant before the close.

Whether the page's value is valid depends on the item's kind, its max and its system's point
step: it is checked before the statement from the indicator, kept per process once its system is
frozen (none of the three can change then).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from piccolo.engine.finder import engine_finder

from evaluation.core import audit, cache, clock
from evaluation.core.accounts import SignedIn
from evaluation.core.database import statements
from inspections.checklists.rules import EDITABLE, SAVE_ID, AnswerError, answer_audit, parse_note, parse_value
from inspections.checklists.scoring import as_decimal
from inspections.checklists.store import CURRENT_ANSWER, Stored, answer_set, int_or_none, refusal_of
from inspections.tables import ChecklistStatus, RoundStatus

_EDITABLE_SQL = ", ".join(f"'{status}'" for status in sorted(EDITABLE))  # enum values, not input

# The old side of the audit entry is what the statement read under its lock, encoded as
# audit.encode(answer_audit(value, note)) encodes it (trim_scale prints 10.0 as "10", as
# format_points does); the rest of the entry comes as parameters, like every other writer's.
_AUDIT = audit.insert_sql(
    ["$7::timestamptz", "$10::text", "'checklist.answer'", "'checklist:' || ctx.checklist_id || ':' || ctx.code",
     audit.encoded_in_postgres({"value": "trim_scale(ctx.value)", "note": "COALESCE(ctx.note, '')"}), "$11::text"],
    "FROM answer, ctx")

# $1 account, $2 save id, $3 checklist, $4 indicator, $5 value, $6 note, $7 now, $8 the value, save id and base
# version are valid, $9 base version, $10 actor, $11 the audit's new value, $12–$14 the item's kind, max
# points and point step the value was checked by.
_SAVE_TEMPLATE = f"""
    WITH ctx AS (
        SELECT a.id AS answer_id, a.value, a.note, a.version, a.answered_at, c.id AS checklist_id, c.status,
               r.status AS round_status, r.system, i.code, i.kind, i.max_points, i.per_occurrence,
               sy.point_step,
               EXISTS (SELECT 1 FROM team_member m WHERE m.team = c.team AND m.account = $1::int) AS is_member,
               (SELECT s.version FROM answer_save s WHERE s.save_id = $2::text AND s.answer = a.id) AS saved_version
        FROM checklist_answer a
        JOIN checklist c ON c.id = a.checklist
        JOIN inspection_round r ON r.id = c.round
        JOIN indicator i ON i.id = a.indicator
        JOIN indicator_system sy ON sy.id = i.system
        WHERE a.checklist = $3::int AND a.indicator = $4::int
        FOR UPDATE OF a FOR {{checklist_lock}} OF c
    ), answer AS (
        UPDATE checklist_answer AS a
        SET {answer_set(["$5::numeric", "$6::text", "ctx.version + 1", "$7::timestamptz", "$1::int"])}
        FROM ctx
        WHERE a.id = ctx.answer_id AND $8::boolean AND ctx.saved_version IS NULL AND ctx.is_member
          AND ctx.round_status = '{RoundStatus.open.value}' AND ctx.status IN ({_EDITABLE_SQL})
          AND ctx.version = $9::int
          -- the rules the value was checked by are still the item's (a kept copy may be stale)
          AND ctx.kind = $12::text AND ctx.max_points = $13::numeric AND ctx.point_step = $14::numeric
        RETURNING a.id, a.version
    ), started AS (
        UPDATE checklist AS c SET status = '{ChecklistStatus.in_progress.value}'
        FROM ctx
        WHERE c.id = ctx.checklist_id AND c.status = '{ChecklistStatus.not_started.value}'
          AND EXISTS (SELECT 1 FROM answer)
    ), saved AS (
        INSERT INTO answer_save (save_id, answer, version, saved_by, saved_at)
        SELECT $2::text, id, version, $1::int, $7::timestamptz FROM answer
    ), audited AS (
        {_AUDIT.replace("{", "{{").replace("}", "}}")}
    )
    SELECT ctx.*, (SELECT count(*) FROM answer) AS written,
           (SELECT json_agg(json_build_array(
                       i.code, i.parent_code, i.kind, i.max_points::text, i.per_occurrence::text,
                       (CASE WHEN a.id = ctx.answer_id
                             THEN CASE WHEN EXISTS (SELECT 1 FROM answer) THEN $5::numeric ELSE ctx.value END
                             ELSE a.value END)::text))
            FROM indicator i LEFT JOIN checklist_answer a ON a.indicator = i.id AND a.checklist = ctx.checklist_id
            WHERE i.system = ctx.system) AS progress
    FROM ctx
"""
# A checklist that may still be "not started" is locked as for an update (the save may start it):
# saves of that checklist then take turns. Once it is started, saves share the lock.
_SAVE_FIRST = _SAVE_TEMPLATE.format(checklist_lock="NO KEY UPDATE")
_SAVE = _SAVE_TEMPLATE.format(checklist_lock="SHARE")
_PROGRESS_COLUMNS = ("code", "parent_code", "kind", "max_points", "per_occurrence", "value")
_INDICATOR = """
    SELECT i.kind, i.max_points, s.point_step, s.frozen_at FROM indicator i JOIN indicator_system s ON s.id = i.system
    WHERE i.id = $1
"""
_SAVED_VERSION = "SELECT version FROM answer_save WHERE save_id = $1 AND answer = $2"
_CURRENT_POSTGRES = CURRENT_ANSWER.replace("{}", "$1")

_FROZEN_INDICATORS_KEPT = 10_000
# id → (kind, max points, point step), of frozen systems only
_frozen_indicators: dict[int, tuple[str, Decimal, Decimal]] = {}
# Checklists seen past "not started" (no checklist goes back to it): their saves share the lock.
_started_checklists: set[int] = set()


async def _query(method: str, query: str, *args: Any) -> Any:
    """On the worker's statement connections (the one statement commits on its own); through
    Piccolo's connection handling when the server is not running (a command, a test)."""
    engine = engine_finder()
    lane = statements(engine)
    if lane is not None:
        return await getattr(lane, method)(query, *args)
    async with engine.transaction() as transaction:
        return await getattr(transaction.connection, method)(query, *args)


async def _indicator(indicator_id: int) -> tuple[str, Decimal, Decimal] | None:
    kept = _frozen_indicators.get(indicator_id)
    if kept is not None:
        return kept
    row = await _query("fetchrow", _INDICATOR, indicator_id)
    if row is None:
        return None
    indicator = (row["kind"], as_decimal(row["max_points"]), as_decimal(row["point_step"]))
    if row["frozen_at"] is not None:
        if len(_frozen_indicators) >= _FROZEN_INDICATORS_KEPT:
            _frozen_indicators.clear()
        _frozen_indicators[indicator_id] = indicator
    return indicator


def _progress(text: str | None) -> list[dict[str, Any]]:
    return [dict(zip(_PROGRESS_COLUMNS, item, strict=True)) for item in json.loads(text or "[]")]


def forget_kept() -> None:
    """Drops what this process keeps of indicators and checklists (with the other caches,
    evaluation/core/cache.py: ids can be used again after a restore into an empty database)."""
    _frozen_indicators.clear()
    _started_checklists.clear()


cache.on_clear(forget_kept)


async def store_postgres(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str, base_version: Any,
                         value_text: str, note: str, *, checked_again: bool = False) -> Stored:
    base = int_or_none(base_version)
    indicator = await _indicator(indicator_id)
    value: Decimal | None = None
    clean_note = ""
    valid = indicator is not None and bool(SAVE_ID.fullmatch(save_id or "")) and base is not None
    if indicator is not None:
        try:
            kind, max_points, step = indicator
            value = parse_value(kind, max_points, step, value_text)
            clean_note = parse_note(note)
        except AnswerError:
            valid = False
    statement = _SAVE if checklist_id in _started_checklists else _SAVE_FIRST
    now = clock.now()
    found = await _query(
        "fetchrow", statement, account.id, save_id or "", checklist_id, indicator_id, value, clean_note, now,
        valid, base if base is not None else -1, account.username,
        audit.encode(answer_audit(value, clean_note)), *(indicator or (None, None, None)),
    )
    if found is None:
        return Stored("missing")
    row = dict(found)
    read = (row["kind"], as_decimal(row["max_points"]), as_decimal(row["point_step"]))
    if indicator is not None and read != indicator and not checked_again:
        # A kept copy no longer describes the item (its id was used again): nothing was written.
        _frozen_indicators.pop(indicator_id, None)
        return await store_postgres(account, checklist_id, indicator_id, save_id, base_version, value_text, note,
                                    checked_again=True)
    progress = _progress(row.pop("progress"))
    written = row.pop("written")
    if written or row["status"] != ChecklistStatus.not_started.value:
        if len(_started_checklists) >= _FROZEN_INDICATORS_KEPT:
            _started_checklists.clear()
        _started_checklists.add(checklist_id)
    if written:
        return Stored("saved", row, row["version"] + 1, value, clean_note, progress=progress, at=now)
    if row["saved_version"] is None and row["version"] != base:
        # The locks re-read the answer row, not the save ids: the save id may have been stored by
        # the save this one waited for (the same save sent twice at once). Asked again, it shows.
        row["saved_version"] = await _query("fetchval", _SAVED_VERSION, save_id or "", row["answer_id"])
    refusal = refusal_of(account, row, save_id, base_version)
    if refusal == "conflict":
        current = await _query("fetchrow", _CURRENT_POSTGRES, row["answer_id"])
        return Stored(refusal, row, current=dict(current))
    if refusal is not None:
        return Stored(refusal, row, progress=progress)
    if not valid:
        return Stored("bad_value", row)
    return Stored("lost_lock", row)  # allowed when read, refused by the statement: not expected
