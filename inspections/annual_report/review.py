"""A report's review: submitting it (only when every check of the format passes and every text
section is written; the empty cells are then written as 0 and the report is locked) and the office
returning a submitted report with its reason."""

from __future__ import annotations

from decimal import Decimal

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from inspections.annual_report import reports
from inspections.annual_report.checks import Failure
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.reports import Report, ReportError, status_for_update
from inspections.annual_report.saves import open_for_writing
from inspections.annual_report.tables import AnnualReport, ReportFigure, ReportStatus

MAX_REASON = 1000


class SubmitRefusal(ReportError):
    """What keeps a report from being submitted: failed checks and unwritten sections."""

    def __init__(self, failures: list[Failure], missing_texts: list[str]) -> None:
        super().__init__(_("报告未通过检查，不能提交。"))
        self.failures = failures
        self.missing_texts = missing_texts


async def submit(actor: str, report: Report) -> None:
    """Locks the report once its figures pass every check and every text section is written.
    Cells left empty are written as 0: a submitted report is complete."""
    async with write_transaction():
        report_id = await open_for_writing(report.year, report.unit)
        current = await reports.find(report.year, report.unit)
        found = await reports.failures(current)
        if found or current.missing_texts:
            raise SubmitRefusal(failures=found, missing_texts=current.missing_texts)
        empty = [cell for cell in FORMAT.cells() if cell not in current.figures]
        if empty:
            await ReportFigure.insert(*[ReportFigure(report=report_id, table_code=table, row_code=row,
                                                     column_code=column, value=Decimal(0))
                                        for table, row, column in empty])
        now = clock.now()
        await AnnualReport.update({AnnualReport.status: ReportStatus.submitted.value, AnnualReport.submitted_at: now,
                                   AnnualReport.submitted_by: actor}).where(AnnualReport.id == report_id)
        await audit.record(actor, "annual_report.submit", report.target, old={"status": current.status},
                           new={"status": ReportStatus.submitted.value, "late": now > report.due,
                                "zeros_written": len(empty)})


async def return_report(actor: str, report: Report, reason: str) -> None:
    """The office sends a submitted report back to be written again, saying why."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReportError(_("请说明退回的理由。"))
    if len(reason) > MAX_REASON:
        raise ReportError(_("退回理由不能超过 {most} 个字。").format(most=MAX_REASON))
    async with write_transaction():
        if report.id is None or await status_for_update(report.id) != ReportStatus.submitted.value:
            raise ReportError(_("只有已提交的报告可以退回。"))
        await AnnualReport.update({AnnualReport.status: ReportStatus.returned.value,
                                   AnnualReport.returned_at: clock.now(), AnnualReport.returned_by: actor,
                                   AnnualReport.return_reason: reason}).where(AnnualReport.id == report.id)
        await audit.record(actor, "annual_report.return", report.target, old={"status": ReportStatus.submitted.value},
                           new={"status": ReportStatus.returned.value, "reason": reason})
