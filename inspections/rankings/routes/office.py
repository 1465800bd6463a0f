"""The office's side of a round's ranking: the draft recomputed from current data, units left
out of it, publishing the 通报, and the drill-down behind every figure. Auditors read it all."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core.web import current_account, office, office_or_auditor, page, see_other
from evaluation.ratings.scale import CHANNEL_LABELS, LEVEL_LABELS
from inspections.rankings import exclusions, pages, snapshots
from inspections.rankings.exclusions import ExclusionError
from inspections.rankings.snapshots import PublishError
from inspections.rounds.rounds import RoundNotFound


async def _ranking_page(code: str, status_code: int = 200, **context: object) -> Template:
    found = await pages.office_ranking(code)
    if found is None:
        raise NotFoundException()
    return page("rankings/office.html", status_code=status_code, ranking=found, view=found.view,
                round=found.round, **context)


@get("/staff/rounds/{code:str}/ranking", guards=[office_or_auditor], name="ranking-draft")
async def show_draft(code: FromPath[str], done: FromQuery[str] = "") -> Template:
    return await _ranking_page(code, done=done)


@post("/staff/rounds/{code:str}/ranking/exclusions", guards=[office], name="ranking-exclude")
async def exclude(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    unit, reason = data.get("unit", ""), data.get("reason", "")
    try:
        await exclusions.exclude(current_account(request).username, code, unit, reason)
    except RoundNotFound as missing:
        raise NotFoundException() from missing
    except ExclusionError as refusal:
        return await _ranking_page(code, status_code=422, exclusion_error=str(refusal),
                                   typed={"unit": unit, "reason": reason})
    return see_other(f"/staff/rounds/{code}/ranking?done=excluded#not-ranked")


@post("/staff/rounds/{code:str}/ranking/exclusions/{unit:str}/remove", guards=[office], name="ranking-include")
async def include(request: Request, code: FromPath[str], unit: FromPath[str]) -> Template | Redirect:
    try:
        await exclusions.include(current_account(request).username, code, unit)
    except RoundNotFound as missing:
        raise NotFoundException() from missing
    except ExclusionError as refusal:
        return await _ranking_page(code, status_code=422, exclusion_error=str(refusal))
    return see_other(f"/staff/rounds/{code}/ranking?done=included#not-ranked")


@post("/staff/rounds/{code:str}/ranking/publish", guards=[office], name="ranking-publish")
async def publish(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    title, reason = data.get("title", ""), data.get("reason", "")
    try:
        published = await snapshots.publish(current_account(request).username, code, reason=reason, title=title)
    except RoundNotFound as missing:
        raise NotFoundException() from missing
    except PublishError as refusal:
        return await _ranking_page(code, status_code=422, publish_error=str(refusal),
                                   publish_items=refusal.items, typed={"title": title, "reason": reason})
    return see_other(f"/rankings/{code}/{published.version}?published=1")


@get("/staff/rounds/{code:str}/ranking/units/{unit:str}", guards=[office_or_auditor], name="ranking-draft-unit")
async def draft_unit(request: Request, code: FromPath[str], unit: FromPath[str]) -> Template:
    trace = await pages.draft_trace(code, unit, current_account(request))
    if trace is None:
        raise NotFoundException()
    return page("rankings/unit.html", trace=trace, view=trace.view, unit=trace.unit)


@get("/staff/rounds/{code:str}/ranking/units/{unit:str}/ratings", guards=[office], name="ranking-unit-ratings")
async def unit_ratings(code: FromPath[str], unit: FromPath[str], page_number: FromQuery[int] = 1) -> Template:
    behind = await pages.ratings_behind(code, unit, page_number)
    if behind is None:
        raise NotFoundException()
    return page("rankings/ratings.html", behind=behind, channel_labels=CHANNEL_LABELS, level_labels=LEVEL_LABELS)


ROUTES = [show_draft, exclude, include, publish, draft_unit, unit_ratings]
