"""Citizens ask; the office moderates and posts the answers (PRODUCT.md, Settled questions)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from evaluation.core.web import PUBLIC, client_address, current_account, office, page, see_other
from evaluation.interviews import questions, views
from evaluation.interviews.limits import question_brake
from evaluation.interviews.questions import AnswerForm, QuestionError, QuestionForm


@post("/interviews/{code:str}/questions", opt=PUBLIC, name="interview-ask")
async def ask(request: HTMXRequest, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = QuestionForm(body=data.get("body", ""), display_name=data.get("display_name", ""))
    braked = await question_brake(client_address(request), code)
    saved = braked is None and await questions.submit(code, form)
    shown = await views.public_interview(code)
    if shown is None:
        raise NotFoundException()
    status_code = 200 if saved else 422
    headers = {}
    if braked is not None:
        # What was typed stays in the form, with when to send it.
        form.errors["body"] = braked.message
        status_code, headers = 429, {"Retry-After": str(braked.retry_after)}
    if request.htmx.target == "ask":
        return page("interviews/_ask.html", status_code=status_code, headers=headers, shown=shown,
                    form=QuestionForm() if saved else form, asked=saved)
    if saved:
        return see_other(f"/interviews/{code}?asked=1#ask")
    return page("interviews/interview.html", status_code=status_code, headers=headers, shown=shown, form=form,
                asked=False)


async def _console(code: str, status_code: int = 200, **context: object) -> Template:
    interview = await views.find(code, public=False)
    if interview is None or interview["code"] != code:
        raise NotFoundException()
    return page("interviews/console.html", status_code=status_code, interview=interview,
                pending=await questions.pending(interview["id"]),
                approved=await questions.approved_with_answers(interview["id"]), **context)


@get("/staff/interviews/{code:str}/questions", guards=[office], name="interview-console")
async def console(code: FromPath[str]) -> Template:
    return await _console(code)


@post("/staff/interviews/questions/{question_id:int}/{decision:str}", guards=[office], name="question-moderate")
async def moderate(request: Request, question_id: FromPath[int], decision: FromPath[str]) -> Redirect:
    if decision not in {"approve", "reject"}:
        raise NotFoundException()
    account = current_account(request)
    try:
        code = await questions.moderate(account.id, account.username, question_id, decision == "approve")
    except QuestionError as refusal:
        raise NotFoundException() from refusal
    return see_other(f"/staff/interviews/{code}/questions#pending")


@post("/staff/interviews/questions/{question_id:int}/answer", guards=[office], name="question-answer")
async def answer(request: Request, question_id: FromPath[int],
                 data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    account = current_account(request)
    form = AnswerForm(body=data.get("body", ""), guest=data.get("guest", ""))
    code = data.get("code", "")
    try:
        answered = await questions.answer(account.id, account.username, question_id, form)
    except QuestionError as refusal:
        return await _console(code, status_code=422, error=str(refusal), error_for=question_id, typed=form)
    if answered is None:
        return await _console(code, status_code=422, error=" ".join(form.errors.values()), error_for=question_id,
                              typed=form)
    return see_other(f"/staff/interviews/{answered}/questions#question-{question_id}")


ROUTES = [ask, console, moderate, answer]
