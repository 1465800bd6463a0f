"""Staff sign-in and sign-out, and the staff home page."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import accounts
from evaluation.core.web import PUBLIC, current_account, page, safe_next, see_other, staff, start_session


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
        account = await accounts.authenticate(username, password)
    except accounts.AccountError as refusal:
        return page("core/login.html", status_code=422, next=target, expired=False, error=str(refusal),
                    username=username[:100])
    await start_session(request, account, request.app.state.session_config)
    return see_other(target)


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


ROUTES = [login_form, login, logout, staff_home]
