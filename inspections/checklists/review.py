"""The office's review of a checklist: the team submits it, the office returns it with comments
or approves it, and may reopen an approved one with a stated reason (PRODUCT.md §4 and Settled
questions: reopening is the one write approval allows).

Every transition is a compare-and-set on the checklist's status inside one write transaction:
the UPDATE names the status it expects, and when another writer got there first (two clerks
approving at once) it changes no row and the second is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.accounts import SignedIn
from evaluation.core.database import is_postgres, write_transaction
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from inspections.checklists import checklists
from inspections.checklists.checklists import ChecklistPage
from inspections.tables import CHECKLIST_STATUS_LABELS, EDITABLE_STATUSES, Checklist, ChecklistStatus, RoundStatus

MAX_COMMENT = 2000
EDITABLE = tuple(status.value for status in EDITABLE_STATUSES)
SUBMITTED = ChecklistStatus.submitted.value
APPROVED = ChecklistStatus.approved.value
RETURNED = ChecklistStatus.returned.value

class ChecklistNotFound(LookupError):
    """Not visible to this account: answered as 404, never 403."""


class ReviewError(ValueError):
    """A refused transition, with a message fit to show and the HTTP status that fits it:
    422 for input to correct (a missing comment, unanswered items), 409 for a checklist whose
    status does not allow it (or changed under the clerk's feet), 403 for a non-member."""

    def __init__(self, message: str, status_code: int = 409, unanswered: list[str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.unanswered = unanswered or []


def status_label(status: str) -> str:
    return _(CHECKLIST_STATUS_LABELS.get(status, status))


async def _visible(account: SignedIn, checklist_id: int) -> ChecklistPage:
    page = await checklists.checklist_for(account, checklist_id)
    if page is None:
        raise ChecklistNotFound(checklist_id)
    return page


def _clean_comment(text: str | None, missing: str) -> str:
    comment = (text or "").replace("\r\n", "\n").strip()
    if not comment:
        raise ReviewError(missing, 422)
    if len(comment) > MAX_COMMENT:
        message = _("意见不能超过 {most} 个字（现有 {n} 个字）。").format(most=MAX_COMMENT, n=len(comment))
        raise ReviewError(message, 422)
    return comment


async def _current(checklist_id: int) -> dict[str, Any]:
    """The checklist's status and its round's, read inside the transaction."""
    rows = await Checklist.raw(
        "SELECT c.status, r.status AS round_status FROM checklist c JOIN inspection_round r ON r.id = c.round "
        "WHERE c.id = {}",
        checklist_id,
    ).run()
    if not rows:
        raise ChecklistNotFound(checklist_id)
    return rows[0]


async def _compare_and_set(checklist_id: int, expected: str, changes: dict[str, Any]) -> None:
    """Writes the new status only if the checklist still has the one this transition read."""
    changed = await Checklist.update(changes).where(
        (Checklist.id == checklist_id) & (Checklist.status == expected)
    ).returning(Checklist.id)
    if not changed:
        now = await _current(checklist_id)
        raise ReviewError(
            _("这份考核清单刚刚已被他人改为“{status}”，请刷新页面后再操作。").format(status=status_label(now["status"])),
            409,
        )


async def _unanswered(checklist_id: int) -> list[str]:
    rows = await Checklist.raw(
        "SELECT i.code FROM checklist_answer a JOIN indicator i ON i.id = a.indicator "
        "WHERE a.checklist = {} AND a.value IS NULL ORDER BY i.position, i.id",
        checklist_id,
    ).run()
    return [row["code"] for row in rows]


def unanswered_message(codes: list[str]) -> str:
    return _("还有 {n} 项未填写（{codes}），全部填写后才能提交。").format(n=len(codes), codes=_("、").join(codes))


def _refuse_status(action: str, status: str) -> ReviewError:
    label = status_label(status)
    messages = {
        "submit": _("这份考核清单{status}，不能再提交。"),
        "return": _("只有已提交的考核清单可以退回（现在：{status}）。"),
        "approve": _("只有已提交的考核清单可以审核通过（现在：{status}）。"),
        "reopen": _("只有已通过的考核清单可以重新打开（现在：{status}）。"),
    }
    return ReviewError(messages[action].format(status=label), 409)


async def submit(account: SignedIn, checklist_id: int) -> None:
    """By a member of the checklist's team, while the round is open, once every item is answered."""
    page = await _visible(account, checklist_id)
    if not page.is_member:
        raise ReviewError(_("只有本考核组的成员可以提交这份考核清单。"), 403)
    async with write_transaction():
        current = await _current(checklist_id)
        if current["round_status"] != RoundStatus.open.value:
            raise ReviewError(_("本考核批次未开放填写，不能提交。"), 409)
        if current["status"] not in EDITABLE:
            raise _refuse_status("submit", current["status"])
        if is_postgres():
            # A save under way holds its answer row: wait for it, so that the count below sees its
            # value. Answers before the checklist row, the order every writer locks them in.
            await Checklist.raw("SELECT id FROM checklist_answer WHERE checklist = {} ORDER BY id FOR UPDATE",
                                checklist_id).run()
        await _compare_and_set(checklist_id, current["status"],
                               {Checklist.status: SUBMITTED, Checklist.submitted_at: clock.now()})
        missing = await _unanswered(checklist_id)
        if missing:
            raise ReviewError(unanswered_message(missing), 422, unanswered=missing)  # rolls the update back
        await audit.record(account.username, "checklist.submit", f"checklist:{checklist_id}",
                           {"status": current["status"]}, {"status": SUBMITTED})


async def _office_transition(account: SignedIn, checklist_id: int, action: str, expected: str, new_status: str,
                             comment: str | None = None, round_open: bool = False) -> None:
    if not account.may(Role.office):
        raise ReviewError(_("只有政务公开办可以审核考核清单。"), 403)
    await _visible(account, checklist_id)
    async with write_transaction():
        current = await _current(checklist_id)
        if current["status"] != expected:
            raise _refuse_status(action, current["status"])
        if round_open and current["round_status"] != RoundStatus.open.value:
            # Sent back to the team, it could not be edited: the team edits only while the round is open.
            raise ReviewError(_("本考核批次未开放填写，考核组无法修改，不能退回。"), 409)
        changes: dict[Any, Any] = {Checklist.status: new_status, Checklist.reviewed_at: clock.now(),
                                   Checklist.reviewed_by: account.id}
        if comment is not None:
            changes[Checklist.review_comment] = comment
        await _compare_and_set(checklist_id, expected, changes)
        new: dict[str, Any] = {"status": new_status}
        if comment is not None:
            new["reason" if action == "reopen" else "comment"] = comment
        await audit.record(account.username, f"checklist.{action}", f"checklist:{checklist_id}",
                           {"status": expected}, new)


async def return_to_team(account: SignedIn, checklist_id: int, comment: str | None) -> None:
    """Office, on a submitted checklist: back to the team with the comment, which they then edit."""
    text = _clean_comment(comment, _("请填写退回意见，说明需要考核组修改什么。"))
    await _office_transition(account, checklist_id, "return", SUBMITTED, RETURNED, text, round_open=True)


async def approve(account: SignedIn, checklist_id: int) -> None:
    """Office, on a submitted checklist: approved and locked."""
    await _office_transition(account, checklist_id, "approve", SUBMITTED, APPROVED)


async def reopen(account: SignedIn, checklist_id: int, reason: str | None) -> None:
    """Office only, on an approved checklist, with a reason: back to the team (the reason becomes
    the review comment they read). A published ranking is untouched until the office publishes anew."""
    text = _clean_comment(reason, _("请填写重新打开的原因。"))
    await _office_transition(account, checklist_id, "reopen", APPROVED, RETURNED, text, round_open=True)


@dataclass
class BulkApproval:
    approved: list[tuple[str, str]] = field(default_factory=list)  # (unit code, name)
    already: list[tuple[str, str]] = field(default_factory=list)
    incomplete: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, items unanswered)
    unknown: list[str] = field(default_factory=list)


async def approve_complete(actor: str, round_code: str, unit_codes: list[str] | None = None) -> BulkApproval:
    """Approves every complete checklist of a round (or of the named units), whatever its status
    short of approved: the command line's way for offices that scored on paper and entered the
    scores from a file, where nobody submits. Incomplete checklists are left and named."""
    result = BulkApproval()
    async with write_transaction():
        rows = await Checklist.raw(
            """
            SELECT c.id, c.status, d.code, d.name, r.status AS round_status,
                   (SELECT COUNT(*) FROM checklist_answer a WHERE a.checklist = c.id AND a.value IS NULL) AS missing
            FROM checklist c JOIN department d ON d.id = c.department JOIN inspection_round r ON r.id = c.round
            WHERE r.code = {}
            ORDER BY d.code
            """,
            round_code,
        ).run()
        if rows and rows[0]["round_status"] == RoundStatus.draft.value:
            raise ReviewError(_("考核批次尚未开始，没有可审核的考核清单。"), 409)
        by_code = {row["code"]: row for row in rows}
        result.unknown = [code for code in unit_codes or [] if code not in by_code]
        chosen = [by_code[code] for code in unit_codes if code in by_code] if unit_codes else rows
        now = clock.now()
        for row in chosen:
            unit = (row["code"], row["name"])
            if row["status"] == APPROVED:
                result.already.append(unit)
            elif int(row["missing"]):
                result.incomplete.append((*unit, int(row["missing"])))
            else:
                await _compare_and_set(row["id"], row["status"], {Checklist.status: APPROVED,
                                                                  Checklist.reviewed_at: now})
                await audit.record(actor, "checklist.approve", f"checklist:{row['id']}", {"status": row["status"]},
                                   {"status": APPROVED})
                result.approved.append(unit)
    return result


# The office's queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Awaiting:
    id: int
    round_code: str
    round_name: str
    department_code: str
    department_name: str
    team_name: str
    submitted_at: dt.datetime | None


@dataclass
class RoundSummary:
    code: str
    name: str
    deadline: dt.date
    counts: dict[str, int] = field(default_factory=dict)  # status → checklists

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ReviewQueue:
    awaiting: list[Awaiting]
    rounds: list[RoundSummary]


async def review_queue() -> ReviewQueue:
    """Submitted checklists of open rounds, oldest submission first, and every open round's
    checklists counted by status: two queries."""
    awaiting = await Checklist.raw(
        """
        SELECT c.id, r.code AS round_code, r.name AS round_name, d.code AS department_code,
               d.name AS department_name, t.name AS team_name, c.submitted_at
        FROM checklist c
        JOIN inspection_round r ON r.id = c.round
        JOIN department d ON d.id = c.department
        LEFT JOIN team t ON t.id = c.team
        WHERE r.status = {} AND c.status = {}
        ORDER BY c.submitted_at, c.id
        """,
        RoundStatus.open.value,
        SUBMITTED,
    ).run()
    counts = await Checklist.raw(
        """
        SELECT r.code, r.name, r.deadline, c.status, COUNT(c.id) AS n
        FROM inspection_round r LEFT JOIN checklist c ON c.round = r.id
        WHERE r.status = {}
        GROUP BY r.code, r.name, r.deadline, c.status
        ORDER BY r.deadline, r.code
        """,
        RoundStatus.open.value,
    ).run()
    rounds: dict[str, RoundSummary] = {}
    for row in counts:
        summary = rounds.setdefault(row["code"], RoundSummary(row["code"], row["name"], row["deadline"],
                                                              dict.fromkeys(CHECKLIST_STATUS_LABELS, 0)))
        if row["status"]:
            summary.counts[row["status"]] = int(row["n"])
    return ReviewQueue(
        awaiting=[Awaiting(**{**row, "team_name": row["team_name"] or ""}) for row in awaiting],
        rounds=list(rounds.values()),
    )
