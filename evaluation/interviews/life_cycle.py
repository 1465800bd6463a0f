"""An interview's life cycle (PRODUCT.md §3): planned → collecting questions → live → closed →
archived, each move made by the office and recorded in the audit trail; any other move is refused.

Publishing is apart from the states: an interview is public from the moment the office publishes
it, which must be at least the office's number of days before its start (default 3); sooner only
with an "urgent" mark and a reason, shown on the page. A planned or collecting interview can be
cancelled with a reason: it frees its people and studio, and the calendar feed marks it cancelled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from evaluation.core import audit, clock, working_days
from evaluation.core.database import write_transaction
from evaluation.core.i18n import N_, _
from evaluation.interviews import live, rules
from evaluation.interviews.scheduling import EDITABLE, free_bookings
from evaluation.interviews.tables import Answer, Interview, Question, QuestionStatus, Status

STATUS_LABELS = {
    Status.planned.value: N_("筹备中"),
    Status.collecting.value: N_("征集问题中"),
    Status.live.value: N_("正在直播"),
    Status.closed.value: N_("已结束"),
    Status.archived.value: N_("已归档"),
}
CANCELLED_LABEL = N_("已取消")
# The one move out of each state (PRODUCT.md §3).
NEXT = {
    Status.planned.value: Status.collecting.value,
    Status.collecting.value: Status.live.value,
    Status.live.value: Status.closed.value,
    Status.closed.value: Status.archived.value,
}
MOVE_LABELS = {
    Status.collecting.value: N_("开始征集问题"),
    Status.live.value: N_("开始直播"),
    Status.closed.value: N_("结束访谈"),
    Status.archived.value: N_("归档"),
}
MAX_REASON = 500


class LifeCycleError(ValueError):
    """A refused move, with a message fit to show the user."""


def status_label(row: dict[str, Any]) -> str:
    if row.get("cancelled_at") is not None:
        return _(CANCELLED_LABEL)
    return _label(row["status"])


def _label(status: str) -> str:
    label = STATUS_LABELS.get(status)
    return _(label) if label else status


async def _locked(code: str) -> dict[str, Any]:
    row = await Interview.select().where(Interview.code == code).first()
    if row is None:
        raise LifeCycleError(_("找不到该访谈。"))
    return row


async def _open_questions(interview_id: int) -> tuple[int, int]:
    """(approved questions without an answer, questions not yet moderated)."""
    unanswered = await Question.count().where(
        (Question.interview == interview_id) & (Question.status == QuestionStatus.approved.value)
        & Question.id.not_in(Answer.select(Answer.question)))
    pending = await Question.count().where(
        (Question.interview == interview_id) & (Question.status == QuestionStatus.pending.value))
    return unanswered, pending


async def move(actor: str, code: str, to: str) -> None:
    """One step along the life cycle, or a refusal saying why."""
    async with write_transaction():
        row = await _locked(code)
        if row["cancelled_at"] is not None:
            raise LifeCycleError(_("该访谈已取消。"))
        if to not in STATUS_LABELS or NEXT.get(row["status"]) != to:
            raise LifeCycleError(_("不能从“{old}”改为“{new}”。").format(old=_label(row["status"]), new=_label(to)))
        if to in (Status.collecting.value, Status.live.value) and row["published_at"] is None:
            raise LifeCycleError(_("请先公布访谈，公众才能看到并提问。"))
        values: dict[Any, Any] = {Interview.status: to, Interview.updated_at: clock.now(),
                                  Interview.live_version: Interview.live_version + 1}
        if to == Status.closed.value:
            # PRODUCT.md §3: questions left unanswered at the end get a written answer within N
            # working days, counted from the day it closes (Settled questions: "Dates").
            closed_at = clock.now()
            due = await working_days.deadline_after(closed_at, (await rules.current()).answer_working_days)
            values.update({Interview.closed_at: closed_at, Interview.answers_due: due})
        if to == Status.archived.value:
            unanswered, pending = await _open_questions(row["id"])
            if pending:
                raise LifeCycleError(_("还有 {n} 个问题未审核，审核后才能归档。").format(n=pending))
            if unanswered:
                raise LifeCycleError(_("还有 {n} 个问题未答复，书面答复后才能归档。").format(n=unanswered))
        await Interview.update(values).where(Interview.id == row["id"])
        await audit.record(actor, "interview.status", f"interview:{code}", old=row["status"], new=to)
    live.versions.forget(code)


def earliest_regular_start(now: dt.datetime, days: int) -> dt.datetime:
    return now + dt.timedelta(days=days)


async def publish(actor: str, code: str, urgent: bool, reason: str) -> None:
    reason = reason.strip()
    async with write_transaction():
        row = await _locked(code)
        if row["cancelled_at"] is not None:
            raise LifeCycleError(_("该访谈已取消。"))
        if row["published_at"] is not None:
            raise LifeCycleError(_("该访谈已经公布。"))
        now = clock.now()
        if row["ends_at"] <= now:
            raise LifeCycleError(_("该访谈的时间已过，不能公布。"))
        days = (await rules.current()).publish_days_before
        if row["starts_at"] < earliest_regular_start(now, days) and not urgent:
            raise LifeCycleError(
                _("访谈须至少提前 {days} 天公布；距开始不足 {days} 天时，请标为紧急并说明理由。").format(days=days))
        if urgent and not reason:
            raise LifeCycleError(_("标为紧急时须填写理由，理由会显示在访谈页面上。"))
        if len(reason) > MAX_REASON:
            raise LifeCycleError(_("理由不能超过 500 个字。"))
        await Interview.update({Interview.published_at: now, Interview.urgent: urgent,
                                Interview.urgent_reason: reason if urgent else "", Interview.updated_at: now,
                                Interview.live_version: Interview.live_version + 1}).where(Interview.id == row["id"])
        await audit.record(actor, "interview.publish", f"interview:{code}",
                           new={"urgent": urgent, "reason": reason if urgent else ""})


async def cancel(actor: str, code: str, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise LifeCycleError(_("请填写取消的理由。"))
    if len(reason) > MAX_REASON:
        raise LifeCycleError(_("理由不能超过 500 个字。"))
    async with write_transaction():
        row = await _locked(code)
        if row["cancelled_at"] is not None:
            raise LifeCycleError(_("该访谈已取消。"))
        if row["status"] not in EDITABLE:
            raise LifeCycleError(_("只有尚未开始的访谈可以取消。"))
        now = clock.now()
        # A new SEQUENCE with STATUS:CANCELLED tells subscribed calendars to drop the event.
        await Interview.update({Interview.cancelled_at: now, Interview.cancel_reason: reason,
                                Interview.sequence: Interview.sequence + 1, Interview.updated_at: now,
                                Interview.live_version: Interview.live_version + 1}).where(Interview.id == row["id"])
        await free_bookings(row["id"])
        await audit.record(actor, "interview.cancel", f"interview:{code}", old=row["status"], new={"reason": reason})
    live.versions.forget(code)


async def save_summary(actor: str, code: str, summary: str) -> None:
    summary = summary.strip()
    if len(summary) > 5000:
        raise LifeCycleError(_("摘要不能超过 5000 个字。"))
    async with write_transaction():
        row = await _locked(code)
        if row["status"] not in (Status.closed.value, Status.archived.value):
            raise LifeCycleError(_("访谈结束后才能填写摘要。"))
        if row["summary"] == summary:
            return
        await Interview.update({Interview.summary: summary, Interview.updated_at: clock.now(),
                                Interview.live_version: Interview.live_version + 1}).where(Interview.id == row["id"])
        await audit.record(actor, "interview.summary", f"interview:{code}", old=row["summary"], new=summary)
    live.versions.forget(code)
