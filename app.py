"""create_app(): the one place where routes, templates, static files, plugins, CSRF,
sessions, stores and error pages are wired."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar import Litestar, Request, Response, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from litestar.utils.scope.state import ScopeState

import piccolo_conf
from evaluation.core import audit, clock, database, form_values, i18n, limits, web, working_days
from evaluation.core.routes import ROUTES as CORE_ROUTES
from evaluation.core.tables import Role
from evaluation.interviews import pages as interview_pages
from evaluation.interviews.routes import ROUTES as INTERVIEW_ROUTES
from evaluation.ratings import criticism as rating_criticism
from evaluation.ratings import imports as rating_imports
from evaluation.ratings import pages as rating_pages
from evaluation.ratings import reasons as rating_reasons
from evaluation.ratings.routes import ROUTES as RATING_ROUTES
from evaluation.surveys import pages as survey_pages
from evaluation.surveys.routes import ROUTES as SURVEY_ROUTES
from inspections.annual_report import pages as annual_report_pages
from inspections.annual_report.routes import ROUTES as ANNUAL_REPORT_ROUTES
from inspections.checklists import audit_words as checklist_audit_words
from inspections.checklists import pages as checklist_pages
from inspections.checklists.routes import ROUTES as CHECKLIST_ROUTES
from inspections.indicators.routes import ROUTES as INDICATOR_ROUTES
from inspections.rankings import pages as ranking_pages
from inspections.rankings import snapshots as ranking_snapshots
from inspections.rankings.routes import ROUTES as RANKING_ROUTES
from inspections.rounds.routes import ROUTES as ROUND_ROUTES
from settings import PROJECT_DIR, settings

STATIC_DIR = PROJECT_DIR / "static"
TEMPLATES_DIR = PROJECT_DIR / "templates"
logger = logging.getLogger("pingyi")


def _static_url_factory() -> Any:
    """``static_url('app.css')`` → ``/static/app.css?v=<content hash>``, so the files can be
    cached for a year on a slow phone and still change the moment they are deployed."""
    versions: dict[str, str] = {}

    def static_url(name: str) -> str:
        if name not in versions:
            path = STATIC_DIR / name
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"
            versions[name] = digest
        return f"/static/{name}?v={versions[name]}"

    return static_url


def _shown(value: Any) -> Any:
    """Every value a template prints: text typed before the platform cleaned its input (or put in
    the database by other means) still never turns a page's text around."""
    return form_values.without_bidi(value) if isinstance(value, str) else value


def _template_engine() -> JinjaTemplateEngine:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
        # Not a stat() of every template a page extends or includes on every render.
        auto_reload=settings.debug,
    )
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["web_link"] = web.web_link
    environment.filters["deadline"] = working_days.last_day_of
    environment.globals.update(
        static_url=_static_url_factory(),
        languages=i18n.LANGUAGES,
        active_language=i18n.active_language,
        html_lang=lambda: i18n.HTML_LANG[i18n.active_language()],
        format_time=clock.format_local,
        reason_name=rating_reasons.shown_label,
        signed_in=pass_context(lambda context: web.current_account(context["request"])),
        nav_count=pass_context(lambda context, name: web.nav_count(context["request"], name)),
        page_parts=pass_context(lambda context: web.page_parts(context["request"])),
    )
    return JinjaTemplateEngine.from_environment(environment)


def _stores() -> StoreRegistry:
    """Stores every worker shares (sessions): Redis when REDIS_URL is set, else files under ./var
    (PRODUCT.md, Settled questions). The brakes keep their counts themselves (evaluation/core/limits.py)."""
    if settings.redis_url:
        root = RedisStore.with_client(url=settings.redis_url, namespace="pingyi")
        return StoreRegistry(default_factory=root.with_namespace)
    base = settings.var_dir / "stores"

    def store(name: str) -> Store:
        # Sessions name signed-in accounts: readable by the server's user only.
        (base / name).mkdir(mode=0o700, parents=True, exist_ok=True)
        base.chmod(0o700)
        (base / name).chmod(0o700)
        return FileStore(base / name)

    return StoreRegistry(default_factory=store)


def _wants_html(request: Request) -> bool:
    # An address ending in .json (open data) answers JSON, its errors included.
    path = request.url.path
    return not path.startswith("/schema") and not path.endswith(".json") and not web.asks_for_json(request)


def _error_page(request: Request, status_code: int, detail: str = "", expired: bool = False) -> Response:
    if not _wants_html(request):
        return Response({"status_code": status_code, "detail": detail}, status_code=status_code)
    # An address no route answers never passes the language middleware: choose here too.
    i18n.activate(i18n.choose_language(request.cookies.get(i18n.LANGUAGE_COOKIE)))
    context = {"status_code": status_code, "detail": detail, "account": web.current_account(request),
               "expired": expired}
    if request.headers.get("hx-request"):
        headers = {"Vary": "HX-Request"}
        if expired:
            # The message goes above the form the person filled, which stays as typed.
            target = request.headers.get("hx-target")
            headers.update({"HX-Reswap": "afterbegin", "HX-Retarget": f"#{target}" if target else "main"})
        return Template(template_name="errors/_error.html", context=context, status_code=status_code,
                        headers=headers)
    if expired:
        # Without JavaScript the person lands on this page: what they typed is shown to copy.
        form = ScopeState.from_scope(request.scope).form
        context["typed"] = [str(value) for key, value in (form.items() if isinstance(form, dict) else [])
                            if key in _TYPED_FIELDS and isinstance(value, str) and value.strip()]
        context["back"] = web.back_to_the_form(request)
    return Template(template_name="errors/error.html", context=context, status_code=status_code,
                    headers={"Vary": "HX-Request"})


