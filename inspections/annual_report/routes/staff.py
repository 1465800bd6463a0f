"""Writing the annual report: the office's overview of a year, a report and its six sections,
submitting, returning, adding up the city's tables and importing figures from a file.

A report lives at /staff/reports/<year>/units/<department code>, the city's at
/staff/reports/<year>/city. A liaison reaches only their own department's reports (any other is
a 404); auditors read everything; the office writes everything. Every form is a plain POST
answered by a 303; a section's form also posts through htmx, which swaps ``_section.html``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from evaluation.core.i18n import _
from evaluation.core.tables import Role
from evaluation.core.web import current_account, office, page, require, see_other
from inspections.annual_report import city, files, pages, reports, review, saves, sentences
from inspections.annual_report.figures import read_tables
from inspections.annual_report.layout import FORMAT, Section
from inspections.annual_report.reports import Report, ReportError, ReportLocked
from inspections.annual_report.review import SubmitRefusal

reporters = require(Role.office, Role.auditor, Role.liaison)
PARTIAL_ID = "report-section"


def report_paths(suffix: str = "") -> list[str]:
    return [f"/staff/reports/{{year:int}}/city{suffix}", f"/staff/reports/{{year:int}}/units/{{code:str}}{suffix}"]


async def _visible(request: Request, year: int, code: str | None) -> Report:
    report = await reports.load(year, code)
    if report is None or not reports.may_view(current_account(request), report):
        raise NotFoundException()
    return report


def _section(code: str) -> Section:
    section = FORMAT.section(code)
    if section is None:
        raise NotFoundException()
    return section


@get("/staff/reports", guards=[reporters], name="annual-reports-staff")
async def overview(request: Request, year: FromQuery[int | None] = None, done: FromQuery[str] = "") -> Template:
    account = current_account(request)
    if account.may(Role.liaison):
        return page("annual_report/mine.html", mine=await pages.my_reports(account))
    shown = year if year is not None and reports.valid_year(year) else reports.current_year()
    return page("annual_report/overview.html", overview=await pages.year_overview(shown), done=done,
                group_text=pages.group_text)


@post("/staff/reports/{year:int}/start", guards=[office], name="annual-reports-start")
async def start(request: Request, year: FromPath[int]) -> Template | Redirect:
    if not 1 <= year < dt.MAXYEAR:
        raise NotFoundException()  # no calendar has that year: there is no page to say so on
    try:
        await reports.start_year(current_account(request).username, year)
    except ReportError as refusal:
        return page("annual_report/overview.html", status_code=422, overview=await pages.year_overview(year),
                    error=str(refusal), group_text=pages.group_text)
    return see_other(f"/staff/reports?year={year}&done=started")


async def _report_page(request: Request, report: Report, status_code: int = 200, **context: Any) -> Template:
    shown = await pages.report_page(report, current_account(request))
    return page("annual_report/report.html", status_code=status_code, view=shown, report=report,
                group_text=pages.group_text, **context)


@get(report_paths(), guards=[reporters], name="annual-report")
async def show_report(request: Request, year: FromPath[int], code: FromPath[str | None] = None,
                      done: FromQuery[str] = "") -> Template:
    return await _report_page(request, await _visible(request, year, code), done=done)


async def _section_page(request: HTMXRequest, report: Report, section_code: str, status_code: int = 200,
                        **context: Any) -> Template:
    form, body = context.pop("form", None), context.pop("body", None)
    shown = await pages.section_page(report, _section(section_code), current_account(request), form=form, body=body)
    template = "annual_report/_section.html" if request.htmx.target == PARTIAL_ID else "annual_report/section.html"
    return page(template, status_code=status_code, view=shown, report=report, **context)


@get(report_paths("/sections/{section:str}"), guards=[reporters], name="annual-report-section")
async def show_section(request: HTMXRequest, year: FromPath[int], section: FromPath[str],
                       code: FromPath[str | None] = None, saved: FromQuery[bool] = False) -> Template:
    return await _section_page(request, await _visible(request, year, code), section, saved=saved)


@post(report_paths("/sections/{section:str}"), guards=[reporters], name="annual-report-section-save")
async def save_section(request: HTMXRequest, year: FromPath[int], section: FromPath[str],
                       data: URLEncodedBody[dict[str, str]], code: FromPath[str | None] = None) -> Template | Redirect:
    report = await _visible(request, year, code)
    chosen = _section(section)
    account = current_account(request)
    if not reports.may_edit(account, report):
        return await _section_page(request, report, section, 403, error=_("您只能查看这份报告。"))
    body = await sentences.with_inserted(report, data.get("body", ""), data.get("insert", ""))
    form = None if chosen.is_text else read_tables(chosen, data)
    try:
        if form is None:
            await saves.save_text(account.username, report, chosen.code, body)
        elif form.errors:
            message = _("有 {n} 个格子填写有误，请改正后再保存；本次未保存。").format(n=len(form.errors))
            return await _section_page(request, report, section, 422, form=form, error=message)
        else:
            await saves.save_figures(account.username, report, form.tables, form.values)
    except ReportLocked as refusal:
        return await _section_page(request, report, section, 409, error=str(refusal))
    except ReportError as refusal:
        return await _section_page(request, report, section, 422, body=body, error=str(refusal))
    if request.htmx.target == PARTIAL_ID:
        return await _section_page(request, await _visible(request, year, code), section, saved=True)
    return see_other(f"{report.path}/sections/{section}?saved=1")


@post(report_paths("/submit"), guards=[reporters], name="annual-report-submit")
async def submit(request: Request, year: FromPath[int], code: FromPath[str | None] = None) -> Template | Redirect:
    report = await _visible(request, year, code)
    if not reports.may_edit(current_account(request), report):
        return await _report_page(request, report, 403, error=_("您只能查看这份报告。"))
    try:
        await review.submit(current_account(request).username, report)
    except SubmitRefusal as refusal:
        return await _report_page(request, report, 422, refusal=refusal)
    except ReportError as refusal:
        return await _report_page(request, report, 409, error=str(refusal))
    return see_other(f"{report.path}?done=submitted")


@post(report_paths("/return"), guards=[office], name="annual-report-return")
async def return_report(request: Request, year: FromPath[int], data: URLEncodedBody[dict[str, str]],
                        code: FromPath[str | None] = None) -> Template | Redirect:
    report = await _visible(request, year, code)
    reason = data.get("reason", "")
    try:
        await review.return_report(current_account(request).username, report, reason)
    except ReportError as refusal:
        return await _report_page(request, report, 422, return_error=str(refusal), typed_reason=reason)
    return see_other(f"{report.path}?done=returned")


@post("/staff/reports/{year:int}/city/compile", guards=[office], name="annual-report-compile")
async def compile_city(request: Request, year: FromPath[int]) -> Template | Redirect:
    report = await _visible(request, year, None)
    try:
        await city.compile_city(current_account(request).username, year)
    except ReportError as refusal:
        return await _report_page(request, report, 422, error=str(refusal))
    return see_other(f"{report.path}?done=compiled")


@post(report_paths("/import"), guards=[reporters], name="annual-report-import")
async def import_figures(request: Request, year: FromPath[int],
                         code: FromPath[str | None] = None) -> Template | Redirect:
    report = await _visible(request, year, code)
    if not reports.may_edit(current_account(request), report):
        return await _report_page(request, report, 403, error=_("您只能查看这份报告。"))
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _report_page(request, report, 422, import_problems=[_("请选择一个 xlsx 或 CSV 文件。")])
    result = await files.import_figures(current_account(request).username, report, upload.filename,
                                        await upload.read())
    if result.problems:
        return await _report_page(request, report, 422, import_problems=result.problems)
    return see_other(f"{report.path}?done=imported")


ROUTES = [overview, start, show_report, show_section, save_section, submit, return_report, compile_city,
          import_figures]
