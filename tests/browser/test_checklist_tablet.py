"""An inspector fills the checklist of 集宁区 on a tablet: every change saved at once, nothing lost
when the network goes away or the page is reloaded offline, the status bar always in sight."""

from __future__ import annotations

import re
import struct
import zlib
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.checklist_fixtures import (  # noqa: F401  (open_round is a fixture)
    answer_elsewhere,
    answers_on_server,
    evidence_on_server,
    open_round,
    set_point_step,
    sign_in_to_checklist,
)
from tests.browser.conftest import Visit
from tests.browser.test_accessibility import AXE, BLOCKING, _describe
from tests.conftest import PASSWORD
from tests.inspections.conftest import Inspection

# A 10-inch tablet held in one hand: portrait here, landscape in the layout test.
pytestmark = pytest.mark.parametrize("viewport_name", ["tablet"])

LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}

# How each item is answered: by typing the number, by the stepper (+/− taps), or the veto's buttons.
TYPED = {"A2": "1.5", "A3": "2", "B1": "5.5", "B3": "4", "C1": "20", "C2": "2", "C3": "4.5", "C4": "5", "C5": "1",
         "C6": "22", "C7": "2", "C9": "6", "C10": "0", "J1": "3"}
STEPPED = {"A1": ["+"] * 4, "B2": ["+"] * 6 + ["−"], "C8": ["+", "+"], "J2": ["+", "+"]}
NOTES = {"B3": "公开栏、电子显示屏已核实", "C8": "目录未更新；另有一处不规范"}
EXPECTED = {**{code: Decimal(value) for code, value in TYPED.items()},
            "A1": Decimal("2"), "B2": Decimal("2.5"), "C8": Decimal("2"), "J2": Decimal("1"), "V1": Decimal("0")}
ONLINE_FIRST = ["A1", "A2", "A3", "B1", "B2", "B3"]
OFFLINE_BEFORE_RELOAD = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]
OFFLINE_AFTER_RELOAD = ["C9", "C10", "J1", "J2", "V1"]


