"""The iCalendar feed, read back by the icalendar library as a calendar app would: times in
Asia/Shanghai (+08:00), one UID per interview for good, SEQUENCE raised by every change, and a
cancelled interview marked CANCELLED (PRODUCT.md §3)."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from tests.conftest import text_of
from tests.interviews.conftest import day_from_today, interview_form, schedule, scheduled


def events(visitor) -> dict[str, object]:
    response = visitor.get("/interviews/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_gives_published_interviews_in_shanghai_time(office, cast, new_visitor):
    day = day_from_today(10)
    scheduled(office, cast, "ft", day=day, starts="09:30", ends="11:00", topic="入学政策", publish=True)
    assert schedule(office, cast, "hidden", day=day_from_today(12), topic="尚未公布").status_code == 303
    found = events(new_visitor())
    assert list(found) == ["入学政策"]
    event = found["入学政策"]
    starts, ends = event.decoded("DTSTART"), event.decoded("DTEND")
    assert starts.isoformat() == f"{day}T09:30:00+08:00"
    assert ends.utcoffset() == dt.timedelta(hours=8) and ends.strftime("%H:%M") == "11:00"
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(event["STATUS"]) == "CONFIRMED" and event["SEQUENCE"] == 0
    assert "王海涛（市教育局局长）" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith("/interviews/ft")


def test_a_change_keeps_the_uid_with_a_new_sequence_and_a_cancellation_is_marked(office, cast, new_visitor):
    scheduled(office, cast, "ft", topic="入学政策", publish=True)
    citizen = new_visitor()
    before = events(citizen)["入学政策"]
    form = interview_form(cast, "ft", topic="入学政策", day=day_from_today(11), starts="14:00", ends="15:30")
    assert office.post("/staff/interviews/ft", form, follow_redirects=False).status_code == 303
    after = events(citizen)["入学政策"]
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == 1
    assert after.decoded("DTSTART").isoformat() == f"{day_from_today(11)}T14:00:00+08:00"
    assert office.post("/staff/interviews/ft/cancel", {"reason": "嘉宾临时出差"},
                       follow_redirects=False).status_code == 303
    cancelled = events(citizen)["入学政策"]
    assert str(cancelled["UID"]) == str(before["UID"])
    assert cancelled["SEQUENCE"] == 2
    assert str(cancelled["STATUS"]) == "CANCELLED"


def test_the_interviews_page_links_the_feed_and_the_home_page_links_the_interviews(office, cast, new_visitor):
    scheduled(office, cast, "ft", topic="入学政策", publish=True)
    citizen = new_visitor()
    assert 'href="/interviews/calendar.ics"' in citizen.get("/interviews").text
    home = citizen.get("/").text
    assert 'href="/interviews"' in home and "下一场：入学政策" in home


def test_the_month_view_puts_each_interview_on_its_day(office, cast, new_visitor):
    scheduled(office, cast, "ft", day="2030-03-14", starts="09:30", topic="入学政策", publish=True)
    citizen = new_visitor()
    page = citizen.get("/interviews?view=month&month=2030-03")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "2030 年 3 月" in text and "09:30 入学政策" in text
    assert 'href="/interviews?view=month&amp;month=2030-04"' in page.text
    assert "本月没有已公布的访谈" in text_of(citizen.get("/interviews?view=month&month=2030-04").text)
    for nonsense in ("9999-12", "2030-13", "abc"):
        assert citizen.get(f"/interviews?view=month&month={nonsense}").status_code == 200
