"""Scheduling an interview (PRODUCT.md §3): topic, department, guests, host, studio, start and
end, stream or venue link, description.

The same guest, host or studio is never booked twice at overlapping times. Every interview's
people and studio are rows of ``interview_booking``; the database refuses two overlapping
bookings of one of them (an exclusion constraint on PostgreSQL, triggers on SQLite), so two staff
saving at the same moment cannot both succeed. Before writing, the service looks for a clash
itself, inside the write transaction, to name the interview that clashes; when a concurrent save
wins the race and the database refuses, it looks again and names that one.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import is_unique_violation, write_transaction
from evaluation.core.form_values import parse_date, parse_int
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from evaluation.interviews.resources import person_label
from evaluation.interviews.tables import Booking, Interview, InterviewGuest, Person, Status, Studio

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Words the staff pages use after /staff/interviews/: no interview may be called so.
RESERVED_CODES = frozenset({"new", "rules", "overdue", "people", "studios", "questions"})
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
LINK_PATTERN = re.compile(r"^https?://\S+$")
MAX_DESCRIPTION = 2000
# The statuses whose bookings still hold their people and studio: a cancelled interview has none.
EDITABLE = (Status.planned.value, Status.collecting.value)


class SchedulingError(ValueError):
    """A refusal with a message fit to show the user."""


def local_moment(day: dt.date, time_text: str) -> dt.datetime:
    """A wall-clock time in Asia/Shanghai as the aware UTC moment it is stored as."""
    hours, minutes = (int(part) for part in time_text.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=clock.SHANGHAI).astimezone(UTC)


@dataclass
class InterviewForm:
    code: str = ""
    topic: str = ""
    department: str = ""  # department code
    host: str = ""  # person id
    studio: str = ""  # studio id, or empty for an interview without a studio
    guests: list[str] = field(default_factory=list)  # person ids
    day: str = ""
    starts: str = ""  # HH:MM, Asia/Shanghai
    ends: str = ""
    link: str = ""
    description: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: Any) -> InterviewForm:
        return cls(code=data.get("code", ""), topic=data.get("topic", ""), department=data.get("department", ""),
                   host=data.get("host", ""), studio=data.get("studio", ""), guests=list(data.getall("guests", [])),
                   day=data.get("day", ""), starts=data.get("starts", ""), ends=data.get("ends", ""),
                   link=data.get("link", ""), description=data.get("description", ""))

    @classmethod
    def of(cls, interview: dict[str, Any], guest_ids: list[int]) -> InterviewForm:
        starts, ends = clock.local(interview["starts_at"]), clock.local(interview["ends_at"])
        return cls(code=interview["code"], topic=interview["topic"], department=interview["department.code"],
                   host=str(interview["host"]), studio=str(interview["studio"] or ""),
                   guests=[str(guest) for guest in guest_ids], day=starts.date().isoformat(),
                   starts=starts.strftime("%H:%M"), ends=ends.strftime("%H:%M"), link=interview["link"],
                   description=interview["description"])

    async def validate(self, *, new: bool) -> bool:
        self.code, self.topic = self.code.strip(), self.topic.strip()
        self.link, self.description = self.link.strip(), self.description.strip()
        if new and (not CODE_PATTERN.match(self.code) or self.code.lower() in RESERVED_CODES):
            self.errors["code"] = _("代码只能包含字母、数字、下划线和连字符，1 到 32 个字符，例如 2026-ft01。")
        if not self.topic or len(self.topic) > 200:
            self.errors["topic"] = _("请填写访谈主题（不超过 200 个字符）。")
        department = await Department.select(Department.id).where(
            (Department.code == self.department.strip()) & Department.active.eq(True)).first()
        if department is None:
            self.errors["department"] = _("请选择单位。")
        host_id = parse_int(self.host)
        guest_ids = sorted({value for value in (parse_int(text) for text in self.guests) if value is not None})
        studio_id = parse_int(self.studio) if self.studio.strip() else None
        people = {row["id"]: row for row in await Person.select(Person.id, Person.active).where(
            Person.id.is_in([*guest_ids, host_id or 0]))}
        if host_id is None or host_id not in people:
            self.errors["host"] = _("请选择主持人。")
        if not guest_ids or any(guest not in people for guest in guest_ids):
            self.errors["guests"] = _("请至少选择一位嘉宾。")
        elif host_id in guest_ids:
            self.errors["guests"] = _("主持人不能同时是本场访谈的嘉宾。")
        if self.studio.strip() and (studio_id is None or not await Studio.exists().where(Studio.id == studio_id)):
            self.errors["studio"] = _("请选择演播室，或选“不使用演播室”。")
        day = parse_date(self.day)
        if day is None:
            self.errors["day"] = _("请填写日期，格式如 2026-12-10。")
        if not TIME_PATTERN.match(self.starts.strip()):
            self.errors["starts"] = _("请填写开始时间，格式如 09:30。")
        if not TIME_PATTERN.match(self.ends.strip()):
            self.errors["ends"] = _("请填写结束时间，格式如 11:00。")
        elif "starts" not in self.errors and self.ends.strip() <= self.starts.strip():
            self.errors["ends"] = _("结束时间必须晚于开始时间。")
        if self.link and (len(self.link) > 500 or not LINK_PATTERN.match(self.link)):
            self.errors["link"] = _("链接须以 http:// 或 https:// 开头，不超过 500 个字符。")
        if len(self.description) > MAX_DESCRIPTION:
            self.errors["description"] = _("简介不能超过 2000 个字。")
        if self.errors:
            return False
        assert day is not None and department is not None and host_id is not None
        self.cleaned = {
            "code": self.code, "topic": self.topic, "department": department["id"], "host": host_id,
            "studio": studio_id, "guests": guest_ids, "starts_at": local_moment(day, self.starts.strip()),
            "ends_at": local_moment(day, self.ends.strip()), "link": self.link, "description": self.description,
        }
        return True


@dataclass(frozen=True)
class ClashFound:
    """One booking that stands in the way: who or what, and the interview holding it."""

    resource: str  # "嘉宾 张伟（…）", "演播室 一号演播室"
    code: str
    topic: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def message(self) -> str:
        starts, ends = clock.local(self.starts_at), clock.local(self.ends_at)
        return _("{resource}在该时段已有安排：访谈“{topic}”（{code}，{day} {starts}–{ends}）。").format(
            resource=self.resource, topic=self.topic, code=self.code, day=starts.date().isoformat(),
            starts=starts.strftime("%H:%M"), ends=ends.strftime("%H:%M"))


async def find_clashes(cleaned: dict[str, Any], interview_id: int | None = None) -> list[ClashFound]:
    """Bookings of the form's people and studio that overlap its time, other than its own."""
    person_ids = [cleaned["host"], *cleaned["guests"]]
    overlapping = (Booking.starts_at < cleaned["ends_at"]) & (Booking.ends_at > cleaned["starts_at"])
    holders = Booking.person.is_in(person_ids)
    if cleaned["studio"] is not None:
        holders |= Booking.studio == cleaned["studio"]
    query = Booking.select(Booking.person, Booking.studio, Booking.person.name, Booking.person.title,
                           Booking.studio.name, Booking.interview.code, Booking.interview.topic,
                           Booking.starts_at, Booking.ends_at).where(overlapping & holders)
    if interview_id is not None:
        query = query.where(Booking.interview != interview_id)
    found = []
    for row in await query.order_by(Booking.starts_at):
        if row["person"] is not None:
            who = {"name": row["person.name"], "title": row["person.title"]}
            role = _("主持人") if row["person"] == cleaned["host"] else _("嘉宾")
            resource = f"{role} {person_label(who)}"
        else:
            resource = _("演播室 {name}").format(name=row["studio.name"])
        found.append(ClashFound(resource, row["interview.code"], row["interview.topic"], row["starts_at"],
                                row["ends_at"]))
    return found


