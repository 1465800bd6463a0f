"""The audit trail: one append-only row per change, chained by keyed hashes.

Rows are written in the same transaction as the change they record; a sealing step then
numbers them in order and chains their hashes, within a second of the write (PRODUCT.md, Settled
questions: writers do not queue on the chain). What makes the chain evidence:

- each hash is an HMAC-SHA256 with a key kept outside the database (``PINGYI_AUDIT_KEY``, or
  generated once into ``./var/audit_key``): access to the database alone cannot recompute it;
- the head of the chain (sequence and hash) is written outside the database after every sealing
  (``./var/audit_head``, and printed by ``pingyi audit head`` for the office to write down):
  rows removed or rewritten at the end are found against it;
- the database refuses to update or delete a sealed row, and to insert a row that already
  carries a seal (triggers on both engines);
- ``verify`` only checks, it never seals: a row left unsealed longer than the sealing step takes
  is reported as suspicious (a forged row, or one whose seal was blanked).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evaluation.core import clock
from evaluation.core.database import immediate_transaction, is_postgres
from evaluation.core.tables import AuditEntry
from settings import settings

SEAL_BATCH = 500
SEAL_INTERVAL_SECONDS = 0.5
# With nothing to seal the sealer looks less often: a row waits at most this long to be sealed.
SEAL_IDLE_INTERVAL_SECONDS = 1.0
# Unsealed for longer than this, a row is suspicious: the sealer would have sealed it (a margin
# over the interval for a busy machine; a command seals its own rows before it exits).
UNSEALED_SUSPICIOUS_SECONDS = 60
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


async def record_many(actor: str, entries: list[tuple[str, str, Any, Any]]) -> None:
    """Several changes' entries, (action, target, old, new) each, in one statement: for an import's
    rows. Call inside the transaction that makes the changes."""
    if entries:
        await AuditEntry.insert(*[
            AuditEntry(**dict(zip(ENTRY_COLUMNS, entry_values(actor, *entry), strict=True))) for entry in entries
        ]).run()


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(row: dict[str, Any], seq: int, prev_hash: str, key: str | None = None) -> str:
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
    secret = (key if key is not None else settings.audit_key).encode("utf-8")
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def read_head(path: Path | None = None) -> Head | None:
    """The head written outside the database, if any."""
    path = path or settings.audit_head_path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(int(data["seq"]), str(data["hash"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return Head(-1, "unreadable")


def _write_head(head: Head, path: Path | None = None) -> None:
    """Moves the head forward, never back (two workers may finish sealing out of order), durably:
    written beside, synced, then renamed over the old one."""
    path = path or settings.audit_head_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read_head(path)
        if current is not None and current.seq >= head.seq:
            return
        partial = path.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"seq": head.seq, "hash": head.hash}))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)


def reset_head(head: Head | None, path: Path | None = None) -> None:
    """The head of a chain restored from a backup replaces the one kept before (the only time it
    may go back)."""
    path = path or settings.audit_head_path
    path.unlink(missing_ok=True)
    if head is not None:
        _write_head(head, path)


async def chain_head() -> Head | None:
    """The last sealed row's sequence and hash, as the database has them."""
    last = await AuditEntry.select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.is_not_null()).order_by(
        AuditEntry.seq, ascending=False).first()
    return Head(last["seq"], last["hash"]) if last else None


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
    if sealed:
        _write_head(Head(seq, prev_hash))
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
    suspicious: tuple[int, ...] = ()  # ids of rows left unsealed too long

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None and not self.suspicious


async def _unsealed_too_long() -> tuple[int, ...]:
    before = clock.now() - timedelta(seconds=UNSEALED_SUSPICIOUS_SECONDS)
    rows = await AuditEntry.select(AuditEntry.id).where(AuditEntry.seq.is_null() & (AuditEntry.at < before)).order_by(
        AuditEntry.id)
    return tuple(row["id"] for row in rows)


async def verify(head_path: Path | None = None) -> Verdict:
    """Checks the sealed chain from its start and against the head kept outside the database; seals
    nothing. Names the first row that does not fit, or the rows left unsealed too long."""
    suspicious = await _unsealed_too_long()
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_seq = 0
    kept = read_head(head_path)
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
                return Verdict(checked, row["id"], f"missing row(s) before seq {row['seq']}", suspicious)
            if row["prev_hash"] != prev_hash:
                return Verdict(checked, row["id"], "link to the previous row is broken", suspicious)
            if entry_hash(row, row["seq"], prev_hash) != row["hash"]:
                return Verdict(checked, row["id"], "content does not match its keyed hash", suspicious)
            if kept is not None and row["seq"] == kept.seq and row["hash"] != kept.hash:
                return Verdict(checked, row["id"], "differs from the head kept outside the database", suspicious)
            prev_hash = row["hash"]
            expected_seq += 1
            checked += 1
        last_seq = rows[-1]["seq"]
    if kept is not None and kept.seq > last_seq:
        return Verdict(checked, 0, f"rows {last_seq + 1}–{kept.seq} of the chain are gone "
                                   "(the head kept outside the database is further on)", suspicious)
    if suspicious:
        return Verdict(checked, None, f"{len(suspicious)} row(s) unsealed for longer than the sealer takes",
                       suspicious)
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
