"""Staff moderate comments; liaisons answer criticism; the office sees what is overdue."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Stream, Template

from evaluation.core import departments
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from evaluation.core.web import current_account, download, office, office_or_auditor, page, require, see_other
from evaluation.ratings import criticism, scale
from evaluation.ratings import exports as rating_exports
from evaluation.ratings.criticism import CriticismError

office_or_liaison = require(Role.office, Role.liaison)
office_auditor_or_liaison = require(Role.office, Role.auditor, Role.liaison)


def _queue_filter(department: str, state: str) -> dict[str, str]:
    return {"department": department, "state": state if state in criticism.MODERATION_STATES else "pending"}


def _queue_address(department: str, state: str, **more: str) -> str:
    query = urlencode({key: value for key, value in {**_queue_filter(department, state), **more}.items() if value})
    return "/staff/moderation" + (f"?{query}" if query else "")


@get("/staff/moderation", guards=[office], name="moderation")
async def moderation(request: Request, department: FromQuery[str] = "", decided: FromQuery[int | None] = None,
                     decision: FromQuery[str] = "") -> Template:
    # "state" is read by hand: Litestar reserves the name for the application's state.
    chosen = _queue_filter(department, request.query_params.get("state", "pending"))
    return page("ratings/moderation.html", comments=await criticism.comments_to_moderate(**chosen), chosen=chosen,
                departments=await departments.all_departments(), levels=scale.LEVEL_LABELS,
                decided=decided, decision=decision, error="")


@post("/staff/moderation/{rating_id:int}/{decision:str}", guards=[office], name="moderate")
async def moderate(request: HTMXRequest, rating_id: FromPath[int], decision: FromPath[str]) -> Template | Redirect:
    """Decides one comment: htmx swaps its row in place (the clerk stays where they are);
    without JavaScript the queue is shown again, with its filter, at the next comment."""
    if decision not in {"approve", "reject"}:
        raise NotFoundException()
    form = await request.form()
    department, state, following = (str(form.get(key) or "") for key in ("department", "state", "next"))
    account = current_account(request)
    try:
        await criticism.moderate(account.id, account.username, rating_id, decision == "approve")
    except CriticismError as exc:
        raise NotFoundException() from exc
    if request.htmx:
        return page("ratings/_moderation_row.html", c=await criticism.comment(rating_id), levels=scale.LEVEL_LABELS,
                    chosen=_queue_filter(department, state), next_id=following, just_decided=True)
    anchor = f"#comment-{following}" if following.isdigit() else ""
    return see_other(_queue_address(department, state) + anchor)


@post("/staff/moderation", guards=[office], name="moderate-many")
async def moderate_many(request: Request) -> Template | Redirect:
    """Decides the comments ticked in the queue together."""
    form = await request.form()
    department, state, decision = (str(form.get(key) or "") for key in ("department", "state", "decision"))
    chosen = [int(value) for value in form.getall("rating", []) if str(value).isdigit()]
    if decision not in {"approve", "reject"} or not chosen:
        current = _queue_filter(department, state)
        return page("ratings/moderation.html", status_code=422,
                    comments=await criticism.comments_to_moderate(**current), chosen=current,
                    departments=await departments.all_departments(), levels=scale.LEVEL_LABELS,
                    decided=None, decision="", error=_("请先勾选要审核的留言。"))
    account = current_account(request)
    count = await criticism.moderate_many(account.id, account.username, chosen, decision == "approve")
    return see_other(_queue_address(department, state, decided=str(count), decision=decision))


def _scope(request: Request) -> int | None:
    """A liaison answers for their own department only; the office for any."""
    account = current_account(request)
    return account.department_id if account.role == Role.liaison.value else None


@get("/staff/answers", guards=[office_or_liaison], name="answers")
async def answers(request: Request) -> Template:
    rows = await criticism.criticism_to_answer(_scope(request))
    return page("ratings/answers.html", rows=rows, levels=scale.LEVEL_LABELS, error="", error_for=None,
                error_form="")


async def _answers_refused(request: Request, rating_id: int, refusal: CriticismError, typed: str,
                           form: str) -> Template:
    """The answers page again, the refusal said beside the form it came from, the text kept."""
    rows = await criticism.criticism_to_answer(_scope(request))
    if not any(row["id"] == rating_id for row in rows):
        raise NotFoundException() from refusal
    return page("ratings/answers.html", status_code=422, rows=rows, levels=scale.LEVEL_LABELS,
                error=str(refusal), error_for=rating_id, error_form=form, typed=typed)


@post("/staff/answers/{rating_id:int}", guards=[office_or_liaison], name="answer")
async def answer(
    request: Request, rating_id: FromPath[int], data: URLEncodedBody[dict[str, str]]
) -> Template | Redirect:
    account = current_account(request)
    try:
        await criticism.answer(account.id, account.username, _scope(request), rating_id, data.get("body", ""))
    except CriticismError as refusal:
        return await _answers_refused(request, rating_id, refusal, data.get("body", ""), "answer")
    return see_other(f"/staff/answers#rating-{rating_id}")


@post("/staff/answers/{rating_id:int}/edit", guards=[office_or_liaison], name="answer-edit")
async def edit_answer(
    request: Request, rating_id: FromPath[int], data: URLEncodedBody[dict[str, str]]
) -> Template | Redirect:
    try:
        await criticism.edit_answer(current_account(request).username, _scope(request), rating_id,
                                    data.get("body", ""))
    except CriticismError as refusal:
        return await _answers_refused(request, rating_id, refusal, data.get("body", ""), "edit")
    return see_other(f"/staff/answers#rating-{rating_id}")


@post("/staff/answers/{rating_id:int}/correction", guards=[office_or_liaison], name="answer-correct")
async def correct_answer(
    request: Request, rating_id: FromPath[int], data: URLEncodedBody[dict[str, str]]
) -> Template | Redirect:
    account = current_account(request)
    try:
        await criticism.correct_answer(account.id, account.username, _scope(request), rating_id,
                                       data.get("body", ""))
    except CriticismError as refusal:
        return await _answers_refused(request, rating_id, refusal, data.get("body", ""), "correction")
    return see_other(f"/staff/answers#rating-{rating_id}")


@post("/staff/answers/{rating_id:int}/seen", guards=[office], name="answer-seen")
async def answer_seen(request: Request, rating_id: FromPath[int]) -> Redirect:
    try:
        await criticism.mark_seen(current_account(request).username, rating_id)
    except CriticismError as refusal:
        raise NotFoundException() from refusal
    return see_other(f"/staff/answers#rating-{rating_id}")


@get("/staff/overdue", guards=[office_or_auditor], name="overdue")
async def overdue() -> Template:
    return page("ratings/overdue.html", groups=await criticism.overdue_by_department(), levels=scale.LEVEL_LABELS)


@get("/staff/overdue.xlsx", guards=[office_or_auditor], name="overdue-xlsx")
async def overdue_xlsx() -> Stream:
    return download(await rating_exports.overdue_workbook(await criticism.overdue_by_department()))


@get("/staff/criticism/{rating_id:int}", guards=[office_auditor_or_liaison], name="criticism-rating")
async def criticism_rating(request: Request, rating_id: FromPath[int]) -> Template:
    """One rating to answer, as the overdue list links it: a liaison sees only their department's."""
    account = current_account(request)
    scope = account.department_id if account.role == Role.liaison.value else None
    row = await criticism.one_rating(rating_id, scope)
    if row is None:
        raise NotFoundException()
    return page("ratings/criticism_rating.html", r=row, levels=scale.LEVEL_LABELS, channels=scale.CHANNEL_LABELS)


ROUTES = [moderation, moderate, moderate_many, answers, answer, edit_answer, correct_answer, answer_seen, overdue,
          overdue_xlsx, criticism_rating]
