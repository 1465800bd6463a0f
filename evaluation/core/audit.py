"""The audit trail: one append-only row per change, chained by hashes.

Rows are written in the same transaction as the change they record; a sealing step then
numbers them in order and chains their hashes (PRODUCT.md, Settled questions: writers do not
queue on the chain). ``verify`` names the first row that does not fit the chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evaluation.core import clock
from evaluation.core.database import immediate_transaction, is_postgres
from evaluation.core.tables import AuditEntry

SEAL_BATCH = 500
SEAL_INTERVAL_SECONDS = 0.5
# With nothing to seal the sealer looks less often; a row recorded meanwhile waits at most this
# long (verify() seals first, so a check never misses one).
SEAL_IDLE_INTERVAL_SECONDS = 2.0
# What a writer gives for one entry (entry_values), for writers that insert it in their own SQL.
# The seal columns (seq, prev_hash, hash) are left to their defaults: the sealer fills them.
ENTRY_COLUMNS = ("at", "actor", "action", "target", "old_value", "new_value")
GENESIS_HASH = "0" * 64
_SEAL_LOCK_KEY = 4_735_011  # PostgreSQL advisory lock: one sealer at a time across workers


def encode(value: Any) -> str:
    """An old or new value as the trail stores it: sorted-key JSON, non-ASCII kept, "" for none."""
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def entry_values(actor: str, action: str, target: str, old: Any = None, new: Any = None) -> tuple[Any, ...]:
    """One entry's values in the order of ``ENTRY_COLUMNS``, for a writer inserting the row in a
    statement of its own (the checklist save). Insert it in the transaction of the change."""
    return (clock.now(), actor, action, target, encode(old), encode(new))


def insert_sql(values: list[str], source: str = "") -> str:
    """The INSERT of an entry in a statement of its own making (the checklist save): ``values``
    are the SQL of each of ``ENTRY_COLUMNS`` (placeholders, or expressions over ``source``, a
    ``FROM …`` clause). The one place, with ``entry_values`` and ``encode``, the row's shape is
    written."""
    columns = ", ".join(ENTRY_COLUMNS)
    if source:
        return f"INSERT INTO audit_entry ({columns}) SELECT {', '.join(values)} {source}"
    return f"INSERT INTO audit_entry ({columns}) VALUES ({', '.join(values)})"


def encoded_in_postgres(fields: dict[str, str]) -> str:
    """PostgreSQL for the text ``encode`` writes of a dict of these keys, each value an SQL text
    expression (NULL is JSON null): keys sorted, ", " and ": " between them, non-ASCII kept and
    the same characters escaped as ``json.dumps`` escapes them; for a statement that must encode
    what it read under its own lock (tests/core/test_audit.py checks both agree)."""
    parts = []
    for position, key in enumerate(sorted(fields)):
        opening = "{" if position == 0 else ", "
        parts.append(f"'{opening}{json.dumps(key)}: ' || COALESCE(to_json(({fields[key]})::text)::text, 'null')")
    return "(" + " || ".join(parts) + " || '}')"


async def record(actor: str, action: str, target: str, old: Any = None, new: Any = None) -> None:
    """Call inside the transaction that makes the change, so both land or neither does."""
    values = dict(zip(ENTRY_COLUMNS, entry_values(actor, action, target, old, new), strict=True))
    await AuditEntry.insert(AuditEntry(**values)).run()


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(row: dict[str, Any], seq: int, prev_hash: str) -> str:
    payload = [
        seq,
        row["id"],
        _utc_text(row["at"]),
        row["actor"],
        row["action"],
        row["target"],
        row["old_value"],
        row["new_value"],
        prev_hash,
    ]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# One statement seals a whole batch: the new seq, prev_hash and hash of every row at once.
_SEAL_POSTGRES = """
    UPDATE audit_entry AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
    FROM (SELECT unnest({}::int[]) AS id, unnest({}::int[]) AS seq, unnest({}::text[]) AS prev_hash,
                 unnest({}::text[]) AS hash) AS v
    WHERE e.id = v.id
