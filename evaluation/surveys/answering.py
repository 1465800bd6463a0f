"""Citizens answer a survey page by page (PRODUCT.md §2, issue 19): each page's answers are read and
checked here, kept in a draft until the response is submitted, and the response is stored whole
or not at all, once per browser (open survey) or per invitation code."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import msgspec

from evaluation.core import clock
from evaluation.core.database import group_commit, is_postgres, is_unique_violation, statements
from evaluation.core.form_values import parse_decimal
from evaluation.core.i18n import _
from evaluation.surveys.definition import SCALE_POINTS, Page, Question, SurveyForm
from evaluation.surveys.tables import SurveyCode, SurveyDraft, SurveyResponse

VOTER_COOKIE = "respondent"
_SCALE_VALUES = frozenset(str(point) for point in SCALE_POINTS)


def new_voter_id() -> str:
    return secrets.token_urlsafe(32)


class AlreadyAnswered(Exception):
    """This browser (or invitation code) has submitted its response already."""


@dataclass(frozen=True)
class Window:
    """Whether a survey takes answers now, and when it opens or closed."""

    state: str  # 'open' | 'not_yet' | 'closed'
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None


def window(survey: dict[str, Any], now: dt.datetime | None = None) -> Window:
    now = now or clock.now()
    opens_at, closes_at = survey["opens_at"], survey["closes_at"]
    if opens_at is None or now < opens_at:
        return Window("not_yet", opens_at, closes_at)
    if closes_at is not None and now >= closes_at:
        return Window("closed", opens_at, closes_at)
    return Window("open", opens_at, closes_at)


def respondent_key(voter_id: str | None, code_id: int | None) -> str:
    return f"code:{code_id}" if code_id is not None else f"voter:{voter_id}"


@dataclass
class PageAnswers:
    """What was sent for one page: the answers read and, per question name, what is wrong."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _read(question: Question, data: dict[str, list[str]]) -> tuple[Any, str | None]:
    """One question's answer from the form fields, or None when unanswered; and an error."""
    values = [value.strip() for value in data.get(question.name, []) if value.strip()]
    first = values[0] if values else ""
    if question.kind == "single":
        if not first:
            return None, None
        return (first, None) if first in question.option_names() else (None, _("请从选项中选择。"))
    if question.kind == "multiple":
        picked = [name for name in question.option_names() if name in values]
        if not picked:
            return None, None
        if question.min_picks and len(picked) < question.min_picks:
            return picked, _("请至少选择 {n} 项。").format(n=question.min_picks)
        if question.max_picks and len(picked) > question.max_picks:
            return picked, _("最多只能选择 {n} 项。").format(n=question.max_picks)
        return picked, None
    if question.kind == "scale":
        if not first:
            return None, None
        if first not in _SCALE_VALUES:
            return None, _("请选择 1 到 5 之间的分值。")
        return int(first), None
    if question.kind == "matrix":
        rows: dict[str, int] = {}
        for option in question.options:
            value = (data.get(f"{question.name}.{option.name}") or [""])[0].strip()
            if value in _SCALE_VALUES:
                rows[option.name] = int(value)
        if not rows:
            return None, None
        if question.required and len(rows) < len(question.options):
            missing = [option.label for option in question.options if option.name not in rows]
            return rows, _("请为每一行打分，还缺：{rows}。").format(rows="、".join(missing))
        return rows, None
    if question.kind == "number":
        if not first:
            return None, None
        number = parse_decimal(first)
        if number is None or (question.integer and number != number.to_integral_value()):
            return first, _("请输入整数。") if question.integer else _("请输入数字。")
        if question.minimum is not None and number < question.minimum:
            return first, _("不能小于 {n}。").format(n=question.minimum)
        if question.maximum is not None and number > question.maximum:
            return first, _("不能大于 {n}。").format(n=question.maximum)
        return str(number), None
    # text
    text = (data.get(question.name) or [""])[0].strip()
    if not text:
        return None, None
    if question.max_length and len(text) > question.max_length:
        return text, _("不能超过 {n} 个字，现在是 {count} 个字。").format(n=question.max_length, count=len(text))
    return text, None


def visible(page: Page, answers: dict[str, Any]) -> list[Question]:
    """The questions of a page asked given the answers so far; the server decides, so a browser
    without JavaScript gets the same survey (issue 19: conditions evaluated server-side)."""
    return [question for question in page.questions if question.shown(answers)]


