"""The iCalendar feed of published interviews (PRODUCT.md §3), made with the ``icalendar``
library so that calendar apps can subscribe to it.

Every event keeps its UID for good; a change of time, people or place, and a cancellation, raise
its SEQUENCE, and a cancelled interview stays in the feed with STATUS:CANCELLED, so subscribed
calendars update or drop it rather than keep a stale copy. Times are written in Asia/Shanghai
with their TZID, and the feed carries the VTIMEZONE that defines it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from icalendar import Calendar, Event

from evaluation.core import clock
from evaluation.core.i18n import _
from evaluation.interviews.resources import person_label
from evaluation.interviews.tables import Interview, InterviewGuest

UID_DOMAIN = "interviews.pingyi"
# Past interviews stay in the feed this long, so a calendar keeps what happened recently.
PAST_DAYS = 180


def uid(interview_id: int) -> str:
    return f"interview-{interview_id}@{UID_DOMAIN}"


async def feed(base_url: str) -> bytes:
    since = clock.now() - dt.timedelta(days=PAST_DAYS)
    rows = await Interview.select(*Interview.all_columns(), Interview.department.name, Interview.host.name,
                                  Interview.host.title, Interview.studio.name, Interview.studio.location).where(
        Interview.published_at.is_not_null() & (Interview.ends_at >= since)).order_by(Interview.starts_at)
    guests: dict[int, list[str]] = {}
    for guest in await InterviewGuest.select(InterviewGuest.interview, InterviewGuest.person.name,
                                             InterviewGuest.person.title).where(
            InterviewGuest.interview.is_in([row["id"] for row in rows] or [0])).order_by(InterviewGuest.position):
        guests.setdefault(guest["interview"], []).append(
            person_label({"name": guest["person.name"], "title": guest["person.title"]}))
    calendar = Calendar()
    calendar.add("prodid", "-//Pingyi//线上访谈//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("线上访谈"))
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    for row in rows:
        calendar.add_component(_event(row, guests.get(row["id"], []), base_url))
    # The VTIMEZONE of Asia/Shanghai, for the TZID every time is written with.
    calendar.add_missing_timezones(first_date=dt.date(2000, 1, 1))
    return calendar.to_ical()


def _event(row: dict[str, Any], guests: list[str], base_url: str) -> Event:
    event = Event()
    event.add("uid", uid(row["id"]))
    event.add("sequence", row["sequence"])
    event.add("dtstamp", row["updated_at"].astimezone(dt.UTC))
    event.add("last-modified", row["updated_at"].astimezone(dt.UTC))
    event.add("dtstart", clock.local(row["starts_at"]))
    event.add("dtend", clock.local(row["ends_at"]))
    event.add("summary", row["topic"])
    cancelled = row["cancelled_at"] is not None
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    url = f"{base_url.rstrip('/')}/interviews/{row['code']}"
    event.add("url", url)
    lines = [_("单位：{name}").format(name=row["department.name"]),
             _("嘉宾：{names}").format(names="、".join(guests)),
             _("主持人：{name}").format(name=person_label({"name": row["host.name"], "title": row["host.title"]}))]
    if row["urgent"]:
        lines.append(_("紧急安排：{reason}").format(reason=row["urgent_reason"]))
    if cancelled:
        lines.append(_("已取消：{reason}").format(reason=row["cancel_reason"]))
    if row["link"]:
        lines.append(row["link"])
    if row["description"]:
        lines.append(row["description"])
    lines.append(url)
    event.add("description", "\n".join(lines))
    location = row["studio.name"] and " ".join(part for part in (row["studio.name"], row["studio.location"]) if part)
    if location or row["link"]:
        event.add("location", location or row["link"])
    return event