def _is_booking_refused(error: BaseException) -> bool:
    """The database refused an overlapping booking (the migration's constraint or trigger)."""
    import asyncpg

    if isinstance(error, asyncpg.exceptions.ExclusionViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "interview_booking_clash" in str(error)


async def _book(interview_id: int, cleaned: dict[str, Any]) -> None:
    await Booking.delete().where(Booking.interview == interview_id)
    span = {"starts_at": cleaned["starts_at"], "ends_at": cleaned["ends_at"]}
    rows = [Booking(interview=interview_id, person=person, **span) for person in [cleaned["host"], *cleaned["guests"]]]
    if cleaned["studio"] is not None:
        rows.append(Booking(interview=interview_id, studio=cleaned["studio"], **span))
    await Booking.insert(*rows)


async def _guests(interview_id: int, guest_ids: list[int]) -> None:
    await InterviewGuest.delete().where(InterviewGuest.interview == interview_id)
    await InterviewGuest.insert(*[InterviewGuest(interview=interview_id, person=person, position=position)
                                  for position, person in enumerate(guest_ids)])


def _audit_view(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {key: (clock.format_local(value) if isinstance(value, dt.datetime) else value)
            for key, value in cleaned.items()}


async def _refused(form: InterviewForm, interview_id: int | None, error: BaseException) -> None:
    """After the database refused a booking: name the interview that won the race (the form
    then has its error, and the caller answers "not saved")."""
    clashes = await find_clashes(form.cleaned, interview_id)
    if not clashes:
        raise error
    form.errors["clash"] = " ".join(clash.message for clash in clashes)


async def create(actor: str, form: InterviewForm) -> int | None:
    """A new interview, planned and not yet public. None when the form has errors (a clash is
    one, under ``clash``)."""
    if not await form.validate(new=True):
        return None
    cleaned = form.cleaned
    now = clock.now()
    try:
        async with write_transaction():
            if await Interview.exists().where(Interview.code == cleaned["code"]):
                form.errors["code"] = _("已有使用该代码的访谈。")
                return None
            clashes = await find_clashes(cleaned)
            if clashes:
                form.errors["clash"] = " ".join(clash.message for clash in clashes)
                return None
            rows = await Interview.insert(Interview(
                code=cleaned["code"], topic=cleaned["topic"], department=cleaned["department"], host=cleaned["host"],
                studio=cleaned["studio"], starts_at=cleaned["starts_at"], ends_at=cleaned["ends_at"],
                link=cleaned["link"], description=cleaned["description"], status=Status.planned.value,
                created_at=now, updated_at=now,
            )).returning(Interview.id)
            interview_id = rows[0]["id"]
            await _guests(interview_id, cleaned["guests"])
            await _book(interview_id, cleaned)
            await audit.record(actor, "interview.create", f"interview:{cleaned['code']}", new=_audit_view(cleaned))
    except Exception as error:
        if _is_booking_refused(error):
            await _refused(form, None, error)
            return None
        if is_unique_violation(error):
            form.errors["code"] = _("已有使用该代码的访谈。")
            return None
        raise
    return interview_id


async def update(actor: str, code: str, form: InterviewForm) -> bool:
    """Changes a planned or collecting interview; a published one's calendar entry gets a new
    SEQUENCE so calendar apps take the change. False when the form has errors."""
    if not await form.validate(new=False):
        return False
    cleaned = form.cleaned
    interview_id = None
    try:
        async with write_transaction():
            row = await Interview.select().where(Interview.code == code).first()
            if row is None:
                raise SchedulingError(_("找不到该访谈。"))
            if row["status"] not in EDITABLE or row["cancelled_at"] is not None:
                form.errors["clash"] = _("只有尚未开始且未取消的访谈可以修改。")
                return False
            interview_id = row["id"]
            clashes = await find_clashes(cleaned, row["id"])
            if clashes:
                form.errors["clash"] = " ".join(clash.message for clash in clashes)
                return False
            old_guests = [guest["person"] for guest in await InterviewGuest.select(InterviewGuest.person).where(
                InterviewGuest.interview == row["id"]).order_by(InterviewGuest.position)]
            old = {"topic": row["topic"], "department": row["department"], "host": row["host"],
                   "studio": row["studio"], "guests": old_guests, "starts_at": row["starts_at"],
                   "ends_at": row["ends_at"], "link": row["link"], "description": row["description"]}
            new = {key: cleaned[key] for key in old}
            if _audit_view(old) == _audit_view(new):
                return True
            await Interview.update({
                Interview.topic: cleaned["topic"], Interview.department: cleaned["department"],
                Interview.host: cleaned["host"], Interview.studio: cleaned["studio"],
                Interview.starts_at: cleaned["starts_at"], Interview.ends_at: cleaned["ends_at"],
                Interview.link: cleaned["link"], Interview.description: cleaned["description"],
                Interview.sequence: Interview.sequence + 1, Interview.live_version: Interview.live_version + 1,
                Interview.updated_at: clock.now(),
            }).where(Interview.id == row["id"])
            await _guests(row["id"], cleaned["guests"])
            await _book(row["id"], cleaned)
            await audit.record(actor, "interview.update", f"interview:{code}", old=_audit_view(old),
                               new=_audit_view(new))
    except Exception as error:
        if _is_booking_refused(error):
            await _refused(form, interview_id, error)
            return False
        raise
    return True


async def free_bookings(interview_id: int) -> None:
    """A cancelled interview holds nobody's time. Call inside the cancelling transaction."""
    await Booking.delete().where(Booking.interview == interview_id)
