"""The assessment side's tables: indicator systems, rounds, teams, checklists and their answers.

Points are ``Numeric`` with one decimal place: every point value is a multiple of its indicator
system's point step (0.5 or 0.1), and the arithmetic is decimal, never float.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from evaluation.core.i18n import N_
from evaluation.core.tables import Account, Department
from evaluation.ratings.tables import EvaluationPeriod


class IndicatorKind(StrEnum):
    score = "score"  # 0 … max points, in the system's point step
    deduct = "deduct"  # starts at max, minus occurrences × per_occurrence, not below 0
    veto = "veto"  # 单项否决: triggered or not
    bonus = "bonus"  # 加分: 0 … max extra points, capped again by the round


class IndicatorSystem(Table, tablename="indicator_system"):
    """A year's 考核指标体系, identified by (year, code) (PRODUCT.md, Settled questions).
    ``frozen_at`` is set when a round using it opens; after that nothing in it changes."""

    id = Serial(primary_key=True)
    year = Integer()
    code = Varchar(length=32)
    name = Varchar(length=100)
    # Every point of the system (maxima, deductions, answers) is a multiple of this: 0.5 or 0.1
    # (PRODUCT.md §4; published rankings print scores like 74.4).
    point_step = Numeric(digits=(3, 1), default=Decimal("0.5"))
    frozen_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # Unique on (year, code): an index made by the migration.


class Indicator(Table):
    """A level-1 category (``parent_code`` empty) or one of its items. Two levels only."""

    id = Serial(primary_key=True)
    # No index of its own: the unique index on (system, code) serves it, and Piccolo's name
    # for one ("indicator_system") would clash with the table of that name.
    system = ForeignKey(IndicatorSystem, null=False, on_delete=OnDelete.cascade, index=False)
    code = Varchar(length=32)
    parent_code = Varchar(length=32, default="")
    title = Varchar(length=200)
    max_points = Numeric(digits=(6, 1))
    kind = Varchar(length=8, choices=IndicatorKind)
    scoring_rule = Text(default="")
    per_occurrence = Numeric(digits=(6, 1), null=True, default=None)
    position = Integer(default=0)
    # Unique on (system, code): an index made by the migration.


class RoundStatus(StrEnum):
    draft = "draft"  # being set up: coverage, teams and settings can change
    open = "open"  # inspectors fill checklists; the indicator system is frozen
    closed = "closed"


class InspectionRound(Table, tablename="inspection_round"):
    """A 考核批次. Index settings (level values, channel weights, minimum sample) are the
    period's; the round keeps only its own scoring settings (PRODUCT.md, Settled questions)."""

    id = Serial(primary_key=True)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    year = Integer()
    system = ForeignKey(IndicatorSystem, null=False, on_delete=OnDelete.restrict, index=True)
    period = ForeignKey(EvaluationPeriod, null=True, on_delete=OnDelete.restrict, index=True)
    deadline = Date()
    status = Varchar(length=8, choices=RoundStatus, default=RoundStatus.draft, index=True)
    opened_at = Timestamptz(null=True, default=None)
    public_weight = Numeric(digits=(5, 2))
    convert_score = Boolean(default=False)  # 折算 the inspection score to (100 − public weight)
    below_sample = Varchar(length=12, default="group_mean")  # group_mean | own
    bonus_cap = Numeric(digits=(5, 1))
    grade_bands = JSON(default=[])  # [[grade, lower bound], …] best first
    excellent_quota = Integer(null=True, default=None)  # at most N % of a group is 优秀
    created_at = Timestamptz()


class Team(Table):
    id = Serial(primary_key=True)
    round = ForeignKey(InspectionRound, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=50)


class TeamMember(Table, tablename="team_member"):
    id = Serial(primary_key=True)
    team = ForeignKey(Team, null=False, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(Account, null=False, on_delete=OnDelete.restrict, index=True)
    # Unique on (team, account): an index made by the migration.


class ChecklistStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    submitted = "submitted"
    returned = "returned"  # the office sent it back with comments; the team edits again
    approved = "approved"  # locked; only a reopen (office, with a reason) changes it


EDITABLE_STATUSES = (ChecklistStatus.not_started, ChecklistStatus.in_progress, ChecklistStatus.returned)
# The words for each state, wherever a checklist's state is shown.
CHECKLIST_STATUS_LABELS = {
    ChecklistStatus.not_started: N_("未开始"),
    ChecklistStatus.in_progress: N_("填写中"),
    ChecklistStatus.submitted: N_("已提交"),
    ChecklistStatus.returned: N_("已退回"),
    ChecklistStatus.approved: N_("已通过"),
}


class Checklist(Table):
    """One covered department in one round, filled by the team it is assigned to."""

    id = Serial(primary_key=True)
    round = ForeignKey(InspectionRound, null=False, on_delete=OnDelete.cascade, index=True)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict, index=True)
    team = ForeignKey(Team, null=True, on_delete=OnDelete.set_null, index=True)
    status = Varchar(length=12, choices=ChecklistStatus, default=ChecklistStatus.not_started, index=True)
    review_comment = Text(default="")
    submitted_at = Timestamptz(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    reviewed_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    # Unique on (round, department): an index made by the migration.


class ChecklistAnswer(Table, tablename="checklist_answer"):
    """The answer to one item of one checklist. Rows exist for every item from the moment the
    round opens; ``answered_at`` is empty until the first save (PRODUCT.md, Settled questions:
    items start unanswered). ``version`` counts saves and is what a save is based on."""

    id = Serial(primary_key=True)
    checklist = ForeignKey(Checklist, null=False, on_delete=OnDelete.cascade, index=True)
    indicator = ForeignKey(Indicator, null=False, on_delete=OnDelete.restrict, index=True)
    # points for score/bonus, occurrences for deduct, 1/0 for veto
    value = Numeric(digits=(7, 1), null=True, default=None)
    note = Text(default="")
    version = Integer(default=0)
    answered_at = Timestamptz(null=True, default=None)
    answered_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    # Unique on (checklist, indicator): an index made by the migration.


class AnswerSave(Table, tablename="answer_save"):
    """Every save the checklist page made, by the id the page gave it: a save sent twice is
    stored once, and the replay gets the first answer back (the unique index decides)."""

    id = Serial(primary_key=True)
    save_id = Varchar(length=64, unique=True)
    answer = ForeignKey(ChecklistAnswer, null=False, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    saved_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    saved_at = Timestamptz()


class Evidence(Table):
    """A photo attached to an answer. Stored under a name the server made; served only to staff
    who may see the checklist."""

    id = Serial(primary_key=True)
    answer = ForeignKey(ChecklistAnswer, null=False, on_delete=OnDelete.cascade, index=True)
    upload_id = Varchar(length=64, unique=True)  # made by the page: a retried upload is stored once
    stored_name = Varchar(length=80, unique=True)
    content_type = Varchar(length=20)
    size = Integer()
    original_name = Varchar(length=200, default="")
    uploaded_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    uploaded_at = Timestamptz()
