"""The office moves surveys in and out (issue 19): an XLSForm uploaded as a new survey, a survey
downloaded as XLSForm, its responses as xlsx or CSV."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream, Template

from evaluation.core.form_values import parse_date
from evaluation.core.i18n import _
from evaluation.core.spreadsheets import MAX_UPLOAD_BYTES
from evaluation.core.web import current_account, download, office, office_or_auditor, page, read_upload
from evaluation.surveys import exchange

IMPORT_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024  # the file and the few fields beside it


def _import_page(values: dict[str, str] | None = None, reasons: list[str] | None = None,
                 imported: exchange.Imported | None = None, status_code: int = 200) -> Template:
    return page("surveys/exchange/import.html", status_code=status_code, values=values or {},
                reasons=reasons or [], imported=imported)


@get("/staff/surveys/import", guards=[office], name="surveys-import-form")
async def import_form() -> Template:
    return _import_page()


@post("/staff/surveys/import", guards=[office], name="surveys-import", request_max_body_size=IMPORT_BODY_BYTES)
async def import_survey(request: Request) -> Template:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("code", "opens", "closes")}
    upload = await read_upload(form)
    reasons = []
    dates: dict[str, Any] = {}
    for name, label in (("opens", _("开始日期")), ("closes", _("结束日期"))):
        dates[name] = parse_date(values[name]) if values[name] else None
        if values[name] and dates[name] is None:
            reasons.append(_("{field}须为日期，例如 2026-12-31。").format(field=label))
    if upload is None:
        reasons.append(_("请选择一个 XLSForm 文件（xlsx）。"))
    if reasons:
        return _import_page(values, reasons, status_code=422)
    try:
        imported = await exchange.import_survey(upload.filename, upload.content, values["code"], dates["opens"],
                                                dates["closes"], current_account(request).username)
    except exchange.ExchangeRefused as refusal:
        return _import_page(values, refusal.reasons, status_code=422)
    return _import_page(imported=imported)


def _found(file: Any) -> Stream:
    if file is None:
        raise NotFoundException()
    return download(file)


@get("/staff/surveys/{survey_id:int}/xlsform.xlsx", guards=[office_or_auditor], name="surveys-xlsform")
async def xlsform_xlsx(survey_id: FromPath[int]) -> Stream:
    return _found(await exchange.xlsform_download(survey_id))


@get("/staff/surveys/{survey_id:int}/responses.xlsx", guards=[office_or_auditor], name="surveys-responses-xlsx")
async def responses_xlsx(survey_id: FromPath[int]) -> Stream:
    return _found(await exchange.responses_download(survey_id, "xlsx"))


@get("/staff/surveys/{survey_id:int}/responses.csv", guards=[office_or_auditor], name="surveys-responses-csv")
async def responses_csv(survey_id: FromPath[int]) -> Stream:
    return _found(await exchange.responses_download(survey_id, "csv"))


ROUTES = [import_form, import_survey, xlsform_xlsx, responses_xlsx, responses_csv]
