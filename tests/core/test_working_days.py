"""Deadlines count working days on the Chinese calendar, with the office's own entries winning
(PRODUCT.md, Settled questions: "Working days" and "Dates").

What chinese-calendar 1.11 says about 国庆 2025, which several tests walk through:
2025-10-01 (Wed) … 10-08 (Wed) are holidays (10-06 is 中秋); Sunday 09-28 and Saturday 10-11 are
make-up working days (调休). It knows 2004–2026 and nothing of 2027.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from evaluation.core import working_days
from evaluation.core.tables import AuditEntry, CalendarDay
from tests.conftest import run, text_of


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def test_holidays_and_make_up_days_come_from_the_package():
    assert run(working_days.is_working_day(date(2025, 10, 1))) is False  # 国庆节, a Wednesday
    assert run(working_days.is_working_day(date(2025, 9, 28))) is True  # a Sunday made a working day
    assert run(working_days.is_working_day(date(2025, 10, 11))) is True  # a Saturday made a working day
    assert run(working_days.is_working_day(date(2025, 3, 8))) is False  # an ordinary Saturday
    assert run(working_days.is_working_day(date(2025, 3, 10))) is True  # an ordinary Monday


def test_five_working_days_from_a_friday_end_on_the_next_friday():
    # Rated on Friday 2025-03-07: the Friday itself is not counted, the weekend is skipped,
    # Mon 10 … Fri 14 are the five working days.
    assert run(working_days.add_working_days(date(2025, 3, 7), 5)) == date(2025, 3, 14)


def test_a_deadline_spans_national_day_and_both_make_up_days():
    # Rated on Sunday 2025-09-28 (a make-up working day, not counted: it is the day of the rating).
    # 1 = Mon 09-29, 2 = Tue 09-30, 10-01 … 10-08 are holidays, 3 = Thu 10-09, 4 = Fri 10-10,
    # 5 = Sat 10-11, a make-up working day.
    due = run(working_days.deadline(shanghai("2025-09-28T15:20:00"), 5))
    assert due.last_day == date(2025, 10, 11)
    assert due.due == datetime(2025, 10, 11, 16, 0, tzinfo=UTC)  # 24:00 of 10-11 in Shanghai
    assert not due.calendar_missing and due.notice == ""
    # Rated on Friday 09-26: the make-up Sunday 09-28 is the first working day, and the
    # holidays push the fifth to Friday 10-10.
    assert run(working_days.add_working_days(date(2025, 9, 26), 5)) == date(2025, 10, 10)
    # Rated during the holiday, on 10-03: 10-09, 10-10, 10-11, 10-13, 10-14.
    assert run(working_days.add_working_days(date(2025, 10, 3), 5)) == date(2025, 10, 14)


def test_a_deadline_ends_at_midnight_in_shanghai_which_is_four_in_the_afternoon_utc():
    # 17:30 UTC on Thursday 2025-03-06 is already 01:30 on Friday 03-07 in Shanghai: the rating's
    # day is the Friday, the fifth working day after it is Friday 03-14, and the deadline is
    # 24:00 of 03-14 in Shanghai, that is 16:00 UTC.
    rated_at = datetime(2025, 3, 6, 17, 30, tzinfo=UTC)
    due = run(working_days.deadline_after(rated_at, 5))
    assert due == datetime(2025, 3, 14, 16, 0, tzinfo=UTC)
    assert due.utcoffset() is not None and due.tzinfo == UTC
    # One minute before midnight in Shanghai still belongs to the Thursday.
    assert run(working_days.deadline_after(datetime(2025, 3, 6, 15, 59, tzinfo=UTC), 5)) == datetime(
        2025, 3, 13, 16, 0, tzinfo=UTC
    )


def test_office_holiday_on_a_working_day_pushes_the_deadline_back(office):
    response = office.post("/staff/calendar", {"day": "2025-03-12", "kind": "holiday", "note": "本地假日"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/calendar?year=2025&saved=1#entries"
    assert run(working_days.is_working_day(date(2025, 3, 12))) is False
    # Mon 10, Tue 11, (Wed 12 off), Thu 13, Fri 14, Mon 17.
    assert run(working_days.add_working_days(date(2025, 3, 7), 5)) == date(2025, 3, 17)


def test_office_working_saturday_counts_in_the_deadline(office):
    office.post("/staff/calendar", {"day": "2025-03-08", "kind": "working", "note": "集中办公"})
    # Sat 08, Mon 10, Tue 11, Wed 12, Thu 13.
    assert run(working_days.add_working_days(date(2025, 3, 7), 5)) == date(2025, 3, 13)
    saved = run(CalendarDay.select().where(CalendarDay.day == date(2025, 3, 8)).first())
    assert saved["is_working"] is True and saved["note"] == "集中办公"


def test_office_entries_win_over_the_package(office):
    office.post("/staff/calendar", {"day": "2025-10-11", "kind": "holiday", "note": "不调休"})
    office.post("/staff/calendar", {"day": "2025-10-08", "kind": "working", "note": "提前上班"})
    assert run(working_days.is_working_day(date(2025, 10, 11))) is False
    assert run(working_days.is_working_day(date(2025, 10, 8))) is True
    # From Sunday 09-28: 09-29, 09-30, 10-08 (office), 10-09, 10-10; the Saturday no longer counts.
    assert run(working_days.add_working_days(date(2025, 9, 28), 5)) == date(2025, 10, 10)
    page = text_of(office.get("/staff/calendar?year=2025").text)
    assert "本办已改为：放假" in page and "本办已改为：上班" in page


def test_a_year_the_package_does_not_know_counts_monday_to_friday_and_says_so(office):
    assert run(working_days.is_year_known(2027)) is False
    assert 2027 not in run(working_days.known_years()) and 2026 in run(working_days.known_years())
    # Friday 2027-10-01 is 国庆 in any real schedule, but nobody has entered 2027 yet:
    # Mon 04 … Fri 08 are counted as working days.
    due = run(working_days.deadline(shanghai("2027-10-01T09:00:00"), 5))
    assert due.last_day == date(2027, 10, 8)
    assert due.unknown_years == (2027,)
    assert due.notice == "该年度的节假日安排尚未录入，暂按周一至周五计算。"
    page = text_of(office.get("/staff/calendar?year=2027").text)
    assert "2027 年的节假日安排尚未录入，暂按周一至周五计算。" in page
    assert "国家公布的节假日和调休上班日" not in page


def test_a_deadline_that_runs_into_an_unknown_year_reports_that_year():
    # Rated on Wednesday 2026-12-30: Thu 12-31 (2026, known), then 2027 by Monday to Friday:
    # Fri 01-01, Mon 01-04, Tue 01-05, Wed 01-06.
    due = run(working_days.deadline(shanghai("2026-12-30T11:00:00"), 5))
    assert due.last_day == date(2027, 1, 6)
    assert due.unknown_years == (2027,)


def test_entering_a_day_of_an_unknown_year_makes_that_year_known(office):
    office.post("/staff/calendar", {"day": "2027-01-01", "kind": "holiday", "note": "元旦"})
    assert run(working_days.is_year_known(2027)) is True
    assert 2027 in run(working_days.known_years())
    due = run(working_days.deadline(shanghai("2026-12-30T11:00:00"), 5))
    assert due.last_day == date(2027, 1, 7) and not due.calendar_missing
    page = text_of(office.get("/staff/calendar?year=2027").text)
    assert "2027 年的节假日安排由本办录入。" in page
    assert "尚未录入" not in page
    assert "2027-01-01 星期五 放假 元旦" in page


def test_the_calendar_page_lists_the_package_holidays_and_make_up_days_of_the_year(office):
    page = text_of(office.get("/staff/calendar?year=2025").text)
    assert "2025 年工作日历" in page
    assert "国家公布的节假日和调休上班日" in page
    assert "2025-10-01 星期三 国庆节 放假" in page
    assert "2025-10-06 星期一 中秋节 放假" in page
    assert "2025-09-28 星期日 国庆节 调休上班" in page
    assert "本年度尚无本办录入的安排。" in page


def test_changing_and_removing_a_day_is_audited(office):
    office.post("/staff/calendar", {"day": "2025-03-12", "kind": "holiday", "note": "本地假日"})
    office.post("/staff/calendar", {"day": "2025-03-12", "kind": "holiday", "note": "本地假日"})  # no change
    office.post("/staff/calendar", {"day": "2025-03-12", "kind": "working", "note": "改为上班"})
    response = office.post("/staff/calendar/2025-03-12/delete", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/calendar?year=2025&removed=1#entries"
    assert run(CalendarDay.count()) == 0
    trail = run(AuditEntry.select().order_by(AuditEntry.id))
    assert [(row["actor"], row["action"], row["target"]) for row in trail] == [
        ("wangmin", "calendar.set", "calendar:2025-03-12"),
        ("wangmin", "calendar.set", "calendar:2025-03-12"),
        ("wangmin", "calendar.remove", "calendar:2025-03-12"),
    ]
    assert trail[0]["old_value"] == "" and '"is_working": false' in trail[0]["new_value"]
    assert '"note": "本地假日"' in trail[1]["old_value"] and '"note": "改为上班"' in trail[1]["new_value"]
    assert '"is_working": true' in trail[2]["old_value"] and trail[2]["new_value"] == ""
    assert "已删除该日的安排。" in text_of(office.get("/staff/calendar?year=2025&removed=1").text)


def test_bad_dates_and_long_notes_are_refused_in_the_form(office):
    response = office.post("/staff/calendar", {"day": "2025-02-30", "kind": "holiday", "note": "长" * 101,
                                               "year": "2025"})
    assert response.status_code == 422
    text = text_of(response.text)
    assert "请填写有效的日期，格式为 YYYY-MM-DD，例如 2027-10-01。" in text
    assert "备注不能超过 100 个字符。" in text
    assert 'value="2025-02-30"' in response.text  # what was typed is kept
    assert "2025 年工作日历" in text
    missing = office.post("/staff/calendar", {"day": "", "kind": "sometimes"})
    assert missing.status_code == 422
    assert "请填写日期。" in text_of(missing.text) and "请选择放假或上班。" in text_of(missing.text)
    far = office.post("/staff/calendar", {"day": "1999-10-01", "kind": "holiday"})
    assert far.status_code == 422 and "日期须在 2000 年到 2099 年之间。" in text_of(far.text)
    assert run(CalendarDay.count()) == 0
    assert run(AuditEntry.count()) == 0


def test_removing_a_day_the_office_never_entered_is_not_found(office):
    assert office.post("/staff/calendar/2025-03-12/delete").status_code == 404
    assert office.post("/staff/calendar/not-a-day/delete").status_code == 404


def test_auditor_reads_the_calendar_but_cannot_change_it(visitor, people):
    run(working_days.set_day("wangmin", date(2025, 3, 12), False, "本地假日"))
    visitor.sign_in("zhaoli")
    page = visitor.get("/staff/calendar?year=2025")
    assert page.status_code == 200 and "本地假日" in text_of(page.text)
    assert "录入或修改一天的安排" not in text_of(page.text)
    assert visitor.post("/staff/calendar", {"day": "2025-03-13", "kind": "holiday"}).status_code == 403
    assert visitor.post("/staff/calendar/2025-03-12/delete").status_code == 403
    assert run(CalendarDay.count()) == 1


def test_liaison_cannot_see_the_calendar_admin(visitor, people):
    visitor.sign_in("chenjing")
    assert visitor.get("/staff/calendar").status_code == 403
    assert visitor.post("/staff/calendar", {"day": "2025-03-13", "kind": "holiday"}).status_code == 403


def test_a_deadline_reads_the_office_calendar_in_one_query_however_many_days_it_walks(monkeypatch):
    run(working_days.set_day("wangmin", date(2025, 10, 13), False, "本地假日"))
    selects = []
    original = CalendarDay.select.__func__

    def counted(cls, *columns, **kwargs):
        selects.append(columns)
        return original(cls, *columns, **kwargs)

    monkeypatch.setattr(CalendarDay, "select", classmethod(counted))
    # Ten working days from 2025-09-28 walk three weeks, through 国庆 and the office's 10-13:
    # 09-29, 09-30, 10-09, 10-10, 10-11, 10-14, 10-15, 10-16, 10-17, 10-20. One read all the same.
    due = run(working_days.deadline(shanghai("2025-09-28T09:00:00"), 10))
    assert due.last_day == date(2025, 10, 20)
    assert len(selects) == 1
