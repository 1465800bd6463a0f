"""The office's side of the ratings: entering paper forms and tallies, downloading workbooks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from evaluation.core.i18n import _
from evaluation.core.web import (
    current_account,
    download,
    office,
    office_or_auditor,
    page,
    read_upload,
    see_other,
)
from evaluation.ratings import bursts as rating_bursts
from evaluation.ratings import exports as rating_exports
from evaluation.ratings import imports as rating_imports
from evaluation.ratings import periods, reasons
from evaluation.ratings.imports import ImportResult, RatingImportError
from evaluation.ratings.periods import Period
from settings import settings


@get("/staff/ratings", guards=[office_or_auditor], name="ratings-office")
async def ratings_office() -> Template:
    return page("ratings/office.html", periods=await periods.all_periods(),
                imports=await rating_imports.recent_imports(), kinds=rating_imports.KIND_LABELS)


async def _import_page(chosen: str = "", result: ImportResult | None = None, error: str = "",
                       status_code: int = 200, notice: str = "",
                       withdrawal: dict[str, Any] | None = None) -> Template:
    all_periods = await periods.all_periods()
    if not chosen:
        current = await periods.current_period()
        chosen = current.code if current else (all_periods[0].code if all_periods else "")
    selected = next((period for period in all_periods if period.code == chosen), None)
    imports = await rating_imports.recent_imports(selected.id) if selected else []
    context: dict[str, Any] = {"periods": all_periods, "chosen": chosen, "result": result, "error": error,
                               "imports": imports, "kinds": rating_imports.KIND_LABELS,
                               "reasons": await reasons.reasons(), "notice": notice,
                               "withdrawal": withdrawal or {}}
    return page("ratings/ratings_import.html", status_code=status_code, **context)


@get("/staff/ratings/import", guards=[office], name="ratings-import-form")
async def import_form(period: FromQuery[str] = "", withdrawn: FromQuery[str] = "") -> Template:
    notice = _("已撤回“{filename}”，其评价已不再计入任何统计。").format(filename=withdrawn) if withdrawn else ""
    return await _import_page(period, notice=notice)


@post("/staff/ratings/import", guards=[office], name="ratings-import")
async def import_ratings(request: Request) -> Template:
    form = await request.form()
    reference = str(form.get("period") or "")
    period = await periods.find(reference) if reference else None
    upload = await read_upload(form)
    if period is None:
        return await _import_page(reference, error=_("请选择评议期。"), status_code=422)
    if upload is None:
        return await _import_page(period.code, error=_("请选择一个 CSV 或 xlsx 文件。"), status_code=422)
    account = current_account(request)
    try:
        result = await rating_imports.import_ratings(account.username, period, upload.filename, upload.content,
                                                     account_id=account.id)
    except RatingImportError as refusal:
        return await _import_page(period.code, error=str(refusal), status_code=422)
    return await _import_page(period.code, result=result, status_code=422 if result.errors else 200)


@post("/staff/ratings/imports/{import_id:int}/withdraw", guards=[office], name="ratings-import-withdraw")
async def withdraw_import(request: Request, import_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    reason, chosen = str(form.get("reason") or ""), str(form.get("period") or "")
    try:
        withdrawn = await rating_imports.withdraw(current_account(request).username, import_id, reason)
    except RatingImportError as refusal:
        # The refusal is said at the top and beside the import, the reason typed kept in its field.
        return await _import_page(chosen, error=str(refusal), status_code=422,
                                  withdrawal={"id": import_id, "reason": reason, "error": str(refusal)})
    query = urlencode({"period": withdrawn["period.code"], "withdrawn": withdrawn["filename"]})
    return see_other(f"/staff/ratings/import?{query}")


async def _period(reference: str) -> Period:
    period = await periods.find(reference)
    if period is None:
        raise NotFoundException()
    return period


@get("/staff/ratings/{period:str}/results.xlsx", guards=[office_or_auditor], name="ratings-results-xlsx")
async def results_xlsx(period: FromPath[str]) -> Stream:
    return download(await rating_exports.results_workbook(await _period(period)))


@get("/staff/ratings/{period:str}/comments.xlsx", guards=[office_or_auditor], name="ratings-comments-xlsx")
async def comments_xlsx(period: FromPath[str]) -> Stream:
    return download(await rating_exports.comments_workbook(await _period(period)))


@get("/staff/ratings/bursts", guards=[office_or_auditor], name="ratings-bursts")
async def bursts() -> Template:
    threshold = settings.ratings_per_hour
    return page("ratings/bursts.html", bursts=await rating_bursts.hourly_counts(threshold), threshold=threshold,
                hours=rating_bursts.WINDOW_HOURS)


ROUTES = [ratings_office, bursts, import_form, import_ratings, withdraw_import, results_xlsx, comments_xlsx]
