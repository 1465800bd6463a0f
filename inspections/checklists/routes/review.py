"""Submit, return, approve and reopen a checklist (plain forms, 303 back to the checklist page),
and the office's queue of checklists awaiting review.

A refusal shows the checklist page again with the message and whatever comment was typed, so a
long 退回意见 is never lost to a status that changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core.accounts import SignedIn
from evaluation.core.web import current_account, office, office_or_auditor, page, see_other, staff
from inspections.checklists import checklists, review
from inspections.checklists.review import ChecklistNotFound, ReviewError
from inspections.tables import CHECKLIST_STATUS_LABELS


async def _refused(request: Request, checklist_id: int, refusal: ReviewError, typed: dict[str, str]) -> Template:
    account = current_account(request)
    checklist = await checklists.checklist_for(account, checklist_id)
    if checklist is None:
        raise NotFoundException()
    return page("inspections/checklist.html", status_code=refusal.status_code, checklist=checklist, account=account,
                message=str(refusal), conflict=None, review_error=str(refusal), review_typed=typed)


async def _transition(request: Request, checklist_id: int, done: str, work: Callable[[SignedIn], Awaitable[None]],
                      typed: dict[str, str] | None = None) -> Template | Redirect:
    try:
        await work(current_account(request))
    except ChecklistNotFound as missing:
        raise NotFoundException() from missing
    except ReviewError as refusal:
        return await _refused(request, checklist_id, refusal, typed or {})
    return see_other(f"/inspect/checklists/{checklist_id}?done={done}#review")


@post("/inspect/checklists/{checklist_id:int}/submit", guards=[staff], name="checklist-submit")
async def submit(request: Request, checklist_id: FromPath[int]) -> Template | Redirect:
    return await _transition(request, checklist_id, "submitted",
                             lambda account: review.submit(account, checklist_id))


@post("/inspect/checklists/{checklist_id:int}/return", guards=[office], name="checklist-return")
async def return_to_team(request: Request, checklist_id: FromPath[int],
                         data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    comment = data.get("comment", "")
    return await _transition(request, checklist_id, "returned",
                             lambda account: review.return_to_team(account, checklist_id, comment),
                             typed={"comment": comment})


@post("/inspect/checklists/{checklist_id:int}/approve", guards=[office], name="checklist-approve")
async def approve(request: Request, checklist_id: FromPath[int]) -> Template | Redirect:
    return await _transition(request, checklist_id, "approved",
                             lambda account: review.approve(account, checklist_id))


@post("/inspect/checklists/{checklist_id:int}/reopen", guards=[office], name="checklist-reopen")
async def reopen(request: Request, checklist_id: FromPath[int],
                 data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    reason = data.get("reason", "")
    return await _transition(request, checklist_id, "reopened",
                             lambda account: review.reopen(account, checklist_id, reason),
                             typed={"reason": reason})


@get("/staff/review", guards=[office_or_auditor], name="review-queue")
async def review_queue() -> Template:
    queue = await review.review_queue()
    return page("inspections/review.html", queue=queue, status_labels=CHECKLIST_STATUS_LABELS)


ROUTES = [submit, return_to_team, approve, reopen, review_queue]
