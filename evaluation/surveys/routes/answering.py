"""Citizens answer a survey: page by page, the invitation code when it needs one, the thanks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from evaluation.core import limits
from evaluation.core.i18n import _
from evaluation.core.web import PUBLIC, client_address, page, see_other, text_fields
from evaluation.surveys import answering, forms, invitations
from evaluation.surveys.answering import VOTER_COOKIE
from evaluation.surveys.definition import SurveyForm
from settings import settings

logger = logging.getLogger("pingyi")
INVITATION_COOKIE = "invitation"
COOKIE_MAX_AGE = 400 * 24 * 3600
RESPONSE_WINDOW_SECONDS = 3600


@dataclass
class Visit:
    """Who is answering which survey, and where they are."""

    survey: dict[str, Any]
    form: SurveyForm
    window: answering.Window
    voter_id: str | None = None
    code: dict[str, Any] | None = None
    code_error: str = ""
    new_voter: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    page_index: int = 0
    department: dict[str, Any] | None = None
    answered: bool = False  # this browser or code has submitted its response already

    @property
    def respondent(self) -> str:
        return answering.respondent_key(self.voter_id, self.code["id"] if self.code else None)

    @property
    def identified(self) -> bool:
        return self.code is not None if self.survey["by_invitation"] else self.voter_id is not None


async def _visit(request: Request, code: str, typed_code: str = "", recall: bool = True) -> Visit:
    found = await forms.published(code)
    if found is None:
        raise NotFoundException()
    survey, form = found.survey, found.form
    visit = Visit(survey=survey, form=form, window=answering.window(survey), department=found.department)
    if survey["by_invitation"]:
        presented = typed_code or request.cookies.get(INVITATION_COOKIE, "")
        if presented:
            try:
                visit.code = await invitations.enter(survey["id"], presented, client_address(request))
            except invitations.InvitationError as refusal:
                visit.code_error = str(refusal)
            if visit.code is None and not visit.code_error and typed_code:
                visit.code_error = _("邀请码不正确，请核对纸条上的邀请码后重新输入。")
    else:
        visit.voter_id = request.cookies.get(VOTER_COOKIE)
        if visit.voter_id is None:
            # Set when the survey is first served, so concurrent posts from one loaded page share
            # one id and store one response (PRODUCT.md, Settled questions: voter cookie timing).
            visit.voter_id, visit.new_voter = answering.new_voter_id(), True
    if recall:
        await _recall(visit)
    return visit


async def _recall(visit: Visit) -> None:
    """Where this browser or code is: the draft's answers and page, and whether it has answered."""
    if visit.identified and not visit.new_voter:
        state = await answering.respondent_state(visit.survey["id"], visit.voter_id,
                                                 visit.code["id"] if visit.code else None)
        visit.answers, visit.answered = state.answers, state.answered
        visit.page_index = min(max(state.page, 0), max(len(visit.form.pages) - 1, 0))


def _cookies(response: Response, visit: Visit) -> Response:
    if visit.new_voter:
        response.set_cookie(VOTER_COOKIE, visit.voter_id, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                            secure=settings.secure_cookies)
    if visit.code is not None:
        response.set_cookie(INVITATION_COOKIE, visit.code["code"], path=f"/surveys/{visit.survey['code']}",
                            max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


def _page(visit: Visit, status_code: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, Any] | None = None, **context: Any) -> Template:
    form = visit.form
    current = form.pages[visit.page_index] if form.pages else None
    answers = {**visit.answers, **(values or {})}
    return page("surveys/survey.html", status_code=status_code, survey=visit.survey, form=form, window=visit.window,
                visit=visit, current=current, page_index=visit.page_index, page_count=len(form.pages),
                answers=answers, shown=answering.visible(current, answers) if current else [],
                slots=answering.same_page_conditions(current) if current else set(),
                department=visit.department, errors=errors or {}, preview=False, **context)


@get("/surveys/{code:str}", opt=PUBLIC, name="survey")
async def survey(request: Request, code: FromPath[str], invitation: FromQuery[str] = "",
                 done: FromQuery[bool] = False, incomplete: FromQuery[bool] = False) -> Response:
    visit = await _visit(request, code, invitation[:64])
    return _cookies(_page(visit, done=done, incomplete=incomplete, answered=visit.answered), visit)


@post("/surveys/{code:str}/invitation", opt=PUBLIC, name="survey-invitation")
async def enter_invitation(request: Request, code: FromPath[str]) -> Response:
    typed = (await request.form()).get("invitation", "")
    visit = await _visit(request, code, str(typed)[:64])
    if visit.code is None:
        error = visit.code_error or _("请输入邀请码。")
        return _page(visit, status_code=422, code_error=error, typed_code=str(typed)[:64])
    return _cookies(see_other(f"/surveys/{code}#survey"), visit)


