"""Staff moderate comments; liaisons answer criticism; the office sees what is overdue."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core.tables import Role
from evaluation.core.web import current_account, office, office_or_auditor, page, require, see_other
from evaluation.ratings import criticism, scale
from evaluation.ratings.criticism import CriticismError

office_or_liaison = require(Role.office, Role.liaison)


@get("/staff/moderation", guards=[office], name="moderation")
async def moderation() -> Template:
    return page("ratings/moderation.html", comments=await criticism.pending_comments(), levels=scale.LEVEL_LABELS)


@post("/staff/moderation/{rating_id:int}/{decision:str}", guards=[office], name="moderate")
async def moderate(request: Request, rating_id: FromPath[int], decision: FromPath[str]) -> Redirect:
    if decision not in {"approve", "reject"}:
        raise NotFoundException()
    account = current_account(request)
    try:
        await criticism.moderate(account.id, account.username, rating_id, decision == "approve")
    except CriticismError as exc:
        raise NotFoundException() from exc
    return see_other("/staff/moderation")


def _scope(request: Request) -> int | None:
    """A liaison answers for their own department only; the office for any."""
    account = current_account(request)
    return account.department_id if account.role == Role.liaison.value else None


@get("/staff/answers", guards=[office_or_liaison], name="answers")
async def answers(request: Request) -> Template:
    rows = await criticism.criticism_to_answer(_scope(request))
    return page("ratings/answers.html", rows=rows, levels=scale.LEVEL_LABELS, error="", error_for=None)


@post("/staff/answers/{rating_id:int}", guards=[office_or_liaison], name="answer")
async def answer(
    request: Request, rating_id: FromPath[int], data: URLEncodedBody[dict[str, str]]
) -> Template | Redirect:
    account = current_account(request)
    try:
        await criticism.answer(account.id, account.username, _scope(request), rating_id, data.get("body", ""))
    except CriticismError as refusal:
        rows = await criticism.criticism_to_answer(_scope(request))
        if not any(row["id"] == rating_id for row in rows):
            raise NotFoundException() from refusal
        return page("ratings/answers.html", status_code=422, rows=rows, levels=scale.LEVEL_LABELS,
                    error=str(refusal), error_for=rating_id, typed=data.get("body", ""))
    return see_other(f"/staff/answers#rating-{rating_id}")


@get("/staff/overdue", guards=[office_or_auditor], name="overdue")
async def overdue() -> Template:
    return page("ratings/overdue.html", groups=await criticism.overdue_by_department())


ROUTES = [moderation, moderate, answers, answer, overdue]
