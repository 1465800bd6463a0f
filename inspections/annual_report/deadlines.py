"""When annual reports are due (政府信息公开条例 第五十条): each department reports on the past year
by 31 January, the city's office publishes the city's report by 31 March of the following year.
A deadline ends at 24:00 of its day, Asia/Shanghai (PRODUCT.md, Dates); these are calendar days,
not working days."""

from __future__ import annotations

import datetime as dt

from evaluation.core.i18n import _
from evaluation.core.working_days import end_of_day

DEPARTMENT_DUE = (1, 31)
CITY_DUE = (3, 31)


def due_day(year: int, is_city: bool) -> dt.date:
    month, day = CITY_DUE if is_city else DEPARTMENT_DUE
    return dt.date(year + 1, month, day)


def due(year: int, is_city: bool) -> dt.datetime:
    """The end of the report of ``year``'s deadline, as an aware UTC datetime."""
    return end_of_day(due_day(year, is_city))


def due_text(year: int, is_city: bool) -> str:
    """The last day as the Regulations say it: 2027年1月31日 (the deadline ends at 24:00 of it)."""
    day = due_day(year, is_city)
    return _("{year}年{month}月{day}日").format(year=day.year, month=day.month, day=day.day)
