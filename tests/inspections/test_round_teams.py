"""A round covers departments (by group or one by one), teams of inspectors are formed, each
covered department is assigned to one team, and the round opens only when all are assigned:
opening freezes the indicator system and makes every checklist's unanswered items."""

from __future__ import annotations

import json

import pytest

from evaluation.core.tables import Account, AuditEntry, Role
from inspections.tables import Checklist, ChecklistAnswer, IndicatorSystem, InspectionRound, Team, TeamMember
from tests.conftest import add_account, run, text_of
from tests.inspections.conftest import add_sample_system

ROUND = "/staff/rounds/2026-kh"


@pytest.fixture
def draft(office, departments) -> int:
    """Round 2026-kh, a draft over nothing yet, made by 王敏 through the form."""
    system_id = run(add_sample_system())[0]
    response = office.post("/staff/rounds", {
        "code": "2026-kh", "name": "2026年度政务公开考核", "year": "2026", "system": str(system_id),
        "deadline": "2026-12-31", "public_weight": "20", "below_sample": "group_mean", "bonus_cap": "5",
        "grade_bands": "优秀 90\n良好 80\n合格 60\n不合格 0"}, follow_redirects=False)
    assert response.status_code == 303
    return system_id


def checklists() -> dict[str, dict]:
    rows = run(Checklist.select(Checklist.id, Checklist.team.name, Checklist.status, Checklist.department.code))
    return {row["department.code"]: row for row in rows}


def team_id(name: str) -> int:
    return run(Team.select(Team.id).where(Team.name == name).first())["id"]


def account_id(username: str) -> int:
    return run(Account.select(Account.id).where(Account.username == username).first())["id"]


def add_team(office, name: str, *members: str) -> int:
    assert office.post(f"{ROUND}/teams", {"name": name}, follow_redirects=False).status_code == 303
    for username in members:
        response = office.post(f"{ROUND}/teams/{team_id(name)}/members", {"account": str(account_id(username))},
                               follow_redirects=False)
        assert response.status_code == 303, text_of(response.text)
    return team_id(name)


def test_departments_are_covered_by_group_or_one_by_one_and_removed_while_draft(office, draft):
    assert office.post(f"{ROUND}/departments", {"group": "county"}, follow_redirects=False).status_code == 303
    assert set(checklists()) == {"150902", "150981"}
    assert all(row["team.name"] is None and row["status"] == "not_started" for row in checklists().values())
    office.post(f"{ROUND}/departments", {"group": "county"})  # nothing twice
    office.post(f"{ROUND}/departments", {"department": "SZ03"})
    assert set(checklists()) == {"150902", "150981", "SZ03"}
    page = text_of(office.get(ROUND).text)
    assert "共 3 个单位，3 个未分配考核组" in page and "SZ03 乌兰察布市教育局 市直单位" in page

    unknown = office.post(f"{ROUND}/departments", {"department": "NOPE"})
    assert unknown.status_code == 422 and "找不到这些单位（或已停用）：NOPE" in text_of(unknown.text)
    assert office.post(f"{ROUND}/departments/SZ03/remove", follow_redirects=False).status_code == 303
    assert set(checklists()) == {"150902", "150981"}
    actions = run(AuditEntry.select(AuditEntry.action, AuditEntry.new_value, AuditEntry.old_value).where(
        AuditEntry.target == "round:2026-kh").order_by(AuditEntry.id))
    assert [a["action"] for a in actions] == ["round.create", "round.cover", "round.cover", "round.uncover"]
    assert json.loads(actions[1]["new_value"]) == {"departments": ["150902", "150981"]}