@post("/surveys/{code:str}", opt=PUBLIC, name="survey-answer")
async def answer(request: Request, code: FromPath[str]) -> Response:
    visit = await _visit(request, code, recall=False)
    data = text_fields(request)
    if visit.window.state != "open" or not visit.identified or not visit.form.questions():
        return _cookies(_page(visit, status_code=422), visit)
    if len(visit.form.pages) > 1:
        await _recall(visit)
    # else a one-page survey's response is all in the form sent, and whether this browser or code
    # has answered already the unique index decides at the insert (AlreadyAnswered): one read less
    # for every response, most of the load a survey gets.
    if visit.answered:
        # Sent again after it was stored (a double submit, another tab): thanked, not an error.
        return _cookies(_page(visit, answered=True), visit)
    form = visit.form
    index = answering.parse_page(data, len(form.pages))
    visit.page_index = index
    action = (data.get("action") or ["next"])[0]
    earlier = {name: value for name, value in visit.answers.items()
               if name not in answering.page_names(form.pages[index])}
    read = answering.read_page(form, index, data, earlier, check_required=action != "back")
    merged = {**earlier, **read.answers}
    if action == "back":
        kept = {name: value for name, value in merged.items() if name not in read.errors}
        await answering.keep_draft(visit.survey["id"], visit.respondent, kept, max(index - 1, 0))
        return _cookies(see_other(f"/surveys/{code}#survey"), visit)
    if read.errors:
        return _cookies(_page(visit, status_code=422, errors=read.errors, values=_typed(read, data)), visit)
    seen = {*data.get("shown", [""])[0].split(","), *data.get("revealed", [])}
    revealed = [question.name for question in answering.visible(form.pages[index], merged) if question.name not in seen]
    if revealed:
        # Without JavaScript a question a choice of this page reveals appears only now: ask it
        # before going on (with htmx it appeared as the choice was made).
        visit.answers = merged
        await answering.keep_draft(visit.survey["id"], visit.respondent, merged, index)
        return _cookies(_page(visit, revealed=revealed), visit)
    if index + 1 < len(form.pages):
        await answering.keep_draft(visit.survey["id"], visit.respondent, merged, index + 1)
        return _cookies(see_other(f"/surveys/{code}#survey"), visit)
    unfinished = answering.first_unfinished_page(form, merged)
    if unfinished is not None:
        await answering.keep_draft(visit.survey["id"], visit.respondent, merged, unfinished)
        return _cookies(see_other(f"/surveys/{code}?incomplete=1#survey"), visit)
    # A brake on ballot stuffing per address and survey, high enough for many people behind a
    # carrier's address (PRODUCT.md, Settled questions). Refused, the page comes back as typed.
    braked = await limits.hit("survey", f"{client_address(request)}:{visit.survey['id']}",
                              settings.survey_responses_per_hour, RESPONSE_WINDOW_SECONDS)
    if not braked.allowed:
        message = _("这个网络地址提交的答卷过多，请 {minutes} 分钟后再提交。").format(
            minutes=-(-braked.retry_after // 60))
        response = _page(visit, status_code=429, values=read.answers, too_many=message)
        response.headers["Retry-After"] = str(braked.retry_after)
        return _cookies(response, visit)
    try:
        await answering.submit(form, visit.survey["id"], merged, voter_id=None if visit.code else visit.voter_id,
                               code_id=visit.code["id"] if visit.code else None)
    except answering.AlreadyAnswered:
        pass  # a double submit: the first one is stored, this one is thanked all the same
    except Exception:
        # Nothing of it was stored (one transaction) and the draft is still there: say so, and
        # keep what was typed on the page (issue 19: stored whole or not at all).
        logger.exception("survey response not stored: %s", code)
        visit.answers = merged
        response = _page(visit, status_code=503, values=read.answers,
                         too_many=_("答卷未能保存，您的回答都还在，请稍后再点“提交答卷”。"))
        return _cookies(response, visit)
    return _cookies(see_other(f"/surveys/{code}?done=1#survey"), visit)


def _typed(read: answering.PageAnswers, data: dict[str, list[str]]) -> dict[str, Any]:
    """What was typed, wrong answers included, so that nothing typed is lost on an error."""
    return {**read.answers, **{name: data.get(name, [""])[0] for name in read.errors if name in data}}


@post("/surveys/{code:str}/questions/{name:str}", opt=PUBLIC, name="survey-question")
async def question(request: Request, code: FromPath[str], name: FromPath[str]) -> Template | Redirect:
    """htmx: a question whose condition depends on this page, shown or hidden as choices change."""
    visit = await _visit(request, code)
    data = text_fields(request)
    found = visit.form.question(name)
    if found is None or not visit.form.pages:
        raise NotFoundException()
    index = answering.parse_page(data, len(visit.form.pages))
    earlier = {key: value for key, value in visit.answers.items()
               if key not in answering.page_names(visit.form.pages[index])}
    read = answering.read_page(visit.form, index, data, earlier, check_required=False)
    answers = {**earlier, **read.answers}
    return page("surveys/_question_slot.html", survey=visit.survey, question=found,
                shown=found.shown(answers), answers=answers, errors={}, preview=False)


ROUTES = [survey, enter_invitation, answer, question]
