"""社会评议's tables: evaluation periods, the reasons list, panel batches and codes, imports,
ratings, the departments' answers and office-entered tallies."""

from __future__ import annotations

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

from evaluation.core.tables import Account, Department
from evaluation.ratings.scale import Channel, Level


class RatingSource(StrEnum):
    web = "web"  # submitted by the citizen or panel member
    paper = "paper"  # a paper form entered by the office


class CommentStatus(StrEnum):
    none = "none"
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class EvaluationPeriod(Table, tablename="evaluation_period"):
    """A 社会评议 period. Its index settings live here so an index means one thing everywhere
    (PRODUCT.md, Settled questions)."""

    id = Serial(primary_key=True)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    opens_on = Date()
    closes_on = Date()
    level_values = JSON(default={})
    public_weight = Numeric(digits=(4, 3))
    panel_weight = Numeric(digits=(4, 3))
    min_sample = Integer(default=30)
    answer_working_days = Integer(default=5)
    created_at = Timestamptz()


class ReasonChoice(Table, tablename="reason_choice"):
    """The office's list of reasons for a negative rating (信息未公开, 内容过时 … 其他)."""

    id = Serial(primary_key=True)
    label = Varchar(length=50)
    label_en = Varchar(length=50, default="")  # shown in English mode; empty: the Chinese label
    requires_text = Boolean(default=False)
    position = Integer(default=0)
    active = Boolean(default=True)


class PanelBatch(Table, tablename="panel_batch"):
    id = Serial(primary_key=True)
    period = ForeignKey(EvaluationPeriod, null=False, on_delete=OnDelete.restrict, index=True)
    label = Varchar(length=50)
    size = Integer()
    created_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=True)
    created_at = Timestamptz()


class PanelCode(Table, tablename="panel_code"):
    """A one-time code of an invited panel member: rates each department of its period once."""

    id = Serial(primary_key=True)
    batch = ForeignKey(PanelBatch, null=False, on_delete=OnDelete.restrict, index=True)
    serial = Integer()
    code = Varchar(length=32, unique=True)


class RatingImport(Table, tablename="rating_import"):
    """One file of paper forms or tallies entered by the office."""

    id = Serial(primary_key=True)
    period = ForeignKey(EvaluationPeriod, null=False, on_delete=OnDelete.restrict, index=True)
    filename = Varchar(length=200)
    kind = Varchar(length=10)  # forms | tally
    rows = Integer()
    entered_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=True)
    entered_as = Varchar(length=120, default="")  # the audit trail's actor: a user name or cli:<login>
    created_at = Timestamptz()
    # SHA-256 of the file's bytes: the same file is not counted twice in a period (PRODUCT.md,
    # Settled questions: "Imports are counted once").
    content_hash = Varchar(length=64, default="", index=True)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_by = Varchar(length=120, default="")
    withdrawal_reason = Text(default="")
    # Set by the last transaction of the import: its rows are written in chunks, and until then
    # they count nowhere (evaluation/ratings/completeness.py).
    completed_at = Timestamptz(null=True, default=None)
    # The lease its writing process holds while the chunks go in (evaluation/core/import_leases.py):
    # an incomplete import whose lease nobody holds was interrupted, and is cleaned up.
    lease = Varchar(length=32, default="")


class Rating(Table):
    """One rating of one department in one period, from the public or a panel member, online
    or from a paper form. Uniqueness per voter and per panel code is the database's job."""

    id = Serial(primary_key=True)
    # No index of its own: rating_counts on (period, department, channel, level), made by the
    # migration, serves every query by period and counts a period's ratings without the table.
    period = ForeignKey(EvaluationPeriod, null=False, on_delete=OnDelete.restrict, index=False)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict, index=True)
    channel = Varchar(length=8, choices=Channel)
    source = Varchar(length=8, choices=RatingSource, default=RatingSource.web)
    voter_id = Varchar(length=64, null=True, default=None)
    panel_code = ForeignKey(PanelCode, null=True, on_delete=OnDelete.restrict, index=True)
    level = Varchar(length=20, choices=Level)
    criteria = JSON(default={})
    reason = ForeignKey(ReasonChoice, null=True, on_delete=OnDelete.restrict, index=True)
    reason_text = Text(default="")
    comment = Text(default="")
    comment_status = Varchar(length=10, choices=CommentStatus, default=CommentStatus.none, index=True)
    moderated_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    moderated_at = Timestamptz(null=True, default=None)
    answer_due = Timestamptz(null=True, default=None, index=True)
    import_batch = ForeignKey(RatingImport, null=True, on_delete=OnDelete.restrict, index=True)
    rated_on = Date(null=True, default=None)  # a paper form's own date; created_at is its entry
    created_at = Timestamptz(index=True)
    # Unique on (period, department, voter_id) and (period, department, panel_code): unique
    # indexes made by the migration, because SQLite cannot add a constraint to a table.


class RatingAnswer(Table, tablename="rating_answer"):
    """A department's public answer to a negative rating."""

    id = Serial(primary_key=True)
    rating = ForeignKey(Rating, null=False, on_delete=OnDelete.cascade, index=True, unique=True)
    body = Text()
    answered_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=True)
    answered_at = Timestamptz()
    # The liaison may still correct the text until the office has seen it; after that a change
    # is an AnswerCorrection, so what the office read stays as it was.
    seen_at = Timestamptz(null=True, default=None)
    seen_by = Varchar(length=120, default="")


class AnswerCorrection(Table, tablename="answer_correction"):
    """A correction of an answer the office has seen: a new text, published after the answer,
    that says which answer (of which date) it corrects."""

    id = Serial(primary_key=True)
    answer = ForeignKey(RatingAnswer, null=False, on_delete=OnDelete.cascade, index=True)
    body = Text()
    corrected_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=True)
    corrected_at = Timestamptz()


class RatingTally(Table, tablename="rating_tally"):
    """Counts delivered by a survey firm: department × channel × level (no reasons, no answers)."""

    id = Serial(primary_key=True)
    period = ForeignKey(EvaluationPeriod, null=False, on_delete=OnDelete.restrict, index=True)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict, index=True)
    channel = Varchar(length=8, choices=Channel)
    level = Varchar(length=20, choices=Level)
    rating_count = Integer()
    import_batch = ForeignKey(RatingImport, null=False, on_delete=OnDelete.restrict, index=True)
