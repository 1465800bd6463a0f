"""The liaison of 集宁区 fills table 三 of the 2026 annual report on a tablet, is stopped by a
failing check that names its cells (the printed （七）总计 of individuals is not the sum of its rows),
corrects it and submits. Her text sections are written already; tables 二 and 四 are left empty
(zeros). The reports of 2026 and her account are removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluation.core.tables import Account, Department, Role
from inspections.annual_report.tables import AnnualReport
from tests.annual_report.conftest import TEXTS, insert_report, t3_figures
from tests.browser.checklist_fixtures import in_a_thread
from tests.browser.conftest import Visit
from tests.browser.test_accessibility import AXE, BLOCKING, _describe
from tests.conftest import PASSWORD, add_account

REPORT = "/staff/reports/2026/units/150902"


async def _remove_reports() -> None:
    # A submitted report's cells are locked by the database: back to a draft, then away.
    await AnnualReport.update({AnnualReport.status: "draft"}).where(AnnualReport.year == 2026)
    await AnnualReport.delete().where(AnnualReport.year == 2026)


async def _report_with_texts() -> None:
    """集宁区's 2026 report as its liaison left it: the three text sections written, no figures."""
    await _remove_reports()
    await insert_report(2026, "150902", texts=TEXTS)


async def _liaison() -> None:
    department = await Department.select(Department.id).where(Department.code == "150902").first()
    await add_account("chenjing", Role.liaison, "陈静", department_id=department["id"])


async def _remove() -> None:
    await _remove_reports()
    await Account.delete().where(Account.username == "chenjing")


@pytest.fixture(scope="module")
def liaison_of_jining(live_server: str) -> Iterator[None]:
    in_a_thread(_liaison)
    yield
    in_a_thread(_remove)


def sign_in(tab: Visit, path: str) -> None:
    tab.goto(f"/staff/login?next={path}")
    tab.page.get_by_label("用户名").fill("chenjing")
    tab.page.get_by_label("密码").fill(PASSWORD)
    tab.page.get_by_role("button", name="登录").click()
    expect(tab.page).to_have_url(tab.url(path))


@pytest.mark.smoke
@pytest.mark.parametrize("viewport_name", ["tablet", "phone"])
def test_a_liaison_fills_table_three_is_stopped_by_a_failing_check_corrects_it_and_submits(open_tab,
                                                                                          liaison_of_jining,
                                                                                          viewport_name):
    in_a_thread(_report_with_texts)
    tab = open_tab()
    page = tab.page
    sign_in(tab, f"{REPORT}/sections/S3")
    figures = t3_figures()
    figures[("T3", "R3_7", "A1")] = Decimal(60)  # the rows of individuals add up to 62
    for (_table, row, column), value in figures.items():
        if value:
            page.locator(f"#T3-{row}-{column}").fill(str(value))
    page.get_by_role("button", name="保存并检查").click()
    failures = page.locator(".check-failures")
    expect(failures).to_contain_text("有 3 处勾稽关系不符，改正后才能提交")
    expect(failures).to_contain_text("T3 R3_7 A1: 60 ≠ 62")
    expect(failures).to_contain_text("T3 R1+R2 A1: 67 ≠ 65 (R3_7+R4)")
    expect(failures).to_contain_text("T3 R3_7 A3: 73 ≠ 71")
    expect(page.locator("#T3-R3_7-A1")).to_have_attribute("aria-describedby", "failure-1 failure-2")
    tab.assert_fits_the_screen()

    page.get_by_role("link", name="报告概览与提交").click()
    page.get_by_role("button", name="提交报告").click()
    refusal = page.get_by_role("alert").filter(has_text="报告未通过检查，不能提交")
    expect(refusal).to_contain_text("T3 R3_7 A1: 60 ≠ 62")
    expect(page.locator(".facts")).to_contain_text("编写中")

    page.get_by_role("link", name="三、收到和处理政府信息公开申请情况").click()
    page.locator("#T3-R3_7-A1").fill("62")
    page.get_by_role("button", name="保存并检查").click()
    expect(page.get_by_text("本部分的勾稽关系检查全部通过。")).to_be_visible()
    expect(page.locator(".check-failures")).to_have_count(0)

    page.get_by_role("link", name="报告概览与提交").click()
    page.get_by_role("button", name="提交报告").click()
    expect(page).to_have_url(tab.url(f"{REPORT}?done=submitted"))
    expect(page.get_by_role("status")).to_contain_text("报告已提交。")
    expect(page.locator(".facts")).to_contain_text("已提交")
    tab.assert_fits_the_screen()


@pytest.mark.parametrize("viewport_name", ["phone"])
def test_the_annual_report_pages_have_no_serious_accessibility_violations(open_tab, liaison_of_jining):
    in_a_thread(_report_with_texts)
    tab = open_tab(bypass_csp=True)
    sign_in(tab, REPORT)
    for path in (REPORT, f"{REPORT}/sections/S1", f"{REPORT}/sections/S2", f"{REPORT}/sections/S3",
                 f"{REPORT}/sections/S4", "/annual-reports/2026/units/150902", "/staff/reports"):
        tab.goto(path)
        tab.page.add_script_tag(path=str(AXE))
        results = tab.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING]
        assert not blocking, f"axe-core on {path}:\n{_describe(blocking)}"
