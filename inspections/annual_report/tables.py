"""The annual disclosure report's tables (政府信息公开工作年度报告): one report per year and unit
(a department, or the city itself when ``department`` is empty), its text sections and the figures
of its statistics tables, cell by cell, named by the codes of data/annual-report-template.csv.

A submitted report is locked: the database refuses to update or delete its texts and figures
(triggers made by the migration, on both engines) until the office returns it, and a submitted
report has every cell and section already, so the unique indexes keep new rows out.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, Numeric, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from evaluation.core.tables import Department


class ReportStatus(StrEnum):
    draft = "draft"  # 编写中
    submitted = "submitted"  # 已提交: locked
    returned = "returned"  # 已退回 by the office, with a reason: editable again


class AnnualReport(Table, tablename="annual_report"):
    id = Serial(primary_key=True)
    year = Integer()
    # Empty for the city's own report (本级政府), which adds up the departments' tables.
    department = ForeignKey(Department, null=True, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=16, choices=ReportStatus, default=ReportStatus.draft.value)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = Varchar(length=120, default="")
    returned_at = Timestamptz(null=True, default=None)
    returned_by = Varchar(length=120, default="")
    return_reason = Text(default="")
    # The city's report: when its tables were last added up, and from which departments (JSON list).
    compiled_at = Timestamptz(null=True, default=None)
    compiled_from = Text(default="")
    # Unique on (year, department or 0): index annual_report_once, made by the migration.


class ReportText(Table, tablename="report_text"):
    """A text section (一、五、六) as the liaison or the office wrote it."""

    id = Serial(primary_key=True)
    # No index of its own: the unique index on (report, section) serves it.
    report = ForeignKey(AnnualReport, null=False, on_delete=OnDelete.cascade, index=False)
    section = Varchar(length=8)
    body = Text(default="")
    updated_at = Timestamptz()
    updated_by = Varchar(length=120, default="")
    # Unique on (report, section): index report_text_once, made by the migration.


class ReportFigure(Table, tablename="report_figure"):
    """One cell of a statistics table. A cell without a row reads as 0; submitting writes the 0s."""

    id = Serial(primary_key=True)
    # No index of its own: the unique index on (report, table_code, row_code, column_code) serves it.
    report = ForeignKey(AnnualReport, null=False, on_delete=OnDelete.cascade, index=False)
    table_code = Varchar(length=8)
    row_code = Varchar(length=16)
    column_code = Varchar(length=16)
    # Counts are whole numbers; the fees of T2d are 万元 with up to 4 places (one yuan).
    value = Numeric(digits=(16, 4))
    # Unique on (report, table_code, row_code, column_code): index report_figure_cell, by the migration.
