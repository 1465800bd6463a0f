"""A clerk works through a moderation queue of 66 comments at the desk and on a tablet: each
decision swaps its row in place, the keyboard goes on to the next comment, and the page never
jumps back to the top."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from evaluation.core import clock
from evaluation.core.tables import Department
from evaluation.ratings import periods
from evaluation.ratings.periods import PeriodForm
from evaluation.ratings.tables import EvaluationPeriod, Rating
from tests.browser.checklist_fixtures import in_a_thread
from tests.browser.conftest import OFFICE_USERNAME, Visit
from tests.browser.test_accessibility import AXE, BLOCKING, _describe
from tests.conftest import PASSWORD

PERIOD_CODE = "2020-mq"  # a past period: the other browser tests' open period is not disturbed
QUEUE = 66


def _comment(n: int) -> str:
    return f"第 {n + 1:02d} 条留言：网站信息更新及时，查找方便。"


async def _queue() -> None:
    form = PeriodForm(code=PERIOD_CODE, name="2020年度社会评议", opens_on="2020-01-01", closes_on="2020-12-31")
    assert await periods.create("test", form), form.errors
    period = await periods.find(PERIOD_CODE)
    departments = await Department.select(Department.id).order_by(Department.code).limit(6)
    start = clock.now() - dt.timedelta(days=10)
    await Rating.insert(*[
        Rating(period=period.id, department=departments[i % len(departments)]["id"], channel="public",
               level="satisfied", voter_id=f"queue-{i}",
               comment=_comment(i),
               comment_status="pending", created_at=start + dt.timedelta(minutes=i))
        for i in range(QUEUE)
    ])


async def _remove_queue() -> None:
    period = await EvaluationPeriod.select(EvaluationPeriod.id).where(EvaluationPeriod.code == PERIOD_CODE).first()
    await Rating.delete().where(Rating.period == period["id"])
    await EvaluationPeriod.delete().where(EvaluationPeriod.id == period["id"])


async def _reset_queue() -> None:
    await Rating.update({Rating.comment_status: "pending"}, force=True)


@pytest.fixture(scope="module")
def queue(live_server: str) -> Iterator[None]:
    in_a_thread(_queue)
    yield
    in_a_thread(_remove_queue)


def _statuses() -> list[str]:
    async def read() -> list[str]:
        rows = await Rating.select(Rating.comment_status).where(Rating.voter_id.like("queue-%")).order_by(
            Rating.created_at)
        return [row["comment_status"] for row in rows]

    return in_a_thread(read)


def _sign_in(tab: Visit, path: str) -> None:
    tab.goto(f"/staff/login?next={path}")
    tab.page.get_by_label("用户名").fill(OFFICE_USERNAME)
    tab.page.get_by_label("密码").fill(PASSWORD)
    tab.page.get_by_role("button", name="登录").click()
    expect(tab.page).to_have_url(tab.url(path))


@pytest.mark.parametrize("viewport_name", ["desk", "tablet"])
def test_a_clerk_decides_comment_after_comment_without_the_page_jumping(open_tab, queue):
    in_a_thread(_reset_queue)
    office = open_tab()
    _sign_in(office, "/staff/moderation")
    page = office.page
    expect(page.locator(".staff-nav")).to_contain_text(f"留言审核 {QUEUE}")
    rows = page.locator(".moderation-row")
    expect(rows).to_have_count(QUEUE)
    page.evaluate("window.sameDocument = true")

    # The clerk has scrolled down to the 20th comment and decides it with the mouse...
    row = rows.nth(19)
    row.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -150)")  # the comment is in the middle of the screen, not at its edge
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 500
    top = row.bounding_box()["y"]
    row.get_by_role("button", name=f"通过：{_department(row)}“{_comment(19)[:15]}…”", exact=True).click()
    expect(row).to_contain_text("已通过")
    # Swapped in place: the decided comment is where it was, and so is the page.
    assert abs(row.bounding_box()["y"] - top) < 2, "the decided comment moved"
    assert abs(page.evaluate("window.scrollY") - scrolled) < 2, "the page moved"
    # ... then goes on with the keyboard: the next comment's first button has the focus, in view;
    # the page follows the clerk down and never jumps back towards the top.
    for n in range(20, 25):
        focused = page.locator(":focus")
        words = _comment(n)[:15] + "…"  # the department and the comment's first words name the button
        expect(focused).to_have_attribute("aria-label", f"通过：{_department(rows.nth(n))}“{words}”")
        expect(focused).to_be_in_viewport()
        before = page.evaluate("window.scrollY")
        page.keyboard.press("Enter")
        expect(rows.nth(n)).to_contain_text("已通过")
        assert page.evaluate("window.scrollY") >= before - 2, "the page jumped back towards the top"
    # The focus moved on again, to the 26th comment: Tab goes on from there, to its other decision.
    expect(page.locator(":focus")).to_have_attribute(
        "aria-label", f"通过：{_department(rows.nth(25))}“{_comment(25)[:15]}…”")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute(
        "aria-label", f"不通过：{_department(rows.nth(25))}“{_comment(25)[:15]}…”")
    assert page.evaluate("window.sameDocument") is True  # decided in place, never reloaded
    assert _statuses()[19:25] == ["approved"] * 6 and _statuses().count("approved") == 6

    # Several at once: tick three and reject them together.
    for n in (30, 31, 33):
        rows.nth(n).get_by_role("checkbox").check()
    page.get_by_role("button", name="不通过所选").click()
    expect(page.get_by_role("status")).to_contain_text("已将 3 条留言设为不通过。")
    expect(page.locator(".moderation-row")).to_have_count(QUEUE - 9)
    assert _statuses().count("rejected") == 3

    # The decided and the pending rows pass axe-core (its script needs the page's CSP set aside).
    checker = open_tab(bypass_csp=True)
    _sign_in(checker, "/staff/moderation?state=all")
    checker.page.add_script_tag(path=str(AXE))
    results = checker.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING]
    assert not blocking, f"axe-core on /staff/moderation:\n{_describe(blocking)}"


def _department(row) -> str:
    return row.locator(".meta").inner_text().split(" · ")[0]


@pytest.mark.parametrize("viewport_name", ["desk"])
def test_the_queue_works_without_javascript_and_keeps_its_filter(open_tab, queue):
    in_a_thread(_reset_queue)
    office = open_tab(java_script_enabled=False)
    _sign_in(office, "/staff/moderation")
    page = office.page
    page.get_by_label("状态").select_option("pending")
    first_department = _department(page.locator(".moderation-row").first)
    page.get_by_label("单位").select_option(label=first_department)
    page.get_by_role("button", name="筛选").click()
    rows = page.locator(".moderation-row")
    shown = rows.count()
    assert 0 < shown < QUEUE
    rows.first.get_by_role("button", name=re.compile("^不通过：")).click()
    assert "department=" in page.url and "state=pending" in page.url  # back to the same filtered queue
    expect(page.locator(".moderation-row")).to_have_count(shown - 1)
    assert _statuses().count("rejected") == 1
