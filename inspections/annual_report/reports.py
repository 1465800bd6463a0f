"""Annual reports: one per year and unit (a department, or the city), who may read and write
which, and their life cycle: written (编写中, saves.py), submitted and locked (已提交), returned by
the office with a reason (已退回, review.py) and written again. Every change is audited in its
transaction.

A department's liaison reads and writes only their own department's reports; the office reads and
writes every report, the city's own included; auditors read. A report is created when the office
starts a year's reports, or by the first save or import for it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.accounts import SignedIn
from evaluation.core.database import is_postgres, write_transaction
from evaluation.core.i18n import N_, _
from evaluation.core.tables import Department, Role
from inspections.annual_report import checks, deadlines
from inspections.annual_report.checks import Failure, Figures
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.tables import AnnualReport, ReportFigure, ReportStatus, ReportText

CITY = "city"  # in paths and audit targets, where a department's code would be
CITY_NAME = N_("市人民政府")
NOT_STARTED = "not_started"
STATUS_LABELS = {
    NOT_STARTED: N_("尚未开始"),
    ReportStatus.draft.value: N_("编写中"),
    ReportStatus.submitted.value: N_("已提交"),
    ReportStatus.returned.value: N_("已退回"),
}
FIRST_YEAR = 2008  # the Regulations on the Disclosure of Government Information took effect in May 2008


class ReportError(ValueError):
    """A refusal with a message fit to show the user."""


class ReportLocked(ReportError):
    """The report is submitted: nothing in it changes until the office returns it."""


@dataclass(frozen=True)
class Unit:
    """Whose report: a department, or the city's own (``code`` None)."""

    department_id: int | None
    code: str | None
    name: str
    group: str = ""

    @property
    def is_city(self) -> bool:
        return self.code is None

    @property
    def key(self) -> str:
        return self.code or CITY

    @property
    def display_name(self) -> str:
        return _(self.name) if self.is_city else self.name


def city() -> Unit:
    return Unit(None, None, CITY_NAME)


async def find_unit(code: str | None) -> Unit | None:
    """The city for None, else the department with that code (active or not)."""
    if code is None:
        return city()
    row = await Department.select(Department.id, Department.code, Department.name, Department.group).where(
        Department.code == code).first()
    return Unit(row["id"], row["code"], row["name"], row["group"]) if row else None


def current_year(today: dt.date | None = None) -> int:
    """The year whose reports are being written: last year's until the city's deadline
    (31 March) has passed, this year's after that."""
    today = today or clock.local(clock.now()).date()
    return today.year - 1 if (today.month, today.day) <= deadlines.CITY_DUE else today.year


def valid_year(year: int) -> bool:
    return FIRST_YEAR <= year <= clock.local(clock.now()).date().year


@dataclass
class Report:
    year: int
    unit: Unit
    id: int | None = None  # None: nobody has started it yet
    status: str = NOT_STARTED
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    submitted_by: str = ""
    returned_at: dt.datetime | None = None
    returned_by: str = ""
    return_reason: str = ""
    compiled_at: dt.datetime | None = None
    compiled_from: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    figures: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """The report as the audit trail names it."""
        return f"annual-report:{self.year}:{self.unit.key}"

    @property
    def locked(self) -> bool:
        return self.status == ReportStatus.submitted.value

    @property
    def submitted(self) -> bool:
        return self.locked

    @property
    def status_label(self) -> str:
        return _(STATUS_LABELS[self.status])

    @property
    def title(self) -> str:
        return _("{unit}{year}年政府信息公开工作年度报告").format(unit=self.unit.display_name, year=self.year)

    @property
    def due(self) -> dt.datetime:
        return deadlines.due(self.year, self.unit.is_city)

    @property
    def due_text(self) -> str:
        return deadlines.due_text(self.year, self.unit.is_city)

    @property
    def overdue(self) -> bool:
        return not self.submitted and clock.now() > self.due

    @property
    def late(self) -> bool:
        """Submitted after its deadline."""
        return self.submitted_at is not None and self.submitted_at > self.due

    @property
    def path(self) -> str:
        return staff_path(self.year, self.unit.code)

    @property
    def public_path(self) -> str:
        return public_path(self.year, self.unit.code)

    def text(self, section: str) -> str:
        return self.texts.get(section, "")

    def value(self, table: str, row: str, column: str) -> Decimal | None:
        return self.figures.get((table, row, column))

    @property
    def missing_texts(self) -> list[str]:
        """The labels of the text sections nobody has written yet."""
        return [section.label for section in FORMAT.text_sections if not self.text(section.code).strip()]

    @property
    def has_figures(self) -> bool:
        return bool(self.figures)


