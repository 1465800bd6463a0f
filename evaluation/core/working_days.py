"""The working-day calendar that deadlines count on (PRODUCT.md, Settled questions: "Working days"
and "Dates").

Whether a day is a working day is decided by the first of these that knows it:

1. the office's own entry for that day (``CalendarDay``): it always wins;
2. the chinese-calendar package, for the years it covers: official holidays, and the weekend
   days made working days (调休);
3. Monday to Friday, for a year that nobody knows. Such a year is reported, so every deadline
   page can say that the year's calendar is missing.

When is a year "known"? When the package covers it, or when the office has entered at least one
day of it. The office enters a year's schedule when the State Council publishes it (each
November), all of it at once, and every schedule has weekday holidays to enter, so a year with
office entries is one whose schedule has been entered. A real "schedule entered" mark would need a
column of its own; until there is one, the calendar page of an unknown year tells the office that
its first entry for that year makes the year count as entered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import chinese_calendar

from evaluation.core import audit, clock, i18n
from evaluation.core.database import is_postgres, write_transaction
from evaluation.core.i18n import N_, _
from evaluation.core.tables import CalendarDay

ONE_DAY = timedelta(days=1)
# The package's own bounds: its functions raise NotImplementedError outside them.
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
# Years the office may enter: wide enough for any schedule, narrow enough to catch a mistyped year.
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_NOTE_LENGTH = 100  # CalendarDay.note is a Varchar(100); SQLite would not enforce it
_CALENDAR_LOCK_KEY = 4_735_012  # PostgreSQL advisory lock: one calendar edit at a time
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

MISSING_CALENDAR_NOTICE = N_("该年度的节假日安排尚未录入，暂按周一至周五计算。")
WEEKDAY_LABELS = (N_("星期一"), N_("星期二"), N_("星期三"), N_("星期四"), N_("星期五"), N_("星期六"), N_("星期日"))
KIND_LABELS = {"holiday": N_("放假"), "working": N_("上班")}
# The package names its holidays in English (its ``Holiday`` values); shown in the interface language.
HOLIDAY_LABELS = {
    "New Year's Day": N_("元旦"),
    "Spring Festival": N_("春节"),
    "Tomb-sweeping Day": N_("清明节"),
    "Labour Day": N_("劳动节"),
    "Dragon Boat Festival": N_("端午节"),
    "National Day": N_("国庆节"),
    "Mid-autumn Festival": N_("中秋节"),
    "Anti-Fascist 70th Day": N_("抗战胜利70周年纪念日"),
}


class CalendarError(ValueError):
    """A refusal with a message fit to show the user."""


def package_covers(year: int) -> bool:
    return year in PACKAGE_YEARS


def _year_bounds(first_year: int, last_year: int) -> tuple[date, date]:
    return date(first_year, 1, 1), date(last_year, 12, 31)


class Calendar:
    """The office's entries over the package, for the years loaded so far.

    Entries are loaded a span of whole years per query (a year holds a few dozen at most), so
    counting N working days costs one query however many days it walks.
    """

    def __init__(self) -> None:
        self._loaded: set[int] = set()
        self._entries: dict[date, dict[str, Any]] = {}

    async def load(self, *years: int) -> None:
        missing = set(years) - self._loaded
        if not missing:
            return
        first, last = _year_bounds(min(missing), max(missing))
        rows = await CalendarDay.select().where((CalendarDay.day >= first) & (CalendarDay.day <= last))
        for row in rows:
            self._entries[row["day"]] = row
        self._loaded.update(range(min(missing), max(missing) + 1))

    def _check_loaded(self, year: int) -> None:
        if year not in self._loaded:
            raise RuntimeError(f"the calendar of {year} was not loaded")

    def is_known(self, year: int) -> bool:
        if package_covers(year):
            return True
        self._check_loaded(year)
        return any(day.year == year for day in self._entries)

    def entries_of(self, year: int) -> list[dict[str, Any]]:
        self._check_loaded(year)
        return [self._entries[day] for day in sorted(self._entries) if day.year == year]

    def entry(self, day: date) -> dict[str, Any] | None:
        self._check_loaded(day.year)
        return self._entries.get(day)

    def is_working_day(self, day: date) -> bool:
        entry = self.entry(day)
        if entry is not None:
            return bool(entry["is_working"])
        return _without_office(day)

    async def add_working_days(self, start_day: date, n: int) -> date:
        """The Nth working day after ``start_day``; the day itself is not counted."""
        if n < 0:
            raise ValueError("a number of working days cannot be negative")
        # Loads, in one query, every year that N working days can plausibly reach; a walk
        # past a year-end beyond that (a long run of office holidays) loads the next year.
        await self.load(*range(start_day.year, (start_day + timedelta(days=2 * n + 31)).year + 1))
        day, counted = start_day, 0
        while counted < n:
            day += ONE_DAY
            await self.load(day.year)
            if self.is_working_day(day):
                counted += 1
        return day

    async def deadline(self, moment: datetime, n: int) -> Deadline:
        """As the module's ``deadline``; one calendar serves many deadlines (a batch of ratings)
        without loading the same year twice."""
        start_day = clock.local(moment).date()
        last_day = await self.add_working_days(start_day, n)
        counted_years = range((start_day + ONE_DAY).year, last_day.year + 1) if n else range(0)
        unknown = tuple(year for year in counted_years if not self.is_known(year))
        return Deadline(due=end_of_day(last_day), last_day=last_day, unknown_years=unknown)


def _without_office(day: date) -> bool:
    """What the day is when the office has said nothing about it."""
    if package_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


@dataclass(frozen=True)
class Deadline:
    due: datetime  # aware, UTC: 24:00 Asia/Shanghai of ``last_day``
    last_day: date
    unknown_years: tuple[int, ...]  # years counted Monday to Friday because nobody knows them

    @property
    def calendar_missing(self) -> bool:
        return bool(self.unknown_years)

    @property
    def notice(self) -> str:
        return _(MISSING_CALENDAR_NOTICE) if self.unknown_years else ""


def end_of_day(day: date) -> datetime:
    """24:00 Asia/Shanghai of ``day`` (00:00 of the next day there), in UTC (PRODUCT.md, Dates)."""
    return datetime.combine(day + ONE_DAY, time(0), tzinfo=clock.SHANGHAI).astimezone(UTC)


_WEEKDAYS_ZH = "一二三四五六日"


def last_day_of(due: datetime | None) -> str:
    """A deadline as the day it is the end of: "2026-12-11（星期五）", in English "Fri 11 Dec 2026".
    The stored moment is 00:00 of the next day (24:00 of the last day, PRODUCT.md, Dates), which
    read as a time would say a day too late (templates: ``r.answer_due | deadline``)."""
    if due is None:
        return ""
    day = (clock.local(due) - timedelta(microseconds=1)).date()
    if i18n.active_language() == "en":
        return f"{day:%a} {day.day} {day:%b} {day.year}"
    return f"{day.isoformat()}（星期{_WEEKDAYS_ZH[day.weekday()]}）"


async def is_working_day(day: date) -> bool:
    calendar = Calendar()
    await calendar.load(day.year)
    return calendar.is_working_day(day)


async def add_working_days(start_day: date, n: int) -> date:
    """The date of the Nth working day after ``start_day`` (the day itself not counted)."""
    return await Calendar().add_working_days(start_day, n)


async def deadline(moment: datetime, n: int) -> Deadline:
    """A deadline of N working days from ``moment`` (a rating, a question), with the years it
    had to count Monday to Friday. It ends at 24:00 Asia/Shanghai of the Nth working day after
    the local day of ``moment`` (PRODUCT.md, Dates)."""
    return await Calendar().deadline(moment, n)


async def deadline_after(moment: datetime, n: int) -> datetime:
    """When a deadline of N working days from ``moment`` ends, as an aware UTC datetime."""
    return (await deadline(moment, n)).due


async def is_year_known(year: int) -> bool:
    if package_covers(year):
        return True
    first, last = _year_bounds(year, year)
    return await CalendarDay.exists().where((CalendarDay.day >= first) & (CalendarDay.day <= last))


async def known_years() -> list[int]:
    """Every year whose schedule is known: the package's, and those the office has entered."""
    office_years = {row["day"].year for row in await CalendarDay.select(CalendarDay.day)}
    return sorted(set(PACKAGE_YEARS) | office_years)


