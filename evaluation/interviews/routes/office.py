"""The office schedules, publishes, moves and cancels interviews, keeps its rules, sees the
overdue written answers and downloads transcripts. Auditors read."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Stream, Template

from evaluation.core.web import current_account, office, office_or_auditor, page, see_other
from evaluation.interviews import archive, life_cycle, questions, resources, rules, scheduling, views
from evaluation.interviews.life_cycle import LifeCycleError
from evaluation.interviews.routes.public import workbook_response
from evaluation.interviews.scheduling import InterviewForm


async def _choices() -> dict[str, Any]:
    return {"people": await resources.people(active_only=True), "studios": await resources.studios(active_only=True),
            "departments": await resources.departments()}


@get("/staff/interviews", guards=[office_or_auditor], name="interviews-admin")
async def list_interviews() -> Template:
    return page("interviews/office.html", interviews=await views.office_list(), rules=await rules.current())


@get("/staff/interviews/new", guards=[office], name="interview-new")
async def new_interview() -> Template:
    return page("interviews/form.html", form=InterviewForm(), new=True, **await _choices())


@post("/staff/interviews/new", guards=[office], name="interview-create")
async def create_interview(request: Request) -> Template | Redirect:
    form = InterviewForm.from_form(await request.form())
    if await scheduling.create(current_account(request).username, form):
        return see_other(f"/staff/interviews/{form.code}?saved=1")
    return page("interviews/form.html", status_code=422, form=form, new=True, **await _choices())


async def _interview_page(code: str, status_code: int = 200, form: InterviewForm | None = None,
                          **context: Any) -> Template:
    interview = await views.find(code, public=False)
    if interview is None or interview["code"] != code:
        raise NotFoundException()
    form = form or InterviewForm.of(interview, interview["guest_ids"])
    return page("interviews/manage.html", status_code=status_code, interview=interview, form=form, new=False,
                rules=await rules.current(), next_status=life_cycle.NEXT.get(interview["status"]),
                move_labels=life_cycle.MOVE_LABELS, **await _choices(), **context)


@get("/staff/interviews/{code:str}", guards=[office_or_auditor], name="interview-manage")
async def manage(code: FromPath[str], saved: FromQuery[bool] = False) -> Template:
    return await _interview_page(code, saved=saved)


@post("/staff/interviews/{code:str}", guards=[office], name="interview-update")
async def update(request: Request, code: FromPath[str]) -> Template | Redirect:
    form = InterviewForm.from_form(await request.form())
    form.code = code
    try:
        saved = await scheduling.update(current_account(request).username, code, form)
    except scheduling.SchedulingError as refusal:
        raise NotFoundException() from refusal
    if saved:
        return see_other(f"/staff/interviews/{code}?saved=1")
    return await _interview_page(code, status_code=422, form=form)


async def _act(request: Request, code: str, action: Any) -> Template | Redirect:
    try:
        await action(current_account(request).username)
    except LifeCycleError as refusal:
        return await _interview_page(code, status_code=422, action_error=str(refusal))
    return see_other(f"/staff/interviews/{code}?saved=1")


@post("/staff/interviews/{code:str}/publish", guards=[office], name="interview-publish")
async def publish(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    return await _act(request, code, lambda actor: life_cycle.publish(
        actor, code, data.get("urgent") == "1", data.get("urgent_reason", "")))


@post("/staff/interviews/{code:str}/move", guards=[office], name="interview-move")
async def move(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    return await _act(request, code, lambda actor: life_cycle.move(actor, code, data.get("to", "")))


@post("/staff/interviews/{code:str}/cancel", guards=[office], name="interview-cancel")
async def cancel(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    return await _act(request, code, lambda actor: life_cycle.cancel(actor, code, data.get("reason", "")))


@post("/staff/interviews/{code:str}/summary", guards=[office], name="interview-summary")
async def summary(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    return await _act(request, code, lambda actor: life_cycle.save_summary(actor, code, data.get("summary", "")))


@get("/staff/interviews/{code:str}/transcript.xlsx", guards=[office_or_auditor], name="interview-staff-xlsx")
async def staff_xlsx(code: FromPath[str]) -> Stream:
    return workbook_response(await archive.download(code, staff=True))


@get("/staff/interviews/overdue", guards=[office_or_auditor], name="interviews-overdue")
async def overdue() -> Template:
    return page("interviews/overdue.html", groups=await questions.overdue())


@get("/staff/interviews/rules", guards=[office_or_auditor], name="interview-rules")
async def show_rules(saved: FromQuery[bool] = False) -> Template:
    return page("interviews/rules.html", form=rules.RulesForm.of(await rules.current()), saved=saved)


@post("/staff/interviews/rules", guards=[office], name="interview-rules-save")
async def save_rules(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = rules.RulesForm(publish_days_before=data.get("publish_days_before", ""),
                           answer_working_days=data.get("answer_working_days", ""))
    if await rules.save(current_account(request).username, form):
        return see_other("/staff/interviews/rules?saved=1")
    return page("interviews/rules.html", status_code=422, form=form, saved=False)


ROUTES = [list_interviews, new_interview, create_interview, manage, update, publish, move, cancel, summary,
          staff_xlsx, overdue, show_rules, save_rules]
