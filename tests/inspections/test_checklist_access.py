"""Who sees which checklist and who may change it: the team's own inspectors change it, office and
auditor read every one, an inspector of another team and a liaison find nothing."""

from __future__ import annotations

import uuid
from typing import Any

from inspections.tables import Checklist, ChecklistAnswer, InspectionRound
from tests.conftest import Visitor, run, text_of
from tests.inspections.conftest import Inspection

JINING, FENGZHEN = "150902", "150981"


def page_url(inspection: Inspection, department: str = JINING) -> str:
    return f"/inspect/checklists/{inspection.checklists[department]}"


def save_url(inspection: Inspection, department: str = JINING, code: str = "A1") -> str:
    return f"{page_url(inspection, department)}/items/{inspection.items[code]}"


def send(visitor: Visitor, url: str, value: str = "2") -> Any:
    return visitor.client.post(
        url, data={"save_id": uuid.uuid4().hex, "base_version": "0", "value": value, "note": ""},
        headers={"accept": "application/json", "x-csrftoken": visitor.csrf_token()},
    )


def nothing_saved() -> bool:
    return run(ChecklistAnswer.count().where(ChecklistAnswer.version > 0)) == 0


def test_the_teams_inspector_opens_the_checklist_and_saves(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    response = visitor.get(page_url(inspection))
    assert response.status_code == 200
    assert "集宁区" in text_of(response.text)
    assert send(visitor, save_url(inspection)).status_code == 200


def test_an_inspector_of_another_team_finds_no_such_checklist(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("sunwei")
    assert visitor.get(page_url(inspection, JINING)).status_code == 404
    assert send(visitor, save_url(inspection, JINING)).status_code == 404
    response = visitor.post(save_url(inspection, JINING), {"save_id": uuid.uuid4().hex, "base_version": "0",
                                                          "value": "2"}, follow_redirects=False)
    assert response.status_code == 404
    assert visitor.get(page_url(inspection, FENGZHEN)).status_code == 200
    assert nothing_saved()


def test_a_liaison_sees_no_checklist(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("chenjing")
    assert visitor.get(page_url(inspection)).status_code in (403, 404)
    assert send(visitor, save_url(inspection)).status_code in (403, 404)
    assert visitor.get("/inspect").status_code == 403
    assert nothing_saved()


def test_office_and_auditor_read_every_checklist_but_do_not_change_answers(
    visitor: Visitor, inspection: Inspection
) -> None:
    for username in ("wangmin", "zhaoli"):
        visitor.client.cookies.clear()
        visitor.sign_in(username)
        for department in (JINING, FENGZHEN):
            assert visitor.get(page_url(inspection, department)).status_code == 200
        response = send(visitor, save_url(inspection))
        assert response.status_code == 423
        assert response.json()["message"] == "只有本考核组的成员可以修改这份考核清单。"
    assert nothing_saved()


def test_an_unknown_checklist_or_item_is_not_found(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    assert visitor.get("/inspect/checklists/999999").status_code == 404
    assert send(visitor, f"{page_url(inspection)}/items/999999").status_code == 404
    # An item of the system that is a category has no answer.
    assert send(visitor, f"{page_url(inspection)}/items/{inspection.items['A1'] - 1}").status_code == 404


def test_a_signed_out_save_asks_to_sign_in_again(visitor: Visitor, inspection: Inspection) -> None:
    response = send(visitor, save_url(inspection))
    assert response.status_code == 401
    assert response.json()["status"] == "signed_out"
    assert response.json()["login"].startswith("/staff/login?next=/inspect/checklists/")
    assert nothing_saved()


def test_an_inspector_lists_the_checklists_of_their_teams_in_open_rounds(
    visitor: Visitor, inspection: Inspection
) -> None:
    visitor.sign_in("liqiang")
    send(visitor, save_url(inspection, JINING, "A1"))
    text = text_of(visitor.get("/inspect").text)
    assert "集宁区" in text and "丰镇市" not in text
    assert "2026年度政务公开考核" in text
    assert "第一组" in text
    assert "填写中" in text
    assert "1 / 19 项" in text
    assert "2026-12-31" in text
    run(InspectionRound.update({InspectionRound.status: "closed"}).where(InspectionRound.id == inspection.round_id))
    assert "集宁区" not in text_of(visitor.get("/inspect").text)


def test_the_list_is_for_inspectors(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("wangmin")
    assert visitor.get("/inspect").status_code == 403
    visitor.client.cookies.clear()
    visitor.sign_in("sunwei")
    text = text_of(visitor.get("/inspect").text)
    assert "丰镇市" in text and "集宁区" not in text
    assert "未开始" in text and "0 / 19 项" in text
    run(Checklist.update({Checklist.status: "submitted"}).where(Checklist.id == inspection.checklists[FENGZHEN]))
    assert "已提交" in text_of(visitor.get("/inspect").text)