def _entry_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"is_working": bool(row["is_working"]), "note": row["note"]}


@dataclass
class YearOverview:
    """What the calendar page shows for one year."""

    year: int
    source: str  # "package", "office" (entered by the office only) or "missing"
    entries: list[dict[str, Any]]  # the office's, by date
    package_days: list[dict[str, Any]]  # the package's holidays and 调休 working days, by date


async def year_overview(year: int) -> YearOverview:
    calendar = Calendar()
    await calendar.load(year)
    entries = [
        {
            **row,
            "weekday": WEEKDAY_LABELS[row["day"].weekday()],
            # What the day would be without the entry, so the office sees what its entry changes.
            "usually_working": _without_office(row["day"]),
        }
        for row in calendar.entries_of(year)
    ]
    package_days: list[dict[str, Any]] = []
    if package_covers(year):
        for source, is_working in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
            for day, name in source.items():
                if day.year == year:
                    office_entry = calendar.entry(day)
                    package_days.append({
                        "day": day,
                        "weekday": WEEKDAY_LABELS[day.weekday()],
                        "name": HOLIDAY_LABELS.get(name, name),
                        "is_working": is_working,
                        "office_is_working": None if office_entry is None else bool(office_entry["is_working"]),
                    })
        package_days.sort(key=lambda row: row["day"])
    source = "package" if package_covers(year) else ("office" if entries else "missing")
    return YearOverview(year=year, source=source, entries=entries, package_days=package_days)


