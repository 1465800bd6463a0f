"""Publishing and the life cycle (PRODUCT.md §3): public once published, at least N days before
the start unless urgent with a reason shown on the page; planned → collecting questions → live →
closed → archived, each move by the office, audited; any other move refused."""

from __future__ import annotations

import pytest

from evaluation.core.tables import AuditEntry
from tests.conftest import run, text_of
from tests.interviews.conftest import day_from_today, interview_row, schedule, scheduled


def publish(office, code, **data):
    return office.post(f"/staff/interviews/{code}/publish", data, follow_redirects=False)


def move(office, code, to):
    return office.post(f"/staff/interviews/{code}/move", {"to": to}, follow_redirects=False)


def test_an_interview_is_public_only_once_published(office, cast, new_visitor):
    assert schedule(office, cast, "2026-ft01").status_code == 303
    citizen = new_visitor()
    assert citizen.get("/interviews/2026-ft01").status_code == 404
    assert "2026-ft01" not in citizen.get("/interviews").text
    assert publish(office, "2026-ft01").status_code == 303
    page = citizen.get("/interviews/2026-ft01")
    assert page.status_code == 200
    assert "筹备中" in text_of(page.text)
    assert "/interviews/2026-ft01" in citizen.get("/interviews").text
    entry = run(AuditEntry.select().where(AuditEntry.action == "interview.publish").first())
    assert entry["actor"] == "wangmin"


def test_publishing_less_than_three_days_ahead_needs_an_urgent_mark_and_a_reason(office, cast, new_visitor):
    assert schedule(office, cast, "soon", day=day_from_today(2)).status_code == 303
    refused = publish(office, "soon")
    assert refused.status_code == 422
    assert "访谈须至少提前 3 天公布" in text_of(refused.text)
    refused = publish(office, "soon", urgent="1", urgent_reason="  ")
    assert refused.status_code == 422
    assert "标为紧急时须填写理由" in text_of(refused.text)
    assert interview_row("soon")["published_at"] is None
    assert publish(office, "soon", urgent="1", urgent_reason="配合开学季，需尽快回应家长关切").status_code == 303
    page = text_of(new_visitor().get("/interviews/soon").text)
    assert "紧急安排：配合开学季，需尽快回应家长关切" in page


def test_the_office_changes_the_number_of_days_and_the_change_is_audited(office, cast):
    response = office.post("/staff/interviews/rules", {"publish_days_before": "1", "answer_working_days": "7"},
                           follow_redirects=False)
    assert response.status_code == 303
    entry = run(AuditEntry.select().where(AuditEntry.action == "interview.rules").first())
    assert '"publish_days_before": 1' in entry["new_value"] and '"publish_days_before": 3' in entry["old_value"]
    assert schedule(office, cast, "soon", day=day_from_today(2)).status_code == 303
    assert publish(office, "soon").status_code == 303
    bad = office.post("/staff/interviews/rules", {"publish_days_before": "x", "answer_working_days": "0"})
    assert bad.status_code == 422
    assert "提前公布天数必须是 0 到 60 之间的整数" in text_of(bad.text)


def test_the_life_cycle_moves_one_step_at_a_time_and_each_move_is_audited(office, cast, new_visitor):
    scheduled(office, cast, "ft", publish=True)
    citizen = new_visitor()
    for step, label in (("collecting", "征集问题中"), ("live", "正在直播"), ("closed", "已结束"),
                        ("archived", "已归档")):
        assert move(office, "ft", step).status_code == 303
        assert interview_row("ft")["status"] == step
        assert label in text_of(citizen.get("/interviews/ft").text)
    moves = run(AuditEntry.select(AuditEntry.old_value, AuditEntry.new_value).where(
        AuditEntry.action == "interview.status").order_by(AuditEntry.id))
    assert [(m["old_value"], m["new_value"]) for m in moves] == [
        ('"planned"', '"collecting"'), ('"collecting"', '"live"'), ('"live"', '"closed"'), ('"closed"', '"archived"')]


@pytest.mark.parametrize(("status", "to"), [
    ("planned", "live"), ("planned", "closed"), ("collecting", "archived"), ("live", "collecting"),
    ("closed", "live"), ("archived", "closed"), ("archived", "archived"), ("collecting", "cancelled"),
])
def test_an_illegal_move_is_refused_and_changes_nothing(office, cast, status, to):
    scheduled(office, cast, "ft", status=status)
    response = move(office, "ft", to)
    assert response.status_code == 422
    assert "不能从" in text_of(response.text)
    assert interview_row("ft")["status"] == status


def test_questions_are_collected_only_after_publishing(office, cast):
    scheduled(office, cast, "ft")
    response = move(office, "ft", "collecting")
    assert response.status_code == 422
    assert "请先公布访谈" in text_of(response.text)


def test_a_live_interview_cannot_be_cancelled_and_a_cancelled_one_cannot_move(office, cast):
    scheduled(office, cast, "live-one", status="live")
    refused = office.post("/staff/interviews/live-one/cancel", {"reason": "改期"})
    assert refused.status_code == 422 and "只有尚未开始的访谈可以取消" in text_of(refused.text)
    scheduled(office, cast, "called-off", day=day_from_today(20), publish=True)
    assert office.post("/staff/interviews/called-off/cancel", {"reason": "改期"},
                       follow_redirects=False).status_code == 303
    refused = move(office, "called-off", "collecting")
    assert refused.status_code == 422 and "该访谈已取消" in text_of(refused.text)
