"""Downloads of a ranking: the draft's workbook for the office and the auditors, a published
version's workbook for anyone (it is part of the 通报), and the individual ratings behind the
round's indexes for the office only."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream

from evaluation.core import spreadsheets
from evaluation.core.web import PUBLIC, current_account, office, office_or_auditor
from evaluation.ratings.exports import Download
from inspections.rankings import exports


def _workbook(download: Download | None) -> Stream:
    if download is None:
        raise NotFoundException()
    disposition = spreadsheets.content_disposition(download.filename, download.fallback)
    return Stream(spreadsheets.chunks(download.file), media_type=spreadsheets.XLSX_MEDIA_TYPE,
                  headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@get("/staff/rounds/{code:str}/ranking/ranking.xlsx", guards=[office_or_auditor], name="ranking-draft-xlsx")
async def draft_xlsx(request: Request, code: FromPath[str]) -> Stream:
    return _workbook(await exports.draft_workbook(code, current_account(request).username))


@get("/rankings/{code:str}/{version:int}/ranking.xlsx", opt=PUBLIC, name="ranking-xlsx")
async def published_xlsx(code: FromPath[str], version: FromPath[int]) -> Stream:
    return _workbook(await exports.published_workbook(code, version))


@get("/staff/rounds/{code:str}/ranking/ratings.csv", guards=[office], name="ranking-ratings-csv")
async def ratings_csv(code: FromPath[str]) -> Stream:
    export = await exports.ratings_csv(code)
    if export is None:
        raise NotFoundException()
    return Stream(export.chunks, media_type="text/csv",
                  headers={"Content-Disposition": spreadsheets.content_disposition(export.filename, export.fallback),
                           "Cache-Control": "no-store"})


ROUTES = [draft_xlsx, published_xlsx, ratings_csv]
