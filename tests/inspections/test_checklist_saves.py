"""Saving one item of a checklist: stored once however often it is sent, refused on a stale
version, a bad value or a locked checklist, and recorded in the audit trail."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from evaluation.core import clock
from evaluation.core.tables import AuditEntry, DepartmentGroup, Role
from inspections.checklists.scoring import format_points
from inspections.tables import AnswerSave, Checklist, ChecklistAnswer, Indicator, InspectionRound, Team, TeamMember
from tests.conftest import ENGINE_NAME, Visitor, add_account, add_department, empty_database, run, text_of
from tests.inspections.conftest import Inspection, open_sample_round, use_point_step

JINING = "150902"


def item_url(inspection: Inspection, code: str, department: str = JINING) -> str:
    return f"/inspect/checklists/{inspection.checklists[department]}/items/{inspection.items[code]}"


def send(visitor: Visitor, url: str, value: str, base_version: int = 0, note: str = "",
         save_id: str | None = None) -> Any:
    return visitor.client.post(
        url,
        data={"save_id": save_id or uuid.uuid4().hex, "base_version": str(base_version), "value": value, "note": note},
        headers={"accept": "application/json", "x-csrftoken": visitor.csrf_token()},
    )


def answer_row(inspection: Inspection, code: str, department: str = JINING) -> dict[str, Any]:
    return run(ChecklistAnswer.select().where(ChecklistAnswer.id == inspection.answers[(department, code)]).first())


def checklist_status(inspection: Inspection, department: str = JINING) -> str:
    row = run(Checklist.select(Checklist.status).where(Checklist.id == inspection.checklists[department]).first())
    return row["status"]


def answer_audit() -> list[dict[str, Any]]:
    return run(AuditEntry.select().where(AuditEntry.action == "checklist.answer").order_by(AuditEntry.id))


def signed_in_as(new_visitor: Callable[[], Visitor], username: str) -> Visitor:
    visitor = new_visitor()
    visitor.sign_in(username)
    return visitor


def all_at_once(work: list[Callable[[], Any]]) -> list[Any]:
    """Runs each call in its own thread, released together."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def runner(index: int) -> None:
        barrier.wait()
        results[index] = work[index]()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_save_stores_the_value_and_note_and_starts_the_checklist(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    response = send(visitor, item_url(inspection, "A1"), "1.5", note="会议记录缺一份")
    assert response.status_code == 200, response.text
    body = response.json()
    row = answer_row(inspection, "A1")
    # Who saved it and when, and the checklist's status now, for the page's card and header.
    assert body == {"status": "saved", "version": 1, "value": "1.5", "note": "会议记录缺一份", "points": "1.5",
                    "answered": 1, "total": 19, "inspection": "1.5", "bonus": "0", "veto": False,
                    "replayed": False, "by": "李强", "at": clock.local(row["answered_at"]).strftime("%Y-%m-%d %H:%M"),
                    "checklist_status": "in_progress", "checklist_status_label": "填写中"}
    assert (row["value"], row["note"], row["version"]) == (Decimal("1.5"), "会议记录缺一份", 1)
    assert row["answered_at"] is not None
    assert checklist_status(inspection) == "in_progress"
    entries = answer_audit()
    assert len(entries) == 1
    assert entries[0]["actor"] == "liqiang"
    assert entries[0]["target"] == f"checklist:{inspection.checklists[JINING]}:A1"
    assert json.loads(entries[0]["old_value"]) == {"value": None, "note": ""}
    assert json.loads(entries[0]["new_value"]) == {"value": "1.5", "note": "会议记录缺一份"}


def test_the_running_score_counts_answered_items_and_caps_nothing_it_should_not(
    visitor: Visitor, inspection: Inspection
) -> None:
    visitor.sign_in("liqiang")
    assert send(visitor, item_url(inspection, "C8"), "3").json()["points"] == "2"
    assert send(visitor, item_url(inspection, "J1"), "3").json()["bonus"] == "3"
    body = send(visitor, item_url(inspection, "V1"), "1").json()
    assert (body["answered"], body["inspection"], body["bonus"], body["veto"]) == (3, "2", "3", True)
    # A second save of the same item builds on the version the first one made.
    body = send(visitor, item_url(inspection, "C8"), "1", base_version=1).json()
    assert (body["version"], body["points"], body["inspection"], body["answered"]) == (2, "4", "4", 3)
    entries = answer_audit()
    assert json.loads(entries[-1]["old_value"]) == {"value": "3", "note": ""}
    assert json.loads(entries[-1]["new_value"]) == {"value": "1", "note": ""}


def test_an_empty_value_leaves_the_item_unanswered_but_keeps_the_note(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    body = send(visitor, item_url(inspection, "A2"), "", note="待核实").json()
    assert (body["status"], body["value"], body["points"], body["answered"], body["version"]) == (
        "saved", None, None, 0, 1)
    row = answer_row(inspection, "A2")
    assert (row["value"], row["note"]) == (None, "待核实")
    body = send(visitor, item_url(inspection, "A2"), "2", base_version=1, note="待核实").json()
    assert body["answered"] == 1
    body = send(visitor, item_url(inspection, "A2"), "", base_version=2).json()
    assert (body["answered"], body["value"]) == (0, None)


def test_a_veto_saved_as_not_triggered_is_an_answer(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    body = send(visitor, item_url(inspection, "V1"), "0").json()
    assert (body["answered"], body["veto"], body["value"]) == (1, False, "0")


def test_the_same_save_sent_again_and_again_is_stored_once(
    visitor: Visitor, new_visitor: Callable[[], Visitor], inspection: Inspection
) -> None:
    tablets = [signed_in_as(new_visitor, "liqiang") for _ in range(3)]
    url = item_url(inspection, "B3")
    save_id = "retry-" + uuid.uuid4().hex
    results = all_at_once([lambda tablet=tablet: send(tablet, url, "4", note="公开栏、微信", save_id=save_id)
                           for tablet in tablets])
    visitor.sign_in("liqiang")
    results.append(send(visitor, url, "4", note="公开栏、微信", save_id=save_id))
    assert [result.status_code for result in results] == [200, 200, 200, 200], [r.text for r in results]
    bodies = [result.json() for result in results]
    assert [body["replayed"] for body in bodies].count(False) == 1
    assert {body["version"] for body in bodies} == {1}
    assert {body["value"] for body in bodies} == {"4"}
    assert run(AnswerSave.count()) == 1
    assert len(answer_audit()) == 1
    assert answer_row(inspection, "B3")["version"] == 1


def test_two_inspectors_saving_the_same_item_get_one_save_and_one_conflict(
    new_visitor: Callable[[], Visitor], inspection: Inspection
) -> None:
    async def add_member() -> None:
        account = await add_account("zhouyi", Role.inspector, "周毅")
        team = await Team.select(Team.id).where(Team.name == "第一组").first()
        await TeamMember.insert(TeamMember(team=team["id"], account=account))

    run(add_member())
    liqiang, zhouyi = signed_in_as(new_visitor, "liqiang"), signed_in_as(new_visitor, "zhouyi")
    url = item_url(inspection, "C1")
    results = all_at_once([lambda: send(liqiang, url, "20", note="李"), lambda: send(zhouyi, url, "25", note="周")])
    codes = sorted(result.status_code for result in results)
    assert codes == [200, 409], [result.text for result in results]
    winner = next(result for result in results if result.status_code == 200).json()
    loser = next(result for result in results if result.status_code == 409).json()
    assert loser["status"] == "conflict"
    assert (loser["version"], loser["value"], loser["note"]) == (1, winner["value"], winner["note"])
    assert loser["by"] == ("李强" if winner["value"] == "20" else "周毅")
    assert len(loser["at"]) == len("2026-11-26 14:03")
    row = answer_row(inspection, "C1")
    assert (row["version"], format_points(row["value"])) == (1, winner["value"])
    assert len(answer_audit()) == 1


def test_values_out_of_range_are_refused_with_what_is_allowed(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    cases = [("A1", "2.5", "得分须在 0 到 2 分之间，以 0.5 分为单位"), ("A1", "1.2", "以 0.5 分为单位"),
             ("C8", "1.5", "扣分次数须为 0 到 999 之间的整数"), ("V1", "2", "单项否决只能填 1（触发）或 0（未触发）"),
             ("J1", "abc", "得分须在 0 到 3 分之间")]
    for code, value, message in cases:
        response = send(visitor, item_url(inspection, code), value)
        assert response.status_code == 422, response.text
        assert response.json()["status"] == "invalid"
        assert message in response.json()["message"]
    response = send(visitor, item_url(inspection, "A1"), "1", note="长" * 2001)
    assert response.status_code == 422
    assert "备注不能超过 2000 个字" in response.json()["message"]
    response = send(visitor, item_url(inspection, "A1"), "1", save_id="bad id!")
    assert response.status_code == 422
    assert run(ChecklistAnswer.count().where(ChecklistAnswer.version > 0)) == 0
    assert checklist_status(inspection) == "not_started"
    assert answer_audit() == []


def test_a_submitted_or_approved_checklist_refuses_saves(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    for status in ("submitted", "approved"):
        run(Checklist.update({Checklist.status: status}).where(Checklist.id == inspection.checklists[JINING]))
        response = send(visitor, item_url(inspection, "A1"), "2")
        assert response.status_code == 423, response.text
        assert response.json()["status"] == "locked"
        assert "不能修改" in response.json()["message"]
    assert answer_row(inspection, "A1")["version"] == 0
    assert answer_audit() == []
    assert run(AnswerSave.count()) == 0


def test_a_closed_round_refuses_saves(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    run(InspectionRound.update({InspectionRound.status: "closed"}).where(InspectionRound.id == inspection.round_id))
    response = send(visitor, item_url(inspection, "A1"), "2")
    assert response.status_code == 423
    assert "未开放" in response.json()["message"]


def test_a_returned_checklist_takes_saves_again(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    run(Checklist.update({Checklist.status: "returned"}).where(Checklist.id == inspection.checklists[JINING]))
    assert send(visitor, item_url(inspection, "A1"), "2").status_code == 200
    assert checklist_status(inspection) == "returned"


def test_a_form_posted_without_script_goes_back_to_the_item(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    url = item_url(inspection, "A3")
    response = visitor.post(url, {"save_id": uuid.uuid4().hex, "base_version": "0", "value": "1", "note": ""},
                            follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/inspect/checklists/{inspection.checklists[JINING]}#item-A3"
    assert answer_row(inspection, "A3")["value"] == Decimal("1")
    response = visitor.post(url, {"save_id": uuid.uuid4().hex, "base_version": "1", "value": "7", "note": ""},
                            follow_redirects=False)
    assert response.status_code == 422
    assert "得分须在 0 到 2 分之间" in text_of(response.text)
    response = visitor.post(url, {"save_id": uuid.uuid4().hex, "base_version": "0", "value": "2", "note": ""},
                            follow_redirects=False)
    assert response.status_code == 409
    assert "李强" in text_of(response.text)
    assert answer_row(inspection, "A3")["version"] == 1


def test_a_save_of_7_4_is_refused_in_a_system_with_step_0_5(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    response = send(visitor, item_url(inspection, "C1"), "7.4")
    assert response.status_code == 422
    assert response.json() == {"status": "invalid", "message": "得分须在 0 到 25 分之间，以 0.5 分为单位。"}
    form = visitor.post(item_url(inspection, "C1"), {"save_id": uuid.uuid4().hex, "base_version": "0", "value": "7.4",
                                                     "note": ""}, follow_redirects=False)
    assert form.status_code == 422
    assert "得分须在 0 到 25 分之间，以 0.5 分为单位。" in text_of(form.text) and 'value="7.4"' in form.text
    assert answer_row(inspection, "C1")["version"] == 0 and answer_audit() == []


def test_a_system_with_step_0_1_takes_a_save_of_7_4_and_refuses_7_45(visitor: Visitor, inspection: Inspection) -> None:
    use_point_step(inspection, "0.1")
    visitor.sign_in("liqiang")
    body = send(visitor, item_url(inspection, "C1"), "7.4").json()
    assert (body["status"], body["value"], body["points"], body["inspection"]) == ("saved", "7.4", "7.4", "7.4")
    response = send(visitor, item_url(inspection, "C1"), "7.45", base_version=1)
    assert response.status_code == 422
    assert response.json()["message"] == "得分须在 0 到 25 分之间，以 0.1 分为单位。"
    assert send(visitor, item_url(inspection, "J1"), "2.3").json()["bonus"] == "2.3"
    form = visitor.post(item_url(inspection, "C6"), {"save_id": uuid.uuid4().hex, "base_version": "0", "value": "18.7",
                                                     "note": ""}, follow_redirects=False)
    assert form.status_code == 303
    assert [answer_row(inspection, code)["value"] for code in ("C1", "J1", "C6")] == [
        Decimal("7.4"), Decimal("2.3"), Decimal("18.7")]
    assert json.loads(answer_audit()[0]["new_value"]) == {"value": "7.4", "note": ""}

    # The page's steppers and inputs move by the system's step.
    page = visitor.get(f"/inspect/checklists/{inspection.checklists[JINING]}").text
    assert 'data-point-step="0.1"' in page
    card = page.split('id="item-C1"')[1].split("</article>")[0]
    assert 'step="0.1" value="7.4"' in card and 'data-step="-0.1"' in card and 'data-step="0.1"' in card
    assert 'aria-label="加 0.1 分"' in card and "每档 0.1 分" in text_of(card)


@pytest.mark.skipif(ENGINE_NAME != "postgresql", reason="the kept copies are the PostgreSQL save path's")
def test_ids_used_again_after_the_tables_are_emptied_never_meet_a_stale_copy(
        visitor: Visitor, inspection: Inspection, departments: dict[str, int]) -> None:
    """The PostgreSQL path keeps a frozen item's rules by its id. Emptied and filled again (as a
    restore into an empty database does, behind the running app's back), the same id may be
    another item: a value is checked by the item's rules as they are, never by a kept copy."""
    visitor.sign_in("liqiang")
    assert send(visitor, item_url(inspection, "C1"), "20").status_code == 200  # C1: 0 … 25 points
    run(empty_database)  # ids start again at 1; nothing told the app

    async def again() -> Inspection:
        await add_account("liqiang", Role.inspector, "李强")
        renewed = await open_sample_round({code: await add_department(code, name, group) for code, name, group in (
            ("150902", "集宁区", DepartmentGroup.county), ("150981", "丰镇市", DepartmentGroup.county))})
        await Indicator.update({Indicator.kind: "veto", Indicator.max_points: 0}).where(
            Indicator.id == renewed.items["C1"])
        return renewed

    renewed = run(again())
    assert renewed.items["C1"] == inspection.items["C1"]  # the very same id, now a veto item
    visitor.sign_in("liqiang")  # the account was emptied too
    refused = send(visitor, item_url(renewed, "C1"), "20")
    assert refused.status_code == 422 and "单项否决" in refused.json()["message"]
    assert answer_row(renewed, "C1")["value"] is None
    assert send(visitor, item_url(renewed, "C1"), "1").status_code == 200


def test_rows_of_every_writer_of_the_trail_verify_in_one_chain(visitor: Visitor, new_visitor: Callable[[], Visitor],
                                                               inspection: Inspection) -> None:
    """Staff changes (audit.record), checklist saves (their own statement on each engine) and the
    command line write entries of one shape, sealed into one chain that verifies."""
    import cli
    from evaluation.core import audit

    visitor.sign_in("liqiang")
    send(visitor, item_url(inspection, "C1"), "20", note="第一次")
    send(visitor, item_url(inspection, "C1"), "21.5", base_version=1, note='引号"、反斜杠\\、换行\n与\t制表')
    office = new_visitor()
    office.sign_in("wangmin")
    office.post("/staff/departments", {"code": "SZ40", "name": "乌兰察布市数据局", "group": "municipal"})
    assert cli.main(["ranking", "exclude", "2026-kh", "--units", "150981", "--reason", "机构撤并"]) == 0
    entries = answer_audit()
    assert [json.loads(entry["old_value"]) for entry in entries] == [
        {"value": None, "note": ""}, {"value": "20", "note": "第一次"}]
    assert entries[1]["old_value"] == audit.encode({"note": "第一次", "value": "20"})
    assert json.loads(entries[1]["new_value"])["note"] == '引号"、反斜杠\\、换行\n与\t制表'
    verdict = run(audit.verify)
    assert verdict.intact and verdict.rows_checked == run(AuditEntry.count()) >= 4
