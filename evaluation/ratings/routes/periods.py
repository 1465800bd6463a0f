"""Office staff set up evaluation periods (dates and index settings) and keep the list of
reasons for negative ratings. Auditors read both."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core.web import current_account, office, office_or_auditor, page, see_other
from evaluation.ratings import periods, reasons
from evaluation.ratings.periods import PeriodError, PeriodForm
from evaluation.ratings.reasons import ReasonError, ReasonForm, ReasonNotFound
from evaluation.ratings.scale import LEVEL_LABELS


def _form_from(data: dict[str, str], code: str = "") -> PeriodForm:
    return PeriodForm(
        code=data.get("code", code),
        name=data.get("name", ""),
        opens_on=data.get("opens_on", ""),
        closes_on=data.get("closes_on", ""),
        level_values={level: data.get(f"level_{level}", "") for level in LEVEL_LABELS},
        public_weight=data.get("public_weight", ""),
        panel_weight=data.get("panel_weight", ""),
        min_sample=data.get("min_sample", ""),
        answer_working_days=data.get("answer_working_days", ""),
    )


def _form_page(form: PeriodForm, new: bool, status_code: int = 200, **context: object) -> Template:
    return page("ratings/period_form.html", status_code=status_code, form=form, new=new,
                level_labels=LEVEL_LABELS, **context)


@get("/staff/periods", guards=[office_or_auditor], name="periods-admin")
async def list_periods() -> Template:
    today = periods.today()
    rows = [(period, periods.status_of(period, today)) for period in await periods.all_periods()]
    return page("ratings/periods.html", rows=rows, status_labels=periods.STATUS_LABELS)


@get("/staff/periods/new", guards=[office], name="period-new")
async def new_period() -> Template:
    return _form_page(PeriodForm(), new=True)


@post("/staff/periods", guards=[office], name="period-create")
async def create_period(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data)
    if await periods.create(current_account(request).username, form):
        return see_other(f"/staff/periods/{form.code}/edit?saved=1")
    return _form_page(form, new=True, status_code=422)


async def _edit_page(code: str, form: PeriodForm | None = None, status_code: int = 200,
                     saved: bool = False) -> Template:
    period = await periods.find(code)
    if period is None or period.code != code:
        raise NotFoundException()
    return _form_page(form or periods.form_for(period), new=False, status_code=status_code, saved=saved,
                      status=periods.status_of(period, periods.today()), status_labels=periods.STATUS_LABELS)


@get("/staff/periods/{code:str}/edit", guards=[office_or_auditor], name="period-edit")
async def edit_period(code: FromPath[str], saved: FromQuery[bool] = False) -> Template:
    return await _edit_page(code, saved=saved)


@post("/staff/periods/{code:str}", guards=[office], name="period-update")
async def update_period(request: Request, code: FromPath[str],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data, code)
    try:
        if await periods.update(current_account(request).username, code, form):
            return see_other(f"/staff/periods/{code}/edit?saved=1")
    except PeriodError as exc:
        raise NotFoundException() from exc
    return await _edit_page(code, form=form, status_code=422)


async def _reasons_page(status_code: int = 200, add_form: ReasonForm | None = None, edit_id: int | None = None,
                        edit_form: ReasonForm | None = None, error: str = "", saved: bool = False) -> Template:
    return page("ratings/reasons.html", status_code=status_code, reasons=await reasons.reasons(False),
                add_form=add_form or ReasonForm(), edit_id=edit_id, edit_form=edit_form, error=error, saved=saved)


def _reason_form(data: dict[str, str]) -> ReasonForm:
    # A form without the field (an older page) leaves the English name as it is.
    return ReasonForm(label=data.get("label", ""), label_en=data.get("label_en"),
                      requires_text=data.get("requires_text") == "on")


@get("/staff/reasons", guards=[office_or_auditor], name="reasons-admin")
async def list_reasons(saved: FromQuery[bool] = False) -> Template:
    return await _reasons_page(saved=saved)


@post("/staff/reasons", guards=[office], name="reason-add")
async def add_reason(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _reason_form(data)
    if await reasons.add_reason(current_account(request).username, form):
        return see_other("/staff/reasons?saved=1")
    return await _reasons_page(status_code=422, add_form=form)


@post("/staff/reasons/{reason_id:int}", guards=[office], name="reason-update")
async def update_reason(request: Request, reason_id: FromPath[int],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _reason_form(data)
    try:
        if await reasons.update_reason(current_account(request).username, reason_id, form):
            return see_other(f"/staff/reasons?saved=1#reason-{reason_id}")
    except ReasonNotFound as exc:
        raise NotFoundException() from exc
    return await _reasons_page(status_code=422, edit_id=reason_id, edit_form=form)


async def _set_active(request: Request, reason_id: int, active: bool) -> Template | Redirect:
    try:
        await reasons.set_reason_active(current_account(request).username, reason_id, active)
    except ReasonNotFound as exc:
        raise NotFoundException() from exc
    except ReasonError as refusal:
        return await _reasons_page(status_code=422, error=str(refusal))
    return see_other(f"/staff/reasons?saved=1#reason-{reason_id}")


@post("/staff/reasons/{reason_id:int}/deactivate", guards=[office], name="reason-deactivate")
async def deactivate_reason(request: Request, reason_id: FromPath[int]) -> Template | Redirect:
    return await _set_active(request, reason_id, active=False)


@post("/staff/reasons/{reason_id:int}/activate", guards=[office], name="reason-activate")
async def activate_reason(request: Request, reason_id: FromPath[int]) -> Template | Redirect:
    return await _set_active(request, reason_id, active=True)


@post("/staff/reasons/{reason_id:int}/move", guards=[office], name="reason-move")
async def move_reason(request: Request, reason_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Redirect:
    try:
        await reasons.move_reason(current_account(request).username, reason_id, data.get("direction", ""))
    except ReasonNotFound as exc:
        raise NotFoundException() from exc
    return see_other(f"/staff/reasons#reason-{reason_id}")


ROUTES = [list_periods, new_period, create_period, edit_period, update_period, list_reasons, add_reason,
          update_reason, deactivate_reason, activate_reason, move_reason]
