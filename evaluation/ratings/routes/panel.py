"""The invited panel (PRODUCT.md §1): the office issues batches of codes, exported and printed;
a panel member enters a code once and then rates each department of the period."""

from __future__ import annotations

from typing import Any, TypeVar

import anyio
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import departments
from evaluation.core.web import (
    PUBLIC,
    client_address,
    current_account,
    download,
    office,
    office_or_auditor,
    page,
    see_other,
)
from evaluation.ratings import panel, periods
from evaluation.ratings.panel import BatchForm, PanelError
from evaluation.ratings.routes.ratings import PANEL_COOKIE
from settings import settings

# The office's usual panels; the label is free text all the same (stored as typed, like reasons).
LABEL_SUGGESTIONS = ("人大代表", "政协委员", "企业代表", "服务对象")
TRY_WINDOW_SECONDS = 600
R = TypeVar("R", bound=Response)


def _entry_url() -> str:
    return settings.public_url + "/panel"


async def _found_batch(batch_id: int) -> dict[str, Any]:
    found = await panel.batch(batch_id)
    if found is None:
        raise NotFoundException()
    return found


# The office's side.


async def _batches_page(form: BatchForm | None = None, status_code: int = 200, created: int = 0) -> Template:
    all_periods = await periods.all_periods()
    if form is None:
        current = await periods.current_period()
        form = BatchForm(period=current.code if current else (all_periods[0].code if all_periods else ""))
    return page("ratings/panel_batches.html", status_code=status_code, overview=await panel.overview(),
                all_periods=all_periods, form=form, created=created, suggestions=LABEL_SUGGESTIONS,
                max_batch=panel.MAX_BATCH)


@get("/staff/panel", guards=[office_or_auditor], name="panel-batches")
async def batches(created: FromQuery[int] = 0) -> Template:
    return await _batches_page(created=created)


@post("/staff/panel", guards=[office], name="panel-batch-create")
async def create_batch(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = BatchForm(period=data.get("period", ""), label=data.get("label", ""), size=data.get("size", ""))
    chosen = form.validate(await periods.all_periods())
    if chosen is None:
        return await _batches_page(form, status_code=422)
    batch_id = await panel.create_batch(current_account(request).username, chosen, form.label, form.size_number)
    return see_other(f"/staff/panel?created={batch_id}#batch-{batch_id}")


@get("/staff/panel/{batch_id:int}/codes.xlsx", guards=[office], name="panel-codes-xlsx")
async def codes_xlsx(batch_id: FromPath[int]) -> Response[Any]:
    found = await _found_batch(batch_id)
    codes = await panel.codes(batch_id)
    # Two thousand rows take a moment to write: off the event loop.
    return download(await anyio.to_thread.run_sync(panel.codes_workbook, found, codes, _entry_url()))


@get("/staff/panel/{batch_id:int}/print", guards=[office], name="panel-codes-print")
async def codes_print(batch_id: FromPath[int]) -> Template:
    found = await _found_batch(batch_id)
    period = await periods.find(found["period.code"])
    # A QR code per slip takes a few milliseconds: off the event loop.
    slips = await anyio.to_thread.run_sync(panel.slips, await panel.codes(batch_id), _entry_url())
    response = page("ratings/panel_print.html", batch=found, period=period, slips=slips, entry_url=_entry_url(),
                    public_url_set=settings.public_url_set)
    response.headers["Cache-Control"] = "no-store"
    return response


# The panel member's side.


def _forget_code(response: R) -> R:
    response.delete_cookie(PANEL_COOKIE)
    return response


def _too_many(refusal: panel.TooManyTries, code: str = "") -> Template:
    return page("ratings/panel.html", status_code=429, member=None, code=code, error=str(refusal), left=False,
                headers={"Retry-After": str(refusal.retry_after)})


@get("/panel", opt=PUBLIC, name="panel")
async def panel_entry(request: Request, code: FromQuery[str] = "", left: FromQuery[bool] = False) -> Template:
    remembered = request.cookies.get(PANEL_COOKIE, "")
    if remembered:
        try:
            member = await panel.enter(remembered, client_address(request))
        except panel.TooManyTries as refusal:
            return _too_many(refusal)
        except PanelError as refusal:
            # The period has ended since the code was entered: say so, and forget the code.
            return _forget_code(page("ratings/panel.html", member=None, code="", error=str(refusal), left=False))
        return page("ratings/panel.html", member=member, groups=await departments.directory(),
                    group_labels=departments.GROUP_LABELS, rated=await panel.rated_departments(member.code_id))
    return page("ratings/panel.html", member=None, code=code[:40], error="", left=left)


@post("/panel", opt=PUBLIC, name="panel-enter")
async def enter_code(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    typed = data.get("code", "")[:40]
    try:
        member = await panel.enter(typed, client_address(request))
    except panel.TooManyTries as refusal:
        return _too_many(refusal, typed)
    except PanelError as refusal:
        return page("ratings/panel.html", status_code=422, member=None, code=typed, error=str(refusal),
                    left=False)
    response = see_other("/panel")
    response.set_cookie(PANEL_COOKIE, member.code, max_age=panel.seconds_until_close(member.period), httponly=True,
                        samesite="lax", secure=settings.secure_cookies)
    return response


@post("/panel/exit", opt=PUBLIC, name="panel-exit")
async def leave_panel() -> Redirect:
    return _forget_code(see_other("/panel?left=1"))


ROUTES = [batches, create_batch, codes_xlsx, codes_print, panel_entry, enter_code, leave_panel]
