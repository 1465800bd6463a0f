"""Public results: a department's page, the overview of a period, open data."""

from __future__ import annotations

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from evaluation.core import departments, spreadsheets
from evaluation.core.paging import page_of
from evaluation.core.web import PUBLIC, page
from evaluation.ratings import periods, ratings, results, scale
from evaluation.ratings.periods import Period


async def _period(reference: str) -> Period:
    period = await periods.find(reference) if reference else await periods.current_period()
    if period is None and not reference:
        all_periods = await periods.all_periods()
        period = all_periods[0] if all_periods else None
    if period is None:
        raise NotFoundException()
    return period


async def _overview(period: Period, sort: str) -> list[results.OverviewRow]:
    rows = await results.shared_overview(period.code, sort)
    return rows if rows is not None else await results.overview(period, sort)


def _labels() -> dict:
    return {"levels": scale.LEVEL_LABELS, "criteria": scale.CRITERION_LABELS,
            "channels": scale.CHANNEL_LABELS, "group_labels": departments.GROUP_LABELS}


@get("/departments/{code:str}/results", opt=PUBLIC, name="department-results")
async def department_results(code: FromPath[str], period: FromQuery[str] = "") -> Template:
    department = await ratings.active_department(code)
    if department is None:
        raise NotFoundException()
    chosen = await _period(period)
    found = await results.department_results(chosen, department["id"])
    return page("ratings/results.html", department=department, results=found,
                all_periods=await periods.all_periods(), **_labels())


@get("/results", opt=PUBLIC, name="results-overview")
async def overview(period: FromQuery[str] = "", sort: FromQuery[str] = "index",
                   page_number: FromQuery[str] = "1") -> Template:
    chosen = await _period(period)
    sort = sort if sort in results.SORTS else "index"
    rows = await _overview(chosen, sort)
    paging = page_of(len(rows), page_number, "/results", {"period": chosen.code, "sort": sort})
    return page("ratings/overview.html", period=chosen, rows=rows[paging.start:paging.start + paging.size],
                paging=paging, sort=sort, all_periods=await periods.all_periods(), **_labels())


@get("/open-data/{period:str}/results.json", opt=PUBLIC, name="open-data-json")
async def open_data_json(period: FromPath[str]) -> Response:
    chosen = await _period(period)
    return Response(results.open_data(chosen, await _overview(chosen, "name")),
                    headers={"Access-Control-Allow-Origin": "*"})


@get("/open-data/{period:str}/results.csv", opt=PUBLIC, name="open-data-csv")
async def open_data_csv(period: FromPath[str]) -> Response:
    chosen = await _period(period)
    text = results.open_data_csv(chosen, await _overview(chosen, "name"))
    return Response(text, media_type=spreadsheets.CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f"inline; filename=\"{chosen.code}-results.csv\"",
                             "Access-Control-Allow-Origin": "*"})


ROUTES = [department_results, overview, open_data_json, open_data_csv]
