"""What inspectors tripped over on the checklist page, at tablet size: the header's status, an
error left after a correction, the other inspector's note in a conflict, a photo shown twice after
a dropped connection, a camera's photo too large for the server, and signing out with changes
still waiting."""

from __future__ import annotations

import base64
import re
import struct
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from evaluation.core import clock
from evaluation.core.tables import Account
from inspections.checklists.evidence import evidence_dir
from inspections.tables import ChecklistAnswer, Evidence
from tests.browser.checklist_fixtures import (  # noqa: F401  (open_round is a fixture)
    answers_on_server,
    evidence_on_server,
    in_a_thread,
    open_round,
    sign_in_to_checklist,
)
from tests.browser.conftest import Visit
from tests.browser.test_checklist_tablet import card, tiny_png
from tests.conftest import PASSWORD
from tests.inspections.conftest import Inspection

pytestmark = pytest.mark.parametrize("viewport_name", ["tablet"])

JINING, FENGZHEN = "150902", "150981"
PHOTOS = re.compile(r".*/inspect/checklists/\d+/items/\d+/photos$")
SAVES = re.compile(r".*/inspect/checklists/\d+/items/\d+$")


def expected_refusal(tab: Visit, status: int) -> None:
    """A refusal the page shows the inspector on purpose is not a failing request."""
    found = [problem for problem in tab.problems if problem.endswith(f"answered {status}")]
    assert found, tab.problems
    for problem in found:
        tab.problems.remove(problem)


def test_the_header_says_in_progress_as_soon_as_the_first_answer_is_saved(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department=FENGZHEN)
    status = page.locator("#status-bar .checklist-status")
    expect(status).to_have_text("未开始")
    card(page, "A1").get_by_role("button", name="加 0.5 分").click()
    expect(page.locator("#sync-state")).to_have_text("已保存")
    expect(status).to_have_text("填写中")
    expect(page.locator("#checklist-status")).to_have_text("填写中")
    changed = re.compile(r"^孙伟 于 \d{4}-\d\d-\d\d \d\d:\d\d 修改$")
    expect(card(page, "A1").locator(".item-changed")).to_have_text(changed)


def test_an_error_clears_when_the_value_is_corrected_even_back_to_the_saved_one(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department=FENGZHEN)
    value = card(page, "B2").locator(".value-input")
    value.fill("2")
    expect(page.locator("#sync-state")).to_have_text("已保存")
    value.fill("9")  # B2 is worth 3
    expect(card(page, "B2").locator(".item-state")).to_have_text("得分须在 0 到 3 分之间，以 0.5 分为单位。")
    expect(card(page, "B2")).to_have_class(re.compile(r"\bhas-problem\b"))
    expected_refusal(tab, 422)
    value.fill("2")  # the saved value again: nothing to send, and nothing wrong any more
    expect(card(page, "B2")).not_to_have_class(re.compile(r"\bhas-problem\b"))
    expect(card(page, "B2").locator(".item-state")).to_have_text("已保存 · 2 分")
    assert answers_on_server(open_round, FENGZHEN)["B2"][0] == Decimal("2")


def note_elsewhere(inspection: Inspection, code: str, value: Decimal, note: str, by: str) -> None:
    async def write() -> None:
        account = await Account.select(Account.id).where(Account.username == by).first()
        row = await ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.version).where(
            ChecklistAnswer.id == inspection.answers[(FENGZHEN, code)]).first()
        await ChecklistAnswer.update({
            ChecklistAnswer.value: value, ChecklistAnswer.note: note, ChecklistAnswer.version: row["version"] + 1,
            ChecklistAnswer.answered_at: clock.now(), ChecklistAnswer.answered_by: account["id"],
        }).where(ChecklistAnswer.id == row["id"])

    in_a_thread(write)


