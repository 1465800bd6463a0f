"""A report's figures in and out of files: the long CSV machines exchange (``table,row,column,value``
with the codes of data/annual-report-template.csv, e.g. ``T3,R1,A1,64``; the fee of T2d in 万元 with
decimals) and the workbook laid out as the format (workbook.py).

An import is all or nothing: a file with a cell it cannot read, or whose figures break any check of
the format (checks.py, the check across years against last year's figures when they are there),
is refused whole, with every problem and every failing identity named by its cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from evaluation.core import audit, spreadsheets
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.core.spreadsheets import SpreadsheetError, csv_text
from inspections.annual_report import checks, reports, saves
from inspections.annual_report.checks import Failure, format_value
from inspections.annual_report.figures import parse_value
from inspections.annual_report.layout import FORMAT, Table
from inspections.annual_report.reports import Report, ReportLocked
from inspections.annual_report.workbook import SheetLayout, sheet_layout

LONG_COLUMNS = ("table", "row", "column", "value")
Cell = tuple[str, str, str]


def _same(a: str, b: str) -> bool:
    """Headings compared as a person reads them: white space and line breaks do not count."""
    return re.sub(r"\s+", "", a or "") == re.sub(r"\s+", "", b or "")


def _layout_sheets(sheets: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """The sheets of a workbook in the format's layout, by table code (the first word of a name)."""
    found = {}
    for title, rows in sheets.items():
        code = title.split(" ", 1)[0]
        if code in FORMAT.table_by_code:
            found[code] = rows
    return found


def _at(rows: list[list[str]], row: int, column: int) -> str:
    """The text at a 1-based sheet position ("" beyond the data)."""
    if row > len(rows) or column > len(rows[row - 1]):
        return ""
    return rows[row - 1][column - 1]


def _read_sheet(table: Table, layout: SheetLayout, rows: list[list[str]]) -> tuple[dict[Cell, Decimal], list[str]]:
    figures: dict[Cell, Decimal] = {}
    problems = []
    sheet = _("工作表 {sheet}").format(sheet=table.code)
    for block in [*layout.headers, *layout.labels]:
        if block.label and not _same(_at(rows, block.row, block.column), block.label):
            message = _("{sheet} 第 {row} 行第 {column} 列应为“{expected}”，实为“{found}”：不是本格式的表。")
            problems.append(message.format(sheet=sheet, row=block.row, column=block.column, expected=block.label,
                                           found=_at(rows, block.row, block.column)))
    if problems:
        return {}, problems[:3]
    for row_code, sheet_row in layout.data_rows.items():
        for column_code, sheet_column in layout.data_columns.items():
            value, problem = parse_value(table.code, column_code, _at(rows, sheet_row, sheet_column))
            if problem:
                problems.append(_("{sheet} {table} {row} {column}（第 {line} 行第 {position} 列）：{problem}").format(
                    sheet=sheet, table=table.code, row=row_code, column=column_code, line=sheet_row,
                    position=sheet_column, problem=problem))
            elif value is not None:
                figures[(table.code, row_code, column_code)] = value
    return figures, problems


def read_workbook(sheets: dict[str, list[list[str]]]) -> tuple[dict[Cell, Decimal], list[str]]:
    by_code = _layout_sheets(sheets)
    missing = [table.code for table in FORMAT.tables if table.code not in by_code]
    if missing:
        return {}, [_("缺少工作表：{tables}（工作表名须以表的代码开头，如“T3 …”）。").format(tables="、".join(missing))]
    figures: dict[Cell, Decimal] = {}
    problems: list[str] = []
    for table in FORMAT.tables:
        found, trouble = _read_sheet(table, sheet_layout(table), by_code[table.code])
        figures.update(found)
        problems += trouble
    return figures, problems


def read_long(rows: spreadsheets.Rows) -> tuple[dict[Cell, Decimal], list[str]]:
    figures: dict[Cell, Decimal] = {}
    lines: dict[Cell, int] = {}
    problems = []
    for line, row in rows:
        cell = (row["table"].strip(), row["row"].strip(), row["column"].strip())
        table = FORMAT.table_by_code.get(cell[0])
        if table is None:
            problems.append(_("第 {line} 行：没有表 {table}").format(line=line, table=cell[0]))
            continue
        if not table.is_cell(cell[1], cell[2]):
            problems.append(_("第 {line} 行：{table} 没有数据格 {row} {column}").format(
                line=line, table=cell[0], row=cell[1], column=cell[2]))
            continue
        if cell in lines:
            problems.append(_("第 {line} 行：{cell} 与第 {first} 行重复").format(
                line=line, cell=" ".join(cell), first=lines[cell]))
            continue
        lines[cell] = line
        value, problem = parse_value(cell[0], cell[2], row["value"])
        if problem:
            problems.append(_("第 {line} 行：{cell} {problem}").format(line=line, cell=" ".join(cell), problem=problem))
        elif value is not None:
            figures[cell] = value
    if not rows:
        problems.append(_("文件中没有数据行。"))
    return figures, problems


def read_figures(filename: str, content: bytes) -> tuple[dict[Cell, Decimal], list[str]]:
    """The figures of a file, the format's workbook or the long CSV (or xlsx), and what is wrong
    with it."""
    try:
        if filename.lower().endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
            sheets = spreadsheets.read_sheets(filename, content)
            if _layout_sheets(sheets):
                return read_workbook(sheets)
        return read_long(spreadsheets.read_table(filename, content, LONG_COLUMNS))
    except SpreadsheetError as refusal:
        return {}, [str(refusal)]


@dataclass
class ImportResult:
    problems: list[str] = field(default_factory=list)  # every problem, failing identities included
    failures: list[Failure] = field(default_factory=list)
    cells: int = 0


async def import_figures(actor: str, report: Report, filename: str, content: bytes) -> ImportResult:
    """The report's statistics tables become the file's figures, if the file passes every check."""
    figures, problems = read_figures(filename, content)
    if problems:
        return ImportResult(problems=problems)
    failures = checks.check(figures, await reports.previous_figures(report), report.year - 1)
    if failures:
        return ImportResult(problems=[str(failure) for failure in failures], failures=failures)
    try:
        async with write_transaction():
            report_id = await saves.open_for_writing(report.year, report.unit)
            before, after = await saves.write_figures(report_id, [table.code for table in FORMAT.tables], figures)
            await audit.record(actor, "annual_report.import", report.target, old={"cells": before} if before else None,
                               new={"file": filename, "cells": after})
    except ReportLocked as refusal:
        return ImportResult(problems=[str(refusal)])
    return ImportResult(cells=len(figures))


def long_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """Every cell of the format, in its order; an empty cell is written as 0, as the checks count it."""
    return [(table, row, column, format_value(report.figures.get((table, row, column), Decimal(0))))
            for table, row, column in FORMAT.cells()]


def long_csv(report: Report) -> str:
    """The long form, with a BOM so that a spreadsheet opens it as UTF-8."""
    return csv_text([LONG_COLUMNS, *long_rows(report)])


def statistics_document(report: Report) -> dict[str, object]:
    """The open data of a submitted report: every figure by table, row and column, as decimal text
    (exact, like the published rankings)."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for table, row, column, value in long_rows(report):
        tables.setdefault(table, {}).setdefault(row, {})[column] = value
    return {
        "format": "pingyi.annual-report.v1",
        "template": "国办公开办函〔2021〕30号",
        "year": report.year,
        "unit": {"code": report.unit.code, "name": report.unit.display_name} if not report.unit.is_city
        else {"code": None, "name": report.unit.display_name},
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "units": {"T2d C2": "万元"},
        "tables": tables,
    }
