"""Moderating comments and answering criticism (PRODUCT.md §1).

Comments are hidden until approved. A department answers every negative rating, comment or not,
by a deadline in working days; overdue answers are listed for the office. Departments never see
who rated them: nothing here reads voter ids or panel codes.
"""

from __future__ import annotations

from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.ratings.scale import NEGATIVE_LEVELS
from evaluation.ratings.tables import CommentStatus, Rating, RatingAnswer

MAX_ANSWER = 2000
_PUBLIC_COLUMNS = (Rating.id, Rating.level, Rating.comment, Rating.comment_status, Rating.reason_text,
                   Rating.created_at, Rating.answer_due, Rating.department.code, Rating.department.name,
                   Rating.reason.label, Rating.reason.label_en, Rating.period.name)


class CriticismError(ValueError):
    """A refusal with a message fit to show the user."""


async def pending_comments(limit: int = 100) -> list[dict[str, Any]]:
    return await Rating.select(*_PUBLIC_COLUMNS).where(
        Rating.comment_status == CommentStatus.pending.value
    ).order_by(Rating.created_at).limit(limit)


async def moderate(actor_id: int, actor: str, rating_id: int, approve: bool) -> None:
    status = CommentStatus.approved if approve else CommentStatus.rejected
    async with write_transaction():
        row = await Rating.select(Rating.id, Rating.comment_status, Rating.department.code).where(
            Rating.id == rating_id).first()
        if row is None or row["comment_status"] == CommentStatus.none.value:
            raise CriticismError(_("找不到该留言。"))
        # A rejected comment keeps its rating: only the text stays hidden.
        await Rating.update({Rating.comment_status: status.value, Rating.moderated_by: actor_id,
                             Rating.moderated_at: clock.now()}).where(Rating.id == rating_id)
        await audit.record(actor, f"comment.{'approve' if approve else 'reject'}", f"rating:{rating_id}",
                           old=row["comment_status"], new=status.value)


def _negative(department_id: int | None) -> Any:
    condition = Rating.level.is_in(list(NEGATIVE_LEVELS))
    if department_id is not None:
        condition &= Rating.department == department_id
    return condition


async def criticism_to_answer(department_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
    """Negative ratings, unanswered first (oldest deadline first), each with its answer if any."""
    rows = await Rating.select(*_PUBLIC_COLUMNS).where(_negative(department_id)).order_by(
        Rating.answer_due).limit(limit)
    answers = {row["rating"]: row for row in await RatingAnswer.select().where(
        RatingAnswer.rating.is_in([row["id"] for row in rows] or [0]))}
    now = clock.now()
    for row in rows:
        row["answer"] = answers.get(row["id"])
        row["overdue"] = row["answer"] is None and row["answer_due"] is not None and row["answer_due"] < now
    rows.sort(key=lambda row: (row["answer"] is not None, row["answer_due"] or now))
    return rows


async def answer(actor_id: int, actor: str, department_id: int | None, rating_id: int, body: str) -> None:
    body = body.strip()
    if not body:
        raise CriticismError(_("请填写答复内容。"))
    if len(body) > MAX_ANSWER:
        raise CriticismError(_("答复不能超过 2000 个字。"))
    async with write_transaction():
        row = await Rating.select(Rating.id, Rating.department).where(
            (Rating.id == rating_id) & _negative(department_id)).first()
        if row is None:
            raise CriticismError(_("找不到该评价。"))
        if await RatingAnswer.exists().where(RatingAnswer.rating == rating_id):
            raise CriticismError(_("该评价已经答复过了。"))
        await RatingAnswer.insert(RatingAnswer(rating=rating_id, body=body, answered_by=actor_id,
                                               answered_at=clock.now()))
        await audit.record(actor, "rating.answer", f"rating:{rating_id}", new=body)


async def overdue_by_department() -> list[dict[str, Any]]:
    """For the office: unanswered negative ratings past their deadline, per department."""
    query = Rating.select(Rating.department.code, Rating.department.name, Rating.id, Rating.answer_due,
                          Rating.created_at).where(
        _negative(None) & (Rating.answer_due < clock.now())
        & Rating.id.not_in(RatingAnswer.select(RatingAnswer.rating))
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in await query.order_by(Rating.answer_due):
        group = groups.setdefault(row["department.code"], {"code": row["department.code"],
                                                           "name": row["department.name"], "ratings": []})
        group["ratings"].append(row)
    return sorted(groups.values(), key=lambda group: -len(group["ratings"]))
