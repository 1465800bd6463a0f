"""The rules every checklist path shares: who may see and change a checklist, why one is locked,
and what an answer may be. No database here: the page, the save path, the evidence uploads and
the score import all decide with these.

Visibility (PRODUCT.md, Settled questions): office and auditor see every checklist; an inspector
sees only the checklists of teams they belong to (any other is "not found", never "forbidden");
liaisons see none. Only members of the checklist's team change answers, and only while the round
is open and the checklist is not started, in progress or returned.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from evaluation.core.accounts import SignedIn
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from inspections.checklists.scoring import as_decimal, format_points
from inspections.tables import EDITABLE_STATUSES, ChecklistStatus, RoundStatus

SAVE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_NOTE_LENGTH = 2000
MAX_OCCURRENCES = 999
EDITABLE = {status.value for status in EDITABLE_STATUSES}


class AnswerError(ValueError):
    """A value or note that cannot be saved, with a message fit to show the inspector."""


def may_see_every_checklist(account: SignedIn) -> bool:
    return account.may(Role.office, Role.auditor)


def is_editable(round_status: str, status: str, is_member: bool) -> bool:
    return is_member and round_status == RoundStatus.open.value and status in EDITABLE


def locked_message(round_status: str, status: str, is_member: bool) -> str:
    """Why a checklist cannot be changed now, in the words the inspector reads."""
    if not is_member:
        return _("只有本考核组的成员可以修改这份考核清单。")
    if round_status != RoundStatus.open.value:
        return _("本考核批次未开放填写，答案不能修改。")
    if status == ChecklistStatus.submitted.value:
        return _("这份考核清单已提交审核，答案不能修改。")
    if status == ChecklistStatus.approved.value:
        return _("这份考核清单已审核通过并锁定，答案不能修改。")
    return _("这份考核清单现在不能修改。")


def parse_value(kind: str, max_points: Decimal, step: Decimal, text: str) -> Decimal | None:
    """The value an inspector typed, checked against the item's kind and, for points, the
    system's point step (PRODUCT.md §4); "" means unanswered."""
    text = (text or "").strip().replace("，", ".").replace("．", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is not None and not value.is_finite():
        value = None  # NaN and Infinity compare oddly (sNaN raises): refuse them like any other text
    if kind == "veto":
        if value is None or value not in (0, 1):
            raise AnswerError(_("单项否决只能填 1（触发）或 0（未触发）。"))
        return Decimal(int(value))
    if kind == "deduct":
        if value is None or value != value.to_integral_value() or not (
            0 <= value <= MAX_OCCURRENCES
        ):
            raise AnswerError(_("扣分次数须为 0 到 {most} 之间的整数。").format(most=MAX_OCCURRENCES))
        return Decimal(int(value))
    if value is None or not (0 <= value <= max_points) or value % step != 0:
        raise AnswerError(_("得分须在 0 到 {most} 分之间，以 {step} 分为单位。").format(
            most=format_points(as_decimal(max_points)), step=format_points(as_decimal(step))))
    return value.quantize(Decimal("0.1"))


def parse_note(text: str | None) -> str:
    note = (text or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise AnswerError(_("备注不能超过 {most} 个字。").format(most=MAX_NOTE_LENGTH))
    return note


def value_text(value: Any) -> str | None:
    """An answer's value as the page and the audit trail show it ("1.5", or None)."""
    return format_points(as_decimal(value))


def answer_audit(value: Any, note: str | None) -> dict[str, Any]:
    """An answer as the audit trail records it (old and new side of "checklist.answer")."""
    return {"value": value_text(value), "note": note or ""}
