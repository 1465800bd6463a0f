"""What the interview pages read: one interview with its people, the public calendar (a month
and a list of upcoming and past interviews), and the office's list."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from evaluation.core import clock
from evaluation.core.form_values import parse_int
from evaluation.interviews import questions
from evaluation.interviews.life_cycle import status_label
from evaluation.interviews.resources import person_label
from evaluation.interviews.tables import Interview, InterviewGuest, Question, QuestionStatus


def _columns() -> list[Any]:
    return [*Interview.all_columns(), Interview.department.code, Interview.department.name, Interview.host.name,
            Interview.host.title, Interview.studio.name, Interview.studio.location]


def _decorate(row: dict[str, Any]) -> dict[str, Any]:
    row["status_label"] = status_label(row)
    row["host_label"] = person_label({"name": row["host.name"], "title": row["host.title"]})
    starts, ends = clock.local(row["starts_at"]), clock.local(row["ends_at"])
    row["day"] = starts.date()
    row["time_span"] = f"{starts.date().isoformat()} {starts.strftime('%H:%M')}–{ends.strftime('%H:%M')}"
    return row


async def _with_guests(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    guests: dict[int, list[dict[str, Any]]] = {}
    for guest in await InterviewGuest.select(InterviewGuest.interview, InterviewGuest.person.id,
                                             InterviewGuest.person.name, InterviewGuest.person.title).where(
            InterviewGuest.interview.is_in(ids or [0])).order_by(InterviewGuest.position):
        guests.setdefault(guest["interview"], []).append(
            {"id": guest["person.id"], "name": guest["person.name"], "title": guest["person.title"],
             "label": person_label({"name": guest["person.name"], "title": guest["person.title"]})})
    for row in rows:
        row["guests"] = guests.get(row["id"], [])
        row["guest_ids"] = [guest["id"] for guest in row["guests"]]
    return rows


async def find(code: str, *, public: bool) -> dict[str, Any] | None:
    """An interview by its code (or, for the command line, its numeric id); the public sees it
    only once it is published."""
    row = await Interview.select(*_columns()).where(Interview.code == code).first()
    if row is None and (number := parse_int(code)) is not None and code.isdigit():
        row = await Interview.select(*_columns()).where(Interview.id == number).first()
    if row is None or (public and row["published_at"] is None):
        return None
    return (await _with_guests([_decorate(row)]))[0]


@dataclass
class PublicInterview:
    interview: dict[str, Any]
    questions: list[dict[str, Any]]
    accepts_questions: bool

    @property
    def polls(self) -> bool:
        """Whether the open page asks for news every few seconds."""
        return self.interview["cancelled_at"] is None and self.interview["status"] in (
            "collecting", "live")

    @property
    def answered(self) -> list[dict[str, Any]]:
        return [row for row in self.questions if row["answer"] is not None]

    @property
    def waiting(self) -> list[dict[str, Any]]:
        return [row for row in self.questions if row["answer"] is None]


async def public_interview(code: str) -> PublicInterview | None:
    interview = await find(code, public=True)
    if interview is None or interview["code"] != code:
        return None
    return PublicInterview(interview=interview, questions=await questions.approved_with_answers(interview["id"]),
                           accepts_questions=questions.accepts_questions(interview))


async def published(upcoming: bool, limit: int = 100) -> list[dict[str, Any]]:
    """Published interviews, the next first (upcoming, those not ended yet) or the latest first."""
    now = clock.now()
    query = Interview.select(*_columns()).where(Interview.published_at.is_not_null())
    if upcoming:
        query = query.where(Interview.ends_at >= now).order_by(Interview.starts_at)
    else:
        query = query.where(Interview.ends_at < now).order_by(Interview.starts_at, ascending=False)
    return await _with_guests([_decorate(row) for row in await query.limit(limit)])


@dataclass
class MonthView:
    month: dt.date  # the first day
    weeks: list[list[dict[str, Any]]]  # Monday first; days of other months have "in_month" False
    interviews: list[dict[str, Any]] = field(default_factory=list)

    @property
    def previous(self) -> str:
        return (self.month - dt.timedelta(days=1)).strftime("%Y-%m")

    @property
    def next(self) -> str:
        return (self.month + dt.timedelta(days=32)).replace(day=1).strftime("%Y-%m")


def parse_month(text: str | None, today: dt.date) -> dt.date:
    """``2026-12`` as the month's first day; this month for anything else (years 2000–2099)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 2000 <= year <= 2099:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


async def month_view(first: dt.date) -> MonthView:
    """The month's published interviews on a calendar grid, days in Asia/Shanghai."""
    start = dt.datetime.combine(first, dt.time(0), tzinfo=clock.SHANGHAI)
    end = dt.datetime.combine((first + dt.timedelta(days=32)).replace(day=1), dt.time(0), tzinfo=clock.SHANGHAI)
    rows = await Interview.select(*_columns()).where(
        Interview.published_at.is_not_null() & (Interview.starts_at >= start) & (Interview.starts_at < end)
    ).order_by(Interview.starts_at)
    interviews = await _with_guests([_decorate(row) for row in rows])
    by_day: dict[dt.date, list[dict[str, Any]]] = {}
    for row in interviews:
        by_day.setdefault(row["day"], []).append(row)
    today = clock.local(clock.now()).date()
    weeks = [[{"day": day, "in_month": day.month == first.month, "today": day == today,
               "interviews": by_day.get(day, [])} for day in week]
             for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)]
    return MonthView(month=first, weeks=weeks, interviews=interviews)


async def office_list() -> list[dict[str, Any]]:
    """Every interview, the newest start first, with its counts of questions to moderate."""
    rows = await Interview.select(*_columns()).order_by(Interview.starts_at, ascending=False).limit(500)
    counts: dict[int, int] = {}
    for row in await Question.select(Question.interview).where(Question.status == QuestionStatus.pending.value):
        counts[row["interview"]] = counts.get(row["interview"], 0) + 1
    for row in rows:
        _decorate(row)
        row["pending"] = counts.get(row["id"], 0)
    return await _with_guests(rows)
