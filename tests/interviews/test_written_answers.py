"""Questions left unanswered when an interview closes get a written answer within N working days
on the Chinese calendar (default 5; PRODUCT.md §3, Settled questions: "Working days", "Dates");
those past the deadline are listed for the office."""

from __future__ import annotations

import datetime as dt

from evaluation.core import clock
from evaluation.interviews.tables import Answer
from tests.conftest import run, text_of
from tests.interviews.conftest import interview_row, scheduled
from tests.interviews.test_questions import answer, approve, ask


def at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_closing_before_national_day_gives_five_working_days_past_the_holiday(office, cast, new_visitor,
                                                                              monkeypatch):
    scheduled(office, cast, "ft", status="live", day="2030-01-02")
    at(monkeypatch, dt.datetime(2026, 9, 30, 15, 0, tzinfo=clock.SHANGHAI).astimezone(dt.UTC))
    assert office.post("/staff/interviews/ft/move", {"to": "closed"}, follow_redirects=False).status_code == 303
    # 1–7 October 2026 are holidays; Saturday 10 October is a make-up working day (调休):
    # 8, 9, 10, 12, 13 October are the five working days; the deadline is 24:00 of 13 October.
    due = interview_row("ft")["answers_due"]
    assert clock.format_local(due) == "2026-10-14 00:00:00 +08:00"


def test_the_office_sees_overdue_questions_and_a_written_answer_clears_them(office, cast, new_visitor, monkeypatch):
    scheduled(office, cast, "ft", status="live")
    citizen = new_visitor()
    ask(citizen, "ft", "答了的问题")
    ask(citizen, "ft", "没来得及答的问题")
    approve(office, "答了的问题")
    approve(office, "没来得及答的问题")
    assert answer(office, "ft", "答了的问题", "当场答复。", "王海涛", cast).status_code == 303
    assert office.post("/staff/interviews/ft/move", {"to": "closed"}, follow_redirects=False).status_code == 303
    assert "没有逾期未答复的问题" in text_of(office.get("/staff/interviews/overdue").text)
    refused = office.post("/staff/interviews/ft/move", {"to": "archived"})
    assert refused.status_code == 422 and "还有 1 个问题未答复" in text_of(refused.text)

    at(monkeypatch, clock.now() + dt.timedelta(days=30))
    page = text_of(office.get("/staff/interviews/overdue").text)
    assert "没来得及答的问题" in page and "答了的问题" not in page.replace("没来得及答的问题", "")
    # In writing, after the close: by a guest, or by the department (no guest chosen).
    assert answer(office, "ft", "没来得及答的问题", "经研究，书面答复如下。").status_code == 303
    stored = run(Answer.select().where(Answer.body == "经研究，书面答复如下。").first())
    assert stored["kind"] == "written" and stored["answered_by"] is None
    assert "没有逾期未答复的问题" in text_of(office.get("/staff/interviews/overdue").text)
    public = text_of(citizen.get("/interviews/ft").text)
    assert "乌兰察布市教育局 · 书面答复" in public
    assert office.post("/staff/interviews/ft/move", {"to": "archived"}, follow_redirects=False).status_code == 303


def test_the_number_of_working_days_is_the_offices_setting(office, cast, monkeypatch):
    assert office.post("/staff/interviews/rules", {"publish_days_before": "3", "answer_working_days": "1"},
                       follow_redirects=False).status_code == 303
    scheduled(office, cast, "ft", status="live", day="2030-01-02")
    at(monkeypatch, dt.datetime(2026, 9, 30, 15, 0, tzinfo=clock.SHANGHAI).astimezone(dt.UTC))
    office.post("/staff/interviews/ft/move", {"to": "closed"})
    assert clock.format_local(interview_row("ft")["answers_due"]) == "2026-10-09 00:00:00 +08:00"
