"""The inspector's checklists: the list of their own, the checklist page and the save of one item.

The page saves each item by script, asking for JSON (409 conflict, 423 locked, 422 invalid); the
same form posted without script gets a redirect back to the item, or the page again with the
message, so nothing typed is lost either way.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core import clock
from evaluation.core.i18n import _
from evaluation.core.tables import Role
from evaluation.core.web import asks_for_json, current_account, page, require, see_other, staff
from inspections.checklists import checklists, evidence, summaries
from inspections.tables import CHECKLIST_STATUS_LABELS

inspector = require(Role.inspector)


@get("/inspect", guards=[inspector], name="my-checklists")
async def my_checklists(request: Request) -> Template:
    rows = await checklists.my_checklists(current_account(request))
    return page("inspections/my_checklists.html", rows=rows, status_labels=CHECKLIST_STATUS_LABELS)


async def _checklist_page(request: Request, checklist_id: int, status_code: int = 200, **context: Any) -> Template:
    account = current_account(request)
    checklist = await checklists.checklist_for(account, checklist_id)
    if checklist is None:
        raise NotFoundException()
    context.setdefault("message", None)
    context.setdefault("conflict", None)
    return page("inspections/checklist.html", status_code=status_code, checklist=checklist, account=account,
                **context)


def _conflict_message(conflict: dict[str, Any]) -> str:
    return _("这一项已由 {by} 于 {at} 修改，您的修改没有保存。请核对当前答案后再保存。").format(
        by=conflict.get("by") or _("他人"), at=conflict.get("at") or ""
    )


@get("/inspect/checklists/{checklist_id:int}", guards=[staff], name="checklist")
async def show_checklist(request: Request, checklist_id: FromPath[int], refused: FromQuery[str] = "",
                         item: FromQuery[str] = "") -> Template:
    # An upload too large for the server, refused before it reached its handler (no script).
    photo_error = {"code": item, "message": evidence.too_large_message()} if refused == evidence.TOO_LARGE else None
    return await _checklist_page(request, checklist_id, photo_error=photo_error)


@post("/inspect/checklists/{checklist_id:int}/items/{indicator_id:int}", guards=[staff], name="checklist-save")
async def save_item(request: Request, checklist_id: FromPath[int], indicator_id: FromPath[int],
                    data: URLEncodedBody[dict[str, str]]) -> Response | Template | Redirect:
    outcome = await checklists.save(
        current_account(request), checklist_id, indicator_id,
        save_id=data.get("save_id", ""), base_version=data.get("base_version", ""),
        value_text=data.get("value", ""), note=data.get("note", ""),
    )
    if outcome is None:
        raise NotFoundException()
    if asks_for_json(request):
        return Response(outcome.body, status_code=outcome.http_status)
    if outcome.status == "saved":
        return see_other(f"/inspect/checklists/{checklist_id}#item-{outcome.indicator_code}")
    # Without script: the page again, the refusal above the item and what was typed kept in the form.
    typed = {"indicator_id": indicator_id, "code": outcome.indicator_code, "value": data.get("value", ""),
             "note": data.get("note", "")}
    return await _checklist_page(
        request, checklist_id, status_code=outcome.http_status,
        message=outcome.body.get("message") or _conflict_message(outcome.body),
        conflict=outcome.body if outcome.status == "conflict" else None,
        item_code=outcome.indicator_code, typed=typed,
    )


async def _visible(request: Request, checklist_id: int) -> checklists.ChecklistPage:
    checklist = await checklists.checklist_for(current_account(request), checklist_id)
    if checklist is None:
        raise NotFoundException()
    return checklist


@get("/inspect/checklists/{checklist_id:int}/summary", guards=[staff], name="checklist-summary")
async def summary(request: Request, checklist_id: FromPath[int]) -> Template:
    checklist = await _visible(request, checklist_id)
    return page("inspections/checklist_summary.html", checklist=checklist, account=current_account(request),
                summaries=summaries.summarise(checklist), lost_points=summaries.lost_points)


@get("/inspect/checklists/{checklist_id:int}/print", guards=[staff], name="checklist-print")
async def printable(request: Request, checklist_id: FromPath[int]) -> Template:
    checklist = await _visible(request, checklist_id)
    return page("inspections/checklist_print.html", checklist=checklist, today=clock.local(clock.now()).date())


@get("/inspect/checklists/{checklist_id:int}/items/{indicator_id:int}", guards=[staff], name="checklist-item-back")
async def back_to_item(checklist_id: FromPath[int], indicator_id: FromPath[int]) -> Redirect:
    """The address a refused plain-form save was shown at: reloading it goes back to the card."""
    return see_other(f"/inspect/checklists/{checklist_id}#item-{await checklists.item_code(indicator_id)}")


ROUTES = [my_checklists, show_checklist, summary, printable, save_item, back_to_item]
