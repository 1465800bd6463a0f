"""Office staff build a year's indicator system (考核指标体系): categories and items, import and
export as CSV or xlsx, copy for another year. Auditors read; a frozen system only reads.

Every form is a plain POST answered by a 303; the system page's forms also post through htmx,
which swaps the system's table (``_indicator_system.html``) so totals stay current as they edit."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from evaluation.core.i18n import _
from evaluation.core.spreadsheets import CSV_MEDIA_TYPE, Download
from evaluation.core.web import current_account, download, office, office_or_auditor, page, read_upload, see_other
from inspections.indicators import editor, indicators
from inspections.indicators import files as indicator_files
from inspections.indicators.editor import IndicatorForm
from inspections.indicators.indicators import (
    IndicatorError,
    SettingsForm,
    SystemForm,
    SystemFrozen,
    SystemNotFound,
)
from inspections.indicators.rules import DEFAULT_STEP, FIELDS, ITEM_KINDS_BY_CATEGORY, KIND_LABELS, STEPS, points_text

PARTIAL_ID = "indicator-system"


def _actor(request: Request) -> str:
    return current_account(request).username


def _step_options() -> list[tuple[str, str]]:
    return [(points_text(step), _("{step} 分").format(step=points_text(step))) for step in STEPS]


def _options(system: indicators.System) -> dict[str, list[tuple[str, str]]]:
    """The choices of the editor's selects, labels translated for this request."""
    kinds = [(kind, f"{_(label)} ({kind})") for kind, label in KIND_LABELS.items()]
    return {
        "parents": [(category.row.code, f"{category.row.code} {category.row.title}") for category in system.categories],
        "item_kinds": kinds,
        "category_kinds": [(kind, label) for kind, label in kinds if kind in ITEM_KINDS_BY_CATEGORY],
        "steps": _step_options(),
    }


async def _list_page(status_code: int = 200, create_form: SystemForm | None = None,
                     import_form: dict[str, Any] | None = None, import_errors: list[str] | None = None,
                     import_error: str = "") -> Template:
    return page("inspections/indicator_systems.html", status_code=status_code,
                systems=await indicators.all_systems(), create_form=create_form or SystemForm(),
                import_form=import_form or {}, import_errors=import_errors or [], import_error=import_error,
                steps=_step_options(), points=points_text)


@get("/staff/indicators", guards=[office_or_auditor], name="indicator-systems")
async def list_systems() -> Template:
    return await _list_page()