def parse_day(text: str) -> date | None:
    """A date written YYYY-MM-DD, as a date input sends it; None for anything else."""
    text = text.strip()
    if not _DATE_PATTERN.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _check_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise CalendarError(_("备注不能超过 100 个字符。"))
    return note


@dataclass
class CalendarDayForm:
    day: str = ""
    kind: str = ""  # a key of KIND_LABELS
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    parsed_day: date | None = None

    @property
    def is_working(self) -> bool:
        return self.kind == "working"

    def validate(self) -> bool:
        self.day, self.kind, self.note = self.day.strip(), self.kind.strip(), self.note.strip()
        self.parsed_day = parse_day(self.day)
        if not self.day:
            self.errors["day"] = _("请填写日期。")
        elif self.parsed_day is None:
            self.errors["day"] = _("请填写有效的日期，格式为 YYYY-MM-DD，例如 2027-10-01。")
        elif not FIRST_YEAR <= self.parsed_day.year <= LAST_YEAR:
            self.errors["day"] = _("日期须在 {first} 年到 {last} 年之间。").format(first=FIRST_YEAR, last=LAST_YEAR)
        if self.kind not in KIND_LABELS:
            self.errors["kind"] = _("请选择放假或上班。")
        try:
            self.note = _check_note(self.note)
        except CalendarError as refusal:
            self.errors["note"] = str(refusal)
        return not self.errors


async def _lock_calendar() -> None:
    # Two inserts of the same new day would otherwise both find no row and one would fail on
    # the unique index. SQLite's write transaction already serializes writers.
    if is_postgres():
        await CalendarDay.raw("SELECT pg_advisory_xact_lock({})", _CALENDAR_LOCK_KEY)


async def set_day(actor: str, day: date, is_working: bool, note: str = "") -> bool:
    """Adds or changes the office's entry for ``day``. Returns whether anything changed."""
    note = _check_note(note)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarError(_("日期须在 {first} 年到 {last} 年之间。").format(first=FIRST_YEAR, last=LAST_YEAR))
    new = {"is_working": is_working, "note": note}
    async with write_transaction():
        await _lock_calendar()
        row = await CalendarDay.select().where(CalendarDay.day == day).first()
        if row is None:
            await CalendarDay.insert(CalendarDay(day=day, is_working=is_working, note=note))
        elif _entry_view(row) == new:
            return False
        else:
            await CalendarDay.update({CalendarDay.is_working: is_working, CalendarDay.note: note}).where(
                CalendarDay.id == row["id"]
            )
        await audit.record(actor, "calendar.set", f"calendar:{day.isoformat()}",
                           old=None if row is None else _entry_view(row), new=new)
    return True


async def save_day(actor: str, form: CalendarDayForm) -> bool:
    """The office's form: False (with the form's errors) when it does not validate."""
    if not form.validate():
        return False
    assert form.parsed_day is not None  # validate() refuses a form without a date
    await set_day(actor, form.parsed_day, form.is_working, form.note)
    return True


async def remove_day(actor: str, day: date) -> None:
    """Removes the office's entry: the day is again what the package (or Mon–Fri) says."""
    async with write_transaction():
        await _lock_calendar()
        row = await CalendarDay.select().where(CalendarDay.day == day).first()
        if row is None:
            raise CalendarError(_("找不到该日期的安排。"))
        await CalendarDay.delete().where(CalendarDay.id == row["id"])
        await audit.record(actor, "calendar.remove", f"calendar:{day.isoformat()}", old=_entry_view(row))
