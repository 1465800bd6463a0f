"""Photo evidence: upload from the checklist page (by script, or a plain form without it),
download as an attachment, delete while the checklist can change."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from evaluation.core.i18n import _
from evaluation.core.spreadsheets import content_disposition
from evaluation.core.web import asks_for_json, current_account, page, read_upload, see_other, staff
from inspections.checklists import checklists, evidence
from inspections.checklists.evidence import TOO_LARGE, EvidenceError, EvidenceLocked, EvidenceNotFound


async def _checklist_page(request: Request, checklist_id: int, message: str, status_code: int,
                          item_code: str = "") -> Template:
    """Without script the refusal comes back on the checklist page itself: on the item's card
    when it is about one item's photo, else at the top."""
    checklist = await checklists.checklist_for(current_account(request), checklist_id)
    if checklist is None:
        raise NotFoundException()
    photo_error = {"code": item_code, "message": message} if item_code else None
    return page("inspections/checklist.html", status_code=status_code, checklist=checklist,
                account=current_account(request), message=None if item_code else message, conflict=None,
                photo_error=photo_error)


def _refusal(error: EvidenceError) -> tuple[str, int]:
    if isinstance(error, EvidenceLocked):
        return "locked", 423
    return "invalid", 422


def _too_large(request: Request, _exc: RequestEntityTooLarge) -> Response[Any]:
    """A body past the route's limit is refused while it is read (by the CSRF check, for a plain
    form): the page's own words, in the chosen language, not the framework's English. Without
    script the card says it (through the upload's address, which knows the item's code)."""
    if asks_for_json(request):
        return Response({"status": "too_large", "message": evidence.too_large_message()}, status_code=413)
    params = request.path_params
    return see_other(f"/inspect/checklists/{params['checklist_id']}/items/{params['indicator_id']}/photos"
                     f"?refused={TOO_LARGE}")


@post(
    "/inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos",
    guards=[staff],
    name="checklist-photo-upload",
    request_max_body_size=evidence.MAX_UPLOAD_BODY_BYTES,
    exception_handlers={RequestEntityTooLarge: _too_large},
)
async def upload_photo(request: Request, checklist_id: FromPath[int],
                       indicator_id: FromPath[int]) -> Response[Any] | Template | Redirect:
    try:
        form = await request.form()
    except RequestEntityTooLarge:
        # Refused while the body was read: the page's own words, not the framework's English.
        message = _("照片不能超过 10 MB，请压缩后重新上传。")
        if asks_for_json(request):
            return Response({"status": "too_large", "message": message}, status_code=413)
        return await _checklist_page(request, checklist_id, message, 413, await checklists.item_code(indicator_id))
    upload = await read_upload(form, "photo")
    # A plain form (no script) has no upload id of its own: one is made here.
    upload_id = str(form.get("upload_id") or "") or evidence.new_upload_id()
    try:
        if upload is None:
            raise EvidenceError(_("请选择一张照片。"))
        stored = await evidence.store_photo(current_account(request), checklist_id, indicator_id, upload_id,
                                            upload.filename, upload.content)
    except EvidenceNotFound as missing:
        raise NotFoundException() from missing
    except EvidenceError as refusal:
        status, status_code = _refusal(refusal)
        if asks_for_json(request):
            return Response({"status": status, "message": str(refusal)}, status_code=status_code)
        return await _checklist_page(request, checklist_id, str(refusal), status_code,
                                     await checklists.item_code(indicator_id))
    if asks_for_json(request):
        return Response({"status": "stored", "id": stored.id, "url": stored.url, "original_name": stored.original_name,
                         "content_type": stored.content_type, "size": stored.size}, status_code=200)
    code = await checklists.item_code(indicator_id)
    return see_other(f"/inspect/checklists/{checklist_id}#item-{code}")


@get("/inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos", guards=[staff],
     name="checklist-photo-back")
async def back_to_item(checklist_id: FromPath[int], indicator_id: FromPath[int],
                       refused: FromQuery[str] = "") -> Redirect:
    """The address a refused plain-form upload was shown at: reloading it goes back to the card
    (saying why an upload too large for the server was refused, when it was)."""
    code = await checklists.item_code(indicator_id)
    query = f"?refused={TOO_LARGE}&item={code}" if refused == TOO_LARGE and code else ""
    return see_other(f"/inspect/checklists/{checklist_id}{query}#item-{code}")


@get("/inspect/evidence/{evidence_id:int}", guards=[staff], name="evidence-download")
async def download_photo(request: Request, evidence_id: FromPath[int]) -> File:
    try:
        photo, path = await evidence.photo_for_download(current_account(request), evidence_id)
    except EvidenceNotFound as missing:
        raise NotFoundException() from missing
    return File(
        path=path,
        media_type=photo.content_type,
        headers={
            # An attachment, never rendered as a page of this site, whatever the file holds.
            "content-disposition": content_disposition(*evidence.download_name(photo)),
            "x-content-type-options": "nosniff",
            "cache-control": "private, max-age=3600",
        },
    )


@post("/inspect/evidence/{evidence_id:int}/delete", guards=[staff], name="evidence-delete")
async def delete_photo(request: Request, evidence_id: FromPath[int]) -> Response[Any] | Template | Redirect:
    try:
        checklist_id, code = await evidence.delete_photo(current_account(request), evidence_id)
    except EvidenceNotFound as missing:
        raise NotFoundException() from missing
    except EvidenceError as refusal:
        status, status_code = _refusal(refusal)
        if asks_for_json(request):
            return Response({"status": status, "message": str(refusal)}, status_code=status_code)
        return await _checklist_page(request, refusal.checklist_id or 0, str(refusal), status_code)
    if asks_for_json(request):
        return Response({"status": "deleted", "id": evidence_id}, status_code=200)
    return see_other(f"/inspect/checklists/{checklist_id}#item-{code}")


ROUTES = [upload_photo, back_to_item, download_photo, delete_photo]
