"""The office's list of reasons for a negative rating (信息未公开, 内容过时 … 其他): a reason
chosen from it is required for 不满意 or worse, and 其他 asks for text (PRODUCT.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluation.core import audit, cache
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _, active_language
from evaluation.ratings.tables import ReasonChoice

DEFAULT_REASONS = [("信息未公开", "Not published", False), ("内容过时", "Out of date", False),
                   ("内容不完整", "Incomplete", False), ("难以查找", "Hard to find", False),
                   ("其他", "Other", True)]


def shown_label(label: str | None, label_en: str | None) -> str:
    """A reason as the reader's language names it: the office's English name in English mode,
    the Chinese one when the office has not given an English name (or in Chinese mode)."""
    if active_language() == "en" and label_en:
        return label_en
    return label or ""


async def ensure_default_reasons(actor: str) -> None:
    if await ReasonChoice.exists():
        return
    for position, (label, label_en, requires_text) in enumerate(DEFAULT_REASONS, start=1):
        await ReasonChoice.insert(ReasonChoice(label=label, label_en=label_en, requires_text=requires_text,
                                               position=position))
    await audit.record(actor, "reasons.create", "reasons", new=[label for label, *_rest in DEFAULT_REASONS])

@cache.cached
async def reasons(active_only: bool = True) -> list[dict[str, Any]]:
    query = ReasonChoice.select().order_by(ReasonChoice.position).order_by(ReasonChoice.id)
    if active_only:
        query = query.where(ReasonChoice.active.eq(True))
    return await query

MAX_REASON_LABEL = 50  # ReasonChoice.label is Varchar(50)

class ReasonError(ValueError):
    """A refusal with a message fit to show the office."""


class ReasonNotFound(ReasonError):
    pass

@dataclass
class ReasonForm:
    label: str = ""
    requires_text: bool = False
    label_en: str | None = ""  # optional: empty shows the Chinese name in English mode; None: unchanged
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        self.label = self.label.strip()
        if self.label_en is not None:
            self.label_en = " ".join(self.label_en.split())
        if not self.label or len(self.label) > MAX_REASON_LABEL:
            self.errors["label"] = _("请填写原因名称（不超过 50 个字）。")
        if len(self.label_en or "") > MAX_REASON_LABEL:
            self.errors["label_en"] = _("英文名称不能超过 50 个字符。")
        return not self.errors

def _reason_view(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("label", "label_en", "requires_text", "position", "active")}

async def _reason_row(reason_id: int) -> dict[str, Any]:
    row = await ReasonChoice.select().where(ReasonChoice.id == reason_id).first()
    if row is None:
        raise ReasonNotFound(_("找不到该原因。"))
    return row

async def _label_taken(form: ReasonForm, except_id: int | None = None) -> bool:
    query = ReasonChoice.exists().where(ReasonChoice.label == form.label)
    if except_id is not None:
        query = query.where(ReasonChoice.id != except_id)
    if await query:
        form.errors["label"] = _("已有名为“{label}”的原因。").format(label=form.label)
        return True
    return False

async def _change_reason(actor: str, row: dict[str, Any], changes: dict[str, Any]) -> None:
    """Saves what differs and audits it as old/new; call inside the write transaction."""
    changes = {key: value for key, value in changes.items() if row[key] != value}
    if not changes:
        return
    await ReasonChoice.update(changes).where(ReasonChoice.id == row["id"])
    await audit.record(actor, "reasons.update", f"reason:{row['id']}",
                       old={key: row[key] for key in changes}, new=changes)

async def add_reason(actor: str, form: ReasonForm) -> bool:
    """A new reason, active, at the end of the list."""
    if not form.validate():
        return False
    async with write_transaction():
        if await _label_taken(form):
            return False
        last = await ReasonChoice.select(ReasonChoice.position).order_by(ReasonChoice.position, ascending=False).first()
        row = {"label": form.label, "label_en": form.label_en or "", "requires_text": form.requires_text,
               "position": (last["position"] if last else 0) + 1, "active": True}
        inserted = await ReasonChoice.insert(ReasonChoice(**row)).returning(ReasonChoice.id)
        await audit.record(actor, "reasons.add", f"reason:{inserted[0]['id']}", new=row)
    return True

async def update_reason(actor: str, reason_id: int, form: ReasonForm) -> bool:
    """Renames a reason or changes whether it needs text. Old ratings show the new name."""
    if not form.validate():
        return False
    async with write_transaction():
        row = await _reason_row(reason_id)
        if await _label_taken(form, except_id=reason_id):
            return False
        label_en = row["label_en"] if form.label_en is None else form.label_en
        await _change_reason(actor, row, {"label": form.label, "label_en": label_en,
                                          "requires_text": form.requires_text})
    return True

async def set_reason_active(actor: str, reason_id: int, active: bool) -> None:
    async with write_transaction():
        row = await _reason_row(reason_id)
        if not active and row["active"]:
            others = await ReasonChoice.count().where(ReasonChoice.active.eq(True), ReasonChoice.id != reason_id)
            if others == 0:
                # Without an active reason nobody could submit an unsatisfied rating.
                raise ReasonError(_("至少要保留一个启用的原因，否则公众无法提交“不满意”评价。"))
        await _change_reason(actor, row, {"active": active})

async def move_reason(actor: str, reason_id: int, direction: str) -> None:
    """One place up or down the list, among all reasons (active or not)."""
    async with write_transaction():
        await _reason_row(reason_id)
        rows = await ReasonChoice.select().order_by(ReasonChoice.position).order_by(ReasonChoice.id)
        index = next(i for i, row in enumerate(rows) if row["id"] == reason_id)
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down") or not 0 <= other < len(rows):
            return
        order = list(rows)
        order[index], order[other] = order[other], order[index]
        # Renumbered 1..n, which also mends positions left equal by hand-made rows.
        for position, row in enumerate(order, start=1):
            await _change_reason(actor, row, {"position": position})
