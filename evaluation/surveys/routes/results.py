"""A survey's results, public when the office allows it, and the moderation of its free text."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from evaluation.core.tables import Role
from evaluation.core.web import PUBLIC, current_account, office, page, see_other
from evaluation.surveys import answering, forms, results


@get("/surveys/{code:str}/results", opt=PUBLIC, name="survey-results")
async def survey_results(request: Request, code: FromPath[str]) -> Template:
    survey = await forms.find_survey(code)
    account = current_account(request)
    staff = account is not None and account.may(Role.office, Role.auditor)
    if survey is None or survey["code"] != code or not (survey["public_results"] or staff):
        raise NotFoundException()
    definition = await forms.load_definition(survey["id"])
    total, summary = await results.summarize(definition, survey["id"])
    return page("surveys/results.html", survey=survey, total=total, summary=summary,
                window=answering.window(survey), department=await forms.department_of(survey), staff=staff)


@get("/staff/surveys/{survey_id:int}/texts", guards=[office], name="survey-texts")
async def texts(survey_id: FromPath[int]) -> Template:
    survey = await forms.find_survey(str(survey_id))
    if survey is None:
        raise NotFoundException()
    definition = await forms.load_definition(survey_id)
    return page("surveys/texts.html", survey=survey, texts=await results.moderation_queue(survey_id),
                labels={q.name: q.label for q in definition.questions()})


@post("/staff/surveys/{survey_id:int}/texts/{text_id:int}/{decision:str}", guards=[office],
      name="survey-text-moderate")
async def moderate(request: Request, survey_id: FromPath[int], text_id: FromPath[int],
                   decision: FromPath[str]) -> Redirect:
    survey = await forms.find_survey(str(survey_id))
    if survey is None:
        raise NotFoundException()
    try:
        await results.moderate(current_account(request).username, survey, text_id, decision)
    except results.ModerationError as refusal:
        raise NotFoundException() from refusal
    return see_other(f"/staff/surveys/{survey_id}/texts#text-{text_id}")


ROUTES = [survey_results, texts, moderate]
