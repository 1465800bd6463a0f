"""The invited panel (PRODUCT.md §1): the office issues batches of codes, exported and printed;
a panel member enters a code once and then rates each department of the period."""

from __future__ import annotations

import time
from typing import Any, TypeVar

import anyio
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.serialization import decode_json, encode_json
from litestar.stores.base import Store
from litestar.types import Message, Receive, Scope, Send

from evaluation.core import departments
from evaluation.core.web import PUBLIC, current_account, download, office, office_or_auditor, page, see_other
from evaluation.ratings import panel, periods
from evaluation.ratings.panel import BatchForm, PanelError
from evaluation.ratings.routes.ratings import PANEL_COOKIE
from settings import settings

# The office's usual panels; the label is free text all the same (stored as typed, like reasons).
LABEL_SUGGESTIONS = ("人大代表", "政协委员", "企业代表", "服务对象")
TRY_WINDOW_SECONDS = 600
R = TypeVar("R", bound=Response)


class CodeTriesLimit(RateLimitMiddleware):
    """``settings.panel_code_tries`` per address per ten minutes, counting refused codes only.

    Delegates handed their slips at a meeting enter them behind one Wi-Fi address: an accepted
    code gives its try back. The try is taken before the handler runs, under the lock, so a
    burst of parallel guesses is held back like any other.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        store = self.config.get_store_from_app(app)
        key = self.cache_key_from_request(app.request_class(scope))
        async with self._lock:
            tries = await self.retrieve_cached_history(key, store)
            if len(tries.history) >= self.max_requests:
                raise TooManyRequestsException(headers={"Retry-After": str(max(1, tries.reset - int(time.time())))})
            await self.set_cached_history(key, tries, store)
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status < 400:
            async with self._lock:
                tries = await self.retrieve_cached_history(key, store)
                if tries.history:
                    tries.history.pop(0)
                    await store.set(key, encode_json(tries), expires_in=max(1, tries.reset - int(time.time())))

    # Litestar's windows are a second, minute, hour or day; ours is ten minutes.
    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        now = int(time.time())
        cached = await store.get(key)
        if cached:
            tries = CacheObject(**decode_json(value=cached))
            if tries.reset > now:
                return tries
        return CacheObject(history=[], reset=now + TRY_WINDOW_SECONDS)

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        now = int(time.time())
        cache_object.history = [now, *cache_object.history]
        await store.set(key, encode_json(cache_object), expires_in=max(1, cache_object.reset - now))


code_tries = RateLimitConfig(
    rate_limit=("minute", settings.panel_code_tries),  # the unit is ignored: see CodeTriesLimit
    store="rate_limit_panel",
    middleware_class=CodeTriesLimit,
    set_rate_limit_headers=False,
)


def _entry_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/panel"


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
async def codes_xlsx(request: Request, batch_id: FromPath[int]) -> Response[Any]:
    found = await _found_batch(batch_id)
    codes = await panel.codes(batch_id)
    # Two thousand rows take a moment to write: off the event loop.
    return download(await anyio.to_thread.run_sync(panel.codes_workbook, found, codes, _entry_url(request)))


@get("/staff/panel/{batch_id:int}/print", guards=[office], name="panel-codes-print")
async def codes_print(request: Request, batch_id: FromPath[int]) -> Template:
    found = await _found_batch(batch_id)
    period = await periods.find(found["period.code"])
    slips = [{"serial": row["serial"], "code": panel.display(row["code"])} for row in await panel.codes(batch_id)]
    response = page("ratings/panel_print.html", batch=found, period=period, slips=slips, entry_url=_entry_url(request))
    response.headers["Cache-Control"] = "no-store"
    return response


# The panel member's side.


def _forget_code(response: R) -> R:
    response.delete_cookie(PANEL_COOKIE)
    return response


@get("/panel", opt=PUBLIC, name="panel")
async def panel_entry(request: Request, code: FromQuery[str] = "", left: FromQuery[bool] = False) -> Template:
    remembered = request.cookies.get(PANEL_COOKIE, "")
    if remembered:
        try:
            member = await panel.enter(remembered)
        except PanelError as refusal:
            # The period has ended since the code was entered: say so, and forget the code.
            return _forget_code(page("ratings/panel.html", member=None, code="", error=str(refusal), left=False))
        return page("ratings/panel.html", member=member, groups=await departments.directory(),
                    group_labels=departments.GROUP_LABELS, rated=await panel.rated_departments(member.code_id))
    return page("ratings/panel.html", member=None, code=code[:40], error="", left=left)


@post("/panel", opt=PUBLIC, name="panel-enter", middleware=[code_tries.middleware])
async def enter_code(data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    typed = data.get("code", "")[:40]
    try:
        member = await panel.enter(typed)
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