def staff_path(year: int, code: str | None) -> str:
    return f"/staff/reports/{year}/city" if code is None else f"/staff/reports/{year}/units/{code}"


def public_path(year: int, code: str | None) -> str:
    return f"/annual-reports/{year}/city" if code is None else f"/annual-reports/{year}/units/{code}"


def _department_filter(department_id: int | None) -> Any:
    return AnnualReport.department.is_null() if department_id is None else AnnualReport.department == department_id


def decimal_of(value: Any) -> Decimal:
    # SQLite hands NUMERIC back as int or float: through str, it is the decimal that was written.
    return value if isinstance(value, Decimal) else Decimal(str(value))


async def figures_of(report_id: int) -> dict[tuple[str, str, str], Decimal]:
    rows = await ReportFigure.select(ReportFigure.table_code, ReportFigure.row_code, ReportFigure.column_code,
                                     ReportFigure.value).where(ReportFigure.report == report_id)
    return {(row["table_code"], row["row_code"], row["column_code"]): decimal_of(row["value"]) for row in rows}


def _fill(report: Report, row: dict[str, Any]) -> Report:
    report.id, report.status = row["id"], row["status"]
    for name in ("created_at", "updated_at", "submitted_at", "submitted_by", "returned_at", "returned_by",
                 "return_reason", "compiled_at"):
        setattr(report, name, row[name])
    report.compiled_from = json.loads(row["compiled_from"]) if row["compiled_from"] else []
    return report


async def find(year: int, unit: Unit, *, with_contents: bool = True) -> Report:
    """The unit's report of the year; one not started yet has no id."""
    report = Report(year=year, unit=unit)
    row = await AnnualReport.select().where((AnnualReport.year == year)
                                            & _department_filter(unit.department_id)).first()
    if row is None:
        return report
    _fill(report, row)
    if with_contents:
        texts = await ReportText.select(ReportText.section, ReportText.body).where(ReportText.report == report.id)
        report.texts = {text["section"]: text["body"] for text in texts}
        report.figures = await figures_of(report.id)
    return report


async def load(year: int, code: str | None) -> Report | None:
    """A report by year and department code (None: the city's); None for an unknown department
    or a year outside the Regulations."""
    unit = await find_unit(code)
    if unit is None or not valid_year(year):
        return None
    return await find(year, unit)


def may_view(account: SignedIn | None, report: Report) -> bool:
    if account is None:
        return False
    if account.may(Role.office, Role.auditor):
        return True
    return account.may(Role.liaison) and not report.unit.is_city and account.department_id == report.unit.department_id


def may_edit(account: SignedIn | None, report: Report) -> bool:
    """Whether this account writes this report (while it is not submitted)."""
    if account is None or account.may(Role.auditor) or not may_view(account, report):
        return False
    return account.may(Role.office) or not report.unit.is_city


async def previous_figures(report: Report) -> Figures | None:
    """Last year's figures of the same unit, when it has a report with figures of table 三."""
    last = await find(report.year - 1, report.unit, with_contents=False)
    if last.id is None:
        return None
    figures = await figures_of(last.id)
    return figures if any(cell[0] == checks.BALANCE_TABLE for cell in figures) else None


