"""Office staff sign in with the form, reach the dashboard, and sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OFFICE_NAME, OFFICE_USERNAME, Visit
from tests.conftest import PASSWORD


@pytest.mark.smoke
def test_office_signs_in_reaches_the_dashboard_and_signs_out(tab: Visit) -> None:
    page = tab.page
    tab.goto("/")
    page.get_by_role("navigation", name="网站导航").get_by_role("link", name="工作人员登录").click()
    expect(page).to_have_url(tab.url("/staff/login"))
    tab.assert_fits_the_screen()

    page.get_by_label("用户名").fill(OFFICE_USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(tab.url("/staff"))
    expect(page.get_by_role("heading", name="工作台", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(OFFICE_NAME)
    expect(page.get_by_role("link", name=re.compile("^单位管理"))).to_have_count(2)  # staff menu and card
    tab.assert_fits_the_screen()

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(tab.url("/"))
    expect(page.get_by_role("navigation", name="网站导航").get_by_role("link", name="工作人员登录")).to_be_visible()

    tab.goto("/staff")
    expect(page).to_have_url(re.compile(r"/staff/login\?next=/staff$"))
    expect(page.get_by_role("heading", name="工作人员登录", level=1)).to_be_visible()


def test_a_wrong_password_keeps_the_form_and_says_why(tab: Visit) -> None:
    page = tab.page
    tab.goto("/staff/login")
    page.get_by_label("用户名").fill(OFFICE_USERNAME)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(tab.url("/staff/login"))
    expect(page.get_by_role("main")).to_contain_text("用户名或密码不正确")
    expect(page.get_by_label("用户名")).to_have_value(OFFICE_USERNAME)
    expect(page.get_by_label("密码")).to_have_value("")