def read_page(form: SurveyForm, page_index: int, data: dict[str, list[str]], earlier: dict[str, Any],
              check_required: bool = True) -> PageAnswers:
    """Reads and checks one page. Conditions on questions of the same page are evaluated with
    this page's answers, so a question that a choice just revealed is asked before going on."""
    page = form.pages[page_index]
    result = PageAnswers()
    for question in page.questions:
        answer, error = _read(question, data)
        if answer is not None:
            result.answers[question.name] = answer
        if error:
            result.errors[question.name] = error
    merged = {**earlier, **result.answers}
    for question in page.questions:
        if not question.shown(merged):
            # A hidden question keeps no answer and no error (its condition no longer holds).
            result.answers.pop(question.name, None)
            result.errors.pop(question.name, None)
            merged.pop(question.name, None)
        elif check_required and question.required and question.name not in result.answers \
                and question.name not in result.errors:
            result.errors[question.name] = _("这是必答题。")
    return result


def page_names(page: Page) -> set[str]:
    return {question.name for question in page.questions}


def clean_answers(form: SurveyForm, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers of questions still asked, in the survey's order (a later change of an earlier
    answer may hide a question answered before)."""
    kept: dict[str, Any] = {}
    for question in form.questions():
        if question.name in answers and question.shown(kept):
            kept[question.name] = answers[question.name]
    return kept


def first_unfinished_page(form: SurveyForm, answers: dict[str, Any]) -> int | None:
    """The first page with a required question asked but unanswered, or None."""
    kept = clean_answers(form, answers)
    for index, page in enumerate(form.pages):
        for question in page.questions:
            if question.required and question.shown(kept) and question.name not in kept:
                return index
    return None


def _json(value: Any) -> Any:
    if isinstance(value, str):  # SQLite returns JSON as text
        return json.loads(value or "{}")
    return value or {}


@dataclass(frozen=True)
class Respondent:
    """Where a respondent is: the draft's answers and page, and whether they have answered."""

    answers: dict[str, Any]
    page: int
    answered: bool


# One read per request for both questions, its SQL written once (as ratings' insert is): what a
# visit needs of the draft and whether the browser or code has answered already.
_STATE = ("SELECT d.answers AS answers, d.page AS page, EXISTS (SELECT 1 FROM survey_response r "
          "WHERE r.survey = {} AND r.%s = {}) AS answered FROM (SELECT 1 AS one) AS here "
          "LEFT JOIN survey_draft d ON d.survey = {} AND d.respondent = {}")


async def respondent_state(survey_id: int, voter_id: str | None, code_id: int | None) -> Respondent:
    column, who = ("code", code_id) if code_id is not None else ("voter_id", voter_id)
    if who is None:
        return Respondent({}, 0, False)
    values = (survey_id, who, survey_id, respondent_key(voter_id, code_id))
    engine = SurveyResponse._meta.db
    lane = statements(engine)
    if lane is not None:
        row: Any = await lane.fetchrow(_sql(_STATE % column, True), *values)
    else:
        [row] = await SurveyResponse.raw(_STATE % column, *values)
    answers = _json(row["answers"]) if row["answers"] is not None else {}
    return Respondent(answers, row["page"] or 0, bool(row["answered"]))


_UPSERT_DRAFT = (
    "INSERT INTO survey_draft (survey, respondent, answers, page, updated_at) VALUES ({}, {}, {}, {}, {}) "
    "ON CONFLICT (survey, respondent) DO UPDATE SET answers = excluded.answers, page = excluded.page, "
    "updated_at = excluded.updated_at"
)


async def keep_draft(survey_id: int, respondent: str, answers: dict[str, Any], page: int) -> None:
    """Answers so far survive a reload and a lost connection between pages (issue 19)."""
    await SurveyDraft.raw(_UPSERT_DRAFT, survey_id, respondent, _encode(answers), page, clock.now())


_INSERT_RESPONSE = ("INSERT INTO survey_response (survey, voter_id, code, answers, created_at) "
                    "VALUES ({}, {}, {}, {}, {})")
_INSERT_TEXT = ("INSERT INTO survey_text (response, survey, question, body, status, moderated_by, moderated_at) "
                "VALUES ({}, {}, {}, {}, 'pending', NULL, NULL)")
