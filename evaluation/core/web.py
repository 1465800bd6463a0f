"""What every page shares: language and signed-in account per request, guards, rendering."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar import MediaType, Request, Response
from litestar._parsers import parse_url_encoded_form_data
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import generate_csrf_token
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.response import Redirect, Stream, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from evaluation.core import accounts, cache, form_values, i18n, spreadsheets
from evaluation.core.tables import Role
from settings import settings

ACCOUNT_KEY = "account"
SESSION_ACCOUNT_ID = "account_id"
SESSION_LAST_SEEN = "last_seen"
SESSION_EPOCH = "epoch"
SESSION_CSRF = "csrf"
CSRF_COOKIE = "csrftoken"
# "Last seen" is written back at most this often, so two requests in the same second do not both
# rewrite the session; the idle timeout (minutes) is exact to within this much.
LAST_SEEN_REFRESH_SECONDS = 1
# The session outlives its idle timeout in the store by this much, so that a person coming back
# late is told their session expired rather than shown the sign-in page without a word.
SESSION_KEPT_AFTER_IDLE_SECONDS = 12 * 3600
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_STAFF_PATHS = ("/staff", "/inspect")
_RENEWED_SESSION_ID = "pingyi.session_id"
_LOADED_SESSION = "pingyi.session_loaded"

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        b"connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


_NO_STORE = (b"cache-control", b"no-store")
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware(ASGIMiddleware):
    """The headers every response carries; what staff see is never kept by a cache on the way
    (a shared computer's browser, a proxy), and HTTPS is insisted on once cookies are secure."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [header for header in SECURITY_HEADERS if header[0] not in present]
                signed_in = scope.get("state", {}).get(ACCOUNT_KEY) is not None
                if b"cache-control" not in present and (signed_in or scope["path"].startswith(_STAFF_PATHS)):
                    added.append(_NO_STORE)
                if settings.secure_cookies:
                    added.append(_HSTS)
                message["headers"] = list(message.get("headers", [])) + added
            await send(message)

        await next_app(scope, receive, send_with_headers)


class UploadsClosedMiddleware(ASGIMiddleware):
    """Closes the files a multipart form brought once the response is sent. A handler closes what
    it reads (``read_upload``), but a form refused before its handler ran (the CSRF check parses
    it, then a guard says no) would leave its spooled files to the garbage collector."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            await next_app(scope, receive, send)
        finally:
            form = ScopeState.from_scope(scope).form
            if isinstance(form, dict):
                for value in form.values():
                    for upload in value if isinstance(value, list) else [value]:
                        if isinstance(upload, UploadFile):
                            await upload.close()


# A public form (a rating, a question, a panel code, signing in) fits in a few kilobytes: nothing
# bigger is read, let alone echoed back.
PUBLIC_FORM_MAX_BYTES = 64 * 1024
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_int_queries: dict[int, frozenset[str]] = {}


class CleanInputMiddleware(ASGIMiddleware):
    """Every text a request brings passes ``form_values.clean`` once, before the CSRF check, a
    guard or a handler reads it: the query string, the path's parameters and the form's fields
    (a multipart form's files are the upload checks' business). An integer in the path or in a
    query parameter a handler reads as a number is refused when no column could hold it (404 in
    the path, 400 in the query), rather than failing in the database. A public form's body stops
    at ``PUBLIC_FORM_MAX_BYTES`` (413)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] == "http":
            _check_path_numbers(scope)
            if scope.get("query_string"):
                scope["query_string"] = _cleaned_query(scope)
            if scope["method"] in _UNSAFE_METHODS and _is_form(scope):
                if scope["route_handler"].opt.get("public"):
                    receive = _bounded(scope, receive, PUBLIC_FORM_MAX_BYTES)
                await _clean_form(scope, receive)
        await next_app(scope, receive, send)


def _check_path_numbers(scope: Scope) -> None:
    params = scope.get("path_params") or {}
    for name, value in params.items():
        if isinstance(value, int) and abs(value) > form_values.LARGEST_INTEGER:
            raise NotFoundException()
        if isinstance(value, str):
            params[name] = form_values.clean(value)


