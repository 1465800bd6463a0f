"""What moves a survey in and out, for the office's pages and the command line alike: an XLSForm
imported as a new survey (whole or not at all), a survey exported as XLSForm, its responses as
xlsx or CSV (issue 19)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from evaluation.core import clock
from evaluation.core.i18n import _
from evaluation.core.spreadsheets import Download, SpreadsheetError
from evaluation.surveys import exports, forms
from evaluation.surveys.definition import SurveyForm, SurveySettings
from evaluation.surveys.xlsform import XLSFormError, read_xlsform, write_xlsform

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


class ExchangeRefused(Exception):
    """Why a file was not imported, each reason a line in the user's language; nothing was stored."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("\n".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Imported:
    survey_id: int
    form: SurveyForm
    notices: tuple[str, ...]


def opening_times(opens_on: dt.date | None, closes_on: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A survey runs from 00:00 of its opening day to 24:00 of its closing day, Beijing time
    (PRODUCT.md, Settled questions: dates)."""
    opens_at = dt.datetime.combine(opens_on, dt.time(0), clock.SHANGHAI) if opens_on else None
    closes_at = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(0), clock.SHANGHAI) if closes_on else None
    return opens_at, closes_at


async def import_survey(filename: str, content: bytes, code: str, opens_on: dt.date | None,
                        closes_on: dt.date | None, actor: str) -> Imported:
    """A new survey from an XLSForm file, under ``code``. Raises ``ExchangeRefused`` naming every
    problem; then nothing is stored."""
    code = code.strip()
    reasons = []
    if not CODE_PATTERN.match(code):
        reasons.append(_("调查代码须为 1–32 个字母、数字、连字符或下划线，例如 2026-my。"))
    elif await forms.find_survey(code) is not None:
        reasons.append(_("调查代码 {code} 已被使用。").format(code=code))
    if opens_on and closes_on and closes_on < opens_on:
        reasons.append(_("结束日期不能早于开始日期。"))
    opens_at, closes_at = opening_times(opens_on, closes_on)
    try:
        imported = read_xlsform(filename, content,
                                SurveySettings(code=code, title="", opens_at=opens_at, closes_at=closes_at))
    except XLSFormError as refusal:
        reasons.extend(refusal.reasons)
    except SpreadsheetError as refusal:
        reasons.append(str(refusal))
    if reasons:
        raise ExchangeRefused(reasons)
    try:
        survey_id = await forms.store_definition(imported.form, actor)
    except forms.DefinitionRefused as refusal:
        raise ExchangeRefused([str(refusal)]) from refusal
    return Imported(survey_id, imported.form, imported.notices)


async def xlsform_download(survey_id: int) -> Download | None:
    form = await forms.load_definition(survey_id)
    if form is None:
        return None
    code = form.settings.code
    return Download(filename=f"{code}-XLSForm.xlsx", fallback=f"{code}-xlsform.xlsx", content=write_xlsform(form))


async def responses_download(survey_id: int, kind: str) -> Download | None:
    """The responses as ``xlsx`` (summary, raw data, codebook) or ``csv`` (the raw data)."""
    form = await forms.load_definition(survey_id)
    if form is None:
        return None
    if kind == "csv":
        return exports.responses_csv_download(form, survey_id)
    return await exports.responses_workbook(form, survey_id)
