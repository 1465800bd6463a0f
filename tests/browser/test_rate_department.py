"""A citizen rates a department on a phone: the form, the reasons, the thank-you in place."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from evaluation.core.tables import Department
from evaluation.ratings import periods
from evaluation.ratings.periods import PeriodForm
from evaluation.ratings.tables import EvaluationPeriod, Rating, ReasonChoice
from tests.browser.conftest import Visit
from tests.conftest import run

# The form is for phones first: every test here runs at 390 × 844.
pytestmark = pytest.mark.parametrize("viewport_name", ["phone"])

PERIOD_CODE = "rate-browser"
PERIOD_NAME = "2026年度社会评议"
NO_REASON_ERROR = "选择“不满意”或“非常不满意”时，请选择一个原因。"


def _in_a_thread(work: Any) -> Any:
    """Playwright's sync API keeps an event loop running in this thread: database work goes
    to another one, as the live server's seeding does."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(run, work).result()


async def _open_period() -> bool:
    """An evaluation period open today, with the office's default list of reasons."""
    had_reasons = await ReasonChoice.exists()
    today = periods.today()
    form = PeriodForm(code=PERIOD_CODE, name=PERIOD_NAME, opens_on=(today - dt.timedelta(days=30)).isoformat(),
                      closes_on=(today + dt.timedelta(days=30)).isoformat())
    assert await periods.create("test", form), form.errors
    return had_reasons


async def _close_period(remove_reasons: bool) -> None:
    """Leaves the live server's database as the other browser tests expect it: no period."""
    period = await EvaluationPeriod.select(EvaluationPeriod.id).where(EvaluationPeriod.code == PERIOD_CODE).first()
    if period is None:
        return
    await Rating.delete().where(Rating.period == period["id"])
    await EvaluationPeriod.delete().where(EvaluationPeriod.id == period["id"])
    if remove_reasons:
        await ReasonChoice.delete(force=True)


@pytest.fixture(scope="module")
def rating_period(live_server: str) -> Iterator[None]:
    had_reasons = _in_a_thread(_open_period)
    yield
    _in_a_thread(lambda: _close_period(remove_reasons=not had_reasons))


def _ratings_of(code: str) -> list[dict[str, Any]]:
    async def query() -> list[dict[str, Any]]:
        department = await Department.select(Department.id).where(Department.code == code).first()
        return await Rating.select(Rating.level, Rating.reason.label, Rating.comment).where(
            Rating.department == department["id"]
        )

    return _in_a_thread(query)


def _mark_the_document(page: Page) -> None:
    """A marker on window: it survives an htmx swap, not a page load."""
    page.evaluate("window.__sameDocument = true")


def _still_the_same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def _submit(page: Page) -> Response:
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/ratings")) as answer:
        page.get_by_role("button", name="提交评价").click()
    return answer.value


@pytest.mark.smoke
def test_citizen_rates_satisfied_and_is_thanked_in_place(tab: Visit, rating_period: None) -> None:
    page = tab.page
    tab.goto("/departments/150902")
    rating = page.locator("#rating")
    expect(rating.get_by_role("heading", name="评价该单位的信息公开")).to_be_visible()
    expect(rating).to_contain_text(PERIOD_NAME)
    tab.assert_fits_the_screen()
    # The voter id is given with the form, where scripts cannot read it.
    voter = next(c for c in page.context.cookies() if c["name"] == "voter")
    assert voter["httpOnly"] and voter["sameSite"] == "Lax"

    # The five levels are big labels, easy to hit with a thumb: the whole label picks the level.
    levels = rating.locator("label.level")
    expect(levels).to_have_count(5)
    satisfied = levels.filter(has_text=re.compile(r"^\s*满意\s*$"))
    box, row = satisfied.bounding_box(), rating.locator("fieldset.levels").bounding_box()
    assert box is not None and row is not None
    assert box["height"] >= 44 and box["width"] >= row["width"] - 40, f"a small target: {box} in {row}"
    _mark_the_document(page)
    # htmx injects no inline style the Content-Security-Policy would refuse (its indicator styles
    # live in app.css): no violation at all while the form is swapped.
    page.evaluate("""window.__violations = [];
        document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective))""")
    satisfied.click(position={"x": box["width"] - 20, "y": box["height"] / 2})  # the label, away from the radio
    expect(page.get_by_role("radio", name="满意", exact=True)).to_be_checked()
    expect(page.get_by_role("group", name="不满意的原因", include_hidden=True)).to_be_hidden()

    answer = _submit(page)
    assert answer.status == 200 and answer.request.headers.get("hx-request") == "true"
    expect(rating.get_by_role("status")).to_contain_text("感谢您的评价")
    expect(rating.get_by_role("status")).to_be_focused()
    expect(rating.get_by_role("button", name="提交评价")).to_have_count(0)
    expect(page).to_have_url(tab.url("/departments/150902"))
    assert _still_the_same_document(page), "the thank-you came with a page load, not in place"
    assert page.evaluate("window.__violations") == []
    tab.assert_fits_the_screen()
    assert [r["level"] for r in _ratings_of("150902")] == ["satisfied"]

    # The browser has rated: the page says so when it comes back.
    tab.goto("/departments/150902")
    expect(page.locator("#rating").get_by_role("status")).to_contain_text("评价过该单位")


