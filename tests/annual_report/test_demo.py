"""`pingyi demo` gives last year's city report, submitted, and this year's reports in progress,
linked from the home page; a second run changes nothing."""

from __future__ import annotations

import json
from collections import Counter

import cli
from inspections.annual_report import checks, reports
from inspections.annual_report.tables import AnnualReport
from tests.annual_report.conftest import report_row, stored_figures
from tests.conftest import run, text_of


def test_the_demo_has_last_years_city_report_and_this_years_in_progress(visitor, capsys):
    assert cli.main(["demo"]) == 0
    capsys.readouterr()
    year = reports.current_year()
    last = report_row(year - 1, None)
    assert last["status"] == "submitted" and last["submitted_by"] == "office"
    assert len(stored_figures(year - 1, None)) == 200 and checks.check(stored_figures(year - 1, None)) == []

    rows = run(AnnualReport.select(AnnualReport.status, AnnualReport.department.code.as_alias("code")).where(
        AnnualReport.year == year))
    assert len(rows) == 47 + 1
    states = Counter(row["status"] for row in rows)
    assert set(states) == {"draft", "submitted", "returned"} and states["submitted"] >= 10
    assert report_row(year, "SZ03")["return_reason"].startswith("总体情况未写本单位的社会评议结果")
    assert [failure.code_text.split(":")[0] for failure in checks.check(stored_figures(year, "150902"))] == [
        "T3 R1+R2 A1", "T3 R3_7 A1", "T3 R3_7 A3"]
    city = report_row(year, None)
    submitted = sorted(row["code"] for row in rows if row["status"] == "submitted" and row["code"])
    assert city["status"] == "draft" and city["compiled_at"] is not None
    assert submitted == sorted(json.loads(city["compiled_from"]))

    home = text_of(visitor.get("/").text)
    assert f"年度报告： 市人民政府{year - 1}年政府信息公开工作年度报告" in home
    assert visitor.get(f"/annual-reports/{year - 1}/city").status_code == 200

    before = run(AnnualReport.count())
    assert cli.main(["demo"]) == 0
    assert "演示数据已存在，未做改动" in capsys.readouterr().out
    assert run(AnnualReport.count()) == before
