"""A survey's results (PRODUCT.md §2, issue 19): counts and percentages per option, the matrix as
distributions per row, number summaries (n, mean, median, min, max), free text once moderated."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.core.tables import Account
from evaluation.surveys.definition import SCALE_POINTS, Question, SurveyForm
from evaluation.surveys.tables import SurveyResponse, SurveyText, TextStatus

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def percent(count: int, total: int) -> Decimal:
    if not total:
        return Decimal(0)
    return (Decimal(count) * 100 / total).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass
class Bar:
    label: str
    count: int
    percent: Decimal


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)  # single, multiple, scale
    rows: list[tuple[str, list[Bar], Decimal | None]] = field(default_factory=list)  # matrix: label, bars, mean
    mean: Decimal | None = None  # scale, number
    median: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    texts: list[dict[str, Any]] = field(default_factory=list)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _rounded(value: Any) -> Decimal:
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _scale_bars(values: list[int]) -> list[Bar]:
    return [Bar(str(point), values.count(point), percent(values.count(point), len(values))) for point in SCALE_POINTS]


async def all_answers(survey_id: int) -> list[dict[str, Any]]:
    rows = await SurveyResponse.select(SurveyResponse.answers).where(SurveyResponse.survey == survey_id)
    return [json.loads(row["answers"]) if isinstance(row["answers"], str) else row["answers"] for row in rows]


async def summarize(form: SurveyForm, survey_id: int) -> tuple[int, list[QuestionResult]]:
    """How many responded, and each question's result. The public sees approved free text only."""
    answers = await all_answers(survey_id)
    texts = await SurveyText.select(SurveyText.id, SurveyText.question, SurveyText.body, SurveyText.status).where(
        (SurveyText.survey == survey_id) & (SurveyText.status == TextStatus.approved.value)
    ).order_by(SurveyText.id)
    results = []
    for question in form.questions():
        given = [row[question.name] for row in answers if question.name in row]
        result = QuestionResult(question, answered=len(given))
        if question.kind in ("single", "multiple"):
            for option in question.options:
                count = sum(1 for value in given if value == option.name or (isinstance(value, list)
                                                                             and option.name in value))
                result.bars.append(Bar(option.label, count, percent(count, len(given))))
        elif question.kind == "scale":
            points = [int(value) for value in given]
            result.bars = _scale_bars(points)
            result.mean = _rounded(statistics.fmean(points)) if points else None
        elif question.kind == "matrix":
            for option in question.options:
                points = [int(value[option.name]) for value in given
                          if isinstance(value, dict) and option.name in value]
                result.rows.append((option.label, _scale_bars(points),
                                    _rounded(statistics.fmean(points)) if points else None))
        elif question.kind == "number":
            numbers = sorted(number for number in (_decimal(value) for value in given) if number is not None)
            if numbers:
                result.mean = _rounded(sum(numbers) / len(numbers))
                result.median = _rounded(statistics.median(numbers))
                result.minimum, result.maximum = numbers[0], numbers[-1]
        else:
            result.texts = [text for text in texts if text["question"] == question.name]
        results.append(result)
    return len(answers), results


async def moderation_queue(survey_id: int) -> list[dict[str, Any]]:
    return await SurveyText.select(SurveyText.id, SurveyText.question, SurveyText.body, SurveyText.status).where(
        SurveyText.survey == survey_id).order_by(SurveyText.status, ascending=False).order_by(SurveyText.id)


class ModerationError(ValueError):
    pass


async def moderate(actor: str, survey: dict[str, Any], text_id: int, decision: str) -> None:
    """Approved text is public with the results; the decision is audited (PRODUCT.md, Settled questions)."""
    if decision not in (TextStatus.approved.value, TextStatus.rejected.value):
        raise ModerationError(_("请选择通过或不通过。"))
    account = await Account.select(Account.id).where(Account.username == actor).first()
    async with write_transaction():
        row = await SurveyText.select(SurveyText.status).where(
            (SurveyText.id == text_id) & (SurveyText.survey == survey["id"])).first()
        if row is None:
            raise ModerationError(_("没有这条回答。"))
        await SurveyText.update({SurveyText.status: decision, SurveyText.moderated_at: clock.now(),
                                 SurveyText.moderated_by: account["id"] if account else None}).where(
            SurveyText.id == text_id)
        await audit.record(actor, "survey.moderate", f"survey:{survey['code']}:text:{text_id}", old=row["status"],
                           new=decision)
