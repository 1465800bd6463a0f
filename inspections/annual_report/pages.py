"""What the annual report's pages show: the office's overview of a year (deadlines, who has
submitted, what is overdue), one report with its sections and checks, one section's form with the
ready sentences, the public list of submitted reports, and the home page's link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluation.core.accounts import SignedIn
from evaluation.core.departments import GROUP_LABELS
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from inspections.annual_report import city, deadlines, reports, sentences
from inspections.annual_report.checks import Failure
from inspections.annual_report.city import Coverage
from inspections.annual_report.figures import TablesForm, stored_tables
from inspections.annual_report.layout import FORMAT, Section
from inspections.annual_report.reports import Report
from inspections.annual_report.sentences import Sentence
from inspections.annual_report.tables import AnnualReport, ReportStatus


def group_text(group: str) -> str:
    return _(GROUP_LABELS[group]) if group in GROUP_LABELS else ""


@dataclass
class YearOverview:
    year: int
    reports: list[Report]
    years: list[int]
    overdue: list[Report]

    @property
    def started(self) -> bool:
        return bool(self.reports)

    @property
    def department_due(self) -> str:
        return deadlines.due_text(self.year, False)

    @property
    def city_due(self) -> str:
        return deadlines.due_text(self.year, True)

    def count(self, status: str) -> int:
        return sum(1 for report in self.reports if not report.unit.is_city and report.status == status)

    @property
    def departments(self) -> list[Report]:
        return [report for report in self.reports if not report.unit.is_city]


async def overdue_reports() -> list[Report]:
    """Every report, of any year, past its deadline and not submitted: oldest first."""
    every = []
    for year in sorted(await reports.years()):
        every += [report for report in await reports.year_reports(year) if report.overdue]
    return every


async def year_overview(year: int) -> YearOverview:
    known = await reports.years()
    shown = sorted({*known, reports.current_year(), year}, reverse=True)
    return YearOverview(year=year, reports=await reports.year_reports(year), years=shown,
                        overdue=await overdue_reports())


@dataclass
class MyReports:
    """A liaison's department and its reports, this year's first even when nobody has begun it."""

    unit: reports.Unit
    reports: list[Report]


async def my_reports(account: SignedIn) -> MyReports | None:
    unit = await reports.unit_of_department(account.department_id) if account.department_id else None
    if unit is None:
        return None
    made = await reports.reports_of(unit)
    year = reports.current_year()
    if all(report.year != year for report in made):
        made.insert(0, Report(year=year, unit=unit))
    return MyReports(unit, made)


@dataclass
class SectionState:
    section: Section
    written: bool  # a text section with text, or a table section with figures
    failures: int


@dataclass
class ReportPage:
    report: Report
    failures: list[Failure]
    may_edit: bool
    is_office: bool
    coverage: Coverage | None = None  # the city's report: the departments' reports of the year
    states: list[SectionState] = field(default_factory=list)

    @property
    def due(self) -> str:
        return deadlines.due_text(self.report.year, self.report.unit.is_city)

    @property
    def compiled_names(self) -> list[str]:
        return self.report.compiled_from


def _states(report: Report, failures: list[Failure]) -> list[SectionState]:
    states = []
    for section in FORMAT.sections:
        if section.is_text:
            states.append(SectionState(section, bool(report.text(section.code).strip()), 0))
        else:
            tables = {table.code for table in section.tables}
            states.append(SectionState(section, any(cell[0] in tables for cell in report.figures),
                                       sum(1 for failure in failures if failure.table in tables)))
    return states


async def report_page(report: Report, account: SignedIn) -> ReportPage:
    failures = await reports.failures(report)
    found = ReportPage(report=report, failures=failures, may_edit=reports.may_edit(account, report),
                       is_office=account.may(Role.office), states=_states(report, failures))
    if report.unit.is_city:
        found.coverage = await city.coverage(report.year)
    return found


@dataclass
class SectionPage:
    report: Report
    section: Section
    may_edit: bool
    failures: list[Failure]
    form: TablesForm | None = None  # a table section
    body: str = ""  # a text section, as written (or typed)
    offered: list[Sentence] = field(default_factory=list)

    def failures_naming(self, table: str, row: str, column: str) -> list[Failure]:
        return [failure for failure in self.failures if failure.names(table, row, column)]

    def failure_ids(self, table: str, row: str, column: str) -> str:
        return " ".join(f"failure-{self.failures.index(failure) + 1}"
                        for failure in self.failures_naming(table, row, column))

    @property
    def previous_section(self) -> Section | None:
        position = FORMAT.sections.index(self.section)
        return FORMAT.sections[position - 1] if position else None

    @property
    def next_section(self) -> Section | None:
        position = FORMAT.sections.index(self.section)
        return FORMAT.sections[position + 1] if position + 1 < len(FORMAT.sections) else None


async def section_page(report: Report, section: Section, account: SignedIn, *, form: TablesForm | None = None,
                       body: str | None = None) -> SectionPage:
    may_edit = reports.may_edit(account, report) and not report.locked
    found = SectionPage(report=report, section=section, may_edit=may_edit, failures=[])
    if section.is_text:
        found.body = report.text(section.code) if body is None else body
        if found.may_edit:
            found.offered = await sentences.ready_sentences(report.year, report.unit)
    else:
        found.form = form or stored_tables(section, report.figures)
        found.failures = await reports.failures(report, [table.code for table in section.tables])
    return found


@dataclass
class PublicYear:
    year: int
    reports: list[Report]

    @property
    def city(self) -> Report | None:
        return next((report for report in self.reports if report.unit.is_city), None)

    @property
    def departments(self) -> list[Report]:
        return [report for report in self.reports if not report.unit.is_city]


async def public_year(year: int) -> PublicYear:
    return PublicYear(year, [report for report in await reports.year_reports(year) if report.submitted])


async def public_years() -> list[PublicYear]:
    rows = await AnnualReport.select(AnnualReport.year).where(
        AnnualReport.status == ReportStatus.submitted.value).distinct()
    return [await public_year(year) for year in sorted({row["year"] for row in rows}, reverse=True)]


async def home_section() -> dict[str, Any]:
    """The home page links the city's latest published report and the latest year whose
    departments have published theirs (年度报告)."""
    rows = await AnnualReport.select(AnnualReport.year, AnnualReport.department).where(
        AnnualReport.status == ReportStatus.submitted.value)
    if not rows:
        return {}
    city_years = [row["year"] for row in rows if row["department"] is None]
    department_years = [row["year"] for row in rows if row["department"] is not None]
    latest = max(department_years) if department_years else None
    return {
        "city": await reports.find(max(city_years), reports.city(), with_contents=False) if city_years else None,
        "year": latest,
        "departments": department_years.count(latest) if latest else 0,
    }
