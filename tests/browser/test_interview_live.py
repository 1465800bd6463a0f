"""A citizen keeps a live interview open on a phone and asks a question; the office approves it
and posts 刘芳's answer; the citizen's page shows both without being reloaded (htmx polls every
5 s; PRODUCT.md §3).

The live interview (browser-live, 市教育局) is written before the pages are opened."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from evaluation.core import clock
from evaluation.interviews import life_cycle, resources, scheduling
from evaluation.interviews.resources import PersonForm, StudioForm
from evaluation.interviews.scheduling import InterviewForm
from tests.browser.checklist_fixtures import in_a_thread
from tests.browser.conftest import OFFICE_USERNAME, Visit
from tests.browser.test_accessibility import AXE, BLOCKING, _describe
from tests.conftest import PASSWORD

CODE = "browser-live"
POLL_SECONDS = 5


async def _live_interview() -> None:
    guest = await resources.add_person("test", PersonForm(name="刘芳", title="基础教育科科长", department="SZ03"))
    host = await resources.add_person("test", PersonForm(name="周明", title="主持人"))
    studio = await resources.add_studio("test", StudioForm(name="一号演播室"))
    today = clock.local(clock.now()).date() + dt.timedelta(days=1)
    form = InterviewForm(code=CODE, topic="义务教育入学政策解读", department="SZ03", host=str(host),
                         studio=str(studio), guests=[str(guest)], day=today.isoformat(), starts="09:30",
                         ends="11:00")
    assert await scheduling.create("test", form), form.errors
    await life_cycle.publish("test", CODE, urgent=True, reason="开学前回应家长关切")
    await life_cycle.move("test", CODE, "collecting")
    await life_cycle.move("test", CODE, "live")


@pytest.fixture(scope="module")
def live_interview(live_server: str) -> str:
    in_a_thread(_live_interview)
    return CODE


def sign_in(tab: Visit, path: str) -> None:
    tab.goto(f"/staff/login?next={path}")
    tab.page.get_by_label("用户名").fill(OFFICE_USERNAME)
    tab.page.get_by_label("密码").fill(PASSWORD)
    tab.page.get_by_role("button", name="登录").click()
    expect(tab.page).to_have_url(tab.url(path))


@pytest.mark.smoke
@pytest.mark.parametrize("viewport_name", ["phone"])
def test_the_citizens_open_page_shows_the_approved_question_and_its_answer_without_a_reload(open_tab, live_interview):
    citizen = open_tab()
    citizen.goto(f"/interviews/{live_interview}")
    page = citizen.page
    expect(page.locator(".live-mark")).to_have_text("直播中")
    expect(page.locator(".urgent-notice")).to_contain_text("开学前回应家长关切")
    citizen.assert_fits_the_screen()
    page.evaluate("window.openedOnce = true")  # gone if the page were reloaded

    page.get_by_label("问题").fill("随迁子女入学需要准备哪些材料？")
    page.get_by_label("署名（可不填）").fill("张先生")
    page.get_by_role("button", name="提交问题").click()
    expect(page.locator("#ask [role=status]")).to_contain_text("问题已提交，审核通过后会显示在本页")
    expect(page.locator("#live")).not_to_contain_text("随迁子女入学需要准备哪些材料？")

    office = open_tab()
    sign_in(office, f"/staff/interviews/{live_interview}/questions")
    pending = office.page.locator("article", has_text="随迁子女入学需要准备哪些材料？")
    pending.get_by_role("button", name="通过", exact=True).click()
    expect(page.locator("#live")).to_contain_text("随迁子女入学需要准备哪些材料？", timeout=(POLL_SECONDS + 5) * 1000)
    expect(page.locator("#live")).to_contain_text("等待答复")

    question = office.page.locator("article", has_text="随迁子女入学需要准备哪些材料？")
    question.get_by_label("回答的嘉宾").select_option(label="刘芳（基础教育科科长）")
    question.get_by_label("答复").fill("需要居住证、监护人就业证明和户口簿。")
    question.get_by_role("button", name="发布答复").click()
    expect(office.page.locator("#approved ~ article").first).to_contain_text("需要居住证、监护人就业证明和户口簿。")

    answer = page.locator("#live .answer")
    expect(answer).to_contain_text("需要居住证、监护人就业证明和户口簿。", timeout=(POLL_SECONDS + 5) * 1000)
    expect(answer).to_contain_text("刘芳（基础教育科科长） · 现场答复")
    assert page.evaluate("window.openedOnce === true"), "the citizen's page was reloaded"
    citizen.assert_fits_the_screen()


@pytest.mark.parametrize("viewport_name", ["phone"])
def test_the_interview_pages_have_no_serious_accessibility_violations(open_tab, live_interview):
    tab = open_tab(bypass_csp=True)
    sign_in(tab, "/staff/interviews")
    for path in ("/interviews", "/interviews?view=month", f"/interviews/{live_interview}",
                 f"/staff/interviews/{live_interview}", f"/staff/interviews/{live_interview}/questions",
                 "/staff/interviews/new", "/staff/interviews/people"):
        tab.goto(path)
        tab.assert_fits_the_screen()
        tab.page.add_script_tag(path=str(AXE))
        results = tab.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING]
        assert not blocking, f"axe-core on {path}:\n{_describe(blocking)}"
