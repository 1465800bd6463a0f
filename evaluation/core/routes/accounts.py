"""The office manages staff accounts: roles, department binding, activation, passwords."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import accounts, departments
from evaluation.core.accounts import AccountError, AccountForm
from evaluation.core.tables import Role
from evaluation.core.web import current_account, keep_session_after_password_change, office, page, see_other


async def _form_page(form: AccountForm, *, new: bool, error: str = "", status_code: int = 200,
                     saved: bool = False) -> Template:
    return page("core/account_form.html", status_code=status_code, form=form, new=new, error=error,
                roles=accounts.ROLE_LABELS, role_values=[role.value for role in Role],
                departments=await departments.all_departments(), saved=saved)


def _form_from(data: dict[str, str], username: str = "") -> AccountForm:
    return AccountForm(
        username=data.get("username", username),
        display_name=data.get("display_name", ""),
        role=data.get("role", ""),
        department_code=data.get("department_code", ""),
        active=data.get("active") == "on",
    )


@get("/staff/accounts", guards=[office], name="accounts")
async def list_accounts() -> Template:
    return page("core/accounts.html", accounts=await accounts.list_accounts(), roles=accounts.ROLE_LABELS)


@get("/staff/accounts/new", guards=[office], name="account-new")
async def new_account() -> Template:
    return await _form_page(AccountForm(role=Role.inspector.value), new=True)


@post("/staff/accounts", guards=[office], name="account-create")
async def create_account(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data)
    form.active = True
    try:
        await accounts.create_account(current_account(request).username, form, data.get("password", ""))
    except AccountError as refusal:
        return await _form_page(form, new=True, error=str(refusal), status_code=422)
    return see_other(f"/staff/accounts/{form.username.strip()}/edit?saved=1")


@get("/staff/accounts/{username:str}/edit", guards=[office], name="account-edit")
async def edit_account(username: FromPath[str], saved: FromQuery[bool] = False) -> Template:
    try:
        form = await accounts.account_form(username)
    except AccountError as exc:
        raise NotFoundException() from exc
    return await _form_page(form, new=False, saved=saved)


@post("/staff/accounts/{username:str}", guards=[office], name="account-update")
async def update_account(request: Request, username: FromPath[str],
                         data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data, username)
    form.username = username
    try:
        await accounts.update_account(current_account(request).username, username, form)
    except AccountError as refusal:
        return await _form_page(form, new=False, error=str(refusal), status_code=422)
    return see_other(f"/staff/accounts/{username}/edit?saved=1")


@post("/staff/accounts/{username:str}/password", guards=[office], name="account-password")
async def set_password(request: Request, username: FromPath[str],
                       data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    try:
        epoch = await accounts.set_password(current_account(request).username, username, data.get("password", ""))
    except AccountError as refusal:
        try:
            form = await accounts.account_form(username)
        except AccountError as missing:
            raise NotFoundException() from missing
        return await _form_page(form, new=False, error=str(refusal), status_code=422)
    if username == current_account(request).username:
        keep_session_after_password_change(request, epoch)
    return see_other(f"/staff/accounts/{username}/edit?saved=1")


ROUTES = [list_accounts, new_account, create_account, edit_account, update_account, set_password]
