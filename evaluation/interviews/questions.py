"""Citizens' questions and the answers the office posts (PRODUCT.md §3 and Settled questions:
the office moderates questions and posts the answers during a live interview, naming which guest
answered).

A question is accepted while the interview collects questions and while it is live; it is public
once approved. Questions left unanswered when the interview closes get a written answer by the
interview's deadline (N working days from the close, rules.py); those past it are overdue and
listed for the office. What a citizen submits is kept with its time and channel, not audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.form_values import at_most, parse_int
from evaluation.core.i18n import _
from evaluation.interviews import live
from evaluation.interviews.resources import person_label
from evaluation.interviews.tables import (
    Answer,
    AnswerKind,
    Interview,
    InterviewGuest,
    Question,
    QuestionStatus,
    Status,
)

MAX_QUESTION = 500
MAX_NAME = 30
MAX_ANSWER = 5000
ASKING = (Status.collecting.value, Status.live.value)


class QuestionError(ValueError):
    """A refusal with a message fit to show the user."""


@dataclass
class QuestionForm:
    body: str = ""
    display_name: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        self.body, self.display_name = self.body.strip(), self.display_name.strip()
        if not self.body:
            self.errors["body"] = _("请填写您的问题。")
        elif len(self.body) > MAX_QUESTION:
            self.errors["body"] = _("问题不能超过 500 个字。")
            self.body = at_most(self.body, MAX_QUESTION)  # shown again no longer than the field takes
        if len(self.display_name) > MAX_NAME:
            self.errors["display_name"] = _("署名不能超过 30 个字。")
            self.display_name = at_most(self.display_name, MAX_NAME)
        return not self.errors


def accepts_questions(interview: dict[str, Any]) -> bool:
    return (interview["published_at"] is not None and interview["cancelled_at"] is None
            and interview["status"] in ASKING)


async def submit(code: str, form: QuestionForm) -> bool:
    """Stores a citizen's question for moderation. False when the form has errors."""
    if not form.validate():
        return False
    interview = await Interview.select(Interview.id, Interview.status, Interview.published_at,
                                       Interview.cancelled_at).where(Interview.code == code).first()
    if interview is None or not accepts_questions(interview):
        form.errors["body"] = _("本场访谈目前不接受提问。")
        return False
    await Question.insert(Question(interview=interview["id"], body=form.body, display_name=form.display_name,
                                   channel="web", status=QuestionStatus.pending.value, created_at=clock.now()))
    return True


async def pending(interview_id: int) -> list[dict[str, Any]]:
    return await Question.select().where(
        (Question.interview == interview_id) & (Question.status == QuestionStatus.pending.value)
    ).order_by(Question.created_at)


async def moderate(actor_id: int, actor: str, question_id: int, approve: bool) -> str:
    """Approves or rejects a pending question; returns its interview's code."""
    status = QuestionStatus.approved if approve else QuestionStatus.rejected
    async with write_transaction():
        row = await Question.select(Question.id, Question.status, Question.interview,
                                    Question.interview.code).where(Question.id == question_id).first()
        if row is None or row["status"] != QuestionStatus.pending.value:
            raise QuestionError(_("找不到待审核的该问题。"))
        await Question.update({Question.status: status.value, Question.moderated_by: actor_id,
                               Question.moderated_at: clock.now()}).where(Question.id == question_id)
        if approve:
            await Interview.update({Interview.live_version: Interview.live_version + 1}).where(
                Interview.id == row["interview"])
        await audit.record(actor, f"question.{'approve' if approve else 'reject'}", f"question:{question_id}",
                           old=row["status"], new=status.value)
    live.versions.forget(row["interview.code"])
    return row["interview.code"]


async def guests_of(interview_id: int) -> list[dict[str, Any]]:
    return await InterviewGuest.select(InterviewGuest.person.id, InterviewGuest.person.name,
                                       InterviewGuest.person.title).where(
        InterviewGuest.interview == interview_id).order_by(InterviewGuest.position)


