"""A survey's definition read from and written to its tables (evaluation/surveys/definition.py).

Every change of a survey's questions goes through `store_definition`: the builder pages load the
definition, change the dataclasses and store them whole, so the rule that responses must stay
readable (PRODUCT.md §2; issue 19: once a survey has responses, removing a question or an option
is refused with the reason) is checked in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluation.core import audit, cache, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from evaluation.surveys.answering import window
from evaluation.surveys.definition import Condition, Option, Page, Question, SurveyForm, SurveySettings
from evaluation.surveys.tables import Survey, SurveyOption, SurveyPage, SurveyQuestion, SurveyResponse


class DefinitionRefused(Exception):
    """The change would break stored responses, or the code is taken: the message says why."""


async def find_survey(code_or_id: str) -> dict[str, Any] | None:
    """SURVEY on the command line and in addresses: its code, or its numeric id
    (PRODUCT.md, Settled questions: naming things on the command line)."""
    row = await Survey.select().where(Survey.code == code_or_id).first()
    if row is None and code_or_id.strip().isdigit():
        row = await Survey.select().where(Survey.id == int(code_or_id)).first()
    return row


@dataclass(frozen=True)
class Published:
    """What a citizen's page of a survey needs of it, read once every few seconds per worker."""

    survey: dict[str, Any]
    form: SurveyForm
    department: dict[str, Any] | None


@cache.cached
async def published(code: str) -> Published | None:
    """A survey by its code, for the citizens' pages. Every change of a survey goes through
    ``write_transaction``, which clears the cache (evaluation/core/cache.py)."""
    survey = await Survey.select().where(Survey.code == code).first()
    if survey is None:
        return None
    form = await load_definition(survey["id"])
    return Published(survey, form, await department_of(survey)) if form else None


async def department_of(survey: dict[str, Any]) -> dict[str, Any] | None:
    """The department a survey is bound to, shown on the survey's page and the department's."""
    if survey["department"] is None:
        return None
    return await Department.select(Department.code, Department.name).where(
        Department.id == survey["department"]).first()


async def response_count(survey_id: int) -> int:
    return await SurveyResponse.count().where(SurveyResponse.survey == survey_id)


def _condition(row: dict[str, Any]) -> tuple[Condition | None, tuple[Condition, ...]]:
    more = row["condition_more"] or {}
    if isinstance(more, str):  # SQLite returns JSON as text
        more = json.loads(more or "{}")
    condition = None
    if row["condition_question"]:
        condition = Condition(row["condition_question"], row["condition_operator"] or "equals",
                              row["condition_option"] or "", tuple(more.get("others", ())))
    also = tuple(Condition(q, op, option, tuple(others)) for q, op, option, others in more.get("also", ()))
    return condition, also


async def load_definition(survey_id: int) -> SurveyForm | None:
    survey = await Survey.select(*Survey.all_columns(), Survey.department.code).where(Survey.id == survey_id).first()
    if survey is None:
        return None
    pages = await SurveyPage.select().where(SurveyPage.survey == survey_id).order_by(SurveyPage.position)
    questions = await SurveyQuestion.select().where(SurveyQuestion.survey == survey_id).order_by(
        SurveyQuestion.position)
    options = await SurveyOption.select(*SurveyOption.all_columns()).where(
        SurveyOption.question.survey == survey_id).order_by(SurveyOption.position)
    options_of: dict[int, list[Option]] = {}
    for option in options:
        options_of.setdefault(option["question"], []).append(Option(option["name"], option["label"]))
    questions_of: dict[int, list[Question]] = {}
    for row in questions:
        condition, also = _condition(row)
        questions_of.setdefault(row["page"], []).append(Question(
            name=row["name"], kind=row["kind"], label=row["label"], hint=row["hint"], required=row["required"],
            options=tuple(options_of.get(row["id"], ())), min_picks=row["min_picks"], max_picks=row["max_picks"],
            minimum=_decimal(row["minimum"]), maximum=_decimal(row["maximum"]), integer=row["integer"],
            max_length=row["max_length"], condition=condition, also=also,
        ))
    settings = SurveySettings(
        code=survey["code"], title=survey["title"], introduction=survey["introduction"],
        opens_at=survey["opens_at"], closes_at=survey["closes_at"], by_invitation=survey["by_invitation"],
        department_code=survey["department.code"], public_results=survey["public_results"],
    )
    return SurveyForm(settings, tuple(Page(page["name"], page["title"], tuple(questions_of.get(page["id"], ())))
                                      for page in pages))


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).normalize()


