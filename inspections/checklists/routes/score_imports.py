"""The office uploads the scores of teams that scored on paper: one CSV or xlsx per round, checked
whole, then written a checklist at a time (inspections/checklists/score_imports.py)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from evaluation.core.i18n import _
from evaluation.core.web import current_account, office, page, read_upload
from inspections.checklists import score_imports
from inspections.checklists.score_imports import ScoresImportError, ScoresResult
from inspections.rounds import rounds
from inspections.rounds.rounds import ROUND_STATUS_LABELS, Round


async def _round(code: str) -> Round:
    found = await rounds.find(code)
    if found is None or found.code != code:
        raise NotFoundException()
    return found


def _page(found: Round, result: ScoresResult | None = None, error: str = "", status_code: int = 200) -> Template:
    return page("inspections/scores_import.html", status_code=status_code, round=found, result=result, error=error,
                round_status_labels=ROUND_STATUS_LABELS)


@get("/staff/rounds/{code:str}/scores", guards=[office], name="scores-import-form")
async def import_form(code: FromPath[str]) -> Template:
    return _page(await _round(code))


@post("/staff/rounds/{code:str}/scores", guards=[office], name="scores-import")
async def import_scores(request: Request, code: FromPath[str]) -> Template:
    found = await _round(code)
    form = await request.form()
    upload = await read_upload(form)
    if upload is None:
        return _page(found, error=_("请选择一个 CSV 或 xlsx 文件。"), status_code=422)
    account = current_account(request)
    try:
        result = await score_imports.import_scores(account.username, found, upload.filename, upload.content,
                                                   account_id=account.id)
    except ScoresImportError as refusal:
        return _page(found, error=str(refusal), status_code=422)
    return _page(found, result=result, status_code=422 if result.errors or result.stopped else 200)


ROUTES = [import_form, import_scores]
