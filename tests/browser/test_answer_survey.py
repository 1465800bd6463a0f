"""A citizen answers a three-page survey on a phone (issue 19): the progress bar, a question that
appears as a choice is made (htmx), an error beside its question, answers kept across a reload
and going back, one response stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from evaluation.surveys import forms
from evaluation.surveys.tables import Survey, SurveyDraft, SurveyResponse
from tests.browser.conftest import Visit
from tests.conftest import run
from tests.surveys.conftest import satisfaction_form

pytestmark = pytest.mark.parametrize("viewport_name", ["phone"])

CODE = "browser-my"


def _in_a_thread(work: Any) -> Any:
    """Playwright's sync API keeps an event loop running in this thread: database work goes
    to another one."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(run, work).result()


async def _remove() -> None:
    survey = await Survey.select(Survey.id).where(Survey.code == CODE).first()
    if survey is not None:
        await SurveyResponse.delete().where(SurveyResponse.survey == survey["id"])
        await SurveyDraft.delete().where(SurveyDraft.survey == survey["id"])
        await Survey.delete().where(Survey.id == survey["id"])


@pytest.fixture(scope="module")
def survey(live_server: str) -> Iterator[int]:
    _in_a_thread(_remove)
    survey_id = _in_a_thread(lambda: forms.store_definition(satisfaction_form(CODE), "test"))
    yield survey_id
    _in_a_thread(_remove)


def _responses(survey_id: int) -> list[dict[str, Any]]:
    async def query() -> list[dict[str, Any]]:
        rows = await SurveyResponse.select(SurveyResponse.answers).where(SurveyResponse.survey == survey_id)
        return [json.loads(r["answers"]) if isinstance(r["answers"], str) else r["answers"] for r in rows]

    return _in_a_thread(query)


@pytest.mark.smoke
def test_a_citizen_answers_three_pages_with_a_condition_on_a_phone(tab: Visit, survey: int) -> None:
    page = tab.page
    tab.goto(f"/surveys/{CODE}")
    expect(page.get_by_text("第 1 页，共 3 页")).to_be_visible()
    expect(page.locator("progress")).to_have_attribute("value", "1")
    channels = page.get_by_role("group", name="您通过哪些渠道获取政府信息？")
    expect(channels).to_have_count(0)
    tab.assert_fits_the_screen()

    # The choice reveals the question at once, without leaving the page.
    page.get_by_label("访问过", exact=True).check()
    expect(channels).to_be_visible()
    channels.get_by_label("政府网站").check()
    page.get_by_role("button", name="下一页").click()

    expect(page.get_by_text("第 2 页，共 3 页")).to_be_visible()
    tab.assert_fits_the_screen()
    # A reload keeps the survey where it was.
    page.reload()
    expect(page.get_by_text("第 2 页，共 3 页")).to_be_visible()
    # Going on without the required scale: the error sits beside it and is tied to it.
    page.get_by_role("group", name="及时性").get_by_label("5").check()
    page.get_by_role("button", name="下一页").click()
    overall = page.get_by_role("group", name="总体满意度")
    expect(overall).to_have_accessible_description("这是必答题。")
    expect(page.get_by_role("group", name="及时性").get_by_label("5")).to_be_checked()
    tab.assert_fits_the_screen()

    # Back to page 1: what was answered there is still chosen.
    page.get_by_role("button", name="上一页").click()
    expect(page.get_by_text("第 1 页，共 3 页")).to_be_visible()
    expect(page.get_by_label("访问过", exact=True)).to_be_checked()
    expect(page.get_by_label("政府网站")).to_be_checked()
    page.get_by_role("button", name="下一页").click()

    expect(page.get_by_text("第 2 页，共 3 页")).to_be_visible()
    page.get_by_role("group", name="总体满意度").get_by_label("4").check()
    page.get_by_role("group", name="完整性").get_by_label("3").check()
    page.get_by_role("button", name="下一页").click()

    expect(page.get_by_text("第 3 页，共 3 页")).to_be_visible()
    page.get_by_label("您的年龄").fill("35")
    page.get_by_label("您的建议").fill("希望公开更及时。")
    page.get_by_role("button", name="提交答卷").click()
    expect(page.get_by_role("status")).to_contain_text("感谢您的参与")
    tab.assert_fits_the_screen()

    assert _responses(survey) == [{"visited": "yes", "channels": ["web"], "overall": 4,
                                   "aspects": {"timely": 5, "complete": 3}, "age": "35", "advice": "希望公开更及时。"}]
    assert not tab.problems, tab.problems
