"""Photo evidence for checklist answers: stored under names the server makes, served only to
staff who may see the checklist, as attachments (PRODUCT.md, Settled questions: JPEG, PNG or
WebP checked by content, ≤ 10 MB).

The same access rules as the answers themselves: office and auditor see every checklist, an
inspector only those of their teams, a liaison none; only the team's members change photos,
and only while the round is open and the checklist is not submitted or approved.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.accounts import SignedIn
from evaluation.core.database import is_unique_violation, write_transaction
from evaluation.core.i18n import _
from inspections.checklists.checklists import EvidenceFile, is_editable, locked_message, may_see_every_checklist
from inspections.tables import Checklist, ChecklistAnswer, Evidence, Indicator, TeamMember
from settings import settings

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# The multipart envelope around a 10 MB photo: the route's body limit, a little above the photo's.
MAX_UPLOAD_BODY_BYTES = 11 * 1024 * 1024
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

# Recognised by their first bytes: a name or a content type the browser sends proves nothing.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


class EvidenceError(ValueError):
    """A photo refused, with a message fit to show the inspector (422)."""

    def __init__(self, message: str, checklist_id: int | None = None) -> None:
        super().__init__(message)
        self.checklist_id = checklist_id


class EvidenceLocked(EvidenceError):
    """The checklist cannot change now: submitted, approved, round not open, not the team (423)."""


class EvidenceNotFound(LookupError):
    """Not there, or not visible to this account: both are a 404."""


TOO_LARGE = "too_large"  # how a plain form's refusal for size is named in the page's address


def too_large_message() -> str:
    return _("照片不能超过 10 MB，请压缩后重新上传。")


def new_upload_id() -> str:
    return uuid.uuid4().hex


def extension_of(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "")


def download_name(photo: EvidenceFile) -> tuple[str, str]:
    """(name, ASCII fallback) a photo is downloaded under: the inspector's name for it, but always
    with the extension of the type its bytes were checked to be, so that ``poly.html`` holding a
    JPEG is saved as ``poly.jpg`` and never opened as a page."""
    extension = extension_of(photo.content_type)
    fallback = f"evidence-{photo.id}{extension}"
    stem = photo.original_name.rsplit(".", 1)[0].strip() if photo.original_name else ""
    return (stem + extension if stem else fallback), fallback


def evidence_dir() -> Path:
    return settings.uploads_dir / "evidence"


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG or WebP image, by its magic bytes; else None."""
    for signature, content_type, extension in _SIGNATURES:
        if content.startswith(signature):
            return content_type, extension
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def clean_name(filename: str) -> str:
    """The name the inspector's device gave the photo, kept only to be shown and offered back:
    no path, no control characters, at most 200 characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:200]


def _file(row: dict[str, Any]) -> EvidenceFile:
    return EvidenceFile(id=row["id"], original_name=row["original_name"], content_type=row["content_type"],
                        size=row["size"], url=f"/inspect/evidence/{row['id']}")


async def _access(account: SignedIn, checklist_id: int) -> dict[str, Any] | None:
    """The checklist's status, its round's status and whether the account is on its team;
    None when the account may not see it."""
    row = await Checklist.select(
        Checklist.id, Checklist.status, Checklist.team, Checklist.round.status.as_alias("round_status")
    ).where(Checklist.id == checklist_id).first()
    if row is None:
        return None
    member = row["team"] is not None and await TeamMember.exists().where(
        (TeamMember.team == row["team"]) & (TeamMember.account == account.id)
    )
    if not member and not may_see_every_checklist(account):
        return None
    return {**row, "member": member}


def _editable(access: dict[str, Any]) -> bool:
    return is_editable(access["round_status"], access["status"], access["member"])


async def _require_editable(account: SignedIn, checklist_id: int) -> None:
    access = await _access(account, checklist_id)
    if access is None:
        raise EvidenceNotFound()
    if not _editable(access):
        raise EvidenceLocked(_locked_message(access), checklist_id)


def _locked_message(access: dict[str, Any]) -> str:
    return locked_message(access["round_status"], access["status"], access["member"])


def _write_durably(directory: Path, name: str, content: bytes) -> Path:
    """Temp file, fsync, rename, fsync the directory: once the row says the photo is there, it is."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    temporary = directory / f".{name}.tmp"
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return target