def test_keeping_ones_own_answer_in_a_conflict_keeps_the_other_inspectors_note(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department=FENGZHEN)
    note_elsewhere(open_round, "C4", Decimal("3"), "动态信息更新滞后两周", by="wangmin")
    card(page, "C4").locator(".value-input").fill("4")
    box = card(page, "C4").get_by_role("alert")
    expect(box).to_contain_text("您的答案：4 分 · 备注：（无）")
    expect(box).to_contain_text("保存的答案：3 分 · 备注：动态信息更新滞后两周")
    expected_refusal(tab, 409)
    keep = box.get_by_label("用我的答案时保留 王敏 的备注（附在我的备注之后）")
    expect(keep).to_be_checked()
    box.get_by_role("button", name="用我的").click()
    expect(page.locator("#sync-state")).to_have_text("已保存")
    assert answers_on_server(open_round, FENGZHEN)["C4"] == (Decimal("4"), "动态信息更新滞后两周")
    expect(card(page, "C4").get_by_label("备注")).to_have_value("动态信息更新滞后两周")

    # Dropping it is the inspector's explicit choice.
    note_elsewhere(open_round, "C5", Decimal("1"), "预案未公开", by="wangmin")
    card(page, "C5").locator(".value-input").fill("2")
    box = card(page, "C5").get_by_role("alert")
    expect(box).to_contain_text("备注：预案未公开")
    expected_refusal(tab, 409)
    box.get_by_label(re.compile("保留 王敏 的备注")).uncheck()
    box.get_by_role("button", name="用我的").click()
    expect(page.locator("#sync-state")).to_have_text("已保存")
    assert answers_on_server(open_round, FENGZHEN)["C5"] == (Decimal("2"), "")


def evidence_count(inspection: Inspection) -> int:
    async def count() -> int:
        return await Evidence.count().where(Evidence.answer.checklist == inspection.checklists[FENGZHEN])

    return in_a_thread(count)


def test_a_photo_stored_just_before_the_connection_dropped_is_shown_and_deleted_once(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department=FENGZHEN)
    before = evidence_count(open_round)

    def stored_then_dropped(route: Any) -> None:
        route.fetch()  # the server stores it ...
        route.abort("connectionreset")  # ... and its answer never reaches the tablet

    page.route(PHOTOS, stored_then_dropped)
    card(page, "C6").locator(".photo-input").set_input_files(
        files=[{"name": "重点领域.png", "mimeType": "image/png", "buffer": tiny_png()}])
    expect(card(page, "C6").locator(".photo.pending")).to_contain_text("待上传")
    for _wait in range(50):
        if evidence_count(open_round) == before + 1:
            break
        page.wait_for_timeout(100)
    assert evidence_count(open_round) == before + 1
    page.unroute(PHOTOS)
    page.reload()  # the connection is back: the server's copy and the queued one meet
    photos = card(page, "C6").locator(".photo")
    expect(photos).to_have_count(1)
    expect(card(page, "C6").locator(".photo.pending")).to_have_count(0)
    expect(page.locator("#sync-state")).to_have_text("已保存")
    page.wait_for_timeout(500)
    assert evidence_count(open_round) == before + 1
    assert page.evaluate("""() => new Promise(resolve => {
        const open = indexedDB.open('pingyi-checklist', 1);
        open.onsuccess = () => {
          const all = open.result.transaction('photos').objectStore('photos').getAll();
          all.onsuccess = () => resolve(all.result.length);
        };
      })""") == 0

    # The inspector deletes the photo they see: once its picture has loaded (a picture still on
    # its way when the photo is deleted would rightly answer 404; the pictures load when in view).
    photos.locator("img").scroll_into_view_if_needed()
    page.wait_for_function("""() => [...document.querySelectorAll('.photo img')]
        .every(image => image.complete && image.naturalWidth > 0)""")
    photos.get_by_role("button", name=re.compile("^删除")).click()
    expect(card(page, "C6").locator(".photo")).to_have_count(0)
    page.reload()
    expect(card(page, "C6").locator(".photo")).to_have_count(0)
    assert evidence_count(open_round) == before


