"""Deadlines from the Regulations (第五十条): departments report by 31 January, the city by 31 March of
the following year, each to 24:00 Asia/Shanghai; what is overdue is listed for the office.

The clock stands at 10 December 2026: the 2025 reports were due this year, the 2026 ones are not yet."""

from __future__ import annotations

import datetime as dt

import pytest

from evaluation.core import clock
from inspections.annual_report import deadlines, reports
from inspections.annual_report.reports import Report, Unit
from tests.annual_report.conftest import TEXTS, report_figures, write_report
from tests.conftest import text_of

SHANGHAI = clock.SHANGHAI


def at(*moment: int) -> dt.datetime:
    return dt.datetime(*moment, tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def december_2026(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: at(2026, 12, 10, 9, 0))


def test_departments_are_due_by_31_january_and_the_city_by_31_march_of_the_next_year():
    assert deadlines.due(2025, is_city=False) == at(2026, 2, 1, 0, 0)  # 24:00 of 31 January
    assert deadlines.due(2025, is_city=True) == at(2026, 4, 1, 0, 0)
    assert deadlines.due_text(2025, False) == "2026年1月31日" and deadlines.due_text(2025, True) == "2026年3月31日"


@pytest.mark.parametrize("now, overdue", [(at(2026, 1, 31, 23, 59, 59), False), (at(2026, 2, 1, 0, 0, 1), True)])
def test_a_department_report_is_overdue_from_the_first_moment_of_february(monkeypatch, now, overdue):
    monkeypatch.setattr(clock, "now", lambda: now)
    report = Report(year=2025, unit=Unit(1, "150902", "集宁区"), status="draft")
    assert report.overdue is overdue
    assert Report(year=2025, unit=reports.city(), status="draft").overdue is False  # the city has until 31 March


def test_the_year_being_written_is_last_years_until_the_city_has_published(monkeypatch):
    assert reports.current_year(dt.date(2027, 1, 15)) == 2026
    assert reports.current_year(dt.date(2027, 3, 31)) == 2026
    assert reports.current_year(dt.date(2027, 4, 1)) == 2027
    assert reports.current_year(dt.date(2026, 12, 10)) == 2026


def test_overdue_reports_are_listed_for_the_office(office, december_2026):
    write_report(2025, "150902", report_figures())  # due 31 January 2026: overdue
    write_report(2025, "150981", report_figures(), TEXTS, status="submitted")  # submitted (in December): late
    write_report(2025, None, texts={"S1": "全市"})  # due 31 March 2026: overdue
    write_report(2026, "SZ03")  # due 31 January 2027: not yet
    page = office.get("/staff/reports?year=2025")
    overdue = text_of(page.text.split('id="overdue-heading"')[1].split("</section>")[0])
    assert "2025 集宁区 2026年1月31日 24:00 编写中" in overdue
    assert "2025 市人民政府 2026年3月31日 24:00 编写中" in overdue
    assert "丰镇市" not in overdue and "乌兰察布市教育局" not in overdue
    listed = text_of(page.text.split('id="reports-heading"')[1])
    assert "丰镇市 150981 旗县市区 已提交 · 逾期提交" in listed and "集宁区 150902 旗县市区 编写中 · 已逾期" in listed
    assert "2026年1月31日 24:00 前" in text_of(page.text) and "2026年3月31日 24:00 前" in text_of(page.text)
    this_year = text_of(office.get("/staff/reports?year=2026").text)
    assert "2027年1月31日 24:00 前" in this_year and "2027年3月31日 24:00 前" in this_year


def test_the_liaison_sees_the_deadline_and_that_it_has_passed(visitor, people, december_2026):
    write_report(2025, "150902", report_figures())
    visitor.sign_in("chenjing")
    page = text_of(visitor.get("/staff/reports").text)
    assert "集宁区2025年政府信息公开工作年度报告 编写中 · 已逾期 · 提交期限 2026年1月31日 24:00" in page
    assert "集宁区2026年政府信息公开工作年度报告 尚未开始 · 提交期限 2027年1月31日 24:00" in page
    report = text_of(visitor.get("/staff/reports/2025/units/150902").text)
    assert "已逾期" in report and "2026年1月31日 24:00 前" in report
