"""线上访谈's tables: the office's settings, people and studios, interviews with their guests and
bookings, citizens' questions and the answers posted by the office."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from evaluation.core.tables import Account, Department


class Status(StrEnum):
    planned = "planned"
    collecting = "collecting"  # collecting questions
    live = "live"
    closed = "closed"
    archived = "archived"


class QuestionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class AnswerKind(StrEnum):
    live = "live"  # posted during the interview
    written = "written"  # after it closed, within the working-day deadline


class InterviewSettings(Table, tablename="interview_settings"):
    """The office's rules for interviews (one row): how many days before its start an interview
    must be published, and in how many working days the questions left open get written answers."""

    id = Serial(primary_key=True)
    publish_days_before = Integer(default=3)
    answer_working_days = Integer(default=5)
    updated_at = Timestamptz(null=True, default=None)


class Person(Table, tablename="interview_person"):
    """A guest (an official, with a title) or a host: kept once, booked for many interviews."""

    id = Serial(primary_key=True)
    name = Varchar(length=50)
    title = Varchar(length=100, default="")
    department = ForeignKey(Department, null=True, on_delete=OnDelete.restrict, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz()


class Studio(Table):
    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    location = Varchar(length=200, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()


class Interview(Table):
    """One interview. ``sequence`` counts the changes a calendar app must notice (iCalendar
    SEQUENCE); ``live_version`` counts what the public page shows, so a reader's poll finds out
    without a query whether anything is new (evaluation/interviews/live.py)."""

    id = Serial(primary_key=True)
    code = Varchar(length=32, unique=True)
    topic = Varchar(length=200)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict, index=True)
    host = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    studio = ForeignKey(Studio, null=True, on_delete=OnDelete.restrict, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    link = Varchar(length=500, default="")
    description = Text(default="")
    status = Varchar(length=12, choices=Status, default=Status.planned, index=True)
    published_at = Timestamptz(null=True, default=None)
    urgent = Boolean(default=False)
    urgent_reason = Text(default="")
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Text(default="")
    closed_at = Timestamptz(null=True, default=None)
    answers_due = Timestamptz(null=True, default=None)
    summary = Text(default="")
    sequence = Integer(default=0)
    live_version = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class InterviewGuest(Table, tablename="interview_guest"):
    id = Serial(primary_key=True)
    interview = ForeignKey(Interview, null=False, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.restrict, index=True)
    position = Integer(default=0)


class Booking(Table, tablename="interview_booking"):
    """A person's or a studio's time taken by an interview: exactly one of ``person`` and
    ``studio`` is set. Two bookings of one person or one studio never overlap: an exclusion
    constraint on PostgreSQL, triggers on SQLite (the migration), whoever writes."""

    id = Serial(primary_key=True)
    interview = ForeignKey(Interview, null=False, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, null=True, on_delete=OnDelete.restrict, index=True)
    studio = ForeignKey(Studio, null=True, on_delete=OnDelete.restrict, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()


class Question(Table, tablename="interview_question"):
    """A citizen's question, with its time and channel (not in the audit trail: PRODUCT.md,
    Settled questions). Public once the office approves it."""

    id = Serial(primary_key=True)
    interview = ForeignKey(Interview, null=False, on_delete=OnDelete.cascade, index=True)
    body = Text()
    display_name = Varchar(length=30, default="")
    channel = Varchar(length=8, default="web")
    status = Varchar(length=10, choices=QuestionStatus, default=QuestionStatus.pending, index=True)
    moderated_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    moderated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(index=True)


class Answer(Table, tablename="interview_answer"):
    """The office posts every answer (PRODUCT.md, Settled questions), naming who answered: one of
    the interview's guests, or the department in writing."""

    id = Serial(primary_key=True)
    question = ForeignKey(Question, null=False, on_delete=OnDelete.cascade, index=True, unique=True)
    body = Text()
    kind = Varchar(length=8, choices=AnswerKind, default=AnswerKind.live)
    answered_by = ForeignKey(Person, null=True, on_delete=OnDelete.restrict, index=True)
    posted_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=True)
    answered_at = Timestamptz()
