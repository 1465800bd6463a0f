"""Invitation codes of a survey answered by invitation only: issued by the office, exported as
xlsx and printed as slips, as the rating panel's codes are (PRODUCT.md §2)."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from evaluation.core import audit, clock, limits, spreadsheets
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.core.one_time_codes import display, new_code, normalize
from evaluation.core.spreadsheets import Download
from evaluation.surveys.tables import SurveyCode, SurveyResponse
from settings import settings

MAX_BATCH = 2000
# A brake on guessing per address (evaluation/core/limits.py); a right code gives its try back.
TRY_WINDOW_SECONDS = 600


class InvitationError(ValueError):
    """A refusal with a message fit to show the user."""


async def issue(actor: str, survey: dict[str, Any], size: int) -> int:
    if not 1 <= size <= MAX_BATCH:
        raise InvitationError(_("每批数量必须在 1 到 2000 之间。"))
    async with write_transaction():
        last = await SurveyCode.select(SurveyCode.serial).where(SurveyCode.survey == survey["id"]).order_by(
            SurveyCode.serial, ascending=False).first()
        start = (last["serial"] if last else 0) + 1
        now = clock.now()
        codes = [SurveyCode(survey=survey["id"], serial=serial, code=new_code(), created_at=now)
                 for serial in range(start, start + size)]
        for first in range(0, len(codes), 500):
            await SurveyCode.insert(*codes[first : first + 500])
        await audit.record(actor, "survey.codes", f"survey:{survey['code']}", new={"size": size, "from": start})
    return size


async def codes(survey_id: int) -> list[dict[str, Any]]:
    """Every code of the survey, as printed, and whether it has answered."""
    rows = await SurveyCode.select(SurveyCode.id, SurveyCode.serial, SurveyCode.code).where(
        SurveyCode.survey == survey_id).order_by(SurveyCode.serial)
    used = {row["code"] for row in await SurveyResponse.select(SurveyResponse.code).where(
        (SurveyResponse.survey == survey_id) & SurveyResponse.code.is_not_null())}
    return [{"serial": row["serial"], "code": display(row["code"]), "used": row["id"] in used} for row in rows]


async def enter(survey_id: int, text: str, address: str) -> dict[str, Any] | None:
    """The code a person typed (or their browser remembers), if it is one of this survey's; every
    try counts against the brake, so guessing stops (InvitationError says when to try again)."""
    code = normalize(text)
    if not code:
        return None
    braked = await limits.hit("survey-code", address, settings.panel_code_tries, TRY_WINDOW_SECONDS)
    if not braked.allowed:
        raise InvitationError(_("这个网络地址输错邀请码的次数过多，请 {minutes} 分钟后再试。").format(
            minutes=-(-braked.retry_after // 60)))
    row = await SurveyCode.select(SurveyCode.id, SurveyCode.code).where(
        (SurveyCode.survey == survey_id) & (SurveyCode.code == code)).first()
    if row is not None:
        await limits.give_back("survey-code", address, TRY_WINDOW_SECONDS)
    return row


def codes_workbook(survey: dict[str, Any], rows: list[dict[str, Any]], entry_url: str) -> Download:
    """One row per code: serial, code as printed, the survey, the link that opens it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("邀请码"))
    spreadsheets.start_table(sheet, [_("序号"), _("邀请码"), _("调查"), _("已答卷"), _("调查地址")],
                             [8, 24, 30, 10, 60])
    for row in rows:
        sheet.append([spreadsheets.number_cell(sheet, row["serial"]), spreadsheets.text_cell(sheet, row["code"]),
                      spreadsheets.text_cell(sheet, survey["title"]),
                      spreadsheets.text_cell(sheet, _("是") if row["used"] else _("否")),
                      spreadsheets.text_cell(sheet, f"{entry_url}?invitation={row['code']}")])
    return Download(filename=f"{survey['title']}-{_('邀请码')}.xlsx", fallback=f"survey-codes-{survey['id']}.xlsx",
                    content=spreadsheets.save(workbook))