"""


def _seal_sqlite(rows: int) -> str:
    values = ", ".join(["({}, {}, {}, {})"] * rows)
    return (
        "UPDATE audit_entry SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"
        " FROM (SELECT column1 AS id, column2 AS seq, column3 AS prev_hash, column4 AS hash"
        f" FROM (VALUES {values})) AS v"
        " WHERE audit_entry.id = v.id"
    )


async def _write_seals(seals: list[tuple[int, int, str, str]]) -> None:
    """``seals``: (id, seq, prev_hash, hash) of each row of a batch."""
    if is_postgres():
        ids, seqs, prevs, hashes = (list(column) for column in zip(*seals, strict=True))
        await AuditEntry.raw(_SEAL_POSTGRES, ids, seqs, prevs, hashes).run()
    else:
        await AuditEntry.raw(_seal_sqlite(len(seals)), *(value for seal in seals for value in seal)).run()


async def seal() -> int:
    """Chain every unsealed row, in id order. Returns how many were sealed."""
    if not await AuditEntry.exists().where(AuditEntry.seq.is_null()).run():
        return 0
    sealed = 0
    # Like write_transaction, but without clearing evaluation/core/cache.py: sealing changes nothing
    # kept there, and it runs every tick while changes arrive.
    async with immediate_transaction():
        if is_postgres():
            await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", _SEAL_LOCK_KEY).run()
        last = (
            await AuditEntry.select(AuditEntry.seq, AuditEntry.hash)
            .where(AuditEntry.seq.is_not_null())
            .order_by(AuditEntry.seq, ascending=False)
            .first()
            .run()
        )
        seq, prev_hash = (last["seq"], last["hash"]) if last else (0, GENESIS_HASH)
        while True:
            pending = (
                await AuditEntry.select()
                .where(AuditEntry.seq.is_null())
                .order_by(AuditEntry.id)
                .limit(SEAL_BATCH)
                .run()
            )
            if not pending:
                break
            seals: list[tuple[int, int, str, str]] = []
            for row in pending:
                seq += 1
                digest = entry_hash(row, seq, prev_hash)
                seals.append((row["id"], seq, prev_hash, digest))
                prev_hash = digest
            await _write_seals(seals)
            sealed += len(seals)
    return sealed


async def seal_until(stop: asyncio.Event) -> None:
    """The background sealer of a worker. It is stopped by the event, never cancelled
    mid-transaction, so a shutdown leaves no connection or transaction half-open."""
    while not stop.is_set():
        sealed = 0
        with contextlib.suppress(Exception):
            # A failed seal (database busy, restarting) is retried on the next tick;
            # nothing is lost because unsealed rows stay unsealed until then.
            sealed = await seal()
        interval = SEAL_INTERVAL_SECONDS if sealed else SEAL_IDLE_INTERVAL_SECONDS
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


@dataclass(frozen=True)
class Verdict:
    rows_checked: int
    first_bad_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


async def verify() -> Verdict:
    await seal()
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_seq = 0
    while True:
        rows = (
            await AuditEntry.select()
            .where(AuditEntry.seq > last_seq)
            .order_by(AuditEntry.seq)
            .limit(SEAL_BATCH)
            .run()
        )
        if not rows:
            break
        for row in rows:
            if row["seq"] != expected_seq:
                return Verdict(checked, row["id"], f"missing row(s) before seq {row['seq']}")
            if row["prev_hash"] != prev_hash:
                return Verdict(checked, row["id"], "link to the previous row is broken")
            if entry_hash(row, row["seq"], prev_hash) != row["hash"]:
                return Verdict(checked, row["id"], "content does not match its hash")
            prev_hash = row["hash"]
            expected_seq += 1
            checked += 1
        last_seq = rows[-1]["seq"]
    return Verdict(checked)


async def recorded(action: str) -> list[tuple[str, Any]]:
    """(target, new value) of every entry of one action, oldest first: what was recorded when."""
    rows = await AuditEntry.select(AuditEntry.target, AuditEntry.new_value).where(
        AuditEntry.action == action).order_by(AuditEntry.id)
    return [(row["target"], json.loads(row["new_value"]) if row["new_value"] else None) for row in rows]


async def recent(limit: int, before_id: int | None = None, target: str | None = None) -> list[dict[str, Any]]:
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if target:
        query = query.where(AuditEntry.target == target)
    return await query.run()