# The free text of the public forms (a rating's comment and reason, an interview question).
_TYPED_FIELDS = ("comment", "reason_text", "body", "question", "text")


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if web.page_expired(exc):
        return _error_page(request, exc.status_code, expired=True)
    if exc.status_code == 405 and request.method in {"GET", "HEAD"}:
        return Redirect(path=web.back_to_the_form(request), status_code=303)
    if isinstance(exc, NotAuthorizedException):
        expired = bool(request.scope["state"].get("session_expired"))
        target = "/staff/login?next=" + request.url.path + ("&expired=1" if expired else "")
        if web.asks_for_json(request):
            # A script keeps its unsent work and asks the person to sign in again in place.
            return Response({"status": "signed_out", "login": target}, status_code=401)
        if request.headers.get("hx-request"):
            return Response(content="", status_code=401, headers={"HX-Redirect": target})
        return Redirect(path=target, status_code=303)
    return _error_page(request, exc.status_code, str(exc.detail) if exc.status_code < 500 else "")


def handle_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR)


def _openapi_config() -> OpenAPIConfig:
    guards = [] if settings.openapi_public else [web.office]
    return OpenAPIConfig(
        title="Pingyi 评议",
        version="0.1.0",
        openapi_router=Router(path="/schema", route_handlers=[], guards=guards, opt=web.PUBLIC if not guards else {}),
    )


async def _clean_up_interrupted_imports() -> None:
    try:
        await rating_imports.clean_up_interrupted()
    except Exception:
        logger.exception("cleaning up interrupted imports failed; the next import tries again")


def create_app() -> Litestar:
    engine = piccolo_conf.DB
    rating_imports.lock_withdrawals_with(ranking_snapshots.period_in_use)
    session_config = web.PingyiSessionConfig(
        store="sessions",
        max_age=settings.session_idle_minutes * 60 + web.SESSION_KEPT_AFTER_IDLE_SECONDS,
        secure=settings.secure_cookies,
        samesite="lax",
        httponly=True,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await database.start(engine)
        # Objects made while starting live as long as the process: keep them out of the
        # garbage collector's full passes, which otherwise pause every request for ~80 ms.
        gc.collect()
        gc.freeze()
        stop_sealing = asyncio.Event()
        sealer = asyncio.create_task(audit.seal_until(stop_sealing))
        # An import the last run left half-written counts nowhere; its rows go in the background.
        cleaner = asyncio.create_task(_clean_up_interrupted_imports())
        try:
            yield
        finally:
            cleaner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cleaner
            stop_sealing.set()
            await sealer
            await limits.stop()
            await database.stop(engine)

    app = Litestar(
        route_handlers=[
            *CORE_ROUTES,
            *RATING_ROUTES,
            *INTERVIEW_ROUTES,
            *SURVEY_ROUTES,
            *INDICATOR_ROUTES,
            *ROUND_ROUTES,
            *CHECKLIST_ROUTES,
            *RANKING_ROUTES,
            *ANNUAL_REPORT_ROUTES,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                opt=web.PUBLIC,
                cache_control=CacheControlHeader(max_age=31_536_000, public=True),
            ),
        ],
        middleware=[
            web.SecurityHeadersMiddleware(),
            web.UploadsClosedMiddleware(),
            web.LanguageMiddleware(),
            session_config.middleware,
            web.AccountMiddleware(),
            web.CleanInputMiddleware(),
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
        ),
        template_config=TemplateConfig(engine=_template_engine()),
        plugins=[HTMXPlugin()],
        request_class=HTMXRequest,
        stores=_stores(),
        openapi_config=_openapi_config(),
        exception_handlers={HTTPException: handle_http_exception, Exception: handle_unexpected},
        lifespan=[lifespan],
        dependencies={},
        state=State({"engine": engine, "session_config": session_config,
                     "home_sections": [web.HomeSection("ratings/_home.html", rating_pages.home_section),
                                       web.HomeSection("rankings/_home.html", ranking_pages.home_section),
                                       web.HomeSection("surveys/_home.html", survey_pages.home_section),
                                       web.HomeSection("interviews/_home.html", interview_pages.home_section),
                                       web.HomeSection("annual_report/_home.html",
                                                       annual_report_pages.home_section)],
                      "department_sections": [web.DepartmentSection("surveys/_department.html",
                                                                    survey_pages.department_section)],
                      "page_parts": [web.PagePart("inspections/_outbox.html", checklist_pages.keeps_work_offline)],
                      "audit_describers": [checklist_audit_words.describe],
                      web.NAV_COUNTS_KEY: [web.NavCount("moderation", (Role.office,),
                                                        rating_criticism.pending_count)]}),
        debug=settings.debug,
    )
    app.asgi_handler = web.head_as_get(app.asgi_handler)
    return app