async def _existing_upload(upload_id: str, answer_id: int) -> EvidenceFile | None:
    row = await Evidence.select(
        Evidence.id, Evidence.answer, Evidence.original_name, Evidence.content_type, Evidence.size
    ).where(Evidence.upload_id == upload_id).first()
    if row is None:
        return None
    if row["answer"] != answer_id:
        raise EvidenceError(_("上传编号已被另一张照片使用，请重新选择照片。"))
    return _file(row)


async def store_photo(account: SignedIn, checklist_id: int, indicator_id: int, upload_id: str, filename: str,
                      content: bytes) -> EvidenceFile:
    """Stores one photo for an item. A repeated ``upload_id`` (the page retrying after a lost
    answer) returns the photo stored the first time, even once the checklist is submitted."""
    access = await _access(account, checklist_id)
    if access is None:
        raise EvidenceNotFound()
    answer = await ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.indicator.code.as_alias("code")).where(
        (ChecklistAnswer.checklist == checklist_id) & (ChecklistAnswer.indicator == indicator_id)
    ).first()
    if answer is None:
        raise EvidenceNotFound()
    if not UPLOAD_ID.match(upload_id or ""):
        raise EvidenceError(_("上传编号无效，请重新选择照片。"))
    if (existing := await _existing_upload(upload_id, answer["id"])) is not None:
        return existing
    if not _editable(access):
        raise EvidenceLocked(_locked_message(access), checklist_id)
    if not content:
        raise EvidenceError(_("请选择一张照片。"))
    if len(content) > MAX_PHOTO_BYTES:
        raise EvidenceError(too_large_message())
    kind = sniff(content)
    if kind is None:
        raise EvidenceError(_("只能上传 JPEG、PNG 或 WebP 格式的照片。"))
    content_type, extension = kind
    stored_name = uuid.uuid4().hex + extension
    original_name = clean_name(filename) or stored_name
    path = _write_durably(evidence_dir(), stored_name, content)
    try:
        async with write_transaction():
            # Checked again under the write lock: a submit may have landed while the file was written.
            await _require_editable(account, checklist_id)
            inserted = await Evidence.insert(
                Evidence(answer=answer["id"], upload_id=upload_id, stored_name=stored_name,
                         content_type=content_type, size=len(content), original_name=original_name,
                         uploaded_by=account.id, uploaded_at=clock.now())
            ).returning(Evidence.id)
            await audit.record(account.username, "checklist.photo", f"checklist:{checklist_id}:{answer['code']}",
                               None, {"photo": stored_name, "original_name": original_name, "size": len(content)})
    except Exception as exc:
        path.unlink(missing_ok=True)
        # The same upload sent twice at once: the other one was stored.
        if is_unique_violation(exc) and (existing := await _existing_upload(upload_id, answer["id"])) is not None:
            return existing
        raise
    return EvidenceFile(id=inserted[0]["id"], original_name=original_name, content_type=content_type,
                        size=len(content), url=f"/inspect/evidence/{inserted[0]['id']}")


async def _evidence_row(evidence_id: int) -> dict[str, Any] | None:
    return await Evidence.select(
        Evidence.id, Evidence.stored_name, Evidence.original_name, Evidence.content_type, Evidence.size,
        Evidence.answer.checklist.as_alias("checklist"), Evidence.answer.indicator.as_alias("indicator"),
    ).where(Evidence.id == evidence_id).first()


async def photo_for_download(account: SignedIn, evidence_id: int) -> tuple[EvidenceFile, Path]:
    row = await _evidence_row(evidence_id)
    if row is None or await _access(account, row["checklist"]) is None:
        raise EvidenceNotFound()
    path = evidence_dir() / row["stored_name"]
    if not path.is_file():
        raise EvidenceNotFound()
    return _file(row), path


async def delete_photo(account: SignedIn, evidence_id: int) -> tuple[int, str]:
    """Removes one photo; returns (checklist id, item code) so the page can go back to the card."""
    row = await _evidence_row(evidence_id)
    if row is None:
        raise EvidenceNotFound()
    code = (await Indicator.select(Indicator.code).where(Indicator.id == row["indicator"]).first())["code"]
    async with write_transaction():
        await _require_editable(account, row["checklist"])
        await Evidence.delete().where(Evidence.id == evidence_id)
        await audit.record(account.username, "checklist.photo", f"checklist:{row['checklist']}:{code}",
                           {"photo": row["stored_name"], "original_name": row["original_name"], "size": row["size"]},
                           None)
    # After the commit: a crash before this line leaves an unused file, never a row without one.
    with contextlib.suppress(OSError):
        (evidence_dir() / row["stored_name"]).unlink()
    return row["checklist"], code
