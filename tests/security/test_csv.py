"""Every CSV the platform writes goes through one writer (evaluation/core/spreadsheets.py): text
that a spreadsheet would run as a formula stays text, a BOM comes first for Excel on a Chinese
Windows PC, and a download says ``text/csv; charset=utf-8`` (issue 16, ASVS V5.3)."""

from __future__ import annotations

import csv
import io

from litestar.routes import HTTPRoute

from evaluation.core.spreadsheets import csv_text
from evaluation.core.tables import Department
from inspections.tables import Indicator
from tests.conftest import run
from tests.core.test_cli import pingyi
from tests.inspections.conftest import add_sample_system
from tests.inspections.test_indicator_files import upload

BOM = b"\xef\xbb\xbf"
FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
# How the file carries them: an apostrophe first, and CR as LF (a lone CR would end the row).
SAFE = ["'" + formula.replace("\r", "\n") for formula in FORMULAS]
# Every CSV route and the test that opens it: a new one fails test_every_csv_route_is_checked.
CHECKED_CSV_ROUTES = {
    "/open-data/{period:str}/results.csv": "test_open_data_csv_keeps_formulas_as_text",
    "/staff/indicators/{system_id:int}/indicators.csv": "test_the_indicators_csv_keeps_formulas_as_text",
    "/open-data/rankings/{code:str}/{version:int}/ranking.csv": "tests/rankings/test_rankings.py",
    "/staff/rounds/{code:str}/ranking/ratings.csv": "tests/rankings/test_ranking_workbook.py",
    "/open-data/annual-reports/{year:int}/units/{code:str}/statistics.csv": "tests/annual_report/test_exports.py",
    "/open-data/annual-reports/{year:int}/city/statistics.csv": "tests/annual_report/test_exports.py",
    "/staff/surveys/{survey_id:int}/responses.csv": "tests/surveys/test_exchange.py",
}


def _cells(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM) and content.count(BOM) == 1
    return list(csv.reader(io.StringIO(content.decode("utf-8")[1:], newline="")))


def test_the_writer_makes_every_formula_start_safe_and_leaves_numbers_alone():
    text = csv_text([["name", "value"], *([formula, "-2.5"] for formula in FORMULAS)])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert [row[0] for row in rows[1:]] == SAFE
    assert {row[1] for row in rows[1:]} == {"-2.5"}
    assert not csv_text([["a"]], bom=False).startswith("\ufeff")


def test_every_csv_route_is_checked(app):
    paths = {route.path for route in app.routes if isinstance(route, HTTPRoute) and route.path.endswith(".csv")}
    assert paths == set(CHECKED_CSV_ROUTES)


def test_open_data_csv_keeps_formulas_as_text(visitor, period):
    for index, formula in enumerate(FORMULAS):
        run(Department.insert(Department(code=f"F{index}", name=formula, group="municipal", active=True)))
    response = visitor.get("/open-data/2026-pj/results.csv")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    names = {row[2] for row in _cells(response.content)[1:]}
    assert set(SAFE) <= names and not names & set(FORMULAS)


def test_the_indicators_csv_keeps_formulas_as_text(office, tmp_path):
    system_id, ids = run(add_sample_system())
    run(Indicator.update({Indicator.scoring_rule: "=HYPERLINK(\"http://x\")"}).where(Indicator.id == ids["C8"]))
    run(Indicator.update({Indicator.title: "-1 分起扣"}).where(Indicator.id == ids["C1"]))
    response = office.get(f"/staff/indicators/{system_id}/indicators.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    cells = [cell for row in _cells(response.content) for cell in row]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'-1 分起扣" in cells
    assert "=HYPERLINK(\"http://x\")" not in cells
    # The command line writes the same file; the file reads back as it was typed.
    target = tmp_path / "indicators.csv"
    assert pingyi("indicators", "export", str(target), "--year", "2026") == 0
    assert target.read_bytes() == response.content
    imported = upload(office, response.content, code="copy")
    assert imported.status_code == 303
    rules = run(Indicator.select(Indicator.scoring_rule).where(Indicator.scoring_rule.like("=%")))
    assert len(rules) == 2 and {row["scoring_rule"] for row in rules} == {"=HYPERLINK(\"http://x\")"}
