"""The public notifications (通报): every published ranking, each version at its own address,
the drill-down of a unit's published figures, and the open data of a version."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from evaluation.core import spreadsheets
from evaluation.core.web import PUBLIC, current_account, page
from inspections.rankings import pages

OPEN_DATA_HEADERS = {"Access-Control-Allow-Origin": "*"}


@get("/rankings", opt=PUBLIC, name="notices")
async def list_notices() -> Template:
    return page("rankings/notices.html", notices=await pages.notices())


async def _notice_page(code: str, version: int | None, published: bool = False) -> Template:
    found = await pages.notice(code, version)
    if found is None:
        raise NotFoundException()
    return page("rankings/notice.html", notice=found, view=found.view, publication=found.publication,
                just_published=published)


@get("/rankings/{code:str}", opt=PUBLIC, name="notice-latest")
async def latest_notice(code: FromPath[str]) -> Template:
    return await _notice_page(code, None)


@get("/rankings/{code:str}/{version:int}", opt=PUBLIC, name="notice")
async def show_notice(code: FromPath[str], version: FromPath[int], published: FromQuery[bool] = False) -> Template:
    return await _notice_page(code, version, published)


@get("/rankings/{code:str}/{version:int}/units/{unit:str}", opt=PUBLIC, name="notice-unit")
async def notice_unit(request: Request, code: FromPath[str], version: FromPath[int], unit: FromPath[str]) -> Template:
    trace = await pages.published_trace(code, version, unit, current_account(request))
    if trace is None:
        raise NotFoundException()
    return page("rankings/unit.html", trace=trace, view=trace.view, unit=trace.unit)


@get("/open-data/rankings/{code:str}/{version:int}/ranking.json", opt=PUBLIC, name="notice-json")
async def notice_json(code: FromPath[str], version: FromPath[int]) -> Response:
    """The stored canonical bytes themselves: their SHA-256 is the checksum on the notification."""
    found = await pages.notice(code, version)
    if found is None:
        raise NotFoundException()
    return Response(found.publication.payload_bytes, media_type="application/json", headers=OPEN_DATA_HEADERS)


@get("/open-data/rankings/{code:str}/{version:int}/ranking.csv", opt=PUBLIC, name="notice-csv")
async def notice_csv(code: FromPath[str], version: FromPath[int]) -> Response:
    found = await pages.notice(code, version)
    if found is None:
        raise NotFoundException()
    return Response(found.view.csv_text(), media_type=spreadsheets.CSV_MEDIA_TYPE,
                    headers={**OPEN_DATA_HEADERS,
                             "Content-Disposition": f'inline; filename="{code}-v{version}-ranking.csv"'})


ROUTES = [list_notices, latest_notice, show_notice, notice_unit, notice_json, notice_csv]
