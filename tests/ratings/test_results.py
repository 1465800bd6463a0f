"""Public results: a department's index and distribution, the overview, open data."""

from __future__ import annotations

from tests.conftest import add_many_departments, add_ratings, text_of


def test_results_show_the_index_distribution_and_counts(visitor, departments, period):
    # The hand-worked example of test_satisfaction_index: public 10/5/3/2 (mean 82), no panel → 82.00
    # … plus 10 public 非常满意 makes 30 ratings: (10·100+5·80+3·60+2·30+10·100) / 30 = 2640/30 = 88.00
    for level, n in (("very_satisfied", 20), ("satisfied", 5), ("basic", 3), ("unsatisfied", 2)):
        add_ratings(departments["150902"], "public", level, n)
    text = text_of(visitor.get("/departments/150902/results").text)
    assert "满意度指数 88.00" in text
    assert "评价总数 30" in text and "公众 30" in text
    assert "非常满意 20 66.7%" in text and "不满意 2 6.7%" in text


def test_below_the_minimum_sample_the_page_says_so(visitor, departments, period):
    add_ratings(departments["150902"], "public", "very_satisfied", 29)
    text = text_of(visitor.get("/departments/150902/results").text)
    assert "样本不足" in text and "100.00" not in text


def test_the_overview_ranks_departments_and_sorts_by_name(visitor, departments, period):
    add_ratings(departments["150902"], "public", "satisfied", 30)
    add_ratings(departments["SZ03"], "panel", "very_satisfied", 30)
    add_ratings(departments["SZ10"], "public", "basic", 3)
    by_index = text_of(visitor.get("/results").text)
    assert by_index.index("乌兰察布市教育局") < by_index.index("集宁区") < by_index.index("乌兰察布市财政局")
    by_name = text_of(visitor.get("/results", params={"sort": "name"}).text)
    assert by_name.index("集宁区") < by_name.index("乌兰察布市教育局")


def test_open_data_as_json_and_csv_at_stable_urls(visitor, departments, period):
    add_ratings(departments["150902"], "public", "satisfied", 30)
    data = visitor.get("/open-data/2026-pj/results.json").json()
    row = next(d for d in data["departments"] if d["code"] == "150902")
    assert row == {"code": "150902", "name": "集宁区", "group": "county", "ratings": 30, "public": 30,
                   "panel": 0, "index": "80.00"}
    assert next(d for d in data["departments"] if d["code"] == "SZ03")["index"] is None
    csv_text = visitor.get("/open-data/2026-pj/results.csv").text
    assert "2026-pj,150902,集宁区,county,30,30,0,80.00" in csv_text
    assert visitor.get("/open-data/nope/results.json").status_code == 404


def test_the_office_sees_bursts_of_public_ratings(office, departments, period):
    add_ratings(departments["150902"], "public", "very_satisfied", 25)
    add_ratings(departments["SZ03"], "public", "satisfied", 3)
    page = text_of(office.get("/staff/ratings/bursts").text)
    assert "集宁区 25 突增" in page
    assert "乌兰察布市教育局 3" in page and "乌兰察布市教育局 3 突增" not in page


def test_open_data_of_an_unknown_period_is_a_json_404(visitor, departments, period):
    found = visitor.get("/open-data/2026-pj/results.json")
    assert found.status_code == 200 and found.json()["departments"]
    missing = visitor.get("/open-data/1999-pj/results.json", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/json")
    assert missing.json()["status_code"] == 404
    assert visitor.client.head("/open-data/1999-pj/results.json").status_code == 404


def test_with_twenty_thousand_departments_the_overview_is_paged_and_open_data_stays_complete(
        visitor, departments, period):
    add_many_departments(20_000)
    add_ratings(departments["SZ03"], "public", "very_satisfied", 30)
    first = visitor.get("/results")
    assert first.status_code == 200
    assert len(first.content) < 60_000, len(first.content)
    text = text_of(first.text)
    assert first.text.count('/results?period=2026-pj">') == 100
    assert text.index("乌兰察布市教育局 市直单位 30 100.00") < text.index("第 1 / 201 页")
    by_name = visitor.get("/results", params={"sort": "name", "page_number": "201"})
    assert "D19999" in by_name.text and "第 201 / 201 页" in text_of(by_name.text)
    assert 'href="/results?period=2026-pj&amp;sort=name&amp;page_number=200"' in by_name.text
    assert len(visitor.get("/open-data/2026-pj/results.json").json()["departments"]) == 20_004
    csv_lines = visitor.get("/open-data/2026-pj/results.csv").text.strip().splitlines()
    assert len(csv_lines) == 1 + 20_004 and "2026-pj,D19999,第19999号测试单位,municipal,0,0,0," in csv_lines
