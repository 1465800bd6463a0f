"""Moderating comments and answering criticism (PRODUCT.md §1).

Comments are hidden until approved. A department answers every negative rating, comment or not,
by a deadline in working days; overdue answers are listed for the office. Departments never see
who rated them: nothing here reads voter ids or panel codes.
"""

from __future__ import annotations

from typing import Any

from evaluation.core import accounts, audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.ratings.completeness import counted_ratings
from evaluation.ratings.scale import NEGATIVE_LEVELS
from evaluation.ratings.tables import AnswerCorrection, CommentStatus, Rating, RatingAnswer

MAX_ANSWER = 2000
_PUBLIC_COLUMNS = (Rating.id, Rating.level, Rating.comment, Rating.comment_status, Rating.reason_text,
                   Rating.created_at, Rating.answer_due, Rating.department.code, Rating.department.name,
                   Rating.reason.label, Rating.reason.label_en, Rating.period.name)


class CriticismError(ValueError):
    """A refusal with a message fit to show the user."""


MODERATION_STATES = ("pending", "approved", "rejected", "all")
MODERATION_PAGE = 200


async def pending_count() -> int:
    """Comments waiting for the office: the number beside 留言审核 in the staff menu."""
    return await Rating.count().where((Rating.comment_status == CommentStatus.pending.value) & counted_ratings())


async def comments_to_moderate(department: str = "", state: str = "pending",
                               limit: int = MODERATION_PAGE) -> list[dict[str, Any]]:
    """The moderation queue, oldest first, filtered by department and by state (pending unless
    asked otherwise; "all" is every comment, decided or not)."""
    condition = Rating.comment_status != CommentStatus.none.value
    if state in (CommentStatus.pending.value, CommentStatus.approved.value, CommentStatus.rejected.value):
        condition = Rating.comment_status == state
    if department:
        condition &= Rating.department.code == department
    return await Rating.select(*_PUBLIC_COLUMNS).where(condition & counted_ratings()).order_by(
        Rating.created_at).order_by(Rating.id).limit(limit)


async def comment(rating_id: int) -> dict[str, Any] | None:
    """One comment as the queue shows it (after deciding it in place)."""
    return await Rating.select(*_PUBLIC_COLUMNS).where(
        (Rating.id == rating_id) & (Rating.comment_status != CommentStatus.none.value) & counted_ratings()).first()


async def moderate(actor_id: int, actor: str, rating_id: int, approve: bool) -> None:
    if not await moderate_many(actor_id, actor, [rating_id], approve):
        raise CriticismError(_("找不到该留言。"))


async def moderate_many(actor_id: int, actor: str, rating_ids: list[int], approve: bool) -> int:
    """Approve or reject comments, one audit row each, in one transaction; returns how many were
    decided (ids without a comment are passed over). A decided comment may be decided again."""
    status = CommentStatus.approved if approve else CommentStatus.rejected
    async with write_transaction():
        rows = await Rating.select(Rating.id, Rating.comment_status).where(
            Rating.id.is_in(rating_ids or [0]) & (Rating.comment_status != CommentStatus.none.value)
            & counted_ratings())
        if not rows:
            return 0
        # A rejected comment keeps its rating: only the text stays hidden.
        await Rating.update({Rating.comment_status: status.value, Rating.moderated_by: actor_id,
                             Rating.moderated_at: clock.now()}).where(Rating.id.is_in([row["id"] for row in rows]))
        for row in rows:
            await audit.record(actor, f"comment.{'approve' if approve else 'reject'}", f"rating:{row['id']}",
                               old=row["comment_status"], new=status.value)
    return len(rows)


def _negative(department_id: int | None) -> Any:
    condition = Rating.level.is_in(list(NEGATIVE_LEVELS)) & counted_ratings()
    if department_id is not None:
        condition &= Rating.department == department_id
    return condition


