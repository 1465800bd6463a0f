"""Office staff manage departments, their information catalogues, and imports."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import departments
from evaluation.core.departments import CatalogueForm, DepartmentError, DepartmentForm
from evaluation.core.i18n import _
from evaluation.core.web import current_account, office, office_or_auditor, page, read_upload, see_other


def _form_from(data: dict[str, str], code: str = "") -> DepartmentForm:
    return DepartmentForm(
        code=data.get("code", code),
        name=data.get("name", ""),
        group=data.get("group", ""),
        active=data.get("active") == "on",
    )


@get("/staff/departments", guards=[office_or_auditor], name="departments-admin")
async def list_departments() -> Template:
    return page("core/departments.html", departments=await departments.all_departments(),
                group_labels=departments.GROUP_LABELS)


@get("/staff/departments/new", guards=[office], name="department-new")
async def new_department() -> Template:
    return page("core/department_form.html", form=DepartmentForm(), new=True,
                group_labels=departments.GROUP_LABELS)


@post("/staff/departments", guards=[office], name="department-create")
async def create_department(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data)
    form.active = True
    if await departments.create(current_account(request).username, form):
        return see_other(f"/staff/departments/{form.code}/edit?saved=1")
    return page("core/department_form.html", status_code=422, form=form, new=True,
                group_labels=departments.GROUP_LABELS)


async def _edit_page(code: str, form: DepartmentForm | None = None, catalogue_form: CatalogueForm | None = None,
                     status_code: int = 200, saved: bool = False) -> Template:
    found = await departments.department_page(code)
    if found is None:
        raise NotFoundException()
    form = form or DepartmentForm(code=found["code"], name=found["name"], group=found["group"],
                                  active=found["active"])
    return page("core/department_form.html", status_code=status_code, form=form, new=False,
                department=found, catalogue_form=catalogue_form or CatalogueForm(),
                group_labels=departments.GROUP_LABELS, saved=saved)


@get("/staff/departments/{code:str}/edit", guards=[office_or_auditor], name="department-edit")
async def edit_department(code: FromPath[str], saved: FromQuery[bool] = False) -> Template:
    return await _edit_page(code, saved=saved)


@post("/staff/departments/{code:str}", guards=[office], name="department-update")
async def update_department(request: Request, code: FromPath[str],
                            data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data, code)
    form.code = code
    try:
        if await departments.update(current_account(request).username, code, form):
            return see_other(f"/staff/departments/{code}/edit?saved=1")
    except DepartmentError as exc:
        raise NotFoundException() from exc
    return await _edit_page(code, form=form, status_code=422)


@post("/staff/departments/{code:str}/catalogue", guards=[office], name="catalogue-add")
async def add_catalogue_item(request: Request, code: FromPath[str],
                             data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = CatalogueForm(title=data.get("title", ""), description=data.get("description", ""),
                         url=data.get("url", ""))
    try:
        if await departments.add_catalogue_item(current_account(request).username, code, form):
            return see_other(f"/staff/departments/{code}/edit?saved=1#catalogue")
    except DepartmentError as exc:
        raise NotFoundException() from exc
    return await _edit_page(code, catalogue_form=form, status_code=422)


@post("/staff/departments/{code:str}/catalogue/{item_id:int}/delete", guards=[office], name="catalogue-remove")
async def remove_catalogue_item(request: Request, code: FromPath[str], item_id: FromPath[int]) -> Redirect:
    try:
        await departments.remove_catalogue_item(current_account(request).username, code, item_id)
    except DepartmentError as exc:
        raise NotFoundException() from exc
    return see_other(f"/staff/departments/{code}/edit?saved=1#catalogue")


@get("/staff/departments/import", guards=[office], name="departments-import-form")
async def import_form() -> Template:
    return page("core/departments_import.html", result=None, error="")


@post("/staff/departments/import", guards=[office], name="departments-import")
async def import_departments(request: Request) -> Template:
    form = await request.form()
    upload = await read_upload(form)
    if upload is None:
        return page("core/departments_import.html", status_code=422, result=None,
                    error=_("请选择一个 CSV 或 xlsx 文件。"))
    try:
        result = await departments.import_departments(current_account(request).username, upload.filename,
                                                      upload.content)
    except DepartmentError as refusal:
        return page("core/departments_import.html", status_code=422, result=None, error=str(refusal))
    return page("core/departments_import.html", status_code=422 if result.errors else 200, result=result, error="")


ROUTES = [list_departments, new_department, create_department, import_form, import_departments, edit_department,
          update_department, add_catalogue_item, remove_catalogue_item]