def test_teams_are_made_of_active_inspectors_and_named_once_per_round(office, draft, people):
    first = add_team(office, "第一组", "liqiang")
    page = text_of(office.get(ROUND).text)
    assert "第一组 负责 0 个单位 李强 (liqiang)" in page
    same = office.post(f"{ROUND}/teams", {"name": "第一组"})
    assert same.status_code == 422 and "本批次已有名为“第一组”的考核组" in text_of(same.text)
    empty = office.post(f"{ROUND}/teams", {"name": "  "})
    assert empty.status_code == 422 and "请填写考核组名称" in text_of(empty.text)
    auditor = office.post(f"{ROUND}/teams/{first}/members", {"account": str(account_id("zhaoli"))})
    assert auditor.status_code == 422 and "请选择一个启用的考核组成员账户" in text_of(auditor.text)
    run(add_account("sunwei", Role.inspector, "孙伟",
                    active=False))
    inactive = office.post(f"{ROUND}/teams/{first}/members", {"account": str(account_id("sunwei"))})
    assert inactive.status_code == 422
    twice = office.post(f"{ROUND}/teams/{first}/members", {"account": str(account_id("liqiang"))})
    assert twice.status_code == 422 and "李强 已在第一组中" in text_of(twice.text)

    renamed = office.post(f"{ROUND}/teams/{first}", {"name": "甲组"}, follow_redirects=False)
    assert renamed.status_code == 303 and run(Team.select(Team.name).first())["name"] == "甲组"
    assert office.post(f"{ROUND}/teams/{first}/members/{account_id('liqiang')}/remove",
                       follow_redirects=False).status_code == 303
    assert run(TeamMember.count()) == 0
    assert office.post(f"{ROUND}/teams/{first}/delete", follow_redirects=False).status_code == 303
    assert run(Team.count()) == 0
    actions = [row["action"] for row in run(AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action.like("team.%")).order_by(AuditEntry.id))]
    assert actions == ["team.create", "team.member_add", "team.rename", "team.member_remove", "team.delete"]


def test_departments_are_assigned_one_by_one_or_a_whole_group_at_once(office, draft, people):
    office.post(f"{ROUND}/departments", {"group": "county"})
    office.post(f"{ROUND}/departments", {"group": "municipal"})
    first, second = add_team(office, "第一组", "liqiang"), add_team(office, "第二组")
    ids = {code: row["id"] for code, row in checklists().items()}
    response = office.post(f"{ROUND}/assignments", {f"team-{ids['150902']}": str(first),
                                                    f"team-{ids['SZ03']}": str(second)}, follow_redirects=False)
    assert response.status_code == 303
    assert checklists()["150902"]["team.name"] == "第一组" and checklists()["SZ03"]["team.name"] == "第二组"
    office.post(f"{ROUND}/assignments/group", {"group": "county", "team": str(second)})
    assert checklists()["150981"]["team.name"] == "第二组" and checklists()["150902"]["team.name"] == "第一组"
    assert checklists()["SZ10"]["team.name"] is None
    bad = office.post(f"{ROUND}/assignments", {f"team-{ids['SZ10']}": "99999"})
    assert bad.status_code == 422 and "请从列表中选择考核组" in text_of(bad.text)
    entry = run(AuditEntry.select().where(AuditEntry.action == "team.assign").first())
    assert json.loads(entry["old_value"]) == {"department": "150902", "team": None}
    assert json.loads(entry["new_value"]) == {"department": "150902", "team": "第一组"}
    assert "第一组 负责 1 个单位" in text_of(office.get(ROUND).text)


def test_opening_is_refused_without_departments_or_with_any_unassigned(office, draft, people):
    empty = office.post(f"{ROUND}/open")
    assert empty.status_code == 422 and "还没有覆盖任何单位" in text_of(empty.text)
    office.post(f"{ROUND}/departments", {"group": "county"})
    first = add_team(office, "第一组", "liqiang")
    office.post(f"{ROUND}/assignments", {f"team-{checklists()['150902']['id']}": str(first)})
    refused = office.post(f"{ROUND}/open")
    text = text_of(refused.text)
    assert refused.status_code == 422 and "以下 1 个单位尚未分配考核组，不能开始： 150981 丰镇市" in text
    assert run(InspectionRound.select(InspectionRound.status).first())["status"] == "draft"
    assert run(ChecklistAnswer.count()) == 0 and run(IndicatorSystem.select().first())["frozen_at"] is None


