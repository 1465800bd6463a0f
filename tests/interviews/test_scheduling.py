"""The office schedules interviews; no guest, host or studio is ever booked twice at overlapping
times, and the form names the interview that clashes (PRODUCT.md §3)."""

from __future__ import annotations

import datetime as dt

import pytest

from evaluation.core.tables import AuditEntry
from evaluation.interviews.tables import Booking, Interview, InterviewGuest
from tests.conftest import run, text_of
from tests.interviews.conftest import day_from_today, interview_row, schedule


def test_the_office_schedules_an_interview_with_guests_host_and_studio(office, cast):
    response = schedule(office, cast, "2026-ft01", guests=("王海涛", "刘芳"))
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/interviews/2026-ft01?saved=1"
    row = interview_row("2026-ft01")
    assert row["status"] == "planned" and row["published_at"] is None
    # 09:30 in Shanghai is 01:30 UTC.
    assert row["starts_at"].astimezone(dt.UTC).strftime("%H:%M") == "01:30"
    guests = run(InterviewGuest.select(InterviewGuest.person.name).where(InterviewGuest.interview == row["id"])
                 .order_by(InterviewGuest.position))
    assert [guest["person.name"] for guest in guests] == ["王海涛", "刘芳"]
    assert run(Booking.count().where(Booking.interview == row["id"])) == 4  # two guests, the host, the studio
    entry = run(AuditEntry.select().where(AuditEntry.action == "interview.create").first())
    assert entry["actor"] == "wangmin" and entry["target"] == "interview:2026-ft01"
    page = text_of(office.get("/staff/interviews/2026-ft01").text)
    assert "筹备中" in page and "未公布" in page


def test_a_guest_booked_at_an_overlapping_time_is_refused_naming_the_interview(office, cast):
    day = day_from_today(10)
    assert schedule(office, cast, "first", day=day, starts="09:30", ends="11:00").status_code == 303
    response = schedule(office, cast, "second", day=day, starts="10:30", ends="12:00", host="郑洁",
                        studio="二号演播室")
    assert response.status_code == 422
    page = text_of(response.text)
    assert "嘉宾 王海涛（市教育局局长）在该时段已有安排" in page
    assert "first" in page and f"{day} 09:30–11:00" in page
    assert run(Interview.count()) == 1


@pytest.mark.parametrize(("changes", "named"), [
    ({"guests": ("刘芳",), "studio": "二号演播室"}, "主持人 周明（主持人）"),
    ({"guests": ("刘芳",), "host": "郑洁"}, "演播室 一号演播室"),
])
def test_the_host_and_the_studio_cannot_be_double_booked_either(office, cast, changes, named):
    day = day_from_today(10)
    assert schedule(office, cast, "first", day=day).status_code == 303
    response = schedule(office, cast, "second", day=day, starts="10:00", ends="10:30", **changes)
    assert response.status_code == 422
    assert named + "在该时段已有安排" in text_of(response.text)


def test_back_to_back_interviews_with_the_same_people_do_not_clash(office, cast):
    day = day_from_today(10)
    assert schedule(office, cast, "morning", day=day, starts="09:00", ends="10:00").status_code == 303
    assert schedule(office, cast, "next", day=day, starts="10:00", ends="11:00").status_code == 303
    assert schedule(office, cast, "other-day", day=day_from_today(11), starts="09:30").status_code == 303


def test_a_cancelled_interview_frees_its_people_and_studio(office, cast):
    day = day_from_today(10)
    assert schedule(office, cast, "first", day=day).status_code == 303
    response = office.post("/staff/interviews/first/cancel", {"reason": "嘉宾临时出差"}, follow_redirects=False)
    assert response.status_code == 303
    assert interview_row("first")["cancelled_at"] is not None
    assert schedule(office, cast, "instead", day=day).status_code == 303
    assert "本场访谈已取消：嘉宾临时出差" in text_of(office.get("/staff/interviews/first").text)


def test_moving_an_interview_onto_another_ones_guest_is_refused(office, cast):
    day = day_from_today(10)
    assert schedule(office, cast, "first", day=day, starts="09:00", ends="10:00").status_code == 303
    assert schedule(office, cast, "second", day=day, starts="14:00", ends="15:00", host="郑洁",
                    studio="二号演播室").status_code == 303
    from tests.interviews.conftest import interview_form

    form = interview_form(cast, "second", day=day, starts="09:30", ends="10:30", host="郑洁", studio="二号演播室")
    response = office.post("/staff/interviews/second", form, follow_redirects=False)
    assert response.status_code == 422
    assert "访谈“义务教育入学政策解读 first”（first" in text_of(response.text)
    assert interview_row("second")["starts_at"].astimezone(dt.UTC).hour == 6  # still 14:00 in Shanghai
    form["starts"], form["ends"] = "10:00", "11:00"
    assert office.post("/staff/interviews/second", form, follow_redirects=False).status_code == 303
    row = interview_row("second")
    assert row["sequence"] == 1
    assert run(AuditEntry.exists().where(AuditEntry.action == "interview.update"))


def test_the_database_refuses_overlapping_bookings_whoever_writes(office, cast):
    assert schedule(office, cast, "first").status_code == 303
    first = interview_row("first")

    async def book_the_same_guest() -> None:
        await Booking.insert(Booking(interview=first["id"], person=cast["王海涛"],
                                     starts_at=first["starts_at"] + dt.timedelta(minutes=30),
                                     ends_at=first["ends_at"] + dt.timedelta(minutes=30)))

    with pytest.raises(Exception) as refused:
        run(book_the_same_guest)
    assert "interview_booking" in str(refused.value)
    assert run(Booking.count().where(Booking.person == cast["王海涛"])) == 1


@pytest.mark.parametrize(("changes", "field_error"), [
    ({"starts": "11:00", "ends": "10:00"}, "结束时间必须晚于开始时间。"),
    ({"guests": ("周明",)}, "主持人不能同时是本场访谈的嘉宾。"),
    ({"guests": ()}, "请至少选择一位嘉宾。"),
    ({"code": "new"}, "代码只能包含字母、数字、下划线和连字符"),
])
def test_a_bad_form_is_answered_in_chinese_in_the_form(office, cast, changes, field_error):
    from tests.interviews.conftest import interview_form

    form = interview_form(cast, changes.pop("code", "bad"), **changes)
    response = office.post("/staff/interviews/new", form, follow_redirects=False)
    assert response.status_code == 422
    assert field_error in text_of(response.text)
    assert run(Interview.count()) == 0


def test_an_auditor_reads_but_cannot_schedule(visitor, cast):
    visitor.sign_in("zhaoli")
    assert visitor.get("/staff/interviews").status_code == 200
    assert schedule(visitor, cast, "nope").status_code == 403
