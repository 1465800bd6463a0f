"""The annual report's commands: a report's statistics out to a file and in from one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evaluation.core.console import CommandError, Parser, actor, existing_file, refuse_bad_rows, run

SUFFIXES = (".xlsx", ".csv")


def _report_or_fail(year: int, department: str | None) -> Any:
    from inspections.annual_report import reports

    report = run(lambda: reports.load(year, department))
    if report is None:
        if department is not None and run(lambda: reports.find_unit(department)) is None:
            raise CommandError(f"找不到单位 no such department: {department}")
        raise CommandError(f"年度须在 {reports.FIRST_YEAR} 年至今年之间 (no reports for year {year})")
    return report


def report_export(args: argparse.Namespace) -> None:
    from inspections.annual_report import files, workbook

    target = Path(args.output)
    if target.suffix.lower() not in SUFFIXES:
        raise CommandError(f"文件名须以 .xlsx 或 .csv 结尾 (file must end in .xlsx or .csv): {target}")
    if not target.parent.exists():
        raise CommandError(f"找不到目录 no such directory: {target.parent}")
    report = _report_or_fail(args.year, args.department)
    if report.id is None:
        print("该报告尚未建立，导出的是空白表 (no such report yet: exporting the blank format)", file=sys.stderr)
    if target.suffix.lower() == ".csv":
        target.write_text(files.long_csv(report), encoding="utf-8")
    else:
        with workbook.report_workbook(report) as source:
            target.write_bytes(source.read())
    print(f"已导出 exported: {report.title} → {target}")


def report_import(args: argparse.Namespace) -> None:
    from inspections.annual_report import files

    path = existing_file(args.file)
    report = _report_or_fail(args.year, args.department)
    result = run(lambda: files.import_figures(actor(), report, path.name, path.read_bytes()))
    refuse_bad_rows(result.problems)
    print(f"已导入 imported: {result.cells} 个数据格 cells → {report.title}")


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="the annual disclosure report (政府信息公开工作年度报告)"
                                 ).add_subparsers(dest="action", required=True, parser_class=Parser)
    p = report.add_parser("export", help="write a report's statistics: the format's workbook (.xlsx) or the long "
                          "CSV table,row,column,value (.csv)")
    p.add_argument("year", type=int, metavar="YEAR")
    p.add_argument("--department", metavar="CODE", help="the department (default: the city's own report)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx|FILE.csv")
    p.set_defaults(handler=report_export)
    p = report.add_parser("import", help="enter a report's statistics from the format's workbook or the long CSV; "
                          "a file that breaks any check of the format is refused whole")
    p.add_argument("year", type=int, metavar="YEAR")
    p.add_argument("--department", metavar="CODE", help="the department (default: the city's own report)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=report_import)