def test_opening_freezes_the_system_and_makes_every_item_of_every_checklist_unanswered(office, draft, people):
    office.post(f"{ROUND}/departments", {"group": "county"})
    office.post(f"{ROUND}/departments", {"department": "SZ03"})
    first = add_team(office, "第一组", "liqiang")
    office.post(f"{ROUND}/assignments/group", {"group": "county", "team": str(first)})
    office.post(f"{ROUND}/assignments/group", {"group": "municipal", "team": str(first)})
    assert office.post(f"{ROUND}/open", follow_redirects=False).status_code == 303

    saved = run(InspectionRound.select().first())
    assert saved["status"] == "open" and saved["opened_at"] is not None
    assert run(IndicatorSystem.select().first())["frozen_at"] is not None
    assert run(ChecklistAnswer.count()) == 3 * 19
    assert run(ChecklistAnswer.count().where(ChecklistAnswer.value.is_not_null())) == 0
    entry = run(AuditEntry.select().where(AuditEntry.action == "round.open").first())
    assert json.loads(entry["new_value"]) == {"status": "open", "checklists": 3, "items": 19}

    html = office.get(ROUND).text
    text = text_of(html)
    assert "进行中" in text and "150902 集宁区 旗县市区" in text and "未开始 0/19" in text
    assert f'href="/inspect/checklists/{checklists()["150902"]["id"]}"' in html
    # One answered item shows in the progress.
    answer = run(ChecklistAnswer.select(ChecklistAnswer.id).where(
        ChecklistAnswer.checklist == checklists()["150902"]["id"]).first())["id"]
    run(ChecklistAnswer.update({ChecklistAnswer.value: 1}).where(ChecklistAnswer.id == answer))
    assert "1/19" in text_of(office.get(ROUND).text)

    again = office.post(f"{ROUND}/open")
    assert again.status_code == 422 and "只有筹备中的考核批次可以开始" in text_of(again.text)
    moved = office.post(f"{ROUND}/departments", {"department": "SZ10"})
    assert moved.status_code == 422 and "覆盖的单位不能再改变" in text_of(moved.text)
    assert office.post(f"{ROUND}/departments/150902/remove").status_code == 422
    assert run(ChecklistAnswer.count()) == 3 * 19


def test_while_open_a_department_moves_to_another_team_but_never_back_to_none(office, draft, people):
    office.post(f"{ROUND}/departments", {"group": "county"})
    first, second = add_team(office, "第一组", "liqiang"), add_team(office, "第二组")
    office.post(f"{ROUND}/assignments/group", {"group": "county", "team": str(first)})
    office.post(f"{ROUND}/open")
    jining = checklists()["150902"]["id"]
    assert office.post(f"{ROUND}/assignments", {f"team-{jining}": str(second)},
                       follow_redirects=False).status_code == 303
    assert checklists()["150902"]["team.name"] == "第二组"
    none = office.post(f"{ROUND}/assignments", {f"team-{jining}": ""})
    assert none.status_code == 422 and "每个单位都必须有考核组" in text_of(none.text)
    deleted = office.post(f"{ROUND}/teams/{first}/delete")
    assert deleted.status_code == 422 and "考核组不能删除" in text_of(deleted.text)
    assert office.post(f"{ROUND}/close", follow_redirects=False).status_code == 303
    closed = office.post(f"{ROUND}/assignments", {f"team-{jining}": str(first)})
    assert closed.status_code == 422 and "考核批次已结束" in text_of(closed.text)
    assert [row["action"] for row in run(AuditEntry.select(AuditEntry.action).where(
        AuditEntry.action.is_in(["round.open", "round.close"])).order_by(AuditEntry.id))] == ["round.open",
                                                                                             "round.close"]


def test_auditors_see_the_round_page_but_every_change_is_refused(visitor, people, new_visitor, departments):
    office = new_visitor()
    office.sign_in("wangmin")
    system_id = run(add_sample_system())[0]
    office.post("/staff/rounds", {"code": "2026-kh", "name": "考核", "year": "2026", "system": str(system_id),
                                  "deadline": "2026-12-31", "public_weight": "20", "below_sample": "group_mean",
                                  "bonus_cap": "5", "grade_bands": "优秀 90\n不合格 0"})
    office.post(f"{ROUND}/departments", {"group": "county"})
    visitor.sign_in("zhaoli")
    page = visitor.get(ROUND)
    assert page.status_code == 200 and "集宁区" in page.text and "<select" not in page.text
    for url, data in ((f"{ROUND}/departments", {"group": "municipal"}), (f"{ROUND}/teams", {"name": "x"}),
                      (f"{ROUND}/open", {}), (f"{ROUND}/departments/150902/remove", {})):
        assert visitor.post(url, data).status_code == 403
    assert len(checklists()) == 2 and run(Team.count()) == 0