def _cleaned_query(scope: Scope) -> bytes:
    raw = scope["query_string"]
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    numbers = _int_query_names(scope["route_handler"])
    if any(name in numbers and _is_integer(value) and form_values.parse_int(value) is None for name, value in pairs):
        raise ClientException()
    cleaned = [(name, form_values.clean(value)) for name, value in pairs]
    return raw if cleaned == pairs else urlencode(cleaned).encode("ascii")


def _is_integer(text: str) -> bool:
    return text.strip().lstrip("+-").isdigit()


def _int_query_names(handler: Any) -> frozenset[str]:
    """The query parameters a handler reads as integers (``FromQuery[int]``)."""
    names = _int_queries.get(id(handler))
    if names is None:
        fields = getattr(handler, "parsed_fn_signature", None)
        names = frozenset(
            name for name, field in (fields.parameters.items() if fields else ())
            if int in {field.annotation, *(inner.annotation for inner in field.inner_types)}
        )
        _int_queries[id(handler)] = names
    return names


def _is_form(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.decode("latin-1").lower().startswith(_FORM_TYPES)
    return False


def _bounded(scope: Scope, receive: Receive, limit: int) -> Receive:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise HTTPException(status_code=413)
    seen = 0

    async def bounded_receive() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise HTTPException(status_code=413)
        return message

    return bounded_receive


async def _clean_form(scope: Scope, receive: Receive) -> None:
    # Parsed here once and kept in the scope, where Litestar's CSRF check, ``URLEncodedBody`` and
    # ``request.form()`` all find it. A URL-encoded form (every form but an upload) is parsed by
    # the parser ``request.form()`` itself uses, without the multi-dict it would also build and
    # drop here: a survey's page sends dozens of fields.
    request = Request(scope, receive)
    state = ScopeState.from_scope(scope)
    if request.content_type[0] == RequestEncodingType.URL_ENCODED:
        state.form = parse_url_encoded_form_data(await request.body())
    else:
        await request.form()
    form = state.form
    if isinstance(form, dict):
        for name, value in form.items():
            if isinstance(value, str):
                form[name] = form_values.clean(value)
            elif isinstance(value, list):
                form[name] = [form_values.clean(item) if isinstance(item, str) else item for item in value]


def text_fields(request: Request) -> dict[str, list[str]]:
    """A form's text fields, each with the list of its values, as ``CleanInputMiddleware`` parsed
    and cleaned them. For a form of dozens of fields (a survey's page) this spares building
    ``request.form()``'s multi-dict a second time and walking it again."""
    form = ScopeState.from_scope(request.scope).form
    if not isinstance(form, dict):
        return {}
    fields: dict[str, list[str]] = {}
    for name, value in form.items():
        if isinstance(value, str):
            fields[name] = [value]
        elif isinstance(value, list):
            fields[name] = [item for item in value if isinstance(item, str)]
    return fields


class LanguageMiddleware(ASGIMiddleware):
    """Picks the interface language from the language-switch cookie; zh_CN by default."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    if key == i18n.LANGUAGE_COOKIE:
                        cookie = val
        i18n.activate(i18n.choose_language(cookie))
        await next_app(scope, receive, send)


class AccountMiddleware(ASGIMiddleware):
    """Puts the signed-in account (or None) in the request state, on every route.

    Runs after the session middleware. A session idle longer than the timeout is emptied, and so
    is one started before the account's password last changed (its number is behind).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        account = None
        session = scope.get("session")
        if isinstance(session, dict) and SESSION_ACCOUNT_ID in session:
            now = time.time()
            last_seen = float(session.get(SESSION_LAST_SEEN, 0))
            if now - last_seen > settings.session_idle_minutes * 60:
                session.clear()
                scope["state"]["session_expired"] = True
            else:
                account = await accounts.signed_in(int(session[SESSION_ACCOUNT_ID]))
                if account is None or account.session_epoch != session.get(SESSION_EPOCH):
                    account = None
                    session.clear()
                    scope["state"]["session_expired"] = True
                elif now - last_seen >= LAST_SEEN_REFRESH_SECONDS:
                    session[SESSION_LAST_SEEN] = now
        scope["state"][ACCOUNT_KEY] = account
        if account is not None and _may_show_the_menu(scope):
            scope["state"][NAV_COUNTS_KEY] = await _nav_counts(scope, account)
        await next_app(scope, receive, send)


class PingyiSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions with three changes:

    - a fresh session id can be issued at sign-in (Litestar otherwise keeps the id the
      browser sent, which allows session fixation);
    - an anonymous request that sent no session cookie gets no store write and no cookie;
    - a session the request left as it was loaded is not written again (Litestar rewrites it,
      a file in the store, on every request) and its cookie is not sent again. The store entry
      and the cookie both expire ``max_age`` after the last write, which happens at least
      whenever "last seen" moves on, so they still outlive the idle timeout together.
    """

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope["state"][_LOADED_SESSION] = self.serialize_data(data) if data else None
        return data

    def get_session_id(self, connection: ASGIConnection) -> str:
        renewed = connection.scope["state"].get(_RENEWED_SESSION_ID)
        return renewed or super().get_session_id(connection)

    async def store_in_message(self, scope_session: Any, message: Message, connection: ASGIConnection) -> None:
        if not scope_session and self.config.key not in connection.cookies:
            return
        state = connection.scope["state"]
        if (
            isinstance(scope_session, dict)
            and scope_session
            and not state.get(_RENEWED_SESSION_ID)
            and state.get(_LOADED_SESSION) == self.serialize_data(scope_session)
        ):
            return
        await super().store_in_message(scope_session, message, connection)


class PingyiSessionConfig(ServerSideSessionConfig):
    _backend_class = PingyiSessionBackend


async def start_session(request: Request, account: accounts.SignedIn, session_config: PingyiSessionConfig,
                        response: Response[Any]) -> None:
    """A fresh session id and a fresh CSRF token, the token kept in the session too: a token
    works only with the session it was issued to (``require`` checks)."""
    old_id = request.cookies.get(session_config.key)
    if old_id:
        await session_config.get_store_from_app(request.app).delete(old_id)
    backend = PingyiSessionBackend(config=session_config)
    request.scope["state"][_RENEWED_SESSION_ID] = backend.generate_session_id()
    token = generate_csrf_token(settings.secret_key)
    request.set_session({SESSION_ACCOUNT_ID: account.id, SESSION_LAST_SEEN: time.time(),
                         SESSION_EPOCH: account.session_epoch, SESSION_CSRF: token})
    response.set_cookie(CSRF_COOKIE, token, secure=settings.secure_cookies, samesite="lax", httponly=False)


def keep_session_after_password_change(request: Request, epoch: int) -> None:
    """The person who changed their own password stays signed in here (and only here)."""
    if request.session:
        request.session[SESSION_EPOCH] = epoch


def current_account(connection: ASGIConnection) -> accounts.SignedIn | None:
    return connection.scope["state"].get(ACCOUNT_KEY)


def require(*roles: Role) -> Any:
    """A guard: signed in, and (when roles are named) holding one of them."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        account = current_account(connection)
        if account is None:
            raise NotAuthorizedException()
        if roles and not account.may(*roles):
            raise PermissionDeniedException()
        if connection.scope.get("method") in _UNSAFE_METHODS and not _token_of_this_session(connection):
            # The page was loaded before this session began: reloading it carries its token.
            raise PermissionDeniedException(PAGE_EXPIRED)

    guard.__name__ = "require_" + ("_".join(role.value for role in roles) or "staff")
    return guard


def _token_of_this_session(connection: ASGIConnection) -> bool:
    # Litestar's CSRF check has already matched the form's token to the cookie.
    issued = connection.scope.get("session", {}).get(SESSION_CSRF)
    sent = connection.cookies.get(CSRF_COOKIE)
    return bool(issued and sent) and hmac.compare_digest(issued, sent)


# What Litestar's CSRF check says when a form's token is missing or stale; the person is told
# the page expired (app.py), never that their account may not do it: citizens have no account.
CSRF_REFUSED = "CSRF token verification failed"
PAGE_EXPIRED = "page expired"


def page_expired(exc: Exception) -> bool:
    return isinstance(exc, PermissionDeniedException) and exc.detail in {CSRF_REFUSED, PAGE_EXPIRED}


def head_as_get(asgi_app: ASGIApp) -> ASGIApp:
    """HEAD answers wherever GET does: the request is routed as a GET and its body is dropped,
    so the status and headers (length, type, caching) are those a GET would get."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await asgi_app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        scope["method"] = "GET"
        await asgi_app(scope, receive, send_without_body)

    return handle


def back_to_the_form(request: Request) -> str:
    """Where a GET of an address that only takes POST goes (a form's result reloaded, the language
    switched on it): the page the form was on — the Referer when it is this site and not this
    address itself, else the nearest address above that answers GET, else home."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path and referer.path != request.url.path:
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    parts = request.url.path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        try:
            request.app.asgi_router.handle_routing(path=candidate, method="GET")
        except HTTPException:
            continue
        return candidate
    return "/"


staff = require()
office = require(Role.office)
office_or_auditor = require(Role.office, Role.auditor)

PUBLIC = {"public": True}


@dataclass(frozen=True)
class HomeSection:
    """A capability's part of the home page: a template and what it shows. Capabilities do not
    import each other upward, so app.py hands the home page their sections (``app.state``)."""

    template: str
    load: Callable[[], Awaitable[dict[str, Any]]]  # the template's context; {} leaves it out

    def __post_init__(self) -> None:
        _read_through_cache(self)


@dataclass(frozen=True)
class DepartmentSection:
    """A capability's part of a department's public page (e.g. the surveys bound to it), wired in
    app.py (``app.state``) like the home page's sections."""

    template: str
    load: Callable[[int], Awaitable[dict[str, Any]]]  # the department's id → context; {} leaves it out

    def __post_init__(self) -> None:
        _read_through_cache(self)


def _read_through_cache(section: HomeSection | DepartmentSection) -> None:
    # The public pages holding these sections are rendered once for every anonymous visitor while
    # what they are made of stays the same objects (``page_rendered_once``): a section read afresh
    # for each view would make them query and render in full for each view. So every section is
    # read through the few seconds' cache, whatever its capability does itself.
    object.__setattr__(section, "load", cache.cached(section.load))


@dataclass(frozen=True)
class NavCount:
    """A number beside a link of the staff menu (comments waiting for moderation), counted for
    the roles it is for on every page they open; wired in app.py (``app.state``)."""

    name: str
    roles: tuple[Role, ...]
    load: Callable[[], Awaitable[int]]


NAV_COUNTS_KEY = "nav_counts"


def _may_show_the_menu(scope: Scope) -> bool:
    """A full page (or a form shown again with its errors) may carry the staff menu; static
    files and htmx fragments never do, so no count is made for them."""
    if scope.get("method") not in ("GET", "POST") or scope.get("path", "").startswith("/static/"):
        return False
    return not any(name == b"hx-request" for name, _value in scope.get("headers", []))


async def _nav_counts(scope: Scope, account: accounts.SignedIn) -> dict[str, int]:
    counts = {}
    for count in scope["app"].state.get(NAV_COUNTS_KEY, []):
        if account.may(*count.roles):
            counts[count.name] = await count.load()
    return counts


def nav_count(connection: ASGIConnection, name: str) -> int | None:
    return connection.scope["state"].get(NAV_COUNTS_KEY, {}).get(name)


@dataclass(frozen=True)
class PagePart:
    """A capability's part of every page's ``<head>`` (a script), for the accounts it is for;
    wired in app.py (``app.state``), as the home page's sections are."""

    template: str
    shown_to: Callable[[accounts.SignedIn | None], bool]


@dataclass(frozen=True)
class AuditWords:
    """An audit row as a person reads it: what it is about (names, not ids) and its old and new
    values in words. A capability describes its own rows (wired in app.py, ``app.state``)."""

    target: str
    old: str
    new: str


# Given the rows of a page of the audit trail, the words for those it knows, by row id.
AuditDescriber = Callable[[list[dict[str, Any]]], Awaitable[dict[int, AuditWords]]]


async def audit_words(connection: ASGIConnection, entries: list[dict[str, Any]]) -> dict[int, AuditWords]:
    words: dict[int, AuditWords] = {}
    for describe in connection.app.state.get("audit_describers", []):
        words.update(await describe(entries))
    return words


def page_parts(connection: ASGIConnection) -> list[str]:
    account = current_account(connection)
    return [part.template for part in connection.app.state.get("page_parts", []) if part.shown_to(account)]


async def home_sections(connection: ASGIConnection) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for section in connection.app.state.get("home_sections", []):
        context = await section.load()
        if context:
            shown.append((section.template, context))
    return shown


async def department_sections(connection: ASGIConnection, department_id: int) -> list[tuple[str, dict[str, Any]]]:
    shown = []
    for section in connection.app.state.get("department_sections", []):
        context = await section.load(department_id)
        if context:
            shown.append((section.template, context))
    return shown


def page(template_name: str, status_code: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> Template:
    return Template(
        template_name=template_name,
        context=context,
        status_code=status_code,
        headers={"Vary": "HX-Request", **(headers or {})},
    )


# Public pages as an anonymous visitor sees them, by (template, language, key): the objects they
# were made of and the HTML with a stand-in for the CSRF token. Bounded by the callers' keys.
_rendered: dict[tuple[Any, ...], tuple[tuple[Any, ...], str]] = {}
_TOKEN_STAND_IN = "pingyi-csrf-token-stand-in"
cache.on_clear(_rendered.clear)


def page_rendered_once(request: Request, template_name: str, key: tuple[Any, ...], made_of: tuple[Any, ...],
                       **context: Any) -> Response[Any]:
    """``page()`` for a public page an anonymous visitor sees as every other one does: rendered
    once per language and ``key`` while ``made_of`` are the same objects (the few seconds'
    copies of evaluation/core/cache.py: a refreshed copy is a new object, so the page is made
    again), then only the visitor's CSRF token is put in. Rendering the department page cost
    more than all the rest of its request; at saturation that time is what queued the other
    visitors. Signed-in staff see the page rendered for them."""
    full_key = (template_name, i18n.active_language(), *key)
    kept = _rendered.get(full_key)
    if kept is None or len(kept[0]) != len(made_of) or any(a is not b for a, b in zip(kept[0], made_of, strict=True)):
        state = ScopeState.from_scope(request.scope)
        token = state.csrf_token
        state.csrf_token = _TOKEN_STAND_IN
        try:
            html = request.app.template_engine.get_template(template_name).render(  # type: ignore[union-attr]
                **context, request=request,
                csrf_input=f'<input type="hidden" name="_csrf_token" value="{_TOKEN_STAND_IN}" />')
        finally:
            state.csrf_token = token
        kept = _rendered[full_key] = (made_of, html)
    token = ScopeState.from_scope(request.scope).csrf_token
    body = kept[1].replace(_TOKEN_STAND_IN, token if isinstance(token, str) else "")
    return Response(body, media_type=MediaType.HTML, headers={"Vary": "HX-Request"})


def client_address(connection: ASGIConnection) -> str:
    """The citizen's address: the socket's peer, or what a trusted reverse proxy says it is
    (``PINGYI_TRUSTED_PROXIES``: uvicorn puts it in the scope)."""
    client = connection.client
    return client.host if client else "unknown"


def asks_for_json(connection: ASGIConnection) -> bool:
    """A script (the checklist page's saves and uploads) that asks for JSON gets answers, and
    errors, it can act on; a browser asking for a page gets HTML."""
    accept = connection.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


async def read_upload(form: Any, field: str = "file") -> Upload | None:
    """The file a multipart form sent in ``field``, read whole and closed; None when the person
    chose none. The size is bounded before this by the route's ``request_max_body_size``."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    try:
        return Upload(upload.filename, await upload.read())
    finally:
        await upload.close()


def download(file: spreadsheets.Download) -> Response[Any]:
    """A file to save, never kept by a cache on the way (what staff download is not public)."""
    headers = {"Content-Disposition": spreadsheets.content_disposition(file.filename, file.fallback),
               "Cache-Control": "no-store"}
    if isinstance(file.content, bytes):
        return Response(file.content, media_type=file.media_type, headers=headers)
    chunks = file.content if hasattr(file.content, "__aiter__") else spreadsheets.chunks(file.content)
    return Stream(chunks, media_type=file.media_type, headers=headers)


def web_link(url: str | None) -> str | None:
    """A link typed by someone (a catalogue item's address, an interview's stream) is shown as a
    link only when it is a web address: never ``javascript:`` or ``data:``, whatever the database
    holds (templates: ``{% set link = item.url | web_link %}``)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


def see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: a ``next`` of ``//evil.example`` must not redirect away."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