def exif_oriented(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF block saying how the camera held it (6: turn 90° clockwise to view)."""
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def jpeg_size(content: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header."""
    index = 2
    while index < len(content):
        marker, length = content[index + 1], struct.unpack(">H", content[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", content[index + 5:index + 9])
            return width, height
        index += 2 + length
    raise AssertionError("no frame header")


def camera_photo(page: Page) -> bytes:
    """4000 × 3000 pixels of noise as a camera stores them, red above and blue below, over 10 MB."""
    encoded = page.evaluate("""() => new Promise(resolve => {
        const canvas = document.createElement('canvas');
        canvas.width = 4000; canvas.height = 3000;
        const context = canvas.getContext('2d');
        const image = context.createImageData(4000, 3000);
        for (let i = 0; i < image.data.length; i += 4) {
          const top = i < image.data.length / 2, noise = () => Math.random() * 60;
          image.data[i] = top ? 195 + noise() : noise();
          image.data[i + 1] = noise();
          image.data[i + 2] = top ? noise() : 195 + noise();
          image.data[i + 3] = 255;
        }
        context.putImageData(image, 0, 0);
        canvas.toBlob(blob => {
          const reader = new FileReader();
          reader.onload = () => resolve(reader.result.split(',')[1]);
          reader.readAsDataURL(blob);
        }, 'image/jpeg', 1.0);
      })""")
    return exif_oriented(base64.b64decode(encoded), 6)


def test_a_camera_photo_over_10_mb_is_scaled_and_turned_upright_before_it_is_queued(
        tablet: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tablet, open_round, username="sunwei", department=FENGZHEN)
    original = camera_photo(page)
    assert len(original) > 10 * 1024 * 1024 and jpeg_size(original) == (4000, 3000)
    tablet.go_offline()  # queued first, as on site
    card(page, "C7").locator(".photo-input").set_input_files(
        files=[{"name": "IMG_0420.JPG", "mimeType": "image/jpeg", "buffer": original}])
    expect(card(page, "C7").locator(".photo.pending")).to_contain_text("待上传")
    queued = page.evaluate("""() => new Promise(resolve => {
        const open = indexedDB.open('pingyi-checklist', 1);
        open.onsuccess = () => {
          const all = open.result.transaction('photos').objectStore('photos').getAll();
          all.onsuccess = () => resolve(all.result.map(r => [r.name, r.type, r.blob.size]));
        };
      })""")
    assert len(queued) == 1 and queued[0][0] == "IMG_0420.jpg" and queued[0][1] == "image/jpeg"
    assert queued[0][2] < 10 * 1024 * 1024
    tablet.go_online()
    expect(card(page, "C7").locator(".photo img[src^='/inspect/evidence/']")).to_have_count(1, timeout=20_000)

    stored = [row for row in evidence_on_server(open_round, FENGZHEN) if row["code"] == "C7"]
    assert [(row["original_name"], row["content_type"]) for row in stored] == [("IMG_0420.jpg", "image/jpeg")]

    async def stored_name() -> str:
        row = await Evidence.select(Evidence.stored_name).where(
            Evidence.answer == open_round.answers[(FENGZHEN, "C7")]).first()
        return row["stored_name"]

    content = (evidence_dir() / in_a_thread(stored_name)).read_bytes()
    assert jpeg_size(content) == (1920, 2560)  # upright (the camera was held on its side), longest side 2,560
    # Turned the camera's way: what was the top of the sensor (red) is now on the right.
    left, right = page.evaluate("""async url => {
        const bitmap = await createImageBitmap(await (await fetch(url)).blob());
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const context = canvas.getContext('2d');
        context.drawImage(bitmap, 0, 0);
        const mean = x => {
          const data = context.getImageData(x, bitmap.height / 2, 40, 40).data;
          let red = 0, blue = 0;
          for (let i = 0; i < data.length; i += 4) { red += data[i]; blue += data[i + 2]; }
          return [red / (data.length / 4), blue / (data.length / 4)];
        };
        return [mean(20), mean(bitmap.width - 60)];
      }""", card(page, "C7").locator(".photo img").get_attribute("src"))
    assert left[1] > 150 > left[0] and right[0] > 150 > right[1], (left, right)


def test_signing_out_with_changes_still_waiting_asks_first(tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department=FENGZHEN)
    page.route(SAVES, lambda route: route.abort("internetdisconnected"))
    card(page, "C9").locator(".value-input").fill("5")
    expect(page.locator("#sync-state")).to_have_text("1 项待同步")
    tab.goto("/staff")
    expect(page.locator("#outbox-state")).to_contain_text("1 项检查表修改")
    # A page kept for offline use, as the service worker keeps them (this tab runs without it).
    page.evaluate("caches.open('pingyi-pages-v1').then(cache => cache.put('/inspect', new Response('kept')))")
    assert page.evaluate("caches.has('pingyi-pages-v1')")
    messages: list[str] = []

    def answer_dialog(accept: bool) -> None:
        def handle(dialog: Any) -> None:
            messages.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        page.once("dialog", handle)

    answer_dialog(accept=False)
    page.get_by_role("button", name="退出登录").click()
    for _wait in range(50):  # the question comes once the waiting changes are counted
        if messages:
            break
        page.wait_for_timeout(100)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    assert messages and "还有 1 项修改没有发送到服务器" in messages[0]
    assert page.url.endswith("/staff")

    answer_dialog(accept=True)
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("link", name="工作人员登录")).to_be_visible()
    assert len(messages) == 2
    # The change stays on the tablet for the next sign-in; the pages kept for offline use are gone.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':queue')).length") == 1
    assert not page.evaluate("caches.has('pingyi-pages-v1')")
    assert answers_on_server(open_round, FENGZHEN)["C9"][0] is None


def test_without_javascript_a_refused_photo_is_said_on_its_card_and_its_address_leads_back(
        open_tab: Any, open_round: Inspection) -> None:  # noqa: F811
    tab = open_tab(java_script_enabled=False)
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department=FENGZHEN)
    item = card(page, "C10")
    item.locator(".photo-input").set_input_files(
        files=[{"name": "扫描件.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\x00" * 64}])
    with page.expect_navigation():
        item.get_by_role("button", name="上传照片").click()
    expect(card(page, "C10").get_by_role("alert")).to_have_text("只能上传 JPEG、PNG 或 WebP 格式的照片。")
    expect(page.locator("main > .checklist > .alert")).to_have_count(0)  # not at the top of the page
    # The address shown is the upload's: opening it again goes back to the checklist, at the card.
    page.goto(page.url)
    expect(page).to_have_url(re.compile(rf"/inspect/checklists/{open_round.checklists[FENGZHEN]}#item-C10$"))

    # A file past the server's limit is refused before the upload sees it: the card says so, in words.
    item = card(page, "C10")
    too_big = b"\xff\xd8\xff" + b"\x00" * (12 * 1024 * 1024)
    item.locator(".photo-input").set_input_files(
        files=[{"name": "原图.jpg", "mimeType": "image/jpeg", "buffer": too_big}])
    with page.expect_navigation():
        item.get_by_role("button", name="上传照片").click()
    expect(card(page, "C10").get_by_role("alert")).to_have_text("照片不能超过 10 MB，请压缩后重新上传。")
    assert "Request Entity Too Large" not in page.content()
    assert [row for row in evidence_on_server(open_round, FENGZHEN) if row["code"] == "C10"] == []


def test_what_is_typed_before_the_page_script_arrives_is_saved_when_it_runs(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    """On a slow network the checklist is shown before its script arrives, and an inspector types
    into it meanwhile: once the script runs, that value and note are saved, not left on screen."""
    page = tab.page
    held: list[Any] = []
    page.route("**/static/checklist.js*", lambda route: held.append(route))
    path = f"/inspect/checklists/{open_round.checklists[FENGZHEN]}"
    tab.goto(f"/staff/login?next={path}")
    page.get_by_label("用户名").fill("sunwei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(tab.url(path))
    card(page, "B2").locator(".value-input").fill("1.5")
    card(page, "B2").locator(".note-input").fill("先填后到")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the checklist's script was never requested"
    before = answers_on_server(open_round, FENGZHEN)
    page.unroute("**/static/checklist.js*")
    held[0].fallback()
    expect(card(page, "B2").locator(".item-state")).to_have_text("已保存 · 1.5 分")
    # Only what was typed is sent: every other item is as it was.
    assert answers_on_server(open_round, FENGZHEN) == {**before, "B2": (Decimal("1.5"), "先填后到")}
