"""Checklists as inspectors fill them: the page's state, the inspector's list, and answers
written by other paths (the score import, the demo).

The rules (who sees and changes a checklist, what an answer may be) are in
inspections/checklists/rules.py; the save of one item from the page, the hot path, is in
inspections/checklists/saves.py. Both are re-exported here, as the rest of the app imports them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.accounts import SignedIn
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from inspections.checklists import scoring
from inspections.checklists.rules import (
    EDITABLE,
    MAX_NOTE_LENGTH,
    MAX_OCCURRENCES,
    SAVE_ID,
    AnswerError,
    answer_audit,
    is_editable,
    locked_message,
    may_see_every_checklist,
    parse_note,
    parse_value,
)
from inspections.checklists.saves import SaveOutcome, save
from inspections.checklists.scoring import ChecklistScore, as_decimal
from inspections.checklists.store import START_CHECKLIST, UPDATE_ANSWER
from inspections.tables import CHECKLIST_STATUS_LABELS, Checklist, ChecklistStatus, Indicator, RoundStatus

__all__ = [
    "EDITABLE", "MAX_NOTE_LENGTH", "MAX_OCCURRENCES", "SAVE_ID", "AnswerError", "CategoryState",
    "ChecklistPage", "EvidenceFile", "ItemState", "MyChecklist", "SaveOutcome", "checklist_for", "is_editable",
    "locked_message", "may_see_every_checklist", "my_checklists", "parse_note", "parse_value", "record_answer", "save",
]


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    original_name: str
    content_type: str
    size: int
    url: str
    upload_id: str = ""  # the page's own id for the upload: a queued copy of it is recognised by it


@dataclass(frozen=True)
class ItemState:
    indicator_id: int
    code: str
    title: str
    kind: str
    max_points: Decimal
    per_occurrence: Decimal | None
    scoring_rule: str
    answer_id: int | None  # None while the round is a draft (answers are made when it opens)
    value: Decimal | None
    note: str
    version: int
    answered: bool
    points: Decimal | None
    evidence: list[EvidenceFile] = field(default_factory=list)
    changed_by: str = ""  # who saved the answer last, and when
    changed_at: dt.datetime | None = None

    @property
    def changed_at_text(self) -> str:
        return clock.local(self.changed_at).strftime("%Y-%m-%d %H:%M") if self.changed_at else ""


@dataclass(frozen=True)
class CategoryState:
    code: str
    title: str
    kind: str
    max_points: Decimal
    points: Decimal
    items: list[ItemState] = field(default_factory=list)


@dataclass(frozen=True)
class ChecklistPage:
    id: int
    status: str
    round_code: str
    round_name: str
    round_status: str
    deadline: dt.date
    department_code: str
    department_name: str
    team_name: str
    review_comment: str
    editable: bool  # this account may change answers now
    is_member: bool  # this account belongs to the checklist's team
    point_step: Decimal  # the indicator system's: what the steppers add and take away
    categories: list[CategoryState]
    score: ChecklistScore

    @property
    def status_label(self) -> str:
        return _(CHECKLIST_STATUS_LABELS[self.status])


# ---------------------------------------------------------------------------------------------
# The page


async def checklist_for(account: SignedIn, checklist_id: int) -> ChecklistPage | None:
    """Everything the checklist page shows, in three queries; None when this account may not see it."""
    if not account.may(Role.office, Role.auditor, Role.inspector):
        return None
    rows = await Checklist.raw(
        """
        SELECT c.id, c.status, c.review_comment, r.code AS round_code, r.name AS round_name,
               r.status AS round_status, r.deadline, r.system, sy.point_step, d.code AS department_code,
               d.name AS department_name, t.name AS team_name,
               EXISTS (SELECT 1 FROM team_member m WHERE m.team = c.team AND m.account = {}) AS is_member
        FROM checklist c
        JOIN inspection_round r ON r.id = c.round
        JOIN indicator_system sy ON sy.id = r.system
        JOIN department d ON d.id = c.department
        LEFT JOIN team t ON t.id = c.team
        WHERE c.id = {}
        """,
        account.id,
        checklist_id,
    ).run()
    if not rows:
        return None
    head = rows[0]
    is_member = bool(head["is_member"])
    if not (is_member or may_see_every_checklist(account)):
        return None
    indicators = await Checklist.raw(
        """
        SELECT i.id AS indicator_id, i.code, i.parent_code, i.title, i.kind, i.max_points, i.per_occurrence,
               i.scoring_rule, a.id AS answer_id, a.value, a.note, a.version, a.answered_at,
               COALESCE(NULLIF(acc.display_name, ''), acc.username) AS answered_by
        FROM indicator i
        LEFT JOIN checklist_answer a ON a.indicator = i.id AND a.checklist = {}
        LEFT JOIN account acc ON acc.id = a.answered_by
        WHERE i.system = {}
        ORDER BY i.position, i.id
        """,
        checklist_id,
        head["system"],
    ).run()
    evidence_rows = await Checklist.raw(
        """
        SELECT e.id, e.answer, e.original_name, e.content_type, e.size, e.upload_id
        FROM evidence e JOIN checklist_answer a ON a.id = e.answer
        WHERE a.checklist = {}
        ORDER BY e.uploaded_at, e.id
        """,
        checklist_id,
    ).run()
    evidence: dict[int, list[EvidenceFile]] = {}
    for row in evidence_rows:
        evidence.setdefault(row["answer"], []).append(
            EvidenceFile(id=row["id"], original_name=row["original_name"], content_type=row["content_type"],
                         size=row["size"], url=f"/inspect/evidence/{row['id']}", upload_id=row["upload_id"] or "")
        )
    score = scoring.score(indicators)
    categories: list[CategoryState] = []
    items_of: dict[str, list[ItemState]] = {}
    for row in indicators:
        if not row["parent_code"]:
            items: list[ItemState] = []
            items_of[row["code"]] = items
            categories.append(
                CategoryState(code=row["code"], title=row["title"], kind=row["kind"],
                              max_points=as_decimal(row["max_points"]),
                              points=score.categories.get(row["code"], scoring.ZERO), items=items)
            )
            continue
        value = as_decimal(row["value"])
        max_points = as_decimal(row["max_points"])
        per_occurrence = as_decimal(row["per_occurrence"])
        item = ItemState(
            indicator_id=row["indicator_id"], code=row["code"], title=row["title"], kind=row["kind"],
            max_points=max_points, per_occurrence=per_occurrence, scoring_rule=row["scoring_rule"],
            answer_id=row["answer_id"], value=value, note=row["note"] or "", version=row["version"] or 0,
            answered=value is not None, points=scoring.item_points(row["kind"], max_points, per_occurrence, value),
            evidence=evidence.get(row["answer_id"], []),
            changed_by=row["answered_by"] or "" if row["answered_at"] else "",
            changed_at=as_datetime(row["answered_at"]),
        )
        # Items list after their category (position order); an orphan would be a broken import.
        items_of.setdefault(row["parent_code"], []).append(item)
    return ChecklistPage(
        id=head["id"], status=head["status"], round_code=head["round_code"], round_name=head["round_name"],
        round_status=head["round_status"], deadline=head["deadline"], department_code=head["department_code"],
        department_name=head["department_name"], team_name=head["team_name"] or "",
        review_comment=head["review_comment"] or "",
        editable=is_editable(head["round_status"], head["status"], is_member), is_member=is_member,
        point_step=as_decimal(head["point_step"]), categories=categories, score=score,
    )


@dataclass(frozen=True)
class MyChecklist:
    id: int
    status: str
    round_code: str
    round_name: str
    deadline: dt.date
    department_code: str
    department_name: str
    team_name: str
    answered: int
    total: int


async def my_checklists(account: SignedIn) -> list[MyChecklist]:
    """The checklists of the account's teams in open rounds, nearest deadline first."""
    rows = await Checklist.raw(
        """
        SELECT c.id, c.status, r.code AS round_code, r.name AS round_name, r.deadline,
               d.code AS department_code, d.name AS department_name, t.name AS team_name,
               (SELECT COUNT(*) FROM checklist_answer a WHERE a.checklist = c.id AND a.value IS NOT NULL) AS answered,
               (SELECT COUNT(*) FROM checklist_answer a WHERE a.checklist = c.id) AS total
        FROM checklist c
        JOIN team t ON t.id = c.team
        JOIN team_member m ON m.team = t.id AND m.account = {}
        JOIN inspection_round r ON r.id = c.round
        JOIN department d ON d.id = c.department
        WHERE r.status = {}
        ORDER BY r.deadline, r.code, d.code
        """,
        account.id,
        RoundStatus.open.value,
    ).run()
    return [MyChecklist(**row) for row in rows]


