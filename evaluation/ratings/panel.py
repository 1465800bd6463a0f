"""Invited panel members (人大代表, 政协委员, 企业代表 …): batches of one-time codes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import segno
from openpyxl import Workbook

from evaluation.core import audit, clock, limits, spreadsheets
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.core.one_time_codes import ALPHABET, CODE_LENGTH, display, new_code, normalize
from evaluation.core.spreadsheets import Download
from evaluation.core.tables import Account
from evaluation.ratings import periods
from evaluation.ratings.periods import Period
from evaluation.ratings.tables import PanelBatch, PanelCode, Rating
from settings import settings

MAX_BATCH = 2000
_WELL_FORMED = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


# A brake on guessing (evaluation/core/limits.py), per address: only a well-formed code that is
# wrong counts (a typo that leaves a letter out or types an O for a 0 cannot be a guess), a code
# that is right gives its try back. With 16 characters from 31 (log2(31^16) ≈ 79.3 bits) and a
# few thousand codes issued, guessing one at the default 100 tries per 10 minutes would take
# ~10^17 years, so the limit can be generous enough for a meeting room behind one address.
TRY_WINDOW_SECONDS = 600


class PanelError(ValueError):
    """A refusal with a message fit to show the user."""


class TooManyTries(PanelError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(_("这个网络地址输错评议码的次数过多，请 {minutes} 分钟后再试。").format(
            minutes=-(-retry_after // 60)))
        self.retry_after = retry_after


async def _tried(address: str) -> None:
    """One try of a code from this address, refused while the address is over its tries."""
    braked = await limits.hit("panel-code", address, settings.panel_code_tries, TRY_WINDOW_SECONDS)
    if not braked.allowed:
        raise TooManyTries(braked.retry_after)


async def _right(address: str) -> None:
    await limits.give_back("panel-code", address, TRY_WINDOW_SECONDS)


async def code_of_period(period: Period, text: str, address: str) -> dict[str, Any] | None:
    """The panel code a browser presents (its cookie) if it exists and belongs to this period;
    every way a code is presented counts against the guessing brake (TooManyTries)."""
    code = normalize(text)
    if not _WELL_FORMED.match(code):
        return None
    await _tried(address)
    row = await PanelCode.select(PanelCode.id, PanelCode.code, PanelCode.batch.period, PanelCode.batch.label).where(
        PanelCode.code == code
    ).first()
    if row is None or row["batch.period"] != period.id:
        return None
    await _right(address)
    return row


def filled_in_url(entry_url: str, code: str) -> str:
    """The entry page's address with the code filled in (``/panel?code=…``)."""
    return f"{entry_url}?code={display(code)}"


def slips(rows: list[dict[str, Any]], entry_url: str) -> list[dict[str, Any]]:
    """Each code as printed on its slip, with a QR code (inline SVG, no script, no request) of its
    address with the code filled in: a phone's camera opens the form ready to send."""
    return [{"serial": row["serial"], "code": display(row["code"]),
             "qr": segno.make(filled_in_url(entry_url, row["code"]), error="m").svg_inline(
                 omitsize=True, title=display(row["code"]))}
            for row in rows]


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




@dataclass(frozen=True)
class Member:
    """A panel member who entered a valid code of the open period."""

    code_id: int
    code: str
    label: str
    period: Period


async def enter(text: str, address: str) -> Member:
    """The member behind a typed (or remembered) code, or a refusal that says why."""
    if not _WELL_FORMED.match(normalize(text)):
        raise PanelError(_("评议码是 16 位字母和数字（不含 0、O、1、I、L），请核对后重新输入。"))
    await _tried(address)
    member = await _member(text)
    await _right(address)
    return member


