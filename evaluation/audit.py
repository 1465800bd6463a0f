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

from evaluation import clock
from evaluation.database import is_postgres, write_transaction
from evaluation.tables import AuditEntry

SEAL_BATCH = 500
SEAL_INTERVAL_SECONDS = 0.5
GENESIS_HASH = "0" * 64
_SEAL_LOCK_KEY = 4_735_011  # PostgreSQL advisory lock: one sealer at a time across workers


def _encode(value: Any) -> str:
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


async def record(actor: str, action: str, target: str, old: Any = None, new: Any = None) -> None:
    """Call inside the transaction that makes the change, so both land or neither does."""
    await AuditEntry.insert(
        AuditEntry(
            at=clock.now(),
            actor=actor,
            action=action,
            target=target,
            old_value=_encode(old),
            new_value=_encode(new),
        )
    ).run()


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


async def seal() -> int:
    """Chain every unsealed row, in id order. Returns how many were sealed."""
    if not await AuditEntry.exists().where(AuditEntry.seq.is_null()).run():
        return 0
    sealed = 0
    async with write_transaction():
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
            for row in pending:
                seq += 1
                digest = entry_hash(row, seq, prev_hash)
                await AuditEntry.update(
                    {AuditEntry.seq: seq, AuditEntry.prev_hash: prev_hash, AuditEntry.hash: digest}
                ).where(AuditEntry.id == row["id"]).run()
                prev_hash = digest
                sealed += 1
    return sealed


async def seal_until(stop: asyncio.Event) -> None:
    """The background sealer of a worker. It is stopped by the event, never cancelled
    mid-transaction, so a shutdown leaves no connection or transaction half-open."""
    while not stop.is_set():
        with contextlib.suppress(Exception):
            # A failed seal (database busy, restarting) is retried on the next tick;
            # nothing is lost because unsealed rows stay unsealed until then.
            await seal()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SEAL_INTERVAL_SECONDS)


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


async def recent(limit: int, before_id: int | None = None, target: str | None = None) -> list[dict[str, Any]]:
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if target:
        query = query.where(AuditEntry.target == target)
    return await query.run()