def breaking_changes(old: SurveyForm, new: SurveyForm) -> list[str]:
    """What a change would remove from under stored responses, in the office's words."""
    reasons: list[str] = []
    for question in old.questions():
        kept = new.question(question.name)
        if kept is None:
            reasons.append(_("已有答卷回答了问题“{label}”，不能删除它（可以修改文字）。").format(label=question.label))
            continue
        if kept.kind != question.kind:
            reasons.append(_("已有答卷回答了问题“{label}”，不能改变它的题型。").format(label=question.label))
        for option in question.options:
            if option.name not in kept.option_names():
                reasons.append(_("已有答卷选择了问题“{label}”的选项“{option}”，不能删除它（可以修改文字）。").format(
                    label=question.label, option=option.label))
    return reasons


async def _department_id(code: str | None) -> int | None:
    if not code:
        return None
    row = await Department.select(Department.id).where(Department.code == code).first()
    if row is None:
        raise DefinitionRefused(_("没有代码为 {code} 的单位。").format(code=code))
    return row["id"]


async def _write_settings(survey_id: int | None, settings: SurveySettings, actor: str) -> int:
    values = {
        Survey.code: settings.code, Survey.title: settings.title, Survey.introduction: settings.introduction,
        Survey.opens_at: settings.opens_at, Survey.closes_at: settings.closes_at,
        Survey.by_invitation: settings.by_invitation, Survey.department: await _department_id(settings.department_code),
        Survey.public_results: settings.public_results,
    }
    taken = await Survey.select(Survey.id).where(Survey.code == settings.code).first()
    if taken is not None and taken["id"] != survey_id:
        raise DefinitionRefused(_("调查代码 {code} 已被使用。").format(code=settings.code))
    if survey_id is None:
        row = Survey(**{column._meta.name: value for column, value in values.items()}, created_at=clock.now())
        await Survey.insert(row).run()
        return row.id
    await Survey.update(values).where(Survey.id == survey_id)
    return survey_id


async def _write_questions(survey_id: int, form: SurveyForm) -> None:
    # Pages, questions and options are written again whole: answers refer to names, not ids.
    await SurveyPage.delete().where(SurveyPage.survey == survey_id)
    position = 0
    for page_position, page in enumerate(form.pages):
        page_row = SurveyPage(survey=survey_id, position=page_position, name=page.name, title=page.title)
        await SurveyPage.insert(page_row).run()
        for question in page.questions:
            position += 1
            condition = question.condition
            more: dict[str, Any] = {}
            if condition and condition.others:
                more["others"] = list(condition.others)
            if question.also:
                more["also"] = [[c.question, c.operator, c.option, list(c.others)] for c in question.also]
            question_row = SurveyQuestion(
                survey=survey_id, page=page_row.id, position=position, name=question.name, kind=question.kind,
                label=question.label, hint=question.hint, required=question.required,
                min_picks=question.min_picks, max_picks=question.max_picks, minimum=question.minimum,
                maximum=question.maximum, integer=question.integer, max_length=question.max_length,
                condition_question=condition.question if condition else None,
                condition_operator=condition.operator if condition else None,
                condition_option=condition.option if condition else None,
                condition_more=more,
            )
            await SurveyQuestion.insert(question_row).run()
            if question.options:
                await SurveyOption.insert(*[
                    SurveyOption(question=question_row.id, position=index, name=option.name, label=option.label)
                    for index, option in enumerate(question.options)
                ]).run()


def _summary(form: SurveyForm) -> dict[str, Any]:
    return {"code": form.settings.code, "title": form.settings.title,
            "questions": [question.name for question in form.questions()]}


async def store_definition(form: SurveyForm, actor: str, survey_id: int | None = None) -> int:
    """Creates the survey (no `survey_id`) or replaces its definition, in one transaction, audited.
    Raises DefinitionRefused when the code is taken or stored responses would break."""
    async with write_transaction():
        old = None
        if survey_id is not None:
            old = await load_definition(survey_id)
            if old is None:
                raise DefinitionRefused(_("没有这项调查。"))
            if await response_count(survey_id):
                reasons = breaking_changes(old, form)
                if reasons:
                    raise DefinitionRefused(" ".join(reasons))
        new_id = await _write_settings(survey_id, form.settings, actor)
        await _write_questions(new_id, form)
        await audit.record(actor, "survey.create" if old is None else "survey.change", f"survey:{form.settings.code}",
                           old=_summary(old) if old else None, new=_summary(form))
    return new_id


async def survey_list() -> list[dict[str, Any]]:
    """Every survey, newest first, with its department, response count and whether it takes
    answers now (`state` of `answering.window`), in two queries."""
    rows = await Survey.select(Survey.id, Survey.code, Survey.title, Survey.opens_at, Survey.closes_at,
                               Survey.by_invitation, Survey.public_results, Survey.department.name).order_by(
        Survey.id, ascending=False)
    counts = {row["survey"]: row["n"] for row in await SurveyResponse.raw(
        "SELECT survey, COUNT(*) AS n FROM survey_response GROUP BY survey")}
    now = clock.now()
    for row in rows:
        row["responses"] = counts.get(row["id"], 0)
        row["state"] = window(row, now).state
    return rows
