"""Downloads of a ranking: the draft's workbook for the office and the auditors, a published
version's workbook for anyone (it is part of the 通报), and the individual ratings behind the
round's indexes for the office only."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from evaluation.core.spreadsheets import Download
from evaluation.core.web import PUBLIC, current_account, download, office, office_or_auditor
from inspections.rankings import exports


def _found(file: Download | None) -> Response[Any]:
    if file is None:
        raise NotFoundException()
    return download(file)


@get("/staff/rounds/{code:str}/ranking/ranking.xlsx", guards=[office_or_auditor], name="ranking-draft-xlsx")
async def draft_xlsx(request: Request, code: FromPath[str]) -> Response[Any]:
    return _found(await exports.draft_workbook(code, current_account(request).username))


@get("/rankings/{code:str}/{version:int}/ranking.xlsx", opt=PUBLIC, name="ranking-xlsx")
async def published_xlsx(code: FromPath[str], version: FromPath[int]) -> Response[Any]:
    return _found(await exports.published_workbook(code, version))


@get("/staff/rounds/{code:str}/ranking/ratings.csv", guards=[office], name="ranking-ratings-csv")
async def ratings_csv(code: FromPath[str]) -> Response[Any]:
    return _found(await exports.ratings_csv(code))


ROUTES = [draft_xlsx, published_xlsx, ratings_csv]
