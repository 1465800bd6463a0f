"""The working-day calendar: the office enters holidays and make-up working days (调休);
auditors read it."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import clock, working_days
from evaluation.core.web import current_account, office, office_or_auditor, page, see_other
from evaluation.core.working_days import CalendarDayForm, CalendarError


def _this_year() -> int:
    return clock.local(clock.now()).year


def _year_from(text: str) -> int:
    """A year typed in the address bar; anything unusable shows this year instead."""
    text = text.strip()
    if text.isdigit() and working_days.FIRST_YEAR <= int(text) <= working_days.LAST_YEAR:
        return int(text)
    return _this_year()


async def _calendar_page(year: int, form: CalendarDayForm | None = None, status_code: int = 200,
                         saved: bool = False, removed: bool = False) -> Template:
    return page("core/calendar.html", status_code=status_code,
                overview=await working_days.year_overview(year), form=form or CalendarDayForm(),
                kind_labels=working_days.KIND_LABELS, first_year=working_days.FIRST_YEAR,
                last_year=working_days.LAST_YEAR, saved=saved, removed=removed)


@get("/staff/calendar", guards=[office_or_auditor], name="calendar")
async def show_calendar(year: FromQuery[str] = "", saved: FromQuery[bool] = False,
                        removed: FromQuery[bool] = False) -> Template:
    return await _calendar_page(_year_from(year), saved=saved, removed=removed)


@post("/staff/calendar", guards=[office], name="calendar-set")
async def set_calendar_day(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = CalendarDayForm(day=data.get("day", ""), kind=data.get("kind", ""), note=data.get("note", ""))
    if await working_days.save_day(current_account(request).username, form):
        assert form.parsed_day is not None
        return see_other(f"/staff/calendar?year={form.parsed_day.year}&saved=1#entries")
    # The page of the day's year, or of the year the office was looking at, with what it typed
    # and why it was refused.
    day = form.parsed_day
    in_range = day is not None and working_days.FIRST_YEAR <= day.year <= working_days.LAST_YEAR
    year = day.year if day is not None and in_range else _year_from(data.get("year", ""))
    return await _calendar_page(year, form=form, status_code=422)


@post("/staff/calendar/{day:str}/delete", guards=[office], name="calendar-remove")
async def remove_calendar_day(request: Request, day: FromPath[str]) -> Redirect:
    parsed = working_days.parse_day(day)
    if parsed is None:
        raise NotFoundException()
    try:
        await working_days.remove_day(current_account(request).username, parsed)
    except CalendarError as exc:
        raise NotFoundException() from exc
    return see_other(f"/staff/calendar?year={parsed.year}&removed=1#entries")


ROUTES = [show_calendar, set_calendar_day, remove_calendar_day]
