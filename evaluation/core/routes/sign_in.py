"""Staff sign-in and sign-out, and the staff home page."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import accounts
from evaluation.core.web import (
    PUBLIC,
    client_address,
    current_account,
    keep_session_after_password_change,
    page,
    safe_next,
    see_other,
    staff,
    start_session,
)


@get("/staff/login", opt=PUBLIC, name="login")
async def login_form(request: Request, next: FromQuery[str] = "/staff", expired: FromQuery[str] = "") -> Template:
    if current_account(request):
        return see_other(safe_next(next, "/staff"))
    return page("core/login.html", next=safe_next(next, "/staff"), expired=bool(expired), error="", username="")


@post("/staff/login", opt=PUBLIC, name="login-submit")
async def login(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    username, password = data.get("username", ""), data.get("password", "")
    target = safe_next(data.get("next"), "/staff")
    try:
        account = await accounts.authenticate(username, password, client_address(request))
    except accounts.AccountError as refusal:
        return page("core/login.html", status_code=422, next=target, expired=False, error=str(refusal),
                    username=username[:100])
    response = see_other(target)
    await start_session(request, account, request.app.state.session_config, response)
    return response


@post("/staff/logout", guards=[staff], name="logout")
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return see_other("/")


@get("/staff", guards=[staff], name="staff-home")
async def staff_home(request: Request) -> Template:
    account = current_account(request)
    department_code = await accounts.department_code(account)
    return page("core/staff_home.html", account=account, role_labels=accounts.ROLE_LABELS,
                department_code=department_code)


@get("/staff/password", guards=[staff], name="own-password")
async def own_password_form(saved: FromQuery[bool] = False) -> Template:
    return page("core/own_password.html", error="", saved=saved)


@post("/staff/password", guards=[staff], name="own-password-change")
async def change_own_password(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    try:
        epoch = await accounts.change_own_password(
            current_account(request), data.get("current", ""), data.get("new", ""), data.get("repeated", ""))
    except accounts.AccountError as refusal:
        return page("core/own_password.html", status_code=422, error=str(refusal), saved=False)
    keep_session_after_password_change(request, epoch)
    return see_other("/staff/password?saved=1")


ROUTES = [login_form, login, logout, staff_home, own_password_form, change_own_password]