async def failures(report: Report, tables: list[str] | None = None) -> list[Failure]:
    previous = await previous_figures(report)
    return checks.check(report.figures, previous, report.year - 1, tables)


async def ensure(year: int, unit: Unit) -> int:
    """The report's id, made now when it does not exist yet (inside the caller's transaction).
    Two first saves at once make one report: the unique index keeps the second insert out."""
    now = clock.now()
    await AnnualReport.raw(
        "INSERT INTO annual_report (year, department, status, created_at, updated_at, submitted_by, returned_by, "
        "return_reason, compiled_from) VALUES ({}, {}, {}, {}, {}, '', '', '', '') ON CONFLICT DO NOTHING",
        year, unit.department_id, ReportStatus.draft.value, now, now).run()
    row = await AnnualReport.select(AnnualReport.id).where((AnnualReport.year == year)
                                                           & _department_filter(unit.department_id)).first()
    return row["id"]


async def status_for_update(report_id: int) -> str:
    """The report's status, read inside the write transaction; on PostgreSQL the row stays locked
    until it ends, so a save and a submission of one report take turns (SQLite's writer is one)."""
    if is_postgres():
        rows = await AnnualReport.raw("SELECT status FROM annual_report WHERE id = {} FOR UPDATE", report_id).run()
        return rows[0]["status"]
    row = await AnnualReport.select(AnnualReport.status).where(AnnualReport.id == report_id).first()
    return row["status"]


async def start_year(actor: str, year: int) -> int:
    """Makes the reports of every active department and of the city for ``year`` (those not made
    yet). Returns how many were made."""
    if not valid_year(year):
        raise ReportError(_("年度须在 {first} 年至今年之间。").format(first=FIRST_YEAR))
    departments = await Department.select(Department.id, Department.code, Department.name, Department.group).where(
        Department.active.eq(True)).order_by(Department.code)
    units = [city(), *(Unit(row["id"], row["code"], row["name"], row["group"]) for row in departments)]
    async with write_transaction():
        before = await AnnualReport.count().where(AnnualReport.year == year)
        for unit in units:
            await ensure(year, unit)
        made = await AnnualReport.count().where(AnnualReport.year == year) - before
        if made:
            await audit.record(actor, "annual_report.start", f"annual-reports:{year}", new={"reports": made})
    return made


async def year_reports(year: int) -> list[Report]:
    """Every report of the year, the city's first, then by department code (without contents)."""
    rows = await AnnualReport.select(
        *AnnualReport.all_columns(), AnnualReport.department.code.as_alias("code"),
        AnnualReport.department.name.as_alias("name"), AnnualReport.department.group.as_alias("group"),
    ).where(AnnualReport.year == year)
    reports = []
    for row in rows:
        unit = city() if row["department"] is None else Unit(row["department"], row["code"], row["name"], row["group"])
        reports.append(_fill(Report(year=year, unit=unit), row))
    return sorted(reports, key=lambda report: (not report.unit.is_city, report.unit.code or ""))


async def years() -> list[int]:
    """Every year that has reports, newest first."""
    rows = await AnnualReport.select(AnnualReport.year).distinct()
    return sorted({row["year"] for row in rows}, reverse=True)


async def unit_of_department(department_id: int) -> Unit | None:
    row = await Department.select(Department.id, Department.code, Department.name, Department.group).where(
        Department.id == department_id).first()
    return Unit(row["id"], row["code"], row["name"], row["group"]) if row else None


async def reports_of(unit: Unit) -> list[Report]:
    """Every report of a department, newest year first (without contents)."""
    rows = await AnnualReport.select().where(_department_filter(unit.department_id)).order_by(
        AnnualReport.year, ascending=False)
    return [_fill(Report(year=row["year"], unit=unit), row) for row in rows]
