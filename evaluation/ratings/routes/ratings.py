"""Citizens rate a department: the form on its page, the submission, the thank-you."""

from __future__ import annotations

import time
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    RateLimitConfig,
    RateLimitMiddleware,
    get_remote_address,
)
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from litestar.stores.memory import MemoryStore
from litestar.types import Receive, Scope, Send

from evaluation.core import departments, i18n
from evaluation.core.i18n import _
from evaluation.core.web import PUBLIC, page, see_other
from evaluation.ratings import periods, ratings, reasons, scale
from evaluation.ratings.ratings import VOTER_COOKIE, RatingForm
from settings import settings

PANEL_COOKIE = "panel"
COOKIE_MAX_AGE = 400 * 24 * 3600


def _per_address_and_department(request: Request) -> str:
    return f"{get_remote_address(request)}:{request.url.path}"


async def _is_post(request: Request) -> bool:
    return request.method == "POST"


class RatingLimitMiddleware(RateLimitMiddleware):
    """Litestar's per-address limit, counted in this worker's memory when its store is memory
    anyway (one worker without Redis: app.py's ``_stores``); any other store (files or Redis,
    shared by the workers) goes through Litestar's own middleware unchanged.

    Litestar's middleware keeps a list of timestamps per address in the store, read, decoded,
    extended, encoded and written under a lock for every submission: about a sixth of a
    submission's CPU time. Its window is fixed (the list is only counted, and emptied when the
    window ends), so a count and the window's end give the same answers and the same headers.
    """

    PRUNE_EVERY = 10_000  # entries added between two sweeps of ended windows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._counts: dict[str, tuple[int, int]] = {}  # key → (submissions counted, end of window)
        self._added_since_prune = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        if not isinstance(self.config.get_store_from_app(app), MemoryStore):
            await super().__call__(scope, receive, send)
            return
        request = app.request_class(scope)
        if not await self.should_check_request(request=request):
            await self.app(scope, receive, send)
            return
        key = self.cache_key_from_request(request)
        now = int(time.time())
        # No await between reading and writing the count: nothing else runs in between.
        count, reset = self._counts.get(key, (0, 0))
        if reset <= now:
            count, reset = 0, now + DURATION_VALUES[self.unit]
            self._added_since_prune += 1
            if self._added_since_prune >= self.PRUNE_EVERY:
                self._prune(now)
        if count >= self.max_requests:
            raise TooManyRequestsException(headers=self._headers(count, reset) if self.config.set_rate_limit_headers
                                           else None)
        self._counts[key] = (count + 1, reset)
        if self.config.set_rate_limit_headers:
            counted = self._headers(count + 1, reset)  # this submission included, as Litestar's
            headers = [(name.lower().encode(), value.encode()) for name, value in counted.items()]

            async def send_with_headers(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), *headers]
                await send(message)

            await self.app(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send)

    def _headers(self, counted: int, reset: int) -> dict[str, str]:
        """As Litestar's ``create_response_headers`` for a history of ``counted`` entries."""
        return {
            self.config.rate_limit_policy_header_key: f"{self.max_requests}; w={DURATION_VALUES[self.unit]}",
            self.config.rate_limit_limit_header_key: str(self.max_requests),
            self.config.rate_limit_remaining_header_key: str(max(self.max_requests - counted, 0)),
            self.config.rate_limit_reset_header_key: str(reset - int(time.time())),
        }

    def _prune(self, now: int) -> None:
        self._counts = {key: entry for key, entry in self._counts.items() if entry[1] > now}
        self._added_since_prune = 0


rating_limit = RateLimitConfig(
    rate_limit=("hour", settings.ratings_per_hour),
    store="rate_limit_ratings",
    identifier_for_request=_per_address_and_department,
    check_throttle_handler=_is_post,
    middleware_class=RatingLimitMiddleware,
)


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
async def department(request: Request, code: FromPath[str], rated: FromQuery[bool] = False) -> Template:
    found = await departments.department_page(code)
    if found is None or not found["active"]:
        raise NotFoundException()
    voter_id = request.cookies.get(VOTER_COOKIE) or ratings.new_voter_id()
    context = await _rating_context(request, found, voter_id=voter_id)
    response = page("ratings/department.html", department=found, group_labels=departments.GROUP_LABELS,
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
            return page("ratings/_rating.html", status_code=status_code, **{**context, "department": found})
        return page("ratings/department.html", status_code=status_code, **context,
                    department=await departments.department_page(code), group_labels=departments.GROUP_LABELS,
                    rated=False)

    if period is None:
        return await form_again(422)
    if not form.validate(await reasons.reasons()):
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
        response = _thanks(request, found, form.is_negative)
    else:
        response = see_other(f"/departments/{code}?rated=1#rating")
    return _with_voter_cookie(response, voter_id)


ROUTES = [department, rate]
