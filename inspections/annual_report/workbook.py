"""The report's statistics as an xlsx workbook: one sheet per table of the format (T2a–T2d, T3,
T4), laid out as printed: the report's title, the section, the column headers nested and merged
as in the format, the row labels merged down over their rows (三、本年度办理结果 over its 22 rows),
the figures as number cells. A4 landscape, one page wide.

``SheetLayout`` says where everything of a table sits on its sheet; the import (files.py) reads a
sheet back through the same layout and checks its headings, so a file in this layout, the
platform's or one typed into it, imports as it was exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

import anyio
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from evaluation.core.i18n import _
from evaluation.core.spreadsheets import (
    GRID,
    header_cell,
    number_cell,
    print_landscape,
    save,
    set_widths,
    text_cell,
    title_row,
)
from evaluation.ratings.exports import Download
from inspections.annual_report.layout import FORMAT, Table
from inspections.annual_report.reports import Report

TITLE_ROWS = 2  # the report's title, then the section (and the table's caption)
CENTERED = Alignment(horizontal="center", vertical="center", wrap_text=True)
LABEL = Alignment(horizontal="left", vertical="center", wrap_text=True)
COUNT_FORMAT = "0"
AMOUNT_FORMAT = "0.00##"  # 万元: two places at least, up to the four kept


@dataclass(frozen=True)
class Block:
    """A (possibly merged) cell of headings or row labels."""

    row: int
    column: int
    rowspan: int
    colspan: int
    label: str

    @property
    def merged(self) -> bool:
        return self.rowspan > 1 or self.colspan > 1


@dataclass
class SheetLayout:
    table: Table
    width: int = 0
    headers: list[Block] = field(default_factory=list)
    labels: list[Block] = field(default_factory=list)
    data_rows: dict[str, int] = field(default_factory=dict)  # row code → sheet row
    data_columns: dict[str, int] = field(default_factory=dict)  # column code → sheet column

    @property
    def first_data_row(self) -> int:
        return TITLE_ROWS + self.table.header_depth + 1

    @property
    def last_row(self) -> int:
        return self.first_data_row + len(self.table.data_rows) - 1

def sheet_layout(table: Table) -> SheetLayout:
    layout = SheetLayout(table)
    label_width = table.row_label_width
    layout.width = label_width + len(table.data_columns)
    first = TITLE_ROWS + 1
    for depth, cells in enumerate(table.header_rows()):
        column = 1
        for cell in cells:
            # Columns under a parent start where the parent started; find the first free column.
            while any(block.row <= first + depth < block.row + block.rowspan
                      and block.column <= column < block.column + block.colspan for block in layout.headers):
                column += 1
            layout.headers.append(Block(first + depth, column, cell.rowspan, cell.colspan, cell.label))
            if cell.code and cell.colspan == 1 and cell.rowspan + depth == table.header_depth:
                layout.data_columns[cell.code] = column
            column += cell.colspan
    for offset, row in enumerate(table.data_rows):
        sheet_row = layout.first_data_row + offset
        layout.data_rows[row.code] = sheet_row
        for cell in table.label_cells(row):
            layout.labels.append(Block(sheet_row, cell.node.depth, cell.rowspan, cell.colspan, cell.node.label))
    return layout


def _display_width(text: str) -> int:
    """Columns of a spreadsheet a text takes: a Chinese character about two."""
    return sum(2 if ord(character) > 0x2E80 else 1 for character in text)


def sheet_title(table: Table) -> str:
    """``T3 收到和处理政府信息公开申请情况``: the code first, so the import finds the sheet."""
    return f"{table.code} {table.caption}"[:31]


def section_line(table: Table) -> str:
    section = FORMAT.section(table.section)
    label = section.label if section else ""
    return label if table.caption in label else f"{label}（{table.caption}）"


def report_heading(report: Report) -> str:
    return report.title if report.submitted else report.title + _("（草稿）")


def _table_sheet(workbook: Workbook, report: Report, table: Table) -> None:
    layout = sheet_layout(table)
    sheet = workbook.create_sheet(sheet_title(table))
    label_width = table.row_label_width
    label_widths = [34] if table.label_column is not None else [16, 24, 44][3 - label_width:] if label_width else []
    widths = [*label_widths, *([11] * len(table.data_columns))]
    set_widths(sheet, widths)
    title_row(sheet, report_heading(report), layout.width)
    sheet.append([text_cell(sheet, section_line(table))])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=layout.width)
    sheet["A2"].font = Font(bold=True)

    grid: dict[tuple[int, int], WriteOnlyCell] = {}
    merges = []
    for block in layout.headers:
        for row in range(block.row, block.row + block.rowspan):
            for column in range(block.column, block.column + block.colspan):
                grid[(row, column)] = header_cell(sheet, block.label if (row, column) == (block.row, block.column)
                                                  else None)
                grid[(row, column)].alignment = CENTERED
        if block.merged:
            merges.append(block)
    for block in layout.labels:
        for row in range(block.row, block.row + block.rowspan):
            for column in range(block.column, block.column + block.colspan):
                cell = text_cell(sheet, block.label if (row, column) == (block.row, block.column) else "")
                cell.alignment = LABEL
                grid[(row, column)] = cell
        if block.merged:
            merges.append(block)
    for row_code, sheet_row in layout.data_rows.items():
        for column_code, sheet_column in layout.data_columns.items():
            value = report.value(table.code, row_code, column_code)
            amount = table.is_amount(column_code)
            grid[(sheet_row, sheet_column)] = number_cell(sheet, value, AMOUNT_FORMAT if amount else COUNT_FORMAT)
    for row in range(TITLE_ROWS + 1, layout.last_row + 1):
        cells = [grid.get((row, column)) or WriteOnlyCell(sheet) for column in range(1, layout.width + 1)]
        for cell in cells:
            cell.border = GRID
        sheet.append(cells)
    for block in merges:
        sheet.merge_cells(start_row=block.row, start_column=block.column, end_row=block.row + block.rowspan - 1,
                          end_column=block.column + block.colspan - 1)
    for block in layout.labels:
        if block.rowspan == 1:
            # A label longer than its cells wraps; LibreOffice does not grow the row for it.
            room = sum(widths[column - 1] for column in range(block.column, block.column + block.colspan))
            lines = -(-_display_width(block.label) // int(room))
            if lines > 1:
                sheet.row_dimensions[block.row].height = 15 * lines
    sheet.freeze_panes = sheet.cell(layout.first_data_row, label_width + 1).coordinate
    print_landscape(sheet, f"{TITLE_ROWS + 1}:{layout.first_data_row - 1}")


def report_workbook(report: Report) -> IO[bytes]:
    """The workbook of a report's statistics, in the active interface language."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in FORMAT.tables:
        _table_sheet(workbook, report, table)
    return save(workbook)


async def download(report: Report) -> Download:
    """The workbook, built in a worker thread (which sees the request's language), with its names."""
    file = await anyio.to_thread.run_sync(report_workbook, report)
    suffix = "" if report.submitted else _("（草稿）")
    return Download(filename=f"{report.title}{suffix}.xlsx", fallback=f"{report.year}-{report.unit.key}-report.xlsx",
                    content=file)
