"""`pingyi demo` loads round 2026-kh over the 11 旗县市区 with two teams and checklists in every
state; a second run changes nothing."""

from __future__ import annotations

from collections import Counter

import cli
from evaluation.core.tables import Account, AuditEntry
from inspections.tables import Checklist, ChecklistAnswer, IndicatorSystem, InspectionRound, Team, TeamMember
from tests.conftest import PASSWORD_HASH, run, text_of


def _item_codes() -> list[str]:
    from tests.inspections.conftest import sample_rows

    return [row["code"] for row in sample_rows() if row["parent_code"]]


def counts() -> dict[str, int]:
    return {table._meta.tablename: run(table.count()) for table in
            (InspectionRound, Team, TeamMember, Checklist, ChecklistAnswer, AuditEntry)}


def test_the_demo_gives_checklists_in_all_five_states_and_a_second_run_changes_nothing(visitor, capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "inspector1" in out and "office" in out

    saved = run(InspectionRound.select().where(InspectionRound.code == "2026-kh").first())
    assert saved["status"] == "open" and saved["year"] == 2026 and saved["period"] is not None
    system = run(IndicatorSystem.select().where(IndicatorSystem.id == saved["system"]).first())
    assert (system["year"], system["code"]) == (2026, "2026") and system["frozen_at"] is not None
    rows = run(Checklist.select(Checklist.id, Checklist.status, Checklist.team.name, Checklist.review_comment,
                                Checklist.reviewed_by.username, Checklist.department.group).where(
        Checklist.round == saved["id"]))
    assert len(rows) == 11 and {row["department.group"] for row in rows} == {"county"}
    assert Counter(row["team.name"] for row in rows) == {"第一组": 6, "第二组": 5}
    states = Counter(row["status"] for row in rows)
    assert set(states) == {"not_started", "in_progress", "submitted", "returned", "approved"}
    assert all(row["review_comment"] for row in rows if row["status"] == "returned")
    assert all(row["reviewed_by.username"] == "office" for row in rows if row["status"] == "approved")

    answers = run(ChecklistAnswer.select(ChecklistAnswer.checklist, ChecklistAnswer.value,
                                         ChecklistAnswer.indicator.kind, ChecklistAnswer.note,
                                         ChecklistAnswer.version).where(
        ChecklistAnswer.checklist.round == saved["id"]))
    assert len(answers) == 11 * 19
    by_status = {row["id"]: row["status"] for row in rows}
    for answer in answers:
        status = by_status[answer["checklist"]]
        if status in ("submitted", "returned", "approved"):
            assert answer["value"] is not None and answer["version"] == 1
        if status == "not_started":
            assert answer["value"] is None
        if answer["indicator.kind"] == "veto" and answer["value"] is not None:
            assert answer["value"] == 0
    half = [a for a in answers if by_status[a["checklist"]] == "in_progress"]
    assert 0 < sum(a["value"] is not None for a in half) < len(half)
    assert any(a["indicator.kind"] == "deduct" and a["value"] and a["note"] for a in answers)
    answered = run(AuditEntry.count().where((AuditEntry.action == "checklist.answer") & AuditEntry.target.is_in(
        [f"checklist:{row['id']}:{code}" for row in rows for code in _item_codes()])))
    assert answered == sum(a["value"] is not None for a in answers)

    before = counts()
    assert cli.main(["demo"]) == 0
    assert "已存在" in capsys.readouterr().out
    assert counts() == before

    # Demo passwords are random: give the office account the tests' password to look.
    run(Account.update({Account.password: PASSWORD_HASH}).where(Account.username == "office"))
    visitor.sign_in("office")
    listed = text_of(visitor.get("/staff/rounds").text)
    assert "2026-kh 2026年度政务公开考核 2026 进行中" in listed
    assert " ".join(str(states[s]) for s in ("not_started", "in_progress", "submitted", "returned",
                                             "approved")) in listed
    page = text_of(visitor.get("/staff/rounds/2026-kh").text)
    assert "集宁区" in page and "已通过 19/19" in page and "未开始 0/19" in page


def test_the_demo_publishes_last_years_notification_with_a_corrected_second_version(visitor, capsys):
    assert cli.main(["demo"]) == 0
    capsys.readouterr()
    home = visitor.get("/").text
    assert 'href="/rankings/2025-kh"' in home and "关于2025年度政务公开工作考核结果的通报" in home
    latest = text_of(visitor.get("/rankings/2025-kh").text)
    assert "第 2 版" in latest and "补记凉城县受到自治区通报表彰一次" in latest
    assert "乌兰察布市气象局：不参加排名（垂直管理单位" in latest
    assert "商都县（单项否决：V1" in latest
    first = text_of(visitor.get("/rankings/2025-kh/1").text)
    assert "本版已被第 2 版取代" in first
    before = counts()
    assert cli.main(["demo"]) == 0
    assert counts() == before


def test_the_demos_inspector_can_take_checklists_offline_at_once(visitor, capsys):
    assert cli.main(["demo"]) == 0
    capsys.readouterr()
    run(Account.update({Account.password: PASSWORD_HASH}).where(Account.username == "inspector1"))
    visitor.sign_in("inspector1")
    page = visitor.get("/inspect").text
    assert page.count('data-checklist-path="/inspect/checklists/') == 6  # 第一组's six units
    assert "全部下载以便离线使用" in page and "outbox.js" in page
    worker = visitor.get("/inspect/sw.js")
    assert worker.status_code == 200 and worker.headers["service-worker-allowed"] == "/inspect"
    assert worker.headers["content-type"].startswith("text/javascript") and "pingyi-pages-v1" in worker.text
    assert "没有离线副本" in text_of(visitor.get("/inspect/offline").text)