# ---------------------------------------------------------------------------------------------
# Answers written by other paths


async def record_answer(answer_id: int, value: Decimal | None, note: str, actor: str, account_id: int | None) -> int:
    """Stores one answer (call inside ``write_transaction``): value, note, version + 1, who and when,
    an audit row, and a not-started checklist becomes in progress. Checks nothing else."""
    rows = await Checklist.raw(
        """
        SELECT a.checklist, a.value, a.note, a.version, c.status, i.code
        FROM checklist_answer a JOIN checklist c ON c.id = a.checklist JOIN indicator i ON i.id = a.indicator
        WHERE a.id = {}
        """,
        answer_id,
    ).run()
    row = rows[0]
    version = row["version"] + 1
    await Checklist.raw(UPDATE_ANSWER, value, note, version, clock.now(), account_id, answer_id).run()
    if row["status"] == ChecklistStatus.not_started.value:
        await Checklist.raw(START_CHECKLIST, ChecklistStatus.in_progress.value, row["checklist"],
                            ChecklistStatus.not_started.value).run()
    await audit.record(
        actor, "checklist.answer", f"checklist:{row['checklist']}:{row['code']}",
        answer_audit(row["value"], row["note"]), answer_audit(value, note),
    )
    return version


def as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp from either engine (SQLite's raw queries give text) as an aware datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def item_code(indicator_id: int) -> str:
    """An item's code, which names its card on the page (#item-CODE)."""
    row = await Indicator.select(Indicator.code).where(Indicator.id == indicator_id).first()
    return row["code"] if row else ""