def test_unsatisfied_asks_for_a_reason_and_keeps_the_comment(tab: Visit, rating_period: None) -> None:
    page = tab.page
    tab.goto("/departments/SZ03")
    rating = page.locator("#rating")
    reason = rating.get_by_role("group", name="不满意的原因", include_hidden=True)
    expect(reason).to_be_hidden()
    _mark_the_document(page)

    # Choosing 不满意 reveals the reasons (CSS :has(), no script), 满意 hides them again.
    rating.locator("label.level").filter(has_text=re.compile(r"^\s*不满意\s*$")).click()
    expect(reason).to_be_visible()
    rating.locator("label.level").filter(has_text=re.compile(r"^\s*满意\s*$")).click()
    expect(reason).to_be_hidden()
    rating.locator("label.level").filter(has_text=re.compile(r"^\s*不满意\s*$")).click()
    expect(reason).to_be_visible()
    comment = "在网站上找了半天才找到预算表。"
    page.get_by_label("留言（可选，审核后公开）").fill(comment)

    # Sent without a reason: the error comes back in place, with everything typed kept.
    answer = _submit(page)
    assert answer.status == 422
    expect(reason).to_contain_text(NO_REASON_ERROR)
    expect(rating.get_by_role("alert")).to_contain_text("请修改标出的内容后再提交")
    expect(rating.get_by_role("alert")).to_be_focused()
    expect(page.get_by_label("原因", exact=True)).to_have_attribute("aria-describedby", "reason-error")
    expect(page.get_by_label("留言（可选，审核后公开）")).to_have_value(comment)
    expect(page.get_by_role("radio", name="不满意", exact=True)).to_be_checked()
    expect(reason).to_be_visible()
    expect(page.get_by_label("原因", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(tab.url("/departments/SZ03"))
    assert _still_the_same_document(page), "the error came with a page load, not in place"
    tab.assert_fits_the_screen()
    # The 422 is the form's answer, swapped in on purpose (see the htmx-config in base.html),
    # not a failing request: the open_tab fixture counts every htmx error status as a problem.
    tab.problems.remove(f"{answer.request.resource_type} {answer.url} answered 422")
    assert _ratings_of("SZ03") == []

    page.get_by_label("原因", exact=True).select_option(label="难以查找")
    answer = _submit(page)
    assert answer.status == 200
    expect(rating.get_by_role("status")).to_contain_text("感谢您的评价")
    expect(rating).to_contain_text("该单位将在规定期限内公开答复")
    expect(rating.get_by_role("status")).to_be_focused()
    assert _still_the_same_document(page)
    assert _ratings_of("SZ03") == [{"level": "unsatisfied", "reason.label": "难以查找", "comment": comment}]


def test_rating_works_without_javascript(open_tab: Any, rating_period: None) -> None:
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/departments/150981")
    page.locator("#rating label.level").filter(has_text=re.compile(r"^\s*非常满意\s*$")).click()
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()
    expect(page).to_have_url(tab.url("/departments/150981?rated=1#rating"))
    expect(page.locator("#rating").get_by_role("status")).to_contain_text("感谢您的评价")
    tab.assert_fits_the_screen()
    assert [r["level"] for r in _ratings_of("150981")] == ["very_satisfied"]


def test_without_javascript_a_negative_rating_is_promised_an_answer_too(open_tab: Any, rating_period: None) -> None:
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/departments/150929")
    page.locator("#rating label.level").filter(has_text=re.compile(r"^\s*非常不满意\s*$")).click()
    page.get_by_label("原因", exact=True).select_option(label="难以查找")
    with page.expect_navigation():
        page.get_by_role("button", name="提交评价").click()
    status = page.locator("#rating").get_by_role("status")
    expect(status).to_contain_text("感谢您的评价")
    expect(status).to_contain_text("该单位将在规定期限内公开答复")
    # Coming back later, the page says what was chosen and when.
    tab.goto("/departments/150929")
    expect(page.locator("#rating").get_by_role("status")).to_contain_text("您的评价：非常不满意")


def test_an_expired_page_says_so_above_the_form_and_keeps_what_was_typed(tab: Visit, rating_period: None) -> None:
    page = tab.page
    tab.goto("/departments/150921")
    rating = page.locator("#rating")
    rating.locator("label.level").filter(has_text=re.compile(r"^\s*基本满意\s*$")).click()
    comment = "第一行\n第二行"
    page.get_by_label("留言（可选，审核后公开）").fill(comment)
    # The token's cookie is gone (cleared, or a page left open across a browser restart).
    page.context.clear_cookies(name="csrftoken")
    _mark_the_document(page)
    answer = _submit(page)
    assert answer.status == 403
    alert = rating.get_by_role("alert")
    expect(alert).to_contain_text("页面已过期，请刷新后重试")
    expect(alert).to_be_focused()
    expect(page.get_by_label("留言（可选，审核后公开）")).to_have_value(comment)
    assert _still_the_same_document(page)
    tab.problems.remove(f"{answer.request.resource_type} {answer.url} answered 403")
    assert _ratings_of("150921") == []
