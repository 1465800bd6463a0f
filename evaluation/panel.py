"""Invited panel members (人大代表, 政协委员, 企业代表 …): batches of one-time codes."""

from __future__ import annotations

import secrets
from typing import Any

from evaluation import audit, clock
from evaluation.database import write_transaction
from evaluation.i18n import _
from evaluation.periods import Period
from evaluation.tables import Account, PanelBatch, PanelCode

# No 0/O, 1/I/L: codes are typed from paper by people of every age.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 31^16 ≈ 2^79: guessing is hopeless, and guesses are rate limited too
MAX_BATCH = 2000


class PanelError(ValueError):
    """A refusal with a message fit to show the user."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


async def create_batch(actor: str, period: Period, label: str, size: int) -> int:
    label = label.strip()
    if not label or len(label) > 50:
        raise PanelError(_("请填写代表类别（不超过 50 个字符），例如“人大代表”。"))
    if not 1 <= size <= MAX_BATCH:
        raise PanelError(_("每批数量必须在 1 到 2000 之间。"))
    account = await Account.select(Account.id).where(Account.username == actor).first()
    async with write_transaction():
        rows = await PanelBatch.insert(
            PanelBatch(period=period.id, label=label, size=size, created_by=account["id"] if account else None,
                       created_at=clock.now())
        ).returning(PanelBatch.id)
        batch_id = rows[0]["id"]
        codes = [PanelCode(batch=batch_id, serial=serial, code=new_code()) for serial in range(1, size + 1)]
        for start in range(0, len(codes), 500):
            await PanelCode.insert(*codes[start : start + 500])
        await audit.record(actor, "panel.batch", f"period:{period.code}", new={"label": label, "size": size})
    return batch_id


async def batches(period: Period) -> list[dict[str, Any]]:
    return await PanelBatch.select().where(PanelBatch.period == period.id).order_by(PanelBatch.id)


async def codes(batch_id: int) -> list[dict[str, Any]]:
    return await PanelCode.select().where(PanelCode.batch == batch_id).order_by(PanelCode.serial)
