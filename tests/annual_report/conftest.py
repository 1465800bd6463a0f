"""The annual report's shared test data: figures of a real-looking department report (a 市直
department's year: 67 applications, most from individuals), which add up as the format asks, and
ways to send them through a section's form or to write them into a report directly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from evaluation.core import clock
from evaluation.core.tables import Department
from inspections.annual_report import checks
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.tables import AnnualReport, ReportFigure, ReportStatus, ReportText
from tests.conftest import run
from tests.inspections.conftest import inspection  # noqa: F401  (a fixture)

Cell = tuple[str, str, str]

# Table 三, the rows that add up to （七）总计, per applicant column (A1 自然人, A21 商业企业 … A25 其他);
# every other figure of the table follows from these, R1 (new this year), R2 (carried over) and R4.
T3_OUTCOMES = {
    "A1": {"R3_1": 30, "R3_2": 6, "R3_3_2": 1, "R3_3_4": 2, "R3_3_5": 1, "R3_3_6": 2, "R3_3_8": 1, "R3_4_1": 12,
           "R3_4_2": 2, "R3_4_3": 1, "R3_5_1": 2, "R3_5_2": 1, "R3_6_1": 1},
    "A21": {"R3_1": 3, "R3_2": 1, "R3_4_1": 1},
    "A22": {},
    "A23": {"R3_1": 1},
    "A24": {"R3_1": 1, "R3_2": 1, "R3_5_2": 1},
    "A25": {"R3_4_1": 1, "R3_6_1": 1},
}
T3_CARRIED_IN = {"A1": 3, "A24": 1}  # R2, from last year
T3_CARRIED_OUT = {"A1": 5, "A24": 1}  # R4, to next year
OTHER_TABLES: dict[Cell, int | str] = {
    ("T2a", "R2", "C2"): 12, ("T2a", "R2", "C3"): 3, ("T2a", "R2", "C4"): 85,
    ("T2b", "R1", "C2"): 1520, ("T2c", "R1", "C2"): 36, ("T2c", "R2", "C2"): 4, ("T2d", "R1", "C2"): "12.35",
    ("T4", "R1", "F_1"): 2, ("T4", "R1", "F_2"): 1, ("T4", "R1", "F_4"): 1, ("T4", "R1", "F_5"): 4,
    ("T4", "R1", "L1_1"): 1, ("T4", "R1", "L1_4"): 1, ("T4", "R1", "L1_5"): 2,
    ("T4", "R1", "L2_1"): 1, ("T4", "R1", "L2_5"): 1,
}


def t3_figures(outcomes: dict[str, dict[str, int]] | None = None, carried_in: dict[str, int] | None = None,
               carried_out: dict[str, int] | None = None) -> dict[Cell, Decimal]:
    """Table 三 as a careful office fills it: every total the sum of its parts, 一 + 二 = 三（七） + 四."""
    outcomes = T3_OUTCOMES if outcomes is None else outcomes
    carried_in = T3_CARRIED_IN if carried_in is None else carried_in
    carried_out = T3_CARRIED_OUT if carried_out is None else carried_out
    table = FORMAT.table_by_code["T3"]
    figures: dict[Cell, Decimal] = {}
    applicants = [column.code for column in table.data_columns if column.code != "A3"]
    for column in applicants:
        rows = outcomes.get(column, {})
        processed = sum(rows.values())
        values = {**rows, "R3_7": processed, "R2": carried_in.get(column, 0), "R4": carried_out.get(column, 0)}
        values["R1"] = processed + values["R4"] - values["R2"]
        for row in table.data_rows:
            figures[("T3", row.code, column)] = Decimal(values.get(row.code, 0))
    for row in table.data_rows:
        figures[("T3", row.code, "A3")] = sum((figures[("T3", row.code, column)] for column in applicants), Decimal(0))
    return figures


def report_figures() -> dict[Cell, Decimal]:
    """A whole department report that passes every check of the format."""
    figures = t3_figures()
    figures.update({cell: Decimal(str(value)) for cell, value in OTHER_TABLES.items()})
    assert not checks.check(figures)
    return figures


def form_of(figures: dict[Cell, Decimal], table: str) -> dict[str, str]:
    """The section form's fields for one table, as a person types them (empty for no figure)."""
    return {f"{table}-{row}-{column}": checks.format_value(figures[(table, row, column)])
            if (table, row, column) in figures else "" for row, column in FORMAT.table_by_code[table].cells()}


TEXTS = {
    "S1": "2026年，本单位认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息 1520 条。",
    "S5": "部分栏目更新不够及时。下一步将建立栏目巡查制度，每月检查一次。",
    "S6": "本年度未收取信息处理费。",
}


async def insert_report(year: int, department_code: str | None, figures: dict[Cell, Decimal] | None = None,
                        texts: dict[str, str] | None = None, status: str = ReportStatus.draft.value) -> int:
    """A report written straight into the tables, as if its people had filled it."""
    department = None
    if department_code is not None:
        row = await Department.select(Department.id).where(Department.code == department_code).first()
        department = row["id"]
    now = clock.now()
    report_id = (await AnnualReport.insert(AnnualReport(
        year=year, department=department, status=ReportStatus.draft.value, created_at=now, updated_at=now,
    )).returning(AnnualReport.id))[0]["id"]
    if figures:
        await ReportFigure.insert(*[
            ReportFigure(report=report_id, table_code=table, row_code=row, column_code=column, value=value)
            for (table, row, column), value in figures.items()])
    for section, body in (texts or {}).items():
        await ReportText.insert(ReportText(report=report_id, section=section, body=body, updated_at=now,
                                           updated_by="test"))
    if status == ReportStatus.submitted.value:
        # As submitting does: every cell left empty is written as 0.
        empty = [cell for cell in FORMAT.cells() if cell not in (figures or {})]
        await ReportFigure.insert(*[ReportFigure(report=report_id, table_code=table, row_code=row,
                                                 column_code=column, value=Decimal(0))
                                    for table, row, column in empty])
    if status != ReportStatus.draft.value:
        await AnnualReport.update({AnnualReport.status: status, AnnualReport.submitted_at: now,
                                   AnnualReport.submitted_by: "test"}).where(AnnualReport.id == report_id)
    return report_id


def write_report(year: int, department_code: str | None, figures: dict[Cell, Decimal] | None = None,
                 texts: dict[str, str] | None = None, status: str = ReportStatus.draft.value) -> int:
    return run(insert_report(year, department_code, figures, texts, status))


def _which(year: int, department_code: str | None) -> Any:
    unit = (AnnualReport.department.is_null() if department_code is None
            else AnnualReport.department.code == department_code)
    return (AnnualReport.year == year) & unit


def stored_figures(year: int, department_code: str | None) -> dict[Cell, Decimal]:
    async def read() -> dict[Cell, Decimal]:
        report = await AnnualReport.select(AnnualReport.id).where(_which(year, department_code)).first()
        if report is None:
            return {}
        rows = await ReportFigure.select().where(ReportFigure.report == report["id"])
        return {(row["table_code"], row["row_code"], row["column_code"]): Decimal(str(row["value"])).normalize()
                for row in rows}

    return run(read)


def report_row(year: int, department_code: str | None) -> dict[str, Any] | None:
    return run(AnnualReport.select().where(_which(year, department_code)).first())
