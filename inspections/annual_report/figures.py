"""Reading a figure as a person typed it, in the forms and in imported files: a count is a whole
number from 0 up, the fee of T2d an amount in 万元 from 0 up with at most 4 places (one yuan).
An empty cell is no figure (it counts as 0)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from evaluation.core.form_values import parse_decimal
from evaluation.core.i18n import _
from inspections.annual_report.checks import format_value
from inspections.annual_report.layout import FORMAT, Section

Cell = tuple[str, str, str]
MAX_COUNT = Decimal(999_999_999)
MAX_AMOUNT = Decimal(999_999_999_999)
AMOUNT_PLACES = 4


def parse_value(table: str, column: str, text: str) -> tuple[Decimal | None, str]:
    """(the figure or None for an empty cell, "" or what is wrong with it)."""
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None, ""
    value = parse_decimal(text)
    if FORMAT.is_amount(table, column):
        if value is None or value < 0:
            return None, _("须为不小于 0 的金额（万元）")
        if value.as_tuple().exponent < -AMOUNT_PLACES:  # type: ignore[operator]
            return None, _("最多保留 {places} 位小数").format(places=AMOUNT_PLACES)
        if value > MAX_AMOUNT:
            return None, _("数额过大")
        return value, ""
    if value is None or value < 0 or value != value.to_integral_value():
        return None, _("须为不小于 0 的整数")
    if value > MAX_COUNT:
        return None, _("数额过大")
    return Decimal(int(value)), ""


def field_name(table: str, row: str, column: str) -> str:
    return f"{table}-{row}-{column}"


@dataclass
class TablesForm:
    """The figures of one section's tables as typed, and what is wrong with them, by field name."""

    section: Section
    typed: dict[str, str] = field(default_factory=dict)
    values: dict[Cell, Decimal] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def tables(self) -> list[str]:
        return [table.code for table in self.section.tables]

    def text(self, table: str, row: str, column: str) -> str:
        return self.typed.get(field_name(table, row, column), "")

    def error(self, table: str, row: str, column: str) -> str:
        return self.errors.get(field_name(table, row, column), "")


def read_tables(section: Section, data: Mapping[str, str]) -> TablesForm:
    form = TablesForm(section)
    for table in section.tables:
        for row, column in table.cells():
            name = field_name(table.code, row, column)
            form.typed[name] = str(data.get(name, "") or "").strip()
            value, problem = parse_value(table.code, column, form.typed[name])
            if problem:
                form.errors[name] = problem
            elif value is not None:
                form.values[(table.code, row, column)] = value
    return form


def stored_tables(section: Section, figures: Mapping[Cell, Decimal]) -> TablesForm:
    """The form of a section as the report holds it."""
    form = TablesForm(section)
    for table in section.tables:
        for row, column in table.cells():
            value = figures.get((table.code, row, column))
            if value is not None:
                form.typed[field_name(table.code, row, column)] = format_value(value)
                form.values[(table.code, row, column)] = value
    return form
