"""The office publishes last year's ranking; a citizen reads the 通报 on a phone; the office
corrects it with a second version, and the first one says it was superseded.

Round 2024-kh (集宁区 and 丰镇市, both checklists approved) is written before the pages are
opened. Published rankings cannot be deleted, so it stays; only its people are removed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluation.core.tables import Account, Department
from inspections.tables import Checklist, ChecklistAnswer, ChecklistStatus, InspectionRound, Team, TeamMember
from tests.browser.checklist_fixtures import in_a_thread
from tests.browser.conftest import OFFICE_USERNAME, Visit
from tests.browser.test_accessibility import AXE, BLOCKING, _describe
from tests.conftest import PASSWORD
from tests.inspections.conftest import Inspection, open_sample_round


async def _approved_round() -> Inspection:
    rows = await Department.select(Department.id, Department.code).where(Department.code.is_in(["150902", "150981"]))
    inspection = await open_sample_round({row["code"]: row["id"] for row in rows}, year=2024)
    await InspectionRound.update({InspectionRound.public_weight: Decimal(0)}).where(
        InspectionRound.id == inspection.round_id)
    for department, checklist_id in inspection.checklists.items():
        answers = await ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.indicator.kind,
                                               ChecklistAnswer.indicator.max_points).where(
            ChecklistAnswer.checklist == checklist_id)
        for row in answers:
            full = Decimal(str(row["indicator.max_points"]))
            value = {"deduct": Decimal(0), "veto": Decimal(0), "bonus": Decimal(0)}.get(row["indicator.kind"], full)
            if department == "150981" and row["indicator.kind"] == "score" and full == 25:
                value = Decimal("20")
            await ChecklistAnswer.update({ChecklistAnswer.value: value}).where(ChecklistAnswer.id == row["id"])
        await Checklist.update({Checklist.status: ChecklistStatus.approved}).where(Checklist.id == checklist_id)
    return inspection


async def _remove_people(inspection: Inspection) -> None:
    await TeamMember.delete().where(TeamMember.team.is_in(Team.select(Team.id).where(
        Team.round == inspection.round_id)))
    await Account.delete().where(Account.username.is_in(["liqiang", "sunwei"]))


@pytest.fixture(scope="module")
def approved_round(live_server: str) -> Iterator[Inspection]:
    inspection = in_a_thread(_approved_round)
    yield inspection
    in_a_thread(lambda: _remove_people(inspection))


def sign_in(tab: Visit, path: str) -> None:
    tab.goto(f"/staff/login?next={path}")
    tab.page.get_by_label("用户名").fill(OFFICE_USERNAME)
    tab.page.get_by_label("密码").fill(PASSWORD)
    tab.page.get_by_role("button", name="登录").click()
    expect(tab.page).to_have_url(tab.url(path))


@pytest.mark.smoke
@pytest.mark.parametrize("viewport_name", ["phone"])
def test_the_office_publishes_then_corrects_and_the_public_sees_both_versions(open_tab, approved_round):
    office = open_tab()
    sign_in(office, "/staff/rounds/2024-kh/ranking")
    page = office.page
    expect(page.get_by_role("heading", name="发布通报")).to_be_visible()
    page.get_by_role("button", name="发布第 1 版通报").click()
    expect(page).to_have_url(office.url("/rankings/2024-kh/1?published=1"))
    expect(page.get_by_role("status")).to_contain_text("已发布第 1 版通报")

    citizen = open_tab()
    citizen.goto("/")
    citizen.page.get_by_role("link", name="2024年度政务公开考核结果通报").click()
    expect(citizen.page).to_have_url(citizen.url("/rankings/2024-kh"))
    table = citizen.page.locator(".ranking-table").first
    expect(table.locator("tbody tr").first).to_contain_text("集宁区")
    expect(table.locator("tbody tr").first).to_contain_text("100.00")
    citizen.assert_fits_the_screen()
    citizen.page.get_by_role("link", name="集宁区").first.click()
    expect(citizen.page.locator("h1")).to_contain_text("集宁区")
    citizen.assert_fits_the_screen()

    office.goto("/staff/rounds/2024-kh/ranking")
    page.get_by_role("button", name="发布第 2 版通报").click()
    # The reason is required from version 2 on: the browser asks for it before anything is sent.
    expect(page).to_have_url(office.url("/staff/rounds/2024-kh/ranking"))
    page.get_by_label("发布理由").fill("更正丰镇市重点领域信息公开的得分")
    page.get_by_role("button", name="发布第 2 版通报").click()
    expect(page).to_have_url(office.url("/rankings/2024-kh/2?published=1"))

    citizen.goto("/rankings/2024-kh/1")
    banner = citizen.page.locator(".superseded-banner")
    expect(banner).to_contain_text("本版已被第 2 版取代")
    expect(banner).to_contain_text("更正丰镇市重点领域信息公开的得分")
    banner.get_by_role("link", name="查看第 2 版").click()
    expect(citizen.page).to_have_url(citizen.url("/rankings/2024-kh/2"))
    expect(citizen.page.locator(".superseded-banner")).to_have_count(0)
    expect(citizen.page.locator(".versions")).to_contain_text("已被第 2 版取代")


@pytest.mark.parametrize("viewport_name", ["phone"])
def test_the_ranking_pages_have_no_serious_accessibility_violations(open_tab, approved_round):
    """After the test above: the draft, the notification and a unit's page."""
    tab = open_tab(bypass_csp=True)
    sign_in(tab, "/staff/rounds/2024-kh/ranking")
    for path in ("/staff/rounds/2024-kh/ranking", "/rankings/2024-kh/1", "/rankings/2024-kh/1/units/150902",
                 "/staff/rounds/2024-kh/ranking/units/150981"):
        tab.goto(path)
        tab.page.add_script_tag(path=str(AXE))
        results = tab.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING]
        assert not blocking, f"axe-core on {path}:\n{_describe(blocking)}"