async def criticism_to_answer(department_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
    """Negative ratings, unanswered first (oldest deadline first), each with its answer if any."""
    rows = await Rating.select(*_PUBLIC_COLUMNS).where(_negative(department_id)).order_by(
        Rating.answer_due).limit(limit)
    answers = {row["rating"]: row for row in await RatingAnswer.select().where(
        RatingAnswer.rating.is_in([row["id"] for row in rows] or [0]))}
    corrections = await corrections_of([answer["id"] for answer in answers.values()])
    now = clock.now()
    for row in rows:
        row["answer"] = answers.get(row["id"])
        if row["answer"] is not None:
            row["answer"]["corrections"] = corrections.get(row["answer"]["id"], [])
        row["overdue"] = row["answer"] is None and row["answer_due"] is not None and row["answer_due"] < now
    rows.sort(key=lambda row: (row["answer"] is not None, row["answer_due"] or now))
    return rows


def _answer_text(body: str) -> str:
    body = body.strip()
    if not body:
        raise CriticismError(_("请填写答复内容。"))
    if len(body) > MAX_ANSWER:
        raise CriticismError(_("答复不能超过 2000 个字。"))
    return body


async def answer(actor_id: int, actor: str, department_id: int | None, rating_id: int, body: str) -> None:
    body = _answer_text(body)
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


async def _answer_of(rating_id: int, department_id: int | None) -> dict[str, Any]:
    """The answer to a negative rating the actor may answer for; call inside the transaction."""
    row = await RatingAnswer.select().where(
        (RatingAnswer.rating == rating_id) & RatingAnswer.rating.is_in(
            Rating.select(Rating.id).where(_negative(department_id)))).first()
    if row is None:
        raise CriticismError(_("找不到该答复。"))
    return row


async def edit_answer(actor: str, department_id: int | None, rating_id: int, body: str) -> None:
    """A liaison corrects their answer in place until the office has seen it (audited, old and
    new text); after that the answer stays as the office read it."""
    body = _answer_text(body)
    async with write_transaction():
        row = await _answer_of(rating_id, department_id)
        if row["seen_at"] is not None:
            raise CriticismError(_("政务公开办已于 {at} 阅读这条答复，不能再修改；如需更正，请提交更正说明。").format(
                at=clock.format_local(row["seen_at"])[:16]))
        if row["body"] == body:
            return
        await RatingAnswer.update({RatingAnswer.body: body}).where(RatingAnswer.id == row["id"])
        await audit.record(actor, "rating.answer.edit", f"rating:{rating_id}", old=row["body"], new=body)


async def mark_seen(actor: str, rating_id: int) -> None:
    """The office has read the answer: from now on a change is a correction of its own."""
    async with write_transaction():
        row = await _answer_of(rating_id, None)
        if row["seen_at"] is not None:
            return
        await RatingAnswer.update({RatingAnswer.seen_at: clock.now(), RatingAnswer.seen_by: actor}).where(
            RatingAnswer.id == row["id"])
        await audit.record(actor, "rating.answer.seen", f"rating:{rating_id}", new={"seen": True})


async def correct_answer(actor_id: int, actor: str, department_id: int | None, rating_id: int, body: str) -> None:
    """A correction of an answer the office has seen: a new text, published after the answer,
    that names the answer it corrects."""
    body = _answer_text(body)
    async with write_transaction():
        row = await _answer_of(rating_id, department_id)
        if row["seen_at"] is None:
            raise CriticismError(_("政务公开办尚未阅读这条答复，可以直接修改答复。"))
        await AnswerCorrection.insert(AnswerCorrection(answer=row["id"], body=body, corrected_by=actor_id,
                                                       corrected_at=clock.now()))
        await audit.record(actor, "rating.answer.correct", f"rating:{rating_id}",
                           new={"corrects": clock.format_local(row["answered_at"]), "body": body})


async def corrections_of(answer_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """answer → its corrections, oldest first."""
    rows = await AnswerCorrection.select(
        AnswerCorrection.answer, AnswerCorrection.body, AnswerCorrection.corrected_at,
    ).where(AnswerCorrection.answer.is_in(answer_ids or [0])).order_by(AnswerCorrection.id)
    by_answer: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_answer.setdefault(row["answer"], []).append(row)
    return by_answer


async def overdue_by_department() -> list[dict[str, Any]]:
    """For the office: unanswered negative ratings past their deadline, per department, each
    department with the liaisons who answer for it (most overdue first)."""
    query = Rating.select(Rating.department, Rating.department.code, Rating.department.name, Rating.id,
                          Rating.answer_due, Rating.created_at, Rating.level, Rating.reason.label,
                          Rating.reason.label_en, Rating.source).where(
        _negative(None) & (Rating.answer_due < clock.now())
        & Rating.id.not_in(RatingAnswer.select(RatingAnswer.rating))
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in await query.order_by(Rating.answer_due):
        group = groups.setdefault(row["department.code"], {"id": row["department"], "code": row["department.code"],
                                                           "name": row["department.name"], "ratings": []})
        group["ratings"].append(row)
    liaisons = await accounts.liaisons_of([group["id"] for group in groups.values()])
    for group in groups.values():
        group["liaisons"] = liaisons.get(group["id"], [])
    return sorted(groups.values(), key=lambda group: -len(group["ratings"]))


async def one_rating(rating_id: int, department_id: int | None) -> dict[str, Any] | None:
    """One negative rating or commented one, as the office (or the department's liaison, when
    ``department_id`` is given) reads it: with its answer and who answers for the department."""
    condition = (Rating.id == rating_id) & counted_ratings()
    if department_id is not None:
        condition &= Rating.department == department_id
    row = await Rating.select(*_PUBLIC_COLUMNS, Rating.department, Rating.channel, Rating.source, Rating.rated_on,
                              Rating.import_batch.filename).where(condition).first()
    if row is None or (row["level"] not in NEGATIVE_LEVELS and row["comment_status"] == CommentStatus.none.value):
        return None
    row["answer"] = await RatingAnswer.select(RatingAnswer.all_columns(), RatingAnswer.answered_by.display_name,
                                              RatingAnswer.answered_by.username).where(
        RatingAnswer.rating == rating_id).first()
    if row["answer"] is not None:
        row["answer"]["corrections"] = (await corrections_of([row["answer"]["id"]])).get(row["answer"]["id"], [])
    row["liaisons"] = (await accounts.liaisons_of([row["department"]])).get(row["department"], [])
    row["overdue"] = row["answer"] is None and row["answer_due"] is not None and row["answer_due"] < clock.now()
    return row