@dataclass
class AnswerForm:
    body: str = ""
    guest: str = ""  # person id of the guest who answered; empty for the department, in writing
    errors: dict[str, str] = field(default_factory=dict)


async def answer(actor_id: int, actor: str, question_id: int, form: AnswerForm) -> str | None:
    """Posts the answer to an approved question: during the live interview (a guest answered),
    or in writing after it closed (a guest, or the department). Returns the interview's code,
    or None with the form's errors."""
    body = form.body.strip()
    if not body:
        form.errors["body"] = _("请填写答复内容。")
    elif len(body) > MAX_ANSWER:
        form.errors["body"] = _("答复不能超过 5000 个字。")
    guest_id = parse_int(form.guest) if form.guest.strip() else None
    async with write_transaction():
        row = await Question.select(Question.id, Question.status, Question.interview, Question.interview.code,
                                    Question.interview.status).where(Question.id == question_id).first()
        if row is None or row["status"] != QuestionStatus.approved.value:
            raise QuestionError(_("找不到该问题。"))
        status = row["interview.status"]
        if status not in (Status.live.value, Status.closed.value):
            raise QuestionError(_("访谈直播开始后才能发布答复；归档后不能再答复。"))
        guests = {guest["person.id"] for guest in await guests_of(row["interview"])}
        if status == Status.live.value and guest_id is None:
            form.errors["guest"] = _("请选择回答问题的嘉宾。")
        elif guest_id is not None and guest_id not in guests:
            form.errors["guest"] = _("请选择本场访谈的嘉宾。")
        if form.errors:
            return None
        if await Answer.exists().where(Answer.question == question_id):
            raise QuestionError(_("该问题已经答复过了。"))
        kind = AnswerKind.live if status == Status.live.value else AnswerKind.written
        await Answer.insert(Answer(question=question_id, body=body, kind=kind.value, answered_by=guest_id,
                                   posted_by=actor_id, answered_at=clock.now()))
        await Interview.update({Interview.live_version: Interview.live_version + 1}).where(
            Interview.id == row["interview"])
        await audit.record(actor, "question.answer", f"question:{question_id}",
                           new={"body": body, "kind": kind.value, "guest": guest_id})
    live.versions.forget(row["interview.code"])
    return row["interview.code"]


async def approved_with_answers(interview_id: int) -> list[dict[str, Any]]:
    """The public part: approved questions in the order they were asked, each with its answer
    (who answered and when) or None. Two queries whatever the number of questions."""
    rows = await Question.select(Question.id, Question.body, Question.display_name, Question.created_at).where(
        (Question.interview == interview_id) & (Question.status == QuestionStatus.approved.value)
    ).order_by(Question.created_at)
    answers = {row["question"]: row for row in await Answer.select(
        Answer.question, Answer.body, Answer.kind, Answer.answered_at, Answer.answered_by.name,
        Answer.answered_by.title).where(Answer.question.is_in([row["id"] for row in rows] or [0]))}
    for row in rows:
        answer = row["answer"] = answers.get(row["id"])
        if answer is not None:
            # The guest who answered; None when the department answered in writing.
            answer["who"] = person_label({"name": answer["answered_by.name"], "title": answer["answered_by.title"]}
                                         ) if answer["answered_by.name"] else None
    return rows


async def overdue() -> list[dict[str, Any]]:
    """For the office: per closed interview past its written-answer deadline, the approved
    questions still without an answer."""
    rows = await Question.select(Question.id, Question.body, Question.created_at, Question.interview.code,
                                 Question.interview.topic, Question.interview.answers_due,
                                 Question.interview.department.name).where(
        (Question.status == QuestionStatus.approved.value)
        & (Question.interview.status == Status.closed.value)
        & (Question.interview.answers_due < clock.now())
        & Question.id.not_in(Answer.select(Answer.question))
    ).order_by(Question.interview.answers_due, Question.created_at)
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(row["interview.code"], {
            "code": row["interview.code"], "topic": row["interview.topic"], "due": row["interview.answers_due"],
            "department": row["interview.department.name"], "questions": []})
        group["questions"].append(row)
    return list(groups.values())
