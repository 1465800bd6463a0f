"""The audit trail: every change one row, chained by hashes; tampering is found."""

from __future__ import annotations

import os

import pytest

from evaluation.core import audit
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


def test_verify_finds_an_intact_chain(office):
    _make_changes(office)
    verdict = run(audit.verify)
    assert verdict.intact and verdict.rows_checked == 3


def test_verify_names_the_first_tampered_row(office):
    _make_changes(office)
    run(audit.seal)
    second = run(AuditEntry.select().where(AuditEntry.seq == 2).first())
    run(AuditEntry.update({AuditEntry.new_value: '{"name": "篡改"}'}).where(AuditEntry.id == second["id"]))
    verdict = run(audit.verify)
    assert not verdict.intact and verdict.first_bad_id == second["id"]


def test_verify_notices_a_deleted_row(office):
    _make_changes(office)
    run(audit.seal)
    first = run(AuditEntry.select().where(AuditEntry.seq == 1).first())
    run(AuditEntry.delete().where(AuditEntry.id == first["id"]))
    verdict = run(audit.verify)
    assert not verdict.intact and "missing" in verdict.reason


def test_rows_written_after_sealing_extend_the_chain(office):
    _make_changes(office)
    run(audit.seal)
    office.post("/staff/departments/SZ40/catalogue", {"title": "领导信息"})
    verdict = run(audit.verify)
    assert verdict.intact and verdict.rows_checked == 4


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
