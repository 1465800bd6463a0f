"""Citizens rate a department: the form on its page, the submission, the thank-you."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from evaluation import departments, periods, ratings
from evaluation.i18n import _
from evaluation.ratings import VOTER_COOKIE, RatingForm
from evaluation.web import PUBLIC, page, see_other
from settings import settings

PANEL_COOKIE = "panel"
COOKIE_MAX_AGE = 400 * 24 * 3600


def _per_address_and_department(request: Request) -> str:
    return f"{get_remote_address(request)}:{request.url.path}"


async def _is_post(request: Request) -> bool:
    return request.method == "POST"


rating_limit = RateLimitConfig(
    rate_limit=("hour", settings.ratings_per_hour),
    store="rate_limit_ratings",
    identifier_for_request=_per_address_and_department,
    check_throttle_handler=_is_post,
)


async def _rating_context(request: Request, department: dict[str, Any], form: RatingForm | None = None,
                          voter_id: str | None = None) -> dict[str, Any]:
    period = await periods.current_period()
    context: dict[str, Any] = {
        "period": period,
        "next_period": None if period else await periods.next_period(),
        "form": form or RatingForm(),
        "reasons": await periods.reasons(),
        # Translated once here rather than in the form's nested loops.
        "levels": {key: _(label) for key, label in periods.LEVEL_LABELS.items()},
        "criteria": {key: _(label) for key, label in periods.CRITERION_LABELS.items()},
        "already_rated": False,
        "panel_label": None,
    }
    if period:
        code = await ratings.panel_code(period, request.cookies.get(PANEL_COOKIE, ""))
        context["panel_label"] = code["batch.label"] if code else None
        # A browser without a voter cookie has not rated yet: no query needed.
        voter_id = voter_id if request.cookies.get(VOTER_COOKIE) else None
        if voter_id or code:
            context["already_rated"] = await ratings.has_rated(
                period, department["id"], voter_id, code["id"] if code else None
            )
    return context


def _with_voter_cookie(response: Response, voter_id: str) -> Response:
    # Set when the form is first served, so concurrent posts from one loaded page share one id
    # (PRODUCT.md, Settled questions: voter cookie timing).
    response.set_cookie(VOTER_COOKIE, voter_id, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                        secure=settings.secure_cookies)
    return response


@get("/departments/{code:str}", opt=PUBLIC, name="department")
async def department(request: Request, code: FromPath[str], rated: FromQuery[bool] = False) -> Template:
    found = await departments.department_page(code)
    if found is None or not found["active"]:
        raise NotFoundException()
    voter_id = request.cookies.get(VOTER_COOKIE) or ratings.new_voter_id()
    context = await _rating_context(request, found, voter_id=voter_id)
    response = page("evaluation/department.html", department=found, group_labels=departments.GROUP_LABELS,
                    rated=rated, **context)
    if context["period"] and not request.cookies.get(VOTER_COOKIE):
        _with_voter_cookie(response, voter_id)
    return response


@post("/departments/{code:str}/ratings", opt=PUBLIC, name="rate", middleware=[rating_limit.middleware])
async def rate(request: HTMXRequest, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Response:
    found = await ratings.active_department(code)
    if found is None:
        raise NotFoundException()
    period = await periods.current_period()
    voter_id = request.cookies.get(VOTER_COOKIE) or ratings.new_voter_id()
    form = RatingForm.from_data(data)
    in_place = request.htmx.target == "rating"

    async def form_again(status_code: int, already_rated: bool = False) -> Response:
        """The form with its messages (or the already-rated note), in place or as the whole page."""
        context = await _rating_context(request, found, form, voter_id=voter_id)
        context["already_rated"] = context["already_rated"] or already_rated
        if in_place:
            return page("evaluation/_rating.html", status_code=status_code, **{**context, "department": found})
        return page("evaluation/department.html", status_code=status_code, **context,
                    department=await departments.department_page(code), group_labels=departments.GROUP_LABELS,
                    rated=False)

    if period is None:
        return await form_again(422)
    if not form.validate(await periods.reasons()):
        return _with_voter_cookie(await form_again(422), voter_id)
    panel = await ratings.panel_code(period, request.cookies.get(PANEL_COOKIE, ""))
    try:
        if panel:
            await ratings.submit_panel(period, found["id"], panel["id"], form)
        else:
            await ratings.submit_public(period, found["id"], voter_id, form)
    except ratings.AlreadyRated:
        return _with_voter_cookie(await form_again(200, already_rated=True), voter_id)
    if in_place:
        response: Response = page("evaluation/_rating_thanks.html", department=found, period=period,
                                  negative=form.is_negative)
    else:
        response = see_other(f"/departments/{code}?rated=1#rating")
    return _with_voter_cookie(response, voter_id)


ROUTES = [department, rate]
