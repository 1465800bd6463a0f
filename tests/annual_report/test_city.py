"""The city's own report: the office starts a year's reports, and the city's tables add up the
departments' submitted tables, naming the departments that have not submitted.

集宁区 and 丰镇市 have submitted their 2026 reports, 市教育局 is still writing, 市财政局 has not begun."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from evaluation.core.tables import AuditEntry
from inspections.annual_report import checks
from inspections.annual_report.layout import FORMAT
from tests.annual_report.conftest import TEXTS, report_figures, report_row, stored_figures, t3_figures, write_report
from tests.conftest import run, text_of

CITY = "/staff/reports/2026/city"


def audit_rows(action: str) -> list[dict]:
    return run(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def test_the_office_starts_a_year_with_a_report_for_every_department_and_the_city(office, new_visitor):
    response = office.post("/staff/reports/2026/start", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/reports?year=2026&done=started"
    page = text_of(office.get("/staff/reports?year=2026&done=started").text)
    assert "已为各单位和本级政府建立本年度报告。" in page
    assert "已提交 0 个，编写中 4 个，已退回 0 个" in page
    for code in ("150902", "150981", "SZ03", "SZ10", None):
        assert report_row(2026, code)["status"] == "draft"
    office.post("/staff/reports/2026/start")  # again: nothing more to make
    assert [json.loads(row["new_value"]) for row in audit_rows("annual_report.start")] == [{"reports": 5}]
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert liaison.post("/staff/reports/2026/start").status_code == 403
    assert "年度须在" in text_of(office.post("/staff/reports/2031/start").text)


@pytest.fixture
def two_submitted(people):
    """集宁区: the report of conftest; 丰镇市: a smaller year of its own, with a fee of 0.5 万元."""
    fengzhen = t3_figures({"A1": {"R3_1": 7, "R3_4_1": 2}, "A25": {"R3_1": 1}}, carried_in={"A1": 1},
                          carried_out={})
    fengzhen.update({("T2b", "R1", "C2"): Decimal(310), ("T2d", "R1", "C2"): Decimal("0.5"),
                     ("T4", "R1", "F_1"): Decimal(1), ("T4", "R1", "F_5"): Decimal(1)})
    assert not checks.check(fengzhen)
    write_report(2026, "150902", report_figures(), TEXTS, status="submitted")
    write_report(2026, "150981", fengzhen, TEXTS, status="submitted")
    write_report(2026, "SZ03", t3_figures(), {"S1": "正在编写"})
    return fengzhen


def test_the_citys_tables_add_up_the_submitted_departments_and_name_the_others(office, two_submitted):
    page = text_of(office.get(CITY).text)
    assert "已提交 2 个单位：集宁区、丰镇市" in page
    assert "尚未提交的单位（2 个）： 乌兰察布市教育局 SZ03 · 编写中 乌兰察布市财政局 SZ10 · 尚未开始" in page
    response = office.post("/staff/reports/2026/city/compile", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{CITY}?done=compiled"

    city = stored_figures(2026, None)
    jining = report_figures()
    for cell in FORMAT.cells():
        assert city.get(cell, 0) == jining.get(cell, 0) + two_submitted.get(cell, 0), cell
    assert city[("T3", "R1", "A1")] == 64 + 8 and city[("T3", "R2", "A1")] == 3 + 1
    assert city[("T2d", "R1", "C2")] == Decimal("12.85") and city[("T2b", "R1", "C2")] == 1830
    assert checks.check(city) == []  # what adds up, added up, adds up
    page = text_of(office.get(f"{CITY}?done=compiled").text)
    assert "已按各单位已提交的报告汇总统计表。" in page and "统计表的勾稽关系检查全部通过。" in page
    assert "含 2 个单位" in page and "请重新汇总" not in page
    compiled = audit_rows("annual_report.compile")
    assert len(compiled) == 1 and json.loads(compiled[0]["new_value"])["departments"] == ["150902", "150981"]
    assert compiled[0]["actor"] == "wangmin" and compiled[0]["target"] == "annual-report:2026:city"


def test_a_department_submitting_after_the_sum_asks_for_it_again(office, two_submitted):
    office.post("/staff/reports/2026/city/compile")
    write_report(2026, "SZ10", report_figures(), TEXTS, status="submitted")
    assert "此后已提交的单位有变化，请重新汇总。" in text_of(office.get(CITY).text)
    office.post("/staff/reports/2026/city/compile")
    assert stored_figures(2026, None)[("T3", "R1", "A1")] == 64 + 8 + 64


def test_nothing_to_add_up_before_any_department_has_submitted(office, people):
    write_report(2026, "150902", report_figures())
    response = office.post("/staff/reports/2026/city/compile")
    assert response.status_code == 422 and "2026 年还没有单位提交年度报告，无法汇总。" in text_of(response.text)
    assert stored_figures(2026, None) == {}


def test_the_city_writes_its_own_texts_and_submits_like_a_department(office, two_submitted, new_visitor):
    office.post("/staff/reports/2026/city/compile")
    for section, body in TEXTS.items():
        office.post(f"{CITY}/sections/{section}", {"body": "全市" + body})
    assert office.post(f"{CITY}/submit", follow_redirects=False).status_code == 303
    assert report_row(2026, None)["status"] == "submitted"
    refused = office.post("/staff/reports/2026/city/compile")
    assert refused.status_code == 422 and "该报告已提交" in text_of(refused.text)
    citizen = new_visitor()
    page = text_of(citizen.get("/annual-reports/2026/city").text)
    assert "市人民政府2026年政府信息公开工作年度报告" in page and "全市" + TEXTS["S1"] in page
