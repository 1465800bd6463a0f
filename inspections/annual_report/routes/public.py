"""The published annual reports: the list of years, a year's submitted reports, each report's
print page (A4, the tables as in the format) and workbook, and its statistics as open data.

A report is public once submitted. Before that, the staff who may read it (its liaison, the office,
the auditors) see the same print page and workbook, marked as a draft; everyone else gets a 404.
The open data is for submitted reports only.
"""

from __future__ import annotations

import json

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from evaluation.core.spreadsheets import CSV_MEDIA_TYPE
from evaluation.core.web import PUBLIC, current_account, download, page
from inspections.annual_report import files, pages, reports, workbook
from inspections.annual_report.checks import format_value
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.reports import Report

OPEN_DATA_HEADERS = {"Access-Control-Allow-Origin": "*"}


def report_paths(prefix: str, suffix: str = "") -> list[str]:
    return [f"{prefix}/{{year:int}}/city{suffix}", f"{prefix}/{{year:int}}/units/{{code:str}}{suffix}"]


async def _readable(request: Request, year: int, code: str | None) -> Report:
    report = await reports.load(year, code)
    if report is None or not (report.submitted or reports.may_view(current_account(request), report)):
        raise NotFoundException()
    return report


async def _published(year: int, code: str | None) -> Report:
    report = await reports.load(year, code)
    if report is None or not report.submitted:
        raise NotFoundException()
    return report


@get("/annual-reports", opt=PUBLIC, name="annual-reports")
async def list_years() -> Template:
    return page("annual_report/public_years.html", years=await pages.public_years())


@get("/annual-reports/{year:int}", opt=PUBLIC, name="annual-reports-year")
async def show_year(year: FromPath[int]) -> Template:
    shown = await pages.public_year(year)
    if not shown.reports:
        raise NotFoundException()
    return page("annual_report/public_year.html", shown=shown, group_text=pages.group_text)


@get(report_paths("/annual-reports"), opt=PUBLIC, name="annual-report-print")
async def print_page(request: Request, year: FromPath[int], code: FromPath[str | None] = None) -> Template:
    report = await _readable(request, year, code)
    return page("annual_report/print.html", report=report, sections=FORMAT.sections, figure=format_value)


@get(report_paths("/annual-reports", "/report.xlsx"), opt=PUBLIC, name="annual-report-xlsx")
async def report_xlsx(request: Request, year: FromPath[int], code: FromPath[str | None] = None) -> Response:
    report = await _readable(request, year, code)
    return download(await workbook.download(report))


@get(report_paths("/open-data/annual-reports", "/statistics.json"), opt=PUBLIC, name="annual-report-json")
async def statistics_json(year: FromPath[int], code: FromPath[str | None] = None) -> Response:
    report = await _published(year, code)
    body = json.dumps(files.statistics_document(report), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json", headers=OPEN_DATA_HEADERS)


@get(report_paths("/open-data/annual-reports", "/statistics.csv"), opt=PUBLIC, name="annual-report-csv")
async def statistics_csv(year: FromPath[int], code: FromPath[str | None] = None) -> Response:
    report = await _published(year, code)
    name = f"{year}-{report.unit.key}-statistics.csv"
    return Response(files.long_csv(report), media_type=CSV_MEDIA_TYPE,
                    headers={**OPEN_DATA_HEADERS, "Content-Disposition": f'inline; filename="{name}"'})


ROUTES = [list_years, show_year, print_page, report_xlsx, statistics_json, statistics_csv]
