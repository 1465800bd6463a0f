"""A year of interviews in figures: what the annual disclosure report says about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evaluation.core.clock import SHANGHAI
from evaluation.interviews.tables import Answer, Interview, Question, QuestionStatus, Status

HELD = [Status.live.value, Status.closed.value, Status.archived.value]


@dataclass(frozen=True)
class YearOfInterviews:
    held: int
    departments: int  # how many departments' officials took part
    topics: list[str]
    questions: int  # published (approved) questions
    answered: int


async def year_of_interviews(year: int, department_id: int | None = None) -> YearOfInterviews:
    """Interviews held in the year (Beijing time, not cancelled), of one department or of all."""
    held = (
        Interview.status.is_in(HELD)
        & Interview.cancelled_at.is_null()
        & (Interview.starts_at >= datetime(year, 1, 1, tzinfo=SHANGHAI))
        & (Interview.starts_at < datetime(year + 1, 1, 1, tzinfo=SHANGHAI))
    )
    if department_id is not None:
        held &= Interview.department == department_id
    rows = await Interview.select(Interview.id, Interview.topic, Interview.department).where(held).order_by(
        Interview.starts_at)
    ids = [row["id"] for row in rows]
    if not ids:
        return YearOfInterviews(0, 0, [], 0, 0)
    published = (Question.interview.is_in(ids)) & (Question.status == QuestionStatus.approved.value)
    questions = await Question.count().where(published)
    answered = await Answer.count().where(Answer.question.is_in(Question.select(Question.id).where(published)))
    return YearOfInterviews(
        held=len(rows),
        departments=len({row["department"] for row in rows}),
        topics=[row["topic"] for row in rows],
        questions=questions,
        answered=answered,
    )
