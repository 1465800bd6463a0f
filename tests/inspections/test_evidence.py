"""Photo evidence on checklist items: images only (by content), at most 10 MB, stored once per
upload id, served as attachments only to staff who may see the checklist."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from evaluation.core.tables import AuditEntry
from inspections.tables import Checklist, ChecklistStatus, Evidence
from tests.conftest import CSRF_FIELD, Visitor, run, text_of
from tests.inspections.conftest import Inspection

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
WEBP = b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x00" * 200
JSON_ACCEPT = {"Accept": "application/json"}


def photos_url(inspection: Inspection, code: str = "A1", department: str = "150902") -> str:
    return f"/inspect/checklists/{inspection.checklists[department]}/items/{inspection.items[code]}/photos"


def send_photo(visitor: Visitor, url: str, filename: str, content: bytes, upload_id: str = "",
               as_json: bool = True) -> Any:
    data = {CSRF_FIELD: visitor.csrf_token()}
    if upload_id:
        data["upload_id"] = upload_id
    return visitor.client.post(url, data=data, files={"photo": (filename, content)},
                               headers=JSON_ACCEPT if as_json else {}, follow_redirects=False)


def evidence_rows() -> list[dict[str, Any]]:
    return run(Evidence.select().order_by(Evidence.id))


def stored_files(var_dir: Path) -> list[str]:
    folder = var_dir / "uploads" / "evidence"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def photo_audit() -> list[dict[str, Any]]:
    return run(AuditEntry.select(AuditEntry.actor, AuditEntry.target, AuditEntry.old_value, AuditEntry.new_value)
               .where(AuditEntry.action == "checklist.photo").order_by(AuditEntry.id))


@pytest.fixture(autouse=True)
def _no_stored_photos(var_dir: Path) -> None:
    """The test run shares one var directory: each test starts without the photos of the last."""
    shutil.rmtree(var_dir / "uploads" / "evidence", ignore_errors=True)


@pytest.fixture
def liqiang(visitor: Visitor, inspection: Inspection) -> Visitor:
    visitor.sign_in("liqiang")
    return visitor


def test_inspector_attaches_jpeg_png_and_webp_photos_found_by_content(
        liqiang: Visitor, inspection: Inspection, var_dir: Path) -> None:
    # The names say nothing true: the first bytes decide.
    sent = [("门户网站截图.png", JPEG, "image/jpeg", ".jpg"), ("photo", PNG, "image/png", ".png"),
            ("IMG_0001.HEIC", WEBP, "image/webp", ".webp")]
    for number, (name, content, _type, _extension) in enumerate(sent):
        response = send_photo(liqiang, photos_url(inspection), name, content, upload_id=f"upload-a1-{number}")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "stored"
        assert response.json()["original_name"] == name

    rows = evidence_rows()
    assert [(row["content_type"], row["original_name"], row["size"]) for row in rows] == [
        (content_type, name, len(content)) for name, content, content_type, _ in sent
    ]
    assert [Path(row["stored_name"]).suffix for row in rows] == [extension for *_, extension in sent]
    assert all(name not in row["stored_name"] for row in rows for name, *_ in sent)
    assert stored_files(var_dir) == sorted(row["stored_name"] for row in rows)
    audit = photo_audit()
    assert [(entry["actor"], entry["target"]) for entry in audit] == [
        ("liqiang", f"checklist:{inspection.checklists['150902']}:A1")
    ] * 3
    assert json.loads(audit[0]["new_value"])["original_name"] == "门户网站截图.png"

    page = liqiang.get(f"/inspect/checklists/{inspection.checklists['150902']}")
    for row in rows:
        assert f'src="/inspect/evidence/{row["id"]}"' in page.text
    assert "照片：门户网站截图.png" in page.text


def test_a_jpg_that_is_really_text_is_refused_with_a_message(
        liqiang: Visitor, inspection: Inspection, var_dir: Path) -> None:
    text = "这不是图片".encode()
    response = send_photo(liqiang, photos_url(inspection), "现场照片.jpg", text, upload_id="fake-jpeg-1")
    assert response.status_code == 422
    assert response.json() == {"status": "invalid", "message": "只能上传 JPEG、PNG 或 WebP 格式的照片。"}

    # Without script the same refusal comes back on the checklist page.
    response = send_photo(liqiang, photos_url(inspection), "现场照片.jpg", b"GIF89a" + b"\x00" * 50, as_json=False)
    assert response.status_code == 422
    assert "只能上传 JPEG、PNG 或 WebP 格式的照片。" in text_of(response.text)
    assert "集宁区" in text_of(response.text)
    assert evidence_rows() == []
    assert stored_files(var_dir) == []


def test_a_photo_over_10_mb_is_refused(liqiang: Visitor, inspection: Inspection, var_dir: Path) -> None:
    too_big = JPEG + b"\x00" * (10 * 1024 * 1024)
    response = send_photo(liqiang, photos_url(inspection), "大图.jpg", too_big, upload_id="big-photo-1")
    assert response.status_code == 422
    assert response.json()["message"] == "照片不能超过 10 MB，请压缩后重新上传。"
    just_fits = JPEG + b"\x00" * (10 * 1024 * 1024 - len(JPEG))
    response = send_photo(liqiang, photos_url(inspection), "刚好.jpg", just_fits, upload_id="big-photo-2")
    assert response.status_code == 200
    assert [row["size"] for row in evidence_rows()] == [10 * 1024 * 1024]


def test_a_plain_form_refusal_is_shown_on_the_items_card_and_its_address_leads_back(
        liqiang: Visitor, inspection: Inspection) -> None:
    url = photos_url(inspection, "B3")
    response = send_photo(liqiang, url, "现场.gif", b"GIF89a" + b"\x00" * 50, as_json=False)
    assert response.status_code == 422
    card = response.text[response.text.index('id="item-B3"'):response.text.index('id="category-C"')]
    assert 'id="photo-error-B3" role="alert">只能上传 JPEG、PNG 或 WebP 格式的照片。' in card
    assert 'aria-describedby="photo-error-B3"' in card
    top = response.text[:response.text.index('id="item-A1"')]
    assert "只能上传" not in top  # not at the top of the page
    # The page was shown at the upload's address: opening it again goes back to the checklist.
    again = liqiang.get(url, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == f"/inspect/checklists/{inspection.checklists['150902']}#item-B3"
    item_url = url.removesuffix("/photos")
    assert liqiang.get(item_url, follow_redirects=False).headers["location"].endswith("#item-B3")
    assert evidence_rows() == []


def test_an_upload_past_the_servers_limit_is_refused_in_the_chosen_language(
        liqiang: Visitor, inspection: Inspection) -> None:
    far_too_big = JPEG + b"\x00" * (12 * 1024 * 1024)
    response = send_photo(liqiang, photos_url(inspection, "B3"), "原图.jpg", far_too_big, upload_id="huge-photo-1")
    assert response.status_code == 413
    assert response.json() == {"status": "too_large", "message": "照片不能超过 10 MB，请压缩后重新上传。"}
    # A plain form is refused before it reaches the upload (the CSRF check reads the body): it is
    # sent back to the checklist, with the message on the card.
    response = send_photo(liqiang, photos_url(inspection, "B3"), "原图.jpg", far_too_big, as_json=False)
    assert response.status_code == 303
    response = liqiang.get(response.headers["location"], follow_redirects=False)
    checklist = f"/inspect/checklists/{inspection.checklists['150902']}"
    assert response.headers["location"] == f"{checklist}?refused=too_large&item=B3#item-B3"
    response = liqiang.get(response.headers["location"])
    assert response.status_code == 200 and "Request Entity Too Large" not in response.text
    assert 'id="photo-error-B3" role="alert">照片不能超过 10 MB' in response.text

    liqiang.get("/language/en")
    response = send_photo(liqiang, photos_url(inspection, "B3"), "original.jpg", far_too_big, upload_id="huge-photo-2")
    assert response.status_code == 413
    assert response.json()["message"] == "A photo may be at most 10 MB. Please make it smaller and upload it again."
    response = send_photo(liqiang, photos_url(inspection, "B3"), "original.jpg", far_too_big, as_json=False)
    response = liqiang.get(response.headers["location"], follow_redirects=True)
    assert "A photo may be at most 10 MB." in text_of(response.text)
    assert "Request Entity Too Large" not in response.text
    assert evidence_rows() == []


def test_a_plain_form_upload_goes_back_to_the_item(liqiang: Visitor, inspection: Inspection) -> None:
    response = send_photo(liqiang, photos_url(inspection, "B3"), "公开栏.jpg", JPEG, as_json=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/inspect/checklists/{inspection.checklists['150902']}#item-B3"
    assert [row["original_name"] for row in evidence_rows()] == ["公开栏.jpg"]


def test_the_same_upload_id_twice_stores_one_photo(liqiang: Visitor, inspection: Inspection, var_dir: Path) -> None:
    first = send_photo(liqiang, photos_url(inspection), "a.jpg", JPEG, upload_id="retried-upload-1")
    again = send_photo(liqiang, photos_url(inspection), "a.jpg", JPEG, upload_id="retried-upload-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert len(evidence_rows()) == 1
    assert len(stored_files(var_dir)) == 1
    assert len(photo_audit()) == 1


def test_only_staff_who_may_see_the_checklist_download_a_photo(
        liqiang: Visitor, inspection: Inspection, new_visitor: Any) -> None:
    photo_id = send_photo(liqiang, photos_url(inspection), "a.jpg", JPEG, upload_id="seen-by-whom").json()["id"]
    url = f"/inspect/evidence/{photo_id}"
    assert liqiang.get(url).status_code == 200
    for username, status in (("sunwei", 404), ("chenjing", 404), ("wangmin", 200), ("zhaoli", 200)):
        other = new_visitor()
        other.sign_in(username)
        assert other.get(url).status_code == status, username
    # Another team's inspector cannot add photos to 集宁区 either.
    sunwei = new_visitor()
    sunwei.sign_in("sunwei")
    assert send_photo(sunwei, photos_url(inspection), "b.jpg", JPEG, upload_id="not-my-team").status_code == 404
    assert liqiang.get("/inspect/evidence/999999").status_code == 404
    assert new_visitor().get(url, follow_redirects=False).status_code == 303  # signed out: to the sign-in page


def test_the_download_is_an_attachment_with_its_name_and_type(liqiang: Visitor, inspection: Inspection) -> None:
    name = "门户网站 首页.png"
    photo_id = send_photo(liqiang, photos_url(inspection), name, PNG, upload_id="download-me").json()["id"]
    response = liqiang.get(f"/inspect/evidence/{photo_id}")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"evidence-{photo_id}.png\"; "
        "filename*=UTF-8''%E9%97%A8%E6%88%B7%E7%BD%91%E7%AB%99%20%E9%A6%96%E9%A1%B5.png"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"].startswith("private")


@pytest.mark.parametrize(("name", "content", "saved_as", "content_type"), [
    ("poly.html", JPEG, "poly.jpg", "image/jpeg"),
    ("image.svg", PNG, "image.png", "image/png"),
    ("现场.JPG.exe", JPEG, "现场.JPG.jpg", "image/jpeg"),
    (".htaccess", JPEG, "evidence-{id}.jpg", "image/jpeg"),
])
def test_the_download_is_named_with_the_extension_of_the_checked_type(
        liqiang: Visitor, inspection: Inspection, name: str, content: bytes, saved_as: str, content_type: str) -> None:
    photo_id = send_photo(liqiang, photos_url(inspection), name, content, upload_id="named-by-type").json()["id"]
    response = liqiang.get(f"/inspect/evidence/{photo_id}")
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    extension = saved_as.rsplit(".", 1)[1]
    assert disposition.startswith(f"attachment; filename=\"evidence-{photo_id}.{extension}\"; ")
    assert disposition.endswith("''" + quote(saved_as.format(id=photo_id), safe=""))


def test_inspector_deletes_a_photo_while_the_checklist_is_editable(
        liqiang: Visitor, inspection: Inspection, var_dir: Path) -> None:
    photo_id = send_photo(liqiang, photos_url(inspection), "错拍.jpg", JPEG, upload_id="delete-me-1").json()["id"]
    response = liqiang.post(f"/inspect/evidence/{photo_id}/delete", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("#item-A1")
    assert evidence_rows() == []
    assert stored_files(var_dir) == []
    audit = photo_audit()
    assert json.loads(audit[-1]["old_value"])["original_name"] == "错拍.jpg"
    assert audit[-1]["new_value"] == ""
    assert liqiang.get(f"/inspect/evidence/{photo_id}").status_code == 404


def test_photos_are_refused_after_approval(liqiang: Visitor, inspection: Inspection) -> None:
    kept = send_photo(liqiang, photos_url(inspection), "a.jpg", JPEG, upload_id="before-approval").json()["id"]
    run(Checklist.update({Checklist.status: ChecklistStatus.approved})
        .where(Checklist.id == inspection.checklists["150902"]))

    response = send_photo(liqiang, photos_url(inspection), "b.jpg", JPEG, upload_id="after-approval")
    assert response.status_code == 423
    assert response.json()["status"] == "locked"
    response = liqiang.client.post(f"/inspect/evidence/{kept}/delete", data={CSRF_FIELD: liqiang.csrf_token()},
                                   headers=JSON_ACCEPT)
    assert response.status_code == 423
    assert [row["id"] for row in evidence_rows()] == [kept]
    # A retry of an upload the server already stored still gets its answer, so the page can stop retrying.
    assert send_photo(liqiang, photos_url(inspection), "a.jpg", JPEG, upload_id="before-approval").json()["id"] == kept
    # The photo stays visible, read-only.
    page = liqiang.get(f"/inspect/checklists/{inspection.checklists['150902']}")
    assert f'src="/inspect/evidence/{kept}"' in page.text
    assert f"/inspect/evidence/{kept}/delete" not in page.text
