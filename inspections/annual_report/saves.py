"""Saving a report's sections: a text section as written, a section's tables cell by cell, each
change audited in its transaction with the cells that changed, old and new. Nothing changes in a
submitted report (the database refuses it too, see tables.py)."""

from __future__ import annotations

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from inspections.annual_report import checks
from inspections.annual_report.checks import Figures
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.reports import (
    Report,
    ReportError,
    ReportLocked,
    Unit,
    ensure,
    figures_of,
    status_for_update,
)
from inspections.annual_report.tables import AnnualReport, ReportFigure, ReportStatus, ReportText

MAX_TEXT = 20_000  # characters of one text section
FORMAT_ORDER = {cell: position for position, cell in enumerate(FORMAT.cells())}


async def open_for_writing(year: int, unit: Unit) -> int:
    """Inside a write transaction: the id of a report that may change now, or ReportLocked."""
    report_id = await ensure(year, unit)
    if await status_for_update(report_id) == ReportStatus.submitted.value:
        raise ReportLocked(_("该报告已提交，不能再修改；如需修改，请政务公开办退回。"))
    await AnnualReport.update({AnnualReport.updated_at: clock.now()}).where(AnnualReport.id == report_id)
    return report_id


def cell_name(cell: tuple[str, str, str]) -> str:
    return " ".join(cell)


def _changes(old: Figures, new: Figures) -> tuple[dict[str, str], dict[str, str]]:
    """The cells that changed, as the audit trail records them ("T3 R1 A1": "64")."""
    changed = sorted({cell for cell in {*old, *new} if old.get(cell) != new.get(cell)},
                     key=lambda cell: FORMAT_ORDER.get(cell, 0))
    return ({cell_name(cell): checks.format_value(old[cell]) for cell in changed if cell in old},
            {cell_name(cell): checks.format_value(new[cell]) for cell in changed if cell in new})


async def write_figures(report_id: int, tables: list[str], new: Figures) -> tuple[dict[str, str], dict[str, str]]:
    """Inside a write transaction on an open report: the figures of ``tables`` become ``new``
    (cells left out are emptied). Returns the changed cells, old and new, for the audit trail."""
    old = {cell: value for cell, value in (await figures_of(report_id)).items() if cell[0] in tables}
    wanted = {cell: value for cell, value in new.items() if cell[0] in tables}
    if old == wanted:
        return {}, {}
    await ReportFigure.delete().where((ReportFigure.report == report_id) & ReportFigure.table_code.is_in(tables))
    if wanted:
        await ReportFigure.insert(*[
            ReportFigure(report=report_id, table_code=table, row_code=row, column_code=column, value=value)
            for (table, row, column), value in sorted(wanted.items(), key=lambda item: FORMAT_ORDER[item[0]])
        ])
    return _changes(old, wanted)


async def save_text(actor: str, report: Report, section: str, body: str) -> None:
    if len(body) > MAX_TEXT:
        raise ReportError(_("这一部分不能超过 {most} 个字（现有 {n} 个字）。").format(most=MAX_TEXT, n=len(body)))
    async with write_transaction():
        report_id = await open_for_writing(report.year, report.unit)
        row = await ReportText.select(ReportText.id, ReportText.body).where(
            (ReportText.report == report_id) & (ReportText.section == section)).first()
        old = row["body"] if row else ""
        if old == body:
            return
        now = clock.now()
        if row:
            await ReportText.update({ReportText.body: body, ReportText.updated_at: now,
                                     ReportText.updated_by: actor}).where(ReportText.id == row["id"])
        else:
            await ReportText.insert(ReportText(report=report_id, section=section, body=body, updated_at=now,
                                               updated_by=actor))
        await audit.record(actor, "annual_report.text", report.target, old={section: old} if old else None,
                           new={section: body})


async def save_figures(actor: str, report: Report, tables: list[str], values: Figures) -> None:
    async with write_transaction():
        report_id = await open_for_writing(report.year, report.unit)
        before, after = await write_figures(report_id, tables, values)
        if before or after:
            await audit.record(actor, "annual_report.figures", report.target, old=before, new=after)
