"""The city's own report adds up the departments' statistics tables: cell by cell, over the
departments' reports of the year that are submitted, and says which departments have not submitted.
Its text sections are the office's own. Adding up replaces the city's tables (the office may edit
or import them afterwards); when, and from which departments, is kept with the report and audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from inspections.annual_report import reports, saves
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.reports import Report, ReportError
from inspections.annual_report.tables import AnnualReport, ReportFigure


@dataclass
class Coverage:
    """The departments' reports of a year, as the city's report sees them."""

    submitted: list[Report] = field(default_factory=list)
    not_submitted: list[Report] = field(default_factory=list)  # made, but not submitted (or returned)
    without_report: list[dict[str, str]] = field(default_factory=list)  # active departments with none

    @property
    def submitted_codes(self) -> list[str]:
        return [report.unit.code or "" for report in self.submitted]


async def coverage(year: int) -> Coverage:
    found = Coverage()
    every = [report for report in await reports.year_reports(year) if not report.unit.is_city]
    for report in every:
        (found.submitted if report.submitted else found.not_submitted).append(report)
    with_report = {report.unit.department_id for report in every}
    found.without_report = [
        row for row in await Department.select(Department.id, Department.code, Department.name).where(
            Department.active.eq(True)).order_by(Department.code)
        if row["id"] not in with_report
    ]
    return found


async def sums(report_ids: list[int]) -> dict[tuple[str, str, str], Decimal]:
    """Every cell added up over the given reports, in one query."""
    if not report_ids:
        return {}
    rows = await ReportFigure.raw(
        "SELECT table_code, row_code, column_code, SUM(value) AS total FROM report_figure "
        "WHERE report IN (" + ", ".join("{}" for _ in report_ids) + ") GROUP BY table_code, row_code, column_code",
        *report_ids).run()
    return {(row["table_code"], row["row_code"], row["column_code"]): reports.decimal_of(row["total"])
            for row in rows}


async def compile_city(actor: str, year: int) -> Coverage:
    """The city's tables become the sum of the submitted departments' tables."""
    async with write_transaction():
        found = await coverage(year)
        if not found.submitted:
            raise ReportError(_("{year} 年还没有单位提交年度报告，无法汇总。").format(year=year))
        totals = await sums([report.id for report in found.submitted if report.id is not None])
        city = reports.city()
        report_id = await saves.open_for_writing(year, city)
        before, after = await saves.write_figures(report_id, [table.code for table in FORMAT.tables], totals)
        await AnnualReport.update({AnnualReport.compiled_at: clock.now(),
                                   AnnualReport.compiled_from: json.dumps(found.submitted_codes)}).where(
            AnnualReport.id == report_id)
        await audit.record(actor, "annual_report.compile", Report(year=year, unit=city).target,
                           old={"cells": before} if before else None,
                           new={"departments": found.submitted_codes, "cells": after})
    return found
