"""The public directory: every department, grouped and searchable, each with its page."""

from __future__ import annotations

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from evaluation.core import departments, i18n
from evaluation.core.web import PUBLIC, current_account, home_sections, page, page_rendered_once, safe_next


@get("/", opt=PUBLIC, name="home")
async def home(request: HTMXRequest, q: FromQuery[str] = "", page_number: FromQuery[str] = "1") -> Response | Template:
    found = await departments.directory_page(q[:50], page_number)
    if request.htmx.target == "directory":
        return page("core/_directory.html", directory=found, group_labels=departments.GROUP_LABELS, q=q[:50])
    sections = await home_sections(request)
    if not q and current_account(request) is None:
        # The home page every citizen opens: the same for all but the CSRF token.
        made_of = [found.cut_from] + [part for template, section in sections for part in (template, *section.values())]
        return page_rendered_once(request, "core/home.html", key=(found.paging.number,), made_of=tuple(made_of),
                                  directory=found, group_labels=departments.GROUP_LABELS, q="", sections=sections)
    return page("core/home.html", directory=found, group_labels=departments.GROUP_LABELS, q=q[:50],
                sections=sections)


@get("/language/{language:str}", opt=PUBLIC, name="language")
async def switch_language(language: FromPath[str], next: FromQuery[str] = "/") -> Redirect:
    if language not in i18n.LANGUAGES:
        raise NotFoundException()
    response = Redirect(path=safe_next(next), status_code=303)
    response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@get("/healthz", opt=PUBLIC, name="health", include_in_schema=False)
async def health() -> Response[str]:
    return Response("ok", media_type="text/plain")


ROUTES = [home, switch_language, health]