_DELETE_DRAFT = "DELETE FROM survey_draft WHERE survey = {} AND respondent = {}"
# PostgreSQL: the response, its free texts and the draft's removal in one statement, so one round
# trip: a statement is atomic on its own, so it is still all of it or nothing.
_SUBMIT_POSTGRES = (
    "WITH response AS (INSERT INTO survey_response (survey, voter_id, code, answers, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id), "
    "texts AS (INSERT INTO survey_text (response, survey, question, body, status, moderated_by, moderated_at) "
    "SELECT response.id, $1, t.question, t.body, 'pending', NULL, NULL "
    "FROM response, unnest($6::text[], $7::text[]) AS t (question, body)), "
    "draft AS (DELETE FROM survey_draft WHERE survey = $1 AND respondent = $8) "
    "SELECT id FROM response"
)


def _encode(answers: dict[str, Any]) -> str:
    # msgspec (Litestar's own encoder) rather than the json module: several times faster, and a
    # response's answers are encoded once per submission.
    return msgspec.json.encode(answers).decode()


def _sql(template: str, postgres: bool) -> str:
    if postgres:
        return template.format(*(f"${n}" for n in range(1, template.count("{}") + 1)))
    return template.replace("{}", "?")


async def submit(form: SurveyForm, survey_id: int, answers: dict[str, Any], *, voter_id: str | None = None,
                 code_id: int | None = None) -> int:
    """Stores the response and its free text together, in one transaction, and forgets the draft:
    all of it or nothing. A second response of the same browser or code raises AlreadyAnswered,
    however concurrent: the unique indexes decide (PRODUCT.md, Settled questions)."""
    answers = clean_answers(form, answers)
    texts = [(name, value) for name, value in answers.items() if getattr(form.question(name), "kind", "") == "text"]
    respondent = respondent_key(voter_id, code_id)
    now = clock.now()
    engine = SurveyResponse._meta.db
    postgres = is_postgres(engine)
    encoded = _encode(answers)
    try:
        if not postgres:
            def work(db: Any) -> int:
                cursor = db.execute(_sql(_INSERT_RESPONSE, False), (survey_id, voter_id, code_id, encoded, now))
                response_id = cursor.lastrowid
                db.executemany(_sql(_INSERT_TEXT, False),
                               [(response_id, survey_id, name, body) for name, body in texts])
                db.execute(_sql(_DELETE_DRAFT, False), (survey_id, respondent))
                return response_id

            # Each submission in a savepoint of its own: a failure undoes all of it (group_commit).
            return await group_commit(work, engine=engine)
        lane = statements(engine)
        if lane is not None:
            return await lane.fetchval(_SUBMIT_POSTGRES, survey_id, voter_id, code_id, encoded, now,
                                      [name for name, _body in texts], [body for _name, body in texts], respondent)
        async with engine.transaction():
            rows = await SurveyResponse.raw(_INSERT_RESPONSE + " RETURNING id", survey_id, voter_id, code_id,
                                            encoded, now)
            for name, body in texts:
                await SurveyResponse.raw(_INSERT_TEXT, rows[0]["id"], survey_id, name, body)
            await SurveyResponse.raw(_DELETE_DRAFT, survey_id, respondent)
            return rows[0]["id"]
    except Exception as error:
        if is_unique_violation(error):
            raise AlreadyAnswered from error
        raise


async def code_of_survey(survey_id: int, code: str) -> dict[str, Any] | None:
    code = code.strip().upper().replace(" ", "").replace("-", "")
    if not code:
        return None
    return await SurveyCode.select(SurveyCode.id, SurveyCode.code).where(
        (SurveyCode.survey == survey_id) & (SurveyCode.code == code)).first()




def parse_page(data: dict[str, list[str]], page_count: int) -> int:
    """The page a form was sent from, kept within the survey."""
    text = (data.get("page") or ["0"])[0]
    index = int(text) if text.isdigit() else 0
    return min(index, max(page_count - 1, 0))


def same_page_conditions(page: Page) -> set[str]:
    """Questions of the page shown or hidden by another question of the same page: htmx asks the
    server about them as the choice changes."""
    names = page_names(page)
    return {question.name for question in page.questions
            if any(condition.question in names for condition in question.conditions())}
