"""The public directory: grouped, searchable, one page per department, Chinese first."""

from __future__ import annotations

from evaluation.core.tables import CatalogueItem, DepartmentGroup
from tests.conftest import add_department, add_many_departments, run, text_of


def test_home_page_lists_departments_by_group(visitor, departments):
    page = visitor.get("/")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "旗县市区" in text and "市直单位" in text
    assert text.index("旗县市区") < text.index("集宁区") < text.index("市直单位") < text.index("乌兰察布市教育局")


def test_search_finds_departments_by_name_or_code(visitor, departments):
    by_name = text_of(visitor.get("/", params={"q": "教育"}).text)
    assert "乌兰察布市教育局" in by_name and "集宁区" not in by_name
    by_code = text_of(visitor.get("/", params={"q": "150981"}).text)
    assert "丰镇市" in by_code and "乌兰察布市财政局" not in by_code
    nothing = text_of(visitor.get("/", params={"q": "不存在的单位"}).text)
    assert "没有找到匹配的单位" in nothing


def test_search_with_htmx_returns_only_the_directory(visitor, departments):
    partial = visitor.get("/", params={"q": "丰镇"}, headers={"HX-Request": "true", "HX-Target": "directory"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="directory"' in partial.text and "丰镇市" in partial.text
    assert "HX-Request" in partial.headers["vary"]


def test_inactive_departments_are_not_listed(visitor, departments):
    run(add_department("SZ99", "已撤销的局", DepartmentGroup.municipal, active=False))
    assert "已撤销的局" not in visitor.get("/").text
    assert visitor.get("/departments/SZ99").status_code == 404


def test_department_page_shows_code_group_and_catalogue(visitor, departments):
    run(CatalogueItem.insert(
        CatalogueItem(department=departments["150902"], title="财政预决算", description="部门预算和决算", position=1)
    ))
    text = text_of(visitor.get("/departments/150902").text)
    assert "集宁区" in text and "150902" in text and "旗县市区" in text
    assert "财政预决算" in text and "部门预算和决算" in text


def test_unknown_department_is_a_404_page_in_chinese(visitor):
    page = visitor.get("/departments/NOPE")
    assert page.status_code == 404
    assert "页面不存在" in text_of(page.text)
    assert page.headers["content-type"].startswith("text/html")


def test_language_switch_shows_english(visitor, departments):
    switched = visitor.get("/language/en", params={"next": "/departments/150902"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/departments/150902"
    page = visitor.get("/departments/150902")
    assert '<html lang="en">' in page.text
    assert "Information catalogue" in text_of(page.text)
    assert visitor.get("/language/zh_CN").status_code == 200
    assert '<html lang="zh-CN">' in visitor.get("/").text


def test_language_switch_never_redirects_off_site(visitor):
    response = visitor.get("/language/en", params={"next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_chinese_is_the_default_whatever_the_browser_asks_for(visitor, departments):
    page = visitor.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="zh-CN">' in page.text and "单位名录" in text_of(page.text)


def test_with_twenty_thousand_departments_the_directory_is_a_small_page_at_a_time(visitor, departments):
    add_many_departments(20_000)
    first = visitor.get("/")
    assert first.status_code == 200
    assert len(first.content) < 60_000, len(first.content)  # it was 13 MB in one page
    text = text_of(first.text)
    assert first.text.count('href="/departments/') == 100
    # The county group comes first with its two, then the municipal group's first 98; each
    # heading counts the whole group.
    assert "集宁区" in text and "旗县市区 2" in text and "市直单位 20002" in text
    assert "D00097" in text and "D00098" not in text
    assert "第 1 / 201 页" in text and "上一页" not in text
    second = visitor.get("/", params={"page_number": "2"})
    assert "D00098" in second.text and "D00197" in second.text and "D00097" not in second.text
    assert "集宁区" not in text_of(second.text) and "第 2 / 201 页" in text_of(second.text)
    last = text_of(visitor.get("/", params={"page_number": "999999999999"}).text)
    assert "第 201 / 201 页" in last and "D19999" in last and "下一页" not in last
    assert "第 1 / 201 页" in text_of(visitor.get("/", params={"page_number": "two"}).text)


def test_a_search_is_paged_too_and_its_pages_keep_the_search(visitor, departments):
    add_many_departments(250)
    found = visitor.get("/", params={"q": "测试单位"})
    text = text_of(found.text)
    assert "“测试单位”的搜索结果：250 个单位" in text and "第 1 / 3 页" in text
    assert 'href="/?q=%E6%B5%8B%E8%AF%95%E5%8D%95%E4%BD%8D&amp;page_number=2"' in found.text
    partial = visitor.get("/", params={"q": "测试单位", "page_number": "3"},
                          headers={"HX-Request": "true", "HX-Target": "directory"})
    assert "<html" not in partial.text and "D00249" in partial.text and "第 3 / 3 页" in text_of(partial.text)


def test_the_home_page_is_shared_by_citizens_but_each_gets_their_own_token(new_visitor, office, departments):
    first, second = new_visitor(), new_visitor()
    pages = [first.get("/").text, second.get("/").text]
    tokens = [first.client.cookies["csrftoken"], second.client.cookies["csrftoken"]]
    assert tokens[0] != tokens[1]
    assert all(f'"x-csrftoken": "{token}"' in page for token, page in zip(tokens, pages, strict=True))
    office.post("/staff/departments", {"code": "SZ41", "name": "乌兰察布市数据局", "group": "municipal"})
    assert "乌兰察布市数据局" in text_of(first.get("/").text)
    # Staff see the page made for them (their own menu), citizens never see that menu.
    assert 'href="/staff">' in office.get("/").text
    assert 'href="/staff">' not in first.get("/").text and 'href="/staff/login"' in first.get("/").text
