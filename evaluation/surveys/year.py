"""A year of surveys in figures: what the annual disclosure report says about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evaluation.core import clock
from evaluation.core.clock import SHANGHAI
from evaluation.surveys.tables import Survey, SurveyResponse


@dataclass(frozen=True)
class YearOfSurveys:
    run: int  # surveys that took answers at some time in the year
    titles: list[str]
    responses: int  # responses submitted in the year


async def year_of_surveys(year: int, department_id: int | None = None) -> YearOfSurveys:
    """Surveys open at some time of the year (Beijing time) that has passed, of one department
    or of all, and the responses they received in that year."""
    start, end = datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    ran = (
        Survey.opens_at.is_not_null()
        & (Survey.opens_at < end)
        & (Survey.opens_at <= clock.now())
        & (Survey.closes_at.is_null() | (Survey.closes_at > start))
    )
    if department_id is not None:
        ran &= Survey.department == department_id
    rows = await Survey.select(Survey.id, Survey.title).where(ran).order_by(Survey.opens_at)
    if not rows:
        return YearOfSurveys(0, [], 0)
    responses = await SurveyResponse.count().where(
        SurveyResponse.survey.is_in([row["id"] for row in rows])
        & (SurveyResponse.created_at >= start) & (SurveyResponse.created_at < end))
    return YearOfSurveys(run=len(rows), titles=[row["title"] for row in rows], responses=responses)
