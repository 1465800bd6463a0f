"""Citizens rate a department: the form on its page, the submission, the thank-you."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from evaluation.core import departments, i18n, limits
from evaluation.core.i18n import _
from evaluation.core.web import (
    PUBLIC,
    client_address,
    current_account,
    department_sections,
    page,
    page_rendered_once,
    see_other,
)
from evaluation.ratings import panel, periods, ratings, reasons, scale
from evaluation.ratings.ratings import VOTER_COOKIE, RatingForm
from settings import settings

PANEL_COOKIE = "panel"
COOKIE_MAX_AGE = 400 * 24 * 3600


RATING_WINDOW_SECONDS = 3600


async def _rating_context(request: Request, department: dict[str, Any], form: RatingForm | None = None,
                          voter_id: str | None = None) -> dict[str, Any]:
    period = await periods.current_period()
    context: dict[str, Any] = {
        "period": period,
        "next_period": None if period else await periods.next_period(),
        "form": form or RatingForm(),
        "reasons": await reasons.reasons(),
        # Translated once here rather than in the form's nested loops.
        "levels": {key: _(label) for key, label in scale.LEVEL_LABELS.items()},
        "criteria": {key: _(label) for key, label in scale.CRITERION_LABELS.items()},
        "negative_levels": scale.NEGATIVE_LEVELS,
        "already_rated": False,
        "own_rating": None,
        "panel_label": None,
    }
    if period:
        try:
            code = await panel.code_of_period(period, request.cookies.get(PANEL_COOKIE, ""), client_address(request))
        except panel.TooManyTries:
            code = None  # the page shows; a rating sent with that code is refused (see rate)
        context["panel_label"] = code["batch.label"] if code else None
        # A browser without a voter cookie has not rated yet: no query needed.
        voter_id = voter_id if request.cookies.get(VOTER_COOKIE) else None
        if voter_id or code:
            context["own_rating"] = await ratings.own_rating(period, department["id"], voter_id,
                                                             code["id"] if code else None)
            context["already_rated"] = context["own_rating"] is not None
    return context


# The thank-you fragment depends only on the language, the department and whether the rating was
# negative: rendered once per worker rather than by a template response per submission (a
# template's context costs about as much as the insert). Bounded: departments × 2 × languages.
_thanks_rendered: dict[tuple[str, str, str, bool], str] = {}
THANKS_TEMPLATE = "ratings/_rating_thanks.html"


def _thanks(request: Request, department: dict[str, Any], negative: bool) -> Response:
    key = (i18n.active_language(), department["code"], department["name"], negative)
    html = _thanks_rendered.get(key)
    if html is None:
        template = request.app.template_engine.get_template(THANKS_TEMPLATE)  # type: ignore[union-attr]
        html = _thanks_rendered[key] = template.render(
            department={"code": department["code"], "name": department["name"]}, negative=negative
        )
    return Response(html, status_code=200, media_type=MediaType.HTML, headers={"Vary": "HX-Request"})


def _with_voter_cookie(response: Response, voter_id: str) -> Response:
    # Set when the form is first served, so concurrent posts from one loaded page share one id
    # (PRODUCT.md, Settled questions: voter cookie timing).
    response.set_cookie(VOTER_COOKIE, voter_id, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
                        secure=settings.secure_cookies)
    return response


@get("/departments/{code:str}", opt=PUBLIC, name="department")
async def department(request: Request, code: FromPath[str], rated: FromQuery[bool] = False) -> Response | Template:
    found = await departments.department_page(code)
    if found is None or not found["active"]:
        raise NotFoundException()
    voter_id = request.cookies.get(VOTER_COOKIE) or ratings.new_voter_id()
    context = await _rating_context(request, found, voter_id=voter_id)
    sections = await department_sections(request, found["id"])
    response: Response | Template
    if current_account(request) is None and context["own_rating"] is None:
        # Every citizen who has not rated sees the same page but for the CSRF token and these
        # few choices (one who has rated sees their own rating: rendered for them).
        response = page_rendered_once(
            request, "ratings/department.html",
            key=(code, rated, context["already_rated"], context["panel_label"], repr(sections)),
            made_of=(found, context["period"], context["next_period"], context["reasons"]),
            department=found, group_labels=departments.GROUP_LABELS, rated=rated, sections=sections, **context)
    else:
        response = page("ratings/department.html", department=found, group_labels=departments.GROUP_LABELS,
                        rated=rated, sections=sections, **context)
    if context["period"] and not request.cookies.get(VOTER_COOKIE):
        _with_voter_cookie(response, voter_id)
    return response


@post("/departments/{code:str}/ratings", opt=PUBLIC, name="rate")
async def rate(request: HTMXRequest, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Response:
    found = await ratings.active_department(code)
    if found is None:
        raise NotFoundException()
    period = await periods.current_period()
    voter_id = request.cookies.get(VOTER_COOKIE) or ratings.new_voter_id()
    form = RatingForm.from_data(data)
    in_place = request.htmx.target == "rating"

    async def form_again(status_code: int, already_rated: bool = False, **extra: Any) -> Response:
        """The form with its messages (or the already-rated note), in place or as the whole page."""
        context = await _rating_context(request, found, form, voter_id=voter_id)
        context["already_rated"] = context["already_rated"] or already_rated
        context.update(extra)
        if in_place:
            return page("ratings/_rating.html", status_code=status_code, **{**context, "department": found})
        return page("ratings/department.html", status_code=status_code, **context,
                    department=await departments.department_page(code), group_labels=departments.GROUP_LABELS,
                    rated=False)

    # A brake on ballot stuffing per address and department, high enough for a carrier's shared
    # address (PRODUCT.md, Settled questions). Refused, the form comes back as it was typed.
    braked = await limits.hit("rating", f"{client_address(request)}:{found['code']}", settings.ratings_per_hour,
                              RATING_WINDOW_SECONDS)
    if not braked.allowed:
        message = _("这个网络地址对该单位的评价次数过多，请 {minutes} 分钟后再提交。")
        response = await form_again(429, too_many=message.format(minutes=-(-braked.retry_after // 60)))
        response.headers["Retry-After"] = str(braked.retry_after)
        return response
    if period is None:
        return await form_again(422)
    if not form.validate(await reasons.reasons()):
        return _with_voter_cookie(await form_again(422), voter_id)
    try:
        presented = await panel.code_of_period(period, request.cookies.get(PANEL_COOKIE, ""),
                                               client_address(request))
    except panel.TooManyTries as refusal:
        # Never counted in the public channel instead: the code is held back, not ignored.
        response = await form_again(429, too_many=str(refusal))
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    try:
        if presented:
            await ratings.submit_panel(period, found["id"], presented["id"], form)
        else:
            await ratings.submit_public(period, found["id"], voter_id, form)
    except ratings.AlreadyRated:
        return _with_voter_cookie(await form_again(200, already_rated=True), voter_id)
    if in_place:
        response = _thanks(request, found, form.is_negative)
    else:
        response = see_other(f"/departments/{code}?rated=1#rating")
    return _with_voter_cookie(response, voter_id)


ROUTES = [department, rate]