@post("/staff/indicators", guards=[office], name="indicator-system-create")
async def create_system(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = SystemForm(year=data.get("year", ""), code=data.get("code", ""), name=data.get("name", ""),
                      point_step=data.get("point_step") or points_text(DEFAULT_STEP))
    system_id = await indicators.create_system(_actor(request), form)
    if system_id is None:
        return await _list_page(422, create_form=form)
    return see_other(f"/staff/indicators/{system_id}?saved=1")


@post("/staff/indicators/import", guards=[office], name="indicator-system-import")
async def import_system(request: Request) -> Template | Redirect:
    data = await request.form()
    typed = {key: str(data.get(key) or "").strip() for key in ("year", "code", "name", "point_step")}
    typed["replace"] = data.get("replace") == "on"
    upload = await read_upload(data)
    if not typed["year"].isdigit():
        return await _list_page(422, import_form=typed, import_error=_("请填写年度，例如 2026。"))
    if upload is None:
        return await _list_page(422, import_form=typed, import_error=_("请选择一个 CSV 或 xlsx 文件。"))
    try:
        result = await indicator_files.import_system(
            _actor(request), int(typed["year"]), typed["code"], typed["name"], upload.filename, upload.content,
            replace=typed["replace"], point_step=typed["point_step"])
    except IndicatorError as refusal:
        return await _list_page(422, import_form=typed, import_error=str(refusal))
    if result.errors:
        return await _list_page(422, import_form=typed, import_errors=result.errors)
    return see_other(f"/staff/indicators/{result.system_id}?imported={'replaced' if result.replaced else 'created'}")


async def _system(system_id: int) -> indicators.System:
    system = await indicators.get_system(system_id)
    if system is None:
        raise NotFoundException()
    return system


async def _system_page(request: Request, system_id: int, status_code: int = 200, **context: Any) -> Template:
    """The system's table alone when htmx asks for it, the whole page otherwise."""
    system = await _system(system_id)
    context.setdefault("category_form", IndicatorForm())
    context.setdefault("item_form", IndicatorForm(parent_code=context.pop("parent_code", "")))
    context.setdefault("copy_form", SystemForm(year=str(system.year + 1)))
    context.setdefault("settings_form", SettingsForm.of(system))
    account = current_account(request)
    context["can_edit"] = account is not None and account.role == "office" and not system.frozen
    wanted = isinstance(request, HTMXRequest) and request.htmx.target == PARTIAL_ID
    template = "inspections/_indicator_system.html" if wanted else "inspections/indicator_system.html"
    return page(template, status_code=status_code, system=system, kind_labels=KIND_LABELS, options=_options(system),
                points=points_text, **context)


@get("/staff/indicators/{system_id:int}", guards=[office_or_auditor], name="indicator-system")
async def show_system(request: HTMXRequest, system_id: FromPath[int], edit: FromQuery[int | None] = None,
                      saved: FromQuery[bool] = False, imported: FromQuery[str] = "") -> Template:
    system = await _system(system_id)
    editing = system.find(edit) if edit is not None else None
    message = ""
    if saved:
        message = _("已保存。")
    elif imported == "created":
        message = _("已从文件导入。")
    elif imported == "replaced":
        message = _("已用文件中的指标整体替换原有指标。")
    return await _system_page(request, system_id, edit_id=editing.id if editing else None,
                              edit_form=IndicatorForm.of(editing) if editing else None, message=message)


@post("/staff/indicators/{system_id:int}", guards=[office], name="indicator-system-update")
async def update_system(request: HTMXRequest, system_id: FromPath[int],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = SettingsForm(name=data.get("name", ""), point_step=data.get("point_step", ""))
    try:
        updated = await indicators.update_system(_actor(request), system_id, form)
    except SystemNotFound as exc:
        raise NotFoundException() from exc
    except SystemFrozen as refusal:
        return await _system_page(request, system_id, 422, error=str(refusal))
    if not updated:
        return await _system_page(request, system_id, 422, settings_form=form)
    return see_other(f"/staff/indicators/{system_id}?saved=1")


def _indicator_form(data: dict[str, str]) -> IndicatorForm:
    return IndicatorForm(**{key: data.get(key, "") for key in FIELDS})


async def _after_change(request: HTMXRequest, system_id: int, message: str, anchor: str,
                        parent_code: str = "") -> Template | Redirect:
    if request.htmx.target == PARTIAL_ID:
        return await _system_page(request, system_id, message=message, parent_code=parent_code)
    return see_other(f"/staff/indicators/{system_id}?saved=1#{anchor}")


@post("/staff/indicators/{system_id:int}/indicators", guards=[office], name="indicator-create")
async def add_indicator(request: HTMXRequest, system_id: FromPath[int],
                        data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _indicator_form(data)
    is_item = data.get("level") == "item"
    slot = "item_form" if is_item else "category_form"
    if not is_item:
        form.parent_code = ""
    elif not form.parent_code.strip():
        form.errors["parent_code"] = _("请选择所属类目")
        return await _system_page(request, system_id, 422, **{slot: form})
    try:
        added = await editor.add_indicator(_actor(request), system_id, form)
    except SystemNotFound as exc:
        raise NotFoundException() from exc
    except SystemFrozen as refusal:
        return await _system_page(request, system_id, 422, error=str(refusal), **{slot: form})
    if not added:
        return await _system_page(request, system_id, 422, **{slot: form})
    code = form.code.strip()
    return await _after_change(request, system_id, _("已添加 {code}。").format(code=code), f"indicator-{code}",
                               parent_code=form.parent_code.strip())


@post("/staff/indicators/{system_id:int}/indicators/{indicator_id:int}", guards=[office], name="indicator-update")
async def update_indicator(request: HTMXRequest, system_id: FromPath[int], indicator_id: FromPath[int],
                           data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _indicator_form(data)
    try:
        updated = await editor.update_indicator(_actor(request), system_id, indicator_id, form)
    except SystemNotFound as exc:
        raise NotFoundException() from exc
    except SystemFrozen as refusal:
        return await _system_page(request, system_id, 422, error=str(refusal))
    if not updated:
        return await _system_page(request, system_id, 422, edit_id=indicator_id, edit_form=form)
    code = form.code.strip()
    return await _after_change(request, system_id, _("已保存 {code}。").format(code=code), f"indicator-{code}")


@post("/staff/indicators/{system_id:int}/indicators/{indicator_id:int}/delete", guards=[office],
      name="indicator-delete")
async def delete_indicator(request: HTMXRequest, system_id: FromPath[int],
                           indicator_id: FromPath[int]) -> Template | Redirect:
    try:
        await editor.delete_indicator(_actor(request), system_id, indicator_id)
    except SystemNotFound as exc:
        raise NotFoundException() from exc
    except IndicatorError as refusal:
        return await _system_page(request, system_id, 422, error=str(refusal))
    return await _after_change(request, system_id, _("已删除。"), PARTIAL_ID)


@post("/staff/indicators/{system_id:int}/copy", guards=[office], name="indicator-system-copy")
async def copy_system(request: HTMXRequest, system_id: FromPath[int],
                      data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = SystemForm(year=data.get("year", ""), code=data.get("code", ""), name=data.get("name", ""))
    try:
        new_id = await indicators.copy_system(_actor(request), system_id, form)
    except SystemNotFound as exc:
        raise NotFoundException() from exc
    if new_id is None:
        return await _system_page(request, system_id, 422, copy_form=form)
    return see_other(f"/staff/indicators/{new_id}?saved=1")


@get("/staff/indicators/{system_id:int}/indicators.csv", guards=[office_or_auditor], name="indicator-system-csv")
async def export_csv(system_id: FromPath[int]) -> Response:
    system = await _system(system_id)
    return download(Download(*indicator_files.export_filename(system, "csv"),
                             content=indicator_files.csv_bytes(system), media_type=CSV_MEDIA_TYPE))


@get("/staff/indicators/{system_id:int}/indicators.xlsx", guards=[office_or_auditor], name="indicator-system-xlsx")
async def export_xlsx(system_id: FromPath[int]) -> Response:
    system = await _system(system_id)
    return download(Download(*indicator_files.export_filename(system, "xlsx"),
                             content=indicator_files.xlsx_bytes(system)))


ROUTES = [list_systems, create_system, import_system, show_system, update_system, add_indicator, update_indicator,
          delete_indicator, copy_system, export_csv, export_xlsx]
