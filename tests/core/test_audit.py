"""The audit trail: every change one row, chained by hashes; tampering is found."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from evaluation.core import audit, clock, database
from evaluation.core.tables import AuditEntry
from tests.conftest import ENGINE_NAME, run, text_of


def _make_changes(office) -> None:
    office.post("/staff/departments", {"code": "SZ40", "name": "乌兰察布市数据局", "group": "municipal"})
    office.post("/staff/departments/SZ40", {"name": "乌兰察布市大数据局", "group": "municipal", "active": "on"})
    office.post("/staff/departments/SZ40/catalogue", {"title": "机构职能"})


def test_each_change_is_one_row_with_who_when_old_and_new(office):
    _make_changes(office)
    rows = run(AuditEntry.select().order_by(AuditEntry.id))
    assert [row["action"] for row in rows] == ["department.create", "department.update", "catalogue.add"]
    update = rows[1]
    assert update["actor"] == "wangmin" and update["target"] == "department:SZ40"
    assert "乌兰察布市数据局" in update["old_value"] and "乌兰察布市大数据局" in update["new_value"]


def test_the_trail_page_shows_times_in_beijing_time(office):
    _make_changes(office)
    run(audit.seal)
    text = text_of(office.get("/staff/audit").text)
    assert "+08:00" in text and "department.update" in text and "wangmin" in text


def test_verify_finds_an_intact_chain_and_never_seals(office):
    _make_changes(office)
    assert run(audit.verify).rows_checked == 0  # nothing sealed yet: verify only checks
    assert run(AuditEntry.count().where(AuditEntry.seq.is_null())) == 3
    run(audit.seal)
    verdict = run(audit.verify)
    assert verdict.intact and verdict.rows_checked == 3


def test_rows_written_after_sealing_extend_the_chain(office):
    _make_changes(office)
    run(audit.seal)
    office.post("/staff/departments/SZ40/catalogue", {"title": "领导信息"})
    run(audit.seal)
    verdict = run(audit.verify)
    assert verdict.intact and verdict.rows_checked == 4
    assert audit.read_head() == run(audit.chain_head()) == audit.Head(4, verdict_hash(4))


def test_the_database_refuses_to_change_or_remove_a_sealed_row_or_to_take_a_sealed_one(office):
    _make_changes(office)
    run(audit.seal)
    with pytest.raises(Exception, match="sealed"):
        run(AuditEntry.update({AuditEntry.actor: "someone-else"}).where(AuditEntry.seq == 2))
    with pytest.raises(Exception, match="sealed"):
        run(AuditEntry.delete().where(AuditEntry.seq == 3))
    with pytest.raises(Exception, match="sealed"):
        run(AuditEntry.insert(AuditEntry(at=clock.now(), actor="x", action="forged", target="t", seq=99,
                                         prev_hash="0" * 64, hash="f" * 64)))
    assert run(AuditEntry.count()) == 3 and run(audit.verify).intact


def verdict_hash(seq: int) -> str:
    return run(AuditEntry.select(AuditEntry.hash).where(AuditEntry.seq == seq).first())["hash"]


class Tampering:
    """What someone with the database's password, and time, can do: the guarding triggers set
    aside for the change, as they can be by the owner of the tables."""

    def __init__(self, sql: str, *args: object) -> None:
        self.sql, self.args = sql, args

    def apply(self) -> None:
        from evaluation.core.database import triggers_set_aside

        async def change() -> None:
            async with database.write_transaction(), triggers_set_aside(["audit_entry"]):
                await AuditEntry.raw(self.sql, *self.args)

        run(change)


def _recomputed_from(seq: int) -> None:
    """Rewrites row ``seq`` and chains every later row again with plain SHA-256: what the chain
    was before it was keyed, and all a forger without the key can compute."""
    import hashlib

    rows = run(AuditEntry.select().where(AuditEntry.seq >= seq - 1).order_by(AuditEntry.seq))
    prev = rows[0]["hash"] if seq > 1 else audit.GENESIS_HASH
    for row in rows[1 if seq > 1 else 0:]:
        if row["seq"] == seq:
            row["actor"] = "someone-else"
        text = json.dumps([row["seq"], row["id"], audit._utc_text(row["at"]), row["actor"], row["action"],
                           row["target"], row["old_value"], row["new_value"], prev], ensure_ascii=False,
                          separators=(",", ":"))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        Tampering("UPDATE audit_entry SET actor = {}, prev_hash = {}, hash = {} WHERE id = {}",
                  row["actor"], prev, digest, row["id"]).apply()
        prev = digest


def _forged_and_backdated() -> None:
    run(AuditEntry.insert(AuditEntry(at=clock.now() - timedelta(days=365), actor="wangmin", action="department.update",
                                     target="department:SZ40", old_value="", new_value='{"name": "伪造"}')))


@pytest.mark.parametrize("tamper, found", [
    # The three found before the chain was keyed and its head kept outside the database:
    (lambda: Tampering("UPDATE audit_entry SET new_value = {} WHERE seq = 2", '{"name": "篡改"}').apply(), "hash"),
    (lambda: Tampering("DELETE FROM audit_entry WHERE seq = 2").apply(), "missing"),
    (lambda: Tampering("UPDATE audit_entry SET seq = 9 WHERE seq = 2").apply(), "missing"),
    # … and the four that were not:
    (lambda: Tampering("DELETE FROM audit_entry WHERE seq = 4").apply(), "gone"),
    (lambda: Tampering("UPDATE audit_entry SET seq = NULL, prev_hash = '', hash = '', at = {} WHERE seq >= 3",
                       clock.now() - timedelta(hours=2)).apply(), "gone"),
    (_forged_and_backdated, "unsealed"),
    (lambda: _recomputed_from(2), "hash"),
], ids=["row-changed", "middle-row-deleted", "row-moved", "last-row-deleted", "last-rows-unsealed",
        "forged-backdated-row", "chain-recomputed"])
def test_verify_finds_each_of_the_seven_tamperings(office, tamper, found):
    _make_changes(office)
    office.post("/staff/departments/SZ40/catalogue", {"title": "领导信息"})
    run(audit.seal)
    assert run(audit.verify).intact
    tamper()
    verdict = run(audit.verify)
    assert not verdict.intact and found in verdict.reason, verdict


def test_the_command_line_prints_the_head_and_verify_never_seals(office, capsys):
    import cli

    _make_changes(office)
    assert cli.main(["audit", "verify"]) == 0 and "intact: 0 rows" in capsys.readouterr().out
    run(audit.seal)
    assert cli.main(["audit", "head"]) == 0
    assert capsys.readouterr().out.strip() == f"seq 3 hash {verdict_hash(3)}"


@pytest.mark.skipif(ENGINE_NAME != "postgresql", reason="the encoding written in PostgreSQL's SQL")
@pytest.mark.parametrize("note", ["", "普通的备注", 'quote " backslash \\ slash /', "line\nbreak\ttab\rreturn",
                                  "control \x01\x1f end", "emoji 🙂 and ünïcode", "'single' quotes"])
def test_the_encoding_written_in_sql_is_the_encoding_of_the_trail(note):
    """The checklist save encodes the old answer inside its own statement: it must write exactly
    what audit.encode writes, or a verified entry would not read back as the value it was."""
    import asyncpg

    expression = audit.encoded_in_postgres({"value": "$1::text", "note": "$2::text"})

    async def encoded(value: str | None) -> str:
        connection = await asyncpg.connect(os.environ["DATABASE_URL"])
        try:
            return await connection.fetchval(f"SELECT {expression}", value, note)
        finally:
            await connection.close()

    for value in ("1.5", None):
        assert run(encoded(value)) == audit.encode({"note": note, "value": value})
