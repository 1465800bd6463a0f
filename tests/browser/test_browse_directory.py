"""A citizen on a phone or a tablet: the directory, the search, a department's page, English."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LINKED_ITEM_URL, Visit


@pytest.mark.smoke
def test_citizen_browses_searches_and_opens_a_department(tab: Visit) -> None:
    page = tab.page
    tab.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="单位名录", level=1)).to_be_visible()
    directory = page.locator("#directory")
    expect(directory.get_by_role("heading", name=re.compile("^旗县市区"))).to_be_visible()
    expect(directory.get_by_role("heading", name=re.compile("^市直单位"))).to_be_visible()
    expect(directory.get_by_role("link", name=re.compile("集宁区"))).to_be_visible()
    tab.assert_fits_the_screen()

    # Typing searches in place: htmx swaps the list, the page itself is not reloaded.
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("搜索单位名称或代码").press_sequentially("教育")
    expect(page).to_have_url(re.compile(re.escape("q=" + quote("教育"))))
    expect(directory).not_to_contain_text("集宁区")
    expect(directory).to_contain_text("乌兰察布市教育局")
    expect(directory).to_contain_text("搜索结果：1 个单位")
    assert page.evaluate("window.__sameDocument === true"), "the search reloaded the whole page"
    tab.assert_fits_the_screen()

    page.get_by_role("link", name=re.compile("乌兰察布市教育局")).click()
    expect(page).to_have_url(tab.url("/departments/SZ03"))
    expect(page.get_by_role("heading", name="乌兰察布市教育局", level=1)).to_be_visible()
    catalogue = page.get_by_role("region", name="公开信息目录")
    expect(catalogue.get_by_role("heading", name="公开信息目录")).to_be_visible()
    expect(catalogue.get_by_role("listitem")).to_have_count(8)
    expect(catalogue.get_by_role("link", name="机构职能")).to_have_attribute("href", LINKED_ITEM_URL)
    expect(catalogue).to_contain_text("部门预算、决算和“三公”经费说明。")
    tab.assert_fits_the_screen()

    page.go_back()
    expect(page).to_have_url(re.compile(re.escape("q=" + quote("教育"))))
    expect(page.get_by_label("搜索单位名称或代码")).to_have_value("教育")


def test_a_search_that_finds_nothing_says_so(tab: Visit) -> None:
    page = tab.page
    tab.goto("/")
    page.get_by_label("搜索单位名称或代码").fill("不存在的单位")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#directory")).to_contain_text("没有找到匹配的单位。")
    expect(page.locator("#directory").get_by_role("link")).to_have_count(0)


def test_search_works_without_javascript(open_tab) -> None:
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/")
    page.get_by_label("搜索单位名称或代码").fill("教育")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(tab.url("/?q=" + quote("教育")))
    directory = page.locator("#directory")
    expect(directory).to_contain_text("乌兰察布市教育局")
    expect(directory).not_to_contain_text("集宁区")
    expect(page.get_by_label("搜索单位名称或代码")).to_have_value("教育")
    tab.assert_fits_the_screen()


@pytest.mark.smoke
def test_citizen_reads_a_department_page_in_english_and_switches_back(tab: Visit) -> None:
    page = tab.page
    tab.goto("/departments/150902")
    expect(page.get_by_role("heading", name="集宁区", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="公开信息目录")).to_be_visible()

    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(tab.url("/departments/150902"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The way back is offered in its own language.
    expect(page.get_by_role("link", name="中文")).to_have_attribute("hreflang", "zh-CN")
    expect(page.get_by_role("link", name="English")).to_have_count(0)
    expect(page.get_by_role("heading", name="集宁区", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Information catalogue")).to_be_visible()
    expect(page.get_by_role("heading", name="公开信息目录")).to_have_count(0)
    tab.assert_fits_the_screen()

    # The choice is remembered from page to page.
    tab.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Department directory", level=1)).to_be_visible()
    expect(page.get_by_label("Search by department name or code")).to_be_visible()
    tab.assert_fits_the_screen()

    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(tab.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="单位名录", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="English")).to_be_visible()
