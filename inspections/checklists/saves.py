"""The save of one checklist item from the page: idempotent by the page's save id, refused on a
stale version, committed before it is answered (the JSON contract is in the shared decisions:
200 saved, 409 conflict, 423 locked, 422 invalid, None → 404).

The page saves every change at once, so this is the hottest write of the app. Each save does
the least the contract allows: one read of the item's context (under a row lock on PostgreSQL),
then the writes (the answer, the checklist leaving "not started", the save id, the audit row)
and the checklist's progress; inspections/checklists/store.py does that on each engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evaluation.core import clock
from evaluation.core.accounts import SignedIn
from evaluation.core.database import is_postgres, is_unique_violation
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from inspections.checklists import scoring
from inspections.checklists.rules import AnswerError, locked_message, value_text
from inspections.checklists.scoring import ChecklistScore, as_decimal, format_points
from inspections.checklists.store import Stored, parsed, replay, store_sqlite
from inspections.checklists.store_postgres import store_postgres
from inspections.tables import CHECKLIST_STATUS_LABELS, ChecklistStatus


@dataclass(frozen=True)
class SaveOutcome:
    """The answer to one save: ``status`` is saved | conflict | locked | invalid; ``body`` is the
    JSON the page gets; ``indicator_code`` names the item card (#item-CODE)."""

    status: str
    body: dict[str, Any]
    indicator_code: str = ""

    @property
    def http_status(self) -> int:
        return {"saved": 200, "conflict": 409, "locked": 423, "invalid": 422}[self.status]


async def save(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str, base_version: Any,
               value_text: str, note: str) -> SaveOutcome | None:
    """One save from the checklist page; None when the checklist (or item) is not visible → 404.

    In one transaction: a known save id is answered with its first result and writes nothing;
    otherwise the answer row is locked (PostgreSQL ``FOR UPDATE``; SQLite's immediate transaction
    already admits one writer), then refused when the checklist is locked, the page's version is
    stale (the current answer and who gave it are returned) or the value is invalid."""
    if not account.may(Role.office, Role.auditor, Role.inspector):
        return None
    args = (account, checklist_id, indicator_id, save_id, base_version, value_text, note)
    try:
        if is_postgres():
            stored = await store_postgres(*args)
        else:
            stored = await store_sqlite(*args)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        # The same save id was stored by a transaction that ran alongside this one: its result stands.
        replayed = await replay(account, checklist_id, indicator_id, save_id)
        if replayed is None:
            raise
        stored = replayed
    return _outcome(stored, value_text, note, account)


# ---------------------------------------------------------------------------------------------
# Answering, in the caller's task (its language)


def _saved_body(row: dict[str, Any], version: int, value: Any, note: str, score: ChecklistScore,
                replayed: bool, account: SignedIn, at: Any) -> dict[str, Any]:
    value = as_decimal(value)
    points = scoring.item_points(row["kind"], as_decimal(row["max_points"]), as_decimal(row["per_occurrence"]), value)
    # A save starts a checklist that was not started (the page's header says so at once).
    status = ChecklistStatus.in_progress.value if row["status"] == ChecklistStatus.not_started.value else row["status"]
    return {
        "status": "saved", "version": version, "value": format_points(value), "note": note or "",
        "points": format_points(points), "answered": score.answered, "total": score.total,
        "inspection": format_points(score.inspection), "bonus": format_points(score.bonus), "veto": score.veto,
        "replayed": replayed, "by": account.display_name or account.username,
        "at": clock.local(at).strftime("%Y-%m-%d %H:%M") if at else "",
        "checklist_status": status, "checklist_status_label": _(CHECKLIST_STATUS_LABELS[status]),
    }


def _conflict_body(row: dict[str, Any]) -> dict[str, Any]:
    at = row["answered_at"]
    return {
        "status": "conflict", "version": row["version"], "value": value_text(row["value"]),
        "note": row["note"] or "", "by": row["display_name"] or row["username"] or "",
        "at": clock.local(at).strftime("%Y-%m-%d %H:%M") if at else "",
    }


def _outcome(stored: Stored, value_text: str, note: str, account: SignedIn) -> SaveOutcome | None:
    """The answer, made in the caller's task so its messages are in the caller's language."""
    if stored.step == "missing" or stored.row is None:
        return None
    row, code = stored.row, stored.row["code"]
    if stored.step == "bad_save_id":
        return SaveOutcome("invalid", {"status": "invalid", "message": _("保存编号无效，请刷新页面后重试。")}, code)
    if stored.step == "replayed":
        score = scoring.score(stored.progress or [])
        body = _saved_body(row, row["saved_version"], row["value"], row["note"], score, True, account,
                           row["answered_at"])
        return SaveOutcome("saved", body, code)
    if stored.step == "locked":
        message = locked_message(row["round_status"], row["status"], bool(row["is_member"]))
        return SaveOutcome("locked", {"status": "locked", "message": message}, code)
    if stored.step == "bad_base":
        return SaveOutcome("invalid", {"status": "invalid", "message": _("版本号无效，请刷新页面后重试。")}, code)
    if stored.step == "conflict":
        return SaveOutcome("conflict", _conflict_body(stored.current or row), code)
    if stored.step == "bad_value":
        try:
            parsed(row, value_text, note)  # again, here: the message in this request's language
        except AnswerError as error:
            return SaveOutcome("invalid", {"status": "invalid", "message": str(error)}, code)
        raise AssertionError("a value refused by the database side parsed here")
    if stored.step == "lost_lock":
        message = _("这份考核清单刚刚被提交或锁定，答案不能修改。")
        return SaveOutcome("locked", {"status": "locked", "message": message}, code)
    score = scoring.score(stored.progress or [])
    body = _saved_body(row, stored.version, stored.value, stored.note, score, False, account, stored.at)
    return SaveOutcome("saved", body, code)

