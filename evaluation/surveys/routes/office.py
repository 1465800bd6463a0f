"""The office builds surveys: settings, pages, questions (reordered by buttons), preview, the
invitation codes of a survey by invitation, and opening or closing it at once. Auditors read."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import departments
from evaluation.core.form_values import parse_int
from evaluation.core.i18n import _
from evaluation.core.web import current_account, download, office, office_or_auditor, page, see_other
from evaluation.surveys import answering, builder, forms, invitations, opening
from evaluation.surveys.builder import KIND_LABELS, QuestionForm, SettingsForm
from evaluation.surveys.definition import SurveyForm


async def _department_choices() -> list[dict[str, Any]]:
    return [row for group in (await departments.directory()).values() for row in group]


@get("/staff/surveys", guards=[office_or_auditor], name="surveys-admin")
async def list_surveys() -> Template:
    return page("surveys/office.html", surveys=await forms.survey_list(), form=SettingsForm(),
                departments=await _department_choices())


@post("/staff/surveys", guards=[office], name="survey-create")
async def create_survey(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = SettingsForm.from_data(data)
    settings = form.settings()
    if settings is not None:
        try:
            survey_id = await forms.store_definition(builder.new_survey(settings), current_account(request).username)
        except forms.DefinitionRefused as refusal:
            form.errors["code"] = str(refusal)
        else:
            return see_other(f"/staff/surveys/{survey_id}?saved=1")
    return page("surveys/office.html", status_code=422, surveys=await forms.survey_list(), form=form,
                departments=await _department_choices())


async def _survey(survey_id: int) -> tuple[dict[str, Any], SurveyForm]:
    survey = await forms.find_survey(str(survey_id))
    definition = await forms.load_definition(survey_id) if survey else None
    if survey is None or definition is None:
        raise NotFoundException()
    return survey, definition


async def _builder(survey_id: int, status_code: int = 200, settings_form: SettingsForm | None = None,
                   question_form: QuestionForm | None = None, **context: Any) -> Template:
    survey, definition = await _survey(survey_id)
    return page("surveys/builder.html", status_code=status_code, survey=survey, definition=definition,
                settings_form=settings_form or SettingsForm.of(definition.settings),
                question_form=question_form or QuestionForm(page=str(max(len(definition.pages) - 1, 0))),
                kinds=KIND_LABELS, responses=await forms.response_count(survey_id),
                window=answering.window(survey), codes=await invitations.codes(survey_id),
                departments=await _department_choices(), **context)


@get("/staff/surveys/{survey_id:int}", guards=[office_or_auditor], name="survey-builder")
async def survey_builder(survey_id: FromPath[int], saved: FromQuery[bool] = False, opened: FromQuery[bool] = False,
                         closed: FromQuery[bool] = False) -> Template:
    return await _builder(survey_id, saved=saved, opened=opened, closed=closed)


async def _change(request: Request, survey_id: int, change: Callable[[SurveyForm], SurveyForm],
                  anchor: str = "") -> Template | Redirect:
    """Applies one change to the survey's definition and stores it whole; a refusal comes back
    on the builder page with its reason."""
    _survey_row, definition = await _survey(survey_id)
    try:
        await forms.store_definition(change(definition), current_account(request).username, survey_id)
    except (builder.BuildError, forms.DefinitionRefused) as refusal:
        return await _builder(survey_id, status_code=422, refused=str(refusal))
    return see_other(f"/staff/surveys/{survey_id}?saved=1{anchor}")


@post("/staff/surveys/{survey_id:int}/settings", guards=[office], name="survey-settings")
async def save_settings(request: Request, survey_id: FromPath[int],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = SettingsForm.from_data(data)
    settings = form.settings()
    if settings is None:
        return await _builder(survey_id, status_code=422, settings_form=form)
    return await _change(request, survey_id, lambda definition: dataclasses.replace(definition, settings=settings))


@post("/staff/surveys/{survey_id:int}/questions", guards=[office], name="survey-question-add")
async def add_question(request: Request, survey_id: FromPath[int],
                       data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    _survey_row, definition = await _survey(survey_id)
    form = QuestionForm.from_data(data)
    question = form.question(definition)
    if question is None:
        return await _builder(survey_id, status_code=422, question_form=form)
    return await _change(request, survey_id, lambda d: builder.put_question(d, question, int(form.page)),
                         f"#q-{question.name}")


async def _question_page(survey_id: int, name: str, form: QuestionForm | None = None, status_code: int = 200,
                         **context: Any) -> Template:
    survey, definition = await _survey(survey_id)
    found = definition.question(name)
    if found is None:
        raise NotFoundException()
    page_index, _position = builder.locate(definition, name)
    return page("surveys/question_form.html", status_code=status_code, survey=survey, definition=definition,
                question=found, form=form or QuestionForm.of(found, page_index), kinds=KIND_LABELS,
                responses=await forms.response_count(survey_id), **context)


@get("/staff/surveys/{survey_id:int}/questions/{name:str}", guards=[office], name="survey-question-edit")
async def edit_question(survey_id: FromPath[int], name: FromPath[str]) -> Template:
    return await _question_page(survey_id, name)


@post("/staff/surveys/{survey_id:int}/questions/{name:str}", guards=[office], name="survey-question-save")
async def save_question(request: Request, survey_id: FromPath[int], name: FromPath[str],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    _survey_row, definition = await _survey(survey_id)
    if definition.question(name) is None:
        raise NotFoundException()
    form = QuestionForm.from_data(data)
    question = form.question(definition, editing=name)
    if question is None:
        return await _question_page(survey_id, name, form, status_code=422)
    try:
        await forms.store_definition(builder.put_question(definition, question, int(form.page), editing=name),
                                     current_account(request).username, survey_id)
    except (builder.BuildError, forms.DefinitionRefused) as refusal:
        return await _question_page(survey_id, name, form, status_code=422, refused=str(refusal))
    return see_other(f"/staff/surveys/{survey_id}?saved=1#q-{question.name}")


@post("/staff/surveys/{survey_id:int}/questions/{name:str}/move", guards=[office], name="survey-question-move")
async def move_question(request: Request, survey_id: FromPath[int], name: FromPath[str],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    step = -1 if data.get("direction") == "up" else 1
    return await _change(request, survey_id, lambda d: builder.move_question(d, name, step), f"#q-{name}")


@post("/staff/surveys/{survey_id:int}/questions/{name:str}/delete", guards=[office], name="survey-question-delete")
async def delete_question(request: Request, survey_id: FromPath[int], name: FromPath[str]) -> Template | Redirect:
    return await _change(request, survey_id, lambda d: builder.remove_question(d, name))


@post("/staff/surveys/{survey_id:int}/pages", guards=[office], name="survey-page-add")
async def add_page(request: Request, survey_id: FromPath[int],
                   data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    return await _change(request, survey_id, lambda d: builder.add_page(d, data.get("title", "")))


@post("/staff/surveys/{survey_id:int}/pages/{page_index:int}/delete", guards=[office], name="survey-page-delete")
async def delete_page(request: Request, survey_id: FromPath[int], page_index: FromPath[int]) -> Template | Redirect:
    return await _change(request, survey_id, lambda d: builder.remove_page(d, page_index))


@get("/staff/surveys/{survey_id:int}/preview", guards=[office_or_auditor], name="survey-preview")
async def preview(survey_id: FromPath[int], page_number: FromQuery[int] = 0) -> Template:
    """The survey as a citizen sees it, every question shown with its condition written out."""
    survey, definition = await _survey(survey_id)
    index = min(max(page_number, 0), max(len(definition.pages) - 1, 0))
    current = definition.pages[index] if definition.pages else None
    return page("surveys/preview.html", survey=survey, form=definition, current=current, page_index=index,
                page_count=len(definition.pages), answers={}, shown=list(current.questions) if current else [],
                slots=set(), errors={}, preview=True, window=answering.window(survey),
                department=await forms.department_of(survey))


@post("/staff/surveys/{survey_id:int}/codes", guards=[office], name="survey-codes-issue")
async def issue_codes(request: Request, survey_id: FromPath[int],
                      data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    survey, _definition = await _survey(survey_id)
    try:
        await invitations.issue(current_account(request).username, survey, parse_int(data.get("size", "")) or 0)
    except invitations.InvitationError as refusal:
        return await _builder(survey_id, status_code=422, codes_error=str(refusal))
    return see_other(f"/staff/surveys/{survey_id}?saved=1#codes")


async def _open_or_close(request: Request, survey_id: int, change: Callable[[str, int], Awaitable[Any]],
                         done: str) -> Template | Redirect:
    try:
        await change(current_account(request).username, survey_id)
    except opening.SurveyNotFound as missing:
        raise NotFoundException() from missing
    except opening.OpeningRefused as refusal:
        return await _builder(survey_id, status_code=422, opening_refused=str(refusal))
    return see_other(f"/staff/surveys/{survey_id}?{done}=1#opening")


@post("/staff/surveys/{survey_id:int}/open", guards=[office], name="survey-open")
async def open_survey(request: Request, survey_id: FromPath[int]) -> Template | Redirect:
    return await _open_or_close(request, survey_id, opening.open_now, "opened")


@post("/staff/surveys/{survey_id:int}/close", guards=[office], name="survey-close")
async def close_survey(request: Request, survey_id: FromPath[int],
                       data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    """Closing is confirmed by a box ticked on the form, so it works without JavaScript."""
    if data.get("confirm") != "1":
        return await _builder(survey_id, status_code=422, close_error=_("请勾选确认后再关闭。"))
    return await _open_or_close(request, survey_id, opening.close_now, "closed")


def _entry_url(request: Request, survey: dict[str, Any]) -> str:
    return str(request.base_url).rstrip("/") + f"/surveys/{survey['code']}"


@get("/staff/surveys/{survey_id:int}/codes.xlsx", guards=[office], name="survey-codes-xlsx")
async def codes_xlsx(request: Request, survey_id: FromPath[int]) -> Response:
    survey, _definition = await _survey(survey_id)
    rows = await invitations.codes(survey_id)
    return download(await anyio.to_thread.run_sync(invitations.codes_workbook, survey, rows,
                                                   _entry_url(request, survey)))


@get("/staff/surveys/{survey_id:int}/slips", guards=[office], name="survey-codes-print")
async def slips(request: Request, survey_id: FromPath[int]) -> Template:
    survey, _definition = await _survey(survey_id)
    return page("surveys/slips.html", survey=survey, slips=await invitations.codes(survey_id),
                entry_url=_entry_url(request, survey))


ROUTES = [list_surveys, create_survey, survey_builder, save_settings, add_question, edit_question, save_question,
          move_question, delete_question, add_page, delete_page, preview, issue_codes, codes_xlsx, slips,
          open_survey, close_survey]