def tiny_png() -> bytes:
    """A real 1×1 picture, so the page can show its thumbnail."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xa4\x16\x1a"))
            + chunk(b"IEND", b""))


def card(page: Page, code: str) -> Locator:
    return page.locator(f"#item-{code}")


def answer(page: Page, code: str) -> None:
    item = card(page, code)
    if code in TYPED:
        item.locator(".value-input").fill(TYPED[code])
    elif code in STEPPED:
        for tap in STEPPED[code]:
            item.get_by_role("button", name=re.compile("^(加|增加)" if tap == "+" else "^(减|减少)")).click()
    else:
        item.get_by_role("button", name="确认未触发").click()
        expect(item.get_by_role("switch", name="单项否决")).to_have_attribute("aria-checked", "false")
        expect(item.get_by_role("switch", name="单项否决")).to_contain_text("未触发")
    if code in NOTES:
        item.get_by_label("备注").fill(NOTES[code])


def test_inspector_fills_the_whole_checklist_through_a_network_cut_and_an_offline_reload(
        tablet: Visit, open_round: Inspection) -> None:  # noqa: F811
    tab = tablet
    page = sign_in_to_checklist(tab, open_round)
    # The inspector has opened this checklist before, with the network: the tablet keeps a copy.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    sync = page.locator("#sync-state")
    expect(page.locator("#bar-answered")).to_have_text("0")
    expect(page.locator("#bar-total")).to_have_text("19")
    expect(page.locator(".item-card.unanswered")).to_have_count(19)
    tab.assert_fits_the_screen()

    # "下一个未答项" takes the inspector to the first card still to answer.
    page.get_by_role("link", name="下一个未答项").click()
    expect(card(page, "A1").locator(".value-input")).to_be_focused()

    for code in ONLINE_FIRST:
        answer(page, code)
    expect(sync).to_have_text("已保存")
    expect(page.locator("#bar-answered")).to_have_text("6")
    expect(card(page, "B2").locator(".item-state")).to_have_text("已保存 · 2.5 分")
    expect(card(page, "A1")).not_to_have_class(re.compile(r"\bunanswered\b"))
    stored = answers_on_server(open_round)
    assert {code: stored[code][0] for code in ONLINE_FIRST} == {code: EXPECTED[code] for code in ONLINE_FIRST}

    # The network goes away in the middle of the work: the inspector keeps going.
    tab.go_offline()
    for code in OFFLINE_BEFORE_RELOAD:
        answer(page, code)
    expect(card(page, "C8").locator(".item-points")).to_have_text("3")  # 5 − 2 occurrences × 1
    card(page, "B3").locator(".photo-input").set_input_files(
        files=[{"name": "公开栏.png", "mimeType": "image/png", "buffer": tiny_png()}])
    expect(card(page, "B3").locator(".photo.pending")).to_contain_text("待上传")
    expect(sync).to_have_text("9 项待同步")  # 8 answers and a photo
    expect(card(page, "C1").locator(".item-state")).to_have_text("待同步")
    expect(page.locator("#bar-answered")).to_have_text("14")  # counted on the page while offline
    assert all(answers_on_server(open_round)[code][0] is None for code in OFFLINE_BEFORE_RELOAD)

    # A reload while offline: the page is the tablet's copy, and the queue comes back from
    # localStorage (and the photo from IndexedDB) in it.
    page.reload()
    expect(page.locator("#offline-copy")).to_contain_text("离线副本")
    for code in OFFLINE_BEFORE_RELOAD:
        expect(card(page, code).locator(".item-state")).to_have_text("待同步")
    expect(card(page, "C6").locator(".value-input")).to_have_value("22")
    expect(card(page, "C8").locator(".value-input")).to_have_value("2")
    expect(card(page, "C8").get_by_label("备注")).to_have_value(NOTES["C8"])
    expect(card(page, "B3").locator(".photo.pending")).to_contain_text("待上传")
    expect(sync).to_have_text("9 项待同步")
    assert all(answers_on_server(open_round)[code][0] is None for code in OFFLINE_BEFORE_RELOAD)

    for code in OFFLINE_AFTER_RELOAD:
        answer(page, code)
    expect(sync).to_have_text("14 项待同步")
    expect(page.locator("#bar-answered")).to_have_text("19")
    expect(page.get_by_role("link", name="下一个未答项")).to_be_hidden()
    submit = page.get_by_role("button", name="提交审核")
    expect(submit).to_be_disabled()  # answered on the page, not yet on the server

    # The network returns: everything queued goes out by itself.
    tab.go_online()
    expect(sync).to_have_text("已保存", timeout=20_000)
    expect(card(page, "B3").locator("img[src^='/inspect/evidence/']")).to_have_count(1)
    expect(page.locator("#bar-inspection")).to_have_text("83")  # A 5.5 + B 12 + C 65.5
    expect(page.locator("#bar-bonus")).to_have_text("4")
    expect(page.locator("#bar-veto")).to_have_text("未触发")
    tab.assert_fits_the_screen()

    stored = answers_on_server(open_round)
    assert {code: value for code, (value, _note) in stored.items()} == EXPECTED
    assert {code: note for code, (_value, note) in stored.items() if note} == NOTES
    assert [(row["code"], row["original_name"], row["content_type"]) for row in evidence_on_server(open_round)] == [
        ("B3", "公开栏.png", "image/png")
    ]
    # Nothing waits any more (what the server answered is remembered beside, for a copy kept offline).
    assert page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':queue'))") == []

    # Everything is on the server: the checklist can be submitted without reloading the page.
    expect(submit).to_be_enabled()
    submit.click()
    expect(page.locator("#checklist-status")).to_have_text("已提交")


def small_targets(page: Page) -> list[str]:
    """Controls on the bar and the cards smaller than a fingertip (44 CSS pixels)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '.status-bar a, .status-bar button, .item-card button, .item-card textarea, .item-card a,'
              + ' .item-card input:not([type=hidden]):not(.photo-input), .item-card label.button'))
            .filter(el => el.offsetParent !== null)
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.width < 44 || box.height < 44)
            .map(([el, box]) => `${el.closest('[id]').id} ${el.tagName} ${el.textContent.trim()}`
                                + ` ${box.width}×${box.height}`)"""
    )


def test_the_status_bar_stays_in_sight_and_targets_fit_a_finger_in_both_orientations(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round)
    for size in (PORTRAIT, LANDSCAPE):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
        bar = page.locator("#status-bar")
        expect(bar).to_be_in_viewport()
        box = bar.bounding_box()
        assert box is not None and box["y"] >= -1 and box["y"] + box["height"] <= size["height"] / 4, box
        for figure in ("#bar-answered", "#bar-inspection", "#bar-bonus", "#bar-veto", "#sync-state"):
            expect(page.locator(figure)).to_be_in_viewport()
        tab.assert_fits_the_screen()
        assert small_targets(page) == [], size
        stepper = card(page, "A1").get_by_role("button", name="加 0.5 分").bounding_box()
        assert stepper is not None and stepper["width"] >= 48 and stepper["height"] >= 48, stepper


def test_without_javascript_each_item_is_a_form_of_its_own(open_tab: object, open_round: Inspection) -> None:  # noqa: F811
    tab = open_tab(java_script_enabled=False)  # type: ignore[operator]
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department="150981")
    item = card(page, "C3")
    item.get_by_label("得分").fill("3.5")
    item.get_by_label("备注").fill("通知公告栏目更新及时")
    with page.expect_navigation():
        item.get_by_role("button", name="保存本项").click()
    expect(page).to_have_url(re.compile(rf"/inspect/checklists/{open_round.checklists['150981']}#item-C3$"))
    expect(card(page, "C3").locator(".value-input")).to_have_value("3.5")
    expect(card(page, "C3").locator(".item-state")).to_contain_text("已保存")
    assert answers_on_server(open_round, "150981")["C3"] == (Decimal("3.5"), "通知公告栏目更新及时")


def test_a_save_based_on_an_old_version_shows_both_answers_and_the_inspector_chooses(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department="150981")
    answer_elsewhere(open_round, "150981", "A1", Decimal("1"), by="wangmin")  # while the page is open
    item = card(page, "A1")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{open_round.items['A1']}")) as conflict:
        item.get_by_role("button", name="加 0.5 分").click()
    assert conflict.value.status == 409
    # A conflict is the save API's answer, shown to the inspector on purpose, not a failing request.
    tab.problems.remove(f"fetch {conflict.value.url} answered 409")
    box = item.get_by_role("alert")
    expect(box).to_contain_text("您的答案：0.5 分")
    expect(box).to_contain_text("王敏 于")
    expect(box).to_contain_text("保存的答案：1 分")
    expect(page.locator("#sync-state")).to_have_text("1 项冲突，请选择")
    assert answers_on_server(open_round, "150981")["A1"][0] == Decimal("1")

    item.get_by_role("button", name="用我的").click()
    expect(page.locator("#sync-state")).to_have_text("已保存")
    expect(box).to_have_count(0)
    assert answers_on_server(open_round, "150981")["A1"][0] == Decimal("0.5")

    # The other way round: the inspector takes the other answer, and nothing of theirs is sent.
    answer_elsewhere(open_round, "150981", "A2", Decimal("2"), by="wangmin")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{open_round.items['A2']}")) as conflict:
        card(page, "A2").get_by_role("button", name="加 0.5 分").click()
    tab.problems.remove(f"fetch {conflict.value.url} answered 409")
    card(page, "A2").get_by_role("button", name="用对方的").click()
    expect(card(page, "A2").locator(".value-input")).to_have_value("2")
    expect(page.locator("#sync-state")).to_have_text("已保存")
    assert answers_on_server(open_round, "150981")["A2"][0] == Decimal("2")


def test_after_the_session_expires_the_inspector_signs_in_on_the_page_and_nothing_is_lost(
        tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    page = sign_in_to_checklist(tab, open_round, username="sunwei", department="150981")
    page.evaluate("window.__sameDocument = true")
    page.context.clear_cookies(name="session")  # as the server forgets an idle session
    item = card(page, "B1")
    with page.expect_response(lambda r: r.url.endswith(f"/items/{open_round.items['B1']}")) as refused:
        item.locator(".value-input").fill("4.5")
    assert refused.value.status == 401
    tab.problems.remove(f"fetch {refused.value.url} answered 401")
    dialog = page.get_by_role("dialog", name="请重新登录")
    expect(dialog).to_be_visible()
    expect(page.locator("#sync-state")).to_have_text("1 项待同步")

    dialog.get_by_label("密码").fill("not-the-password")
    with page.expect_response(lambda r: r.url.endswith("/staff/login")) as wrong:
        dialog.get_by_role("button", name="登录").click()
    expect(dialog.get_by_role("alert")).to_contain_text("用户名或密码不正确")
    tab.problems.remove(f"fetch {wrong.value.url} answered 422")  # the sign-in form's own refusal
    dialog.get_by_label("密码").fill(PASSWORD)
    dialog.get_by_role("button", name="登录").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#sync-state")).to_have_text("已保存")
    assert page.evaluate("window.__sameDocument === true"), "the page was left or reloaded"
    assert answers_on_server(open_round, "150981")["B1"][0] == Decimal("4.5")


def test_the_checklist_page_has_no_serious_accessibility_problem(open_tab: object,
                                                                  open_round: Inspection) -> None:  # noqa: F811
    tab = open_tab(bypass_csp=True)  # type: ignore[operator]  # axe is injected as an inline script
    page = sign_in_to_checklist(tab, open_round)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING]
    assert not blocking, _describe(blocking)


def test_in_a_system_with_step_0_1_the_steppers_move_by_a_tenth(tab: Visit, open_round: Inspection) -> None:  # noqa: F811
    set_point_step(open_round, "0.1")
    try:
        page = sign_in_to_checklist(tab, open_round, username="sunwei", department="150981")
        item = card(page, "C1")
        value = item.locator(".value-input")
        expect(value).to_have_attribute("step", "0.1")
        expect(item).to_contain_text("每档 0.1 分")
        value.fill("7.4")
        item.get_by_role("button", name="加 0.1 分").click()
        expect(value).to_have_value("7.5")
        item.get_by_role("button", name="减 0.1 分").click()
        item.get_by_role("button", name="减 0.1 分").click()
        expect(value).to_have_value("7.3")
        expect(page.locator("#sync-state")).to_have_text("已保存")
        assert answers_on_server(open_round, "150981")["C1"][0] == Decimal("7.3")
    finally:
        set_point_step(open_round, "0.5")