async def _member(text: str) -> Member:
    code = normalize(text)
    if not _WELL_FORMED.match(code):
        raise PanelError(_("评议码无效，请核对后重新输入。"))
    row = await (
        PanelCode.select(PanelCode.id, PanelCode.code, PanelCode.batch.label, PanelCode.batch.period.code)
        .where(PanelCode.code == code)
        .first()
    )
    if row is None:
        raise PanelError(_("评议码无效，请核对后重新输入。"))
    period = await periods.find(row["batch.period.code"])
    assert period is not None  # the batch's foreign key restricts deleting its period
    today = periods.today()
    if period.closes_on < today:
        raise PanelError(_("该评议码所属的评议已结束。"))
    if period.opens_on > today:
        raise PanelError(_("该评议码所属的评议尚未开始，将于 {date} 开始。").format(date=period.opens_on.isoformat()))
    current = await periods.current_period()
    # Ratings go to the current period (routes/ratings.py); a code of another period that
    # overlaps it could not be used there.
    if current is None or current.id != period.id:
        raise PanelError(_("该评议码所属的评议当前不在进行中。"))
    return Member(code_id=row["id"], code=row["code"], label=row["batch.label"], period=period)


def seconds_until_close(period: Period) -> int:
    """A period runs to 24:00 of its close date, Asia/Shanghai (PRODUCT.md, Dates)."""
    end = dt.datetime.combine(period.closes_on + dt.timedelta(days=1), dt.time(0), tzinfo=clock.SHANGHAI)
    return max(0, int((end - clock.now()).total_seconds()))


async def rated_departments(code_id: int) -> set[str]:
    """Codes of the departments this panel code has rated."""
    rows = await Rating.select(Rating.department.code).where(Rating.panel_code == code_id)
    return {row["department.code"] for row in rows}


@dataclass
class BatchForm:
    period: str = ""
    label: str = ""
    size: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self, known_periods: list[Period]) -> Period | None:
        self.label = self.label.strip()
        chosen = next((p for p in known_periods if p.code == self.period), None)
        if chosen is None:
            self.errors["period"] = _("请选择评议期。")
        if not self.label or len(self.label) > 50:
            self.errors["label"] = _("请填写代表类别（不超过 50 个字符），例如“人大代表”。")
        size = int(self.size) if self.size.strip().isdigit() else 0
        if not 1 <= size <= MAX_BATCH:
            self.errors["size"] = _("每批数量必须在 1 到 2000 之间。")
        return None if self.errors else chosen

    @property
    def size_number(self) -> int:
        return int(self.size)


async def overview() -> list[dict[str, Any]]:
    """Every period, newest first, with its batches and how many of each batch's codes rated."""
    rows = await PanelBatch.select(
        *PanelBatch.all_columns(), PanelBatch.created_by.display_name, PanelBatch.created_by.username
    ).order_by(PanelBatch.id)
    used = await PanelCode.raw(
        "SELECT panel_code.batch AS batch_id, COUNT(DISTINCT rating.panel_code) AS used"
        " FROM rating JOIN panel_code ON panel_code.id = rating.panel_code GROUP BY panel_code.batch"
    )
    used_by_batch = {row["batch_id"]: int(row["used"]) for row in used}
    result = []
    for period in await periods.all_periods():
        batches_of_period = [
            {**row, "used": used_by_batch.get(row["id"], 0),
             "created_by_name": row["created_by.display_name"] or row["created_by.username"] or ""}
            for row in rows if row["period"] == period.id
        ]
        result.append({"period": period, "batches": batches_of_period})
    return result


async def batch(batch_id: int) -> dict[str, Any] | None:
    return await PanelBatch.select(
        *PanelBatch.all_columns(), PanelBatch.period.code, PanelBatch.period.name
    ).where(PanelBatch.id == batch_id).first()


def codes_workbook(found: dict[str, Any], rows: list[dict[str, Any]], entry_url: str) -> Download:
    """One row per code: serial, code as printed, label, period, the link that fills it in. The
    label is typed by the office: a text cell, never a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("评议码"))
    spreadsheets.start_table(sheet, [_("序号"), _("评议码"), _("代表类别"), _("评议期"), _("评议地址")],
                             [8, 24, 16, 24, 60])
    for row in rows:
        shown = display(row["code"])
        sheet.append([spreadsheets.number_cell(sheet, row["serial"]), spreadsheets.text_cell(sheet, shown),
                      spreadsheets.text_cell(sheet, found["label"]),
                      spreadsheets.text_cell(sheet, found["period.name"]),
                      spreadsheets.text_cell(sheet, filled_in_url(entry_url, row["code"]))])
    return Download(filename=f"{found['period.name']}-{found['label']}-{_('评议码')}.xlsx",
                    fallback=f"panel-codes-{found['id']}.xlsx", content=spreadsheets.save(workbook))
