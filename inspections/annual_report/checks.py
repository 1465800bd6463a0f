"""The format's own checks (勾稽关系), run on every save and import and before submission.

From the format's note (data/annual-report-template.csv, README "Checks every filled report must
pass"):

- in table 三, for each column: 一 + 二 = 三（七）总计 + 四 (new + carried over from last year =
  total processed + carried to next year);
- every 总计 equals the sum of what it adds up: 三（七） = （一）…（六） in each column, the 总计 column =
  the applicant columns on each row, each 总计 of table 四 = its four cells (read from the layout,
  layout.py);
- across years: this year's 二 (carried over) equals last year's 四 (carried to next year), column
  by column, when last year's figures are there.

Pure functions over the figures of one report: a cell with no figure counts as 0. Each failure names
its cells with the template's codes (``T3 R3_7 A1: 20 ≠ 26``: the cell says 20, its parts add up to
26), and only identities that do not hold are reported: a wrong cell is named by every identity it
breaks and by no other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from evaluation.core.i18n import _
from inspections.annual_report.layout import FORMAT, ReportFormat, Table

Cell = tuple[str, str, str]  # (table, row, column)
Figures = Mapping[Cell, Decimal]
ZERO = Decimal(0)

# 一 + 二 = 三（七）总计 + 四 of table 三, and what carries over from one year to the next.
BALANCE_TABLE = "T3"
BALANCE_LEFT = ("R1", "R2")
BALANCE_RIGHT = ("R3_7", "R4")
CARRIED_IN, CARRIED_OUT = "R2", "R4"

TOTAL, BALANCE, CARRIED = "total", "balance", "carried"


def format_value(value: Decimal) -> str:
    """A figure as printed: 20, 12.5, 0."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True)
class Failure:
    rule: str
    table: str
    cells: tuple[tuple[str, str], ...]  # (row, column) of every cell the identity names
    stated: Decimal  # what the report says (the total, or the left side)
    expected: Decimal  # what it should be (the sum, or the right side)
    code_text: str  # T3 R3_7 A1: 20 ≠ 26
    description: str  # the same in words, in the reader's language
    involved: tuple[tuple[str, str], ...] = ()  # every cell of the identity: the named ones and what they add up

    def __str__(self) -> str:
        return f"{self.code_text}（{self.description}）"

    def names(self, table: str, row: str, column: str) -> bool:
        return self.table == table and (row, column) in self.cells


def _get(figures: Figures, table: str, row: str, column: str) -> Decimal:
    return figures.get((table, row, column), ZERO)


def _totals(table: Table, figures: Figures) -> list[Failure]:
    failures = []
    for total in table.totals:
        if total.axis == "row":
            lines = [(total.total.code, column.code, [(part.code, column.code) for part in total.parts])
                     for column in table.data_columns]
        else:
            lines = [(row.code, total.total.code, [(row.code, part.code) for part in total.parts])
                     for row in table.data_rows]
        for row, column, parts in lines:
            stated = _get(figures, table.code, row, column)
            expected = sum((_get(figures, table.code, *part) for part in parts), ZERO)
            if stated == expected:
                continue
            code_text = f"{table.code} {row} {column}: {format_value(stated)} ≠ {format_value(expected)}"
            where = f"{table.row_by_code[row].label} · {table.column_title(column)}"
            description = _("{cell}：应为{parts}之和 {expected}，填写的是 {stated}").format(
                cell=where, parts=total.range_text, expected=format_value(expected), stated=format_value(stated))
            failures.append(Failure(TOTAL, table.code, ((row, column),), stated, expected, code_text, description,
                                    ((row, column), *parts)))
    return failures


def _balance(table: Table, figures: Figures) -> list[Failure]:
    failures = []
    for column in table.data_columns:
        left = sum((_get(figures, table.code, row, column.code) for row in BALANCE_LEFT), ZERO)
        right = sum((_get(figures, table.code, row, column.code) for row in BALANCE_RIGHT), ZERO)
        if left == right:
            continue
        code_text = (f"{table.code} {'+'.join(BALANCE_LEFT)} {column.code}: {format_value(left)} ≠ "
                     f"{format_value(right)} ({'+'.join(BALANCE_RIGHT)})")
        description = _("{column}：本年新收与上年结转之和为 {left}，本年度办理结果总计与结转下年度继续办理之和为 "
                        "{right}，两者应相等").format(column=table.column_title(column.code),
                                                        left=format_value(left), right=format_value(right))
        cells = tuple((row, column.code) for row in (*BALANCE_LEFT, *BALANCE_RIGHT))
        failures.append(Failure(BALANCE, table.code, cells, left, right, code_text, description, cells))
    return failures


def _carried(table: Table, figures: Figures, previous: Figures, previous_year: int) -> list[Failure]:
    failures = []
    for column in table.data_columns:
        this_year = _get(figures, table.code, CARRIED_IN, column.code)
        last_year = _get(previous, table.code, CARRIED_OUT, column.code)
        if this_year == last_year:
            continue
        code_text = (f"{table.code} {CARRIED_IN} {column.code}: {format_value(this_year)} ≠ {format_value(last_year)} "
                     f"({previous_year} {CARRIED_OUT})")
        description = _("{column}：上年结转 {this_year} 应等于 {year} 年报告中结转下年度继续办理的 {last_year}").format(
            column=table.column_title(column.code), this_year=format_value(this_year), year=previous_year,
            last_year=format_value(last_year))
        failures.append(Failure(CARRIED, table.code, ((CARRIED_IN, column.code),), this_year, last_year, code_text,
                                description, ((CARRIED_IN, column.code),)))
    return failures


def check(figures: Figures, previous: Figures | None = None, previous_year: int | None = None,
          tables: list[str] | None = None, report_format: ReportFormat = FORMAT) -> list[Failure]:
    """Every identity of the format that the figures break, table by table in the order of the
    format (``tables`` limits it to some). ``previous``: last year's figures of the same unit, when
    there are any, for the check across years."""
    failures: list[Failure] = []
    for table in report_format.tables:
        if tables is not None and table.code not in tables:
            continue
        if table.code == BALANCE_TABLE:
            failures += _balance(table, figures)
        failures += _totals(table, figures)
        if table.code == BALANCE_TABLE and previous and previous_year is not None:
            failures += _carried(table, figures, previous, previous_year)
    return failures
