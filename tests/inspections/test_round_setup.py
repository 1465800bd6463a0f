"""The office sets up an inspection round: name, year, indicator system, period, deadline and
the scoring settings rankings read later. Errors are shown in the form; auditors only read."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from evaluation.core.tables import AuditEntry
from evaluation.ratings.tables import EvaluationPeriod
from inspections.tables import InspectionRound
from tests.conftest import open_period, run, text_of
from tests.inspections.conftest import add_sample_system


def round_data(system_id: int, **changes: str) -> dict[str, str]:
    data = {
        "code": "2026-kh", "name": "2026年度政务公开考核", "year": "2026", "system": str(system_id), "period": "",
        "deadline": "2026-12-31", "public_weight": "20", "below_sample": "group_mean", "bonus_cap": "5",
        "grade_bands": "优秀 90\n良好 80\n合格 60\n不合格 0", "excellent_quota": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def system_id(departments) -> int:
    return run(add_sample_system())[0]


def saved_round() -> dict:
    return run(InspectionRound.select().where(InspectionRound.code == "2026-kh").first())


def test_office_creates_a_round_with_its_settings_and_it_is_listed_as_a_draft(office, system_id):
    open_period()
    period_id = run(EvaluationPeriod.select(EvaluationPeriod.id).first())["id"]
    response = office.post("/staff/rounds", round_data(system_id, period=str(period_id), public_weight="25",
                                                       convert_score="on", below_sample="own", bonus_cap="3.5",
                                                       grade_bands="优秀 85\n良好 75\n合格 60\n不合格 0",
                                                       excellent_quota="30"), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/rounds/2026-kh?saved=1"
    row = saved_round()
    assert (row["year"], row["system"], row["period"], row["status"]) == (2026, system_id, period_id, "draft")
    assert row["public_weight"] == Decimal("25") and row["bonus_cap"] == Decimal("3.5") and row["convert_score"]
    assert row["below_sample"] == "own" and row["excellent_quota"] == 30
    bands = row["grade_bands"] if isinstance(row["grade_bands"], list) else json.loads(row["grade_bands"])
    assert bands == [["优秀", "85"], ["良好", "75"], ["合格", "60"], ["不合格", "0"]]
    entry = run(AuditEntry.select().where(AuditEntry.action == "round.create").first())
    assert entry["actor"] == "wangmin" and entry["target"] == "round:2026-kh"

    text = text_of(office.get("/staff/rounds").text)
    assert "2026-kh 2026年度政务公开考核 2026 筹备中 2026-12-31" in text
    page = text_of(office.get("/staff/rounds/2026-kh").text)
    assert "优秀 ≥ 85 · 良好 ≥ 75 · 合格 ≥ 60 · 不合格 ≥ 0" in page and "30%" in page and "2026年度社会评议" in page


def test_the_new_round_form_starts_with_the_default_settings(office, system_id):
    html = office.get("/staff/rounds/new").text
    assert re.search(r'name="public_weight"[^>]*value="20"', html)
    assert re.search(r'name="bonus_cap"[^>]*value="5"', html)
    assert "优秀 90\n良好 80\n合格 60\n不合格 0</textarea>" in html
    assert '<option value="group_mean" selected>' in html
    assert "2026年度政务公开考核指标 (2026)" in html


def test_form_errors_are_shown_in_the_form_with_what_was_typed_and_nothing_is_saved(office, system_id):
    response = office.post("/staff/rounds", round_data(
        system_id, code="2026 kh", name="", deadline="31/12/2026", public_weight="120", bonus_cap="2.3",
        grade_bands="优秀 90\n良好 95\n不合格 0", excellent_quota="0"))
    assert response.status_code == 422
    text = text_of(response.text)
    assert "代码只能包含字母、数字、下划线和连字符" in text
    assert "请填写名称" in text
    assert "请填写截止日期" in text
    assert "公众评议权重必须是 0 到 100 之间的数" in text
    assert "加分上限必须是 0 到 100 之间、以 0.5 为单位的数" in text
    assert "第 2 行：分数下限必须从高到低排列" in text
    assert "优秀比例必须是 1 到 100 之间的整数" in text
    assert 'value="2026 kh"' in response.text and "优秀 90\n良好 95\n不合格 0</textarea>" in response.text
    assert run(InspectionRound.count()) == 0


@pytest.mark.parametrize(("bands", "message"), [
    ("优秀 90\n合格 60", "最后一个等次的分数下限必须是 0"),
    ("优秀 90", "至少需要两个等次"),
    ("优秀 90\n优秀 0", "等次“优秀”重复了"),
    ("优秀\n不合格 0", "第 1 行应为“等次名称 分数下限”"),
])
def test_grade_bands_are_checked_line_by_line(office, system_id, bands, message):
    response = office.post("/staff/rounds", round_data(system_id, grade_bands=bands))
    assert response.status_code == 422 and message in text_of(response.text)


def test_the_systems_year_must_be_the_rounds_year_and_codes_are_unique(office, system_id):
    response = office.post("/staff/rounds", round_data(system_id, year="2025"))
    assert response.status_code == 422
    assert "指标体系“2026年度政务公开考核指标”属于 2026 年度，与考核年度 2025 不一致" in text_of(response.text)
    assert office.post("/staff/rounds", round_data(system_id), follow_redirects=False).status_code == 303
    again = office.post("/staff/rounds", round_data(system_id, name="又一个"))
    assert again.status_code == 422 and "代码 2026-kh 已被使用" in text_of(again.text)
    assert office.post("/staff/rounds", round_data(system_id, code="x", system="999")).status_code == 422


def test_settings_change_while_draft_and_each_change_is_audited(office, system_id):
    office.post("/staff/rounds", round_data(system_id))
    response = office.post("/staff/rounds/2026-kh", round_data(system_id, public_weight="30", deadline="2027-01-15"),
                           follow_redirects=False)
    assert response.status_code == 303
    row = saved_round()
    assert row["public_weight"] == Decimal("30") and str(row["deadline"]) == "2027-01-15"
    entry = run(AuditEntry.select().where(AuditEntry.action == "round.update").first())
    assert json.loads(entry["old_value"]) == {"public_weight": "20", "deadline": "2026-12-31"}
    # A save that changes nothing records nothing.
    office.post("/staff/rounds/2026-kh", round_data(system_id, public_weight="30", deadline="2027-01-15"))
    assert run(AuditEntry.count().where(AuditEntry.action == "round.update")) == 1
    bad = office.post("/staff/rounds/2026-kh", round_data(system_id, bonus_cap="-1"))
    assert bad.status_code == 422 and "加分上限必须是" in text_of(bad.text)


def test_while_open_only_the_settings_change_not_the_year_or_system(office, system_id):
    other_system = run(add_sample_system(code="2026-b"))[0]
    office.post("/staff/rounds", round_data(system_id))
    run(InspectionRound.update({InspectionRound.status: "open"}).where(InspectionRound.code == "2026-kh"))
    html = office.get("/staff/rounds/2026-kh/edit").text
    assert "年度和指标体系不能再改变" in text_of(html)
    response = office.post("/staff/rounds/2026-kh", round_data(other_system, year="2027", bonus_cap="4"),
                           follow_redirects=False)
    assert response.status_code == 303
    row = saved_round()
    assert (row["system"], row["year"], row["bonus_cap"]) == (system_id, 2026, Decimal("4"))
    run(InspectionRound.update({InspectionRound.status: "closed"}).where(InspectionRound.code == "2026-kh"))
    closed = office.post("/staff/rounds/2026-kh", round_data(system_id, bonus_cap="3"))
    assert closed.status_code == 422 and "考核批次已结束" in text_of(closed.text)


def test_inspectors_and_liaisons_are_refused_and_auditors_read_without_buttons(visitor, people, system_id,
                                                                               new_visitor):
    office = new_visitor()
    office.sign_in("wangmin")
    office.post("/staff/rounds", round_data(system_id))
    for username in ("liqiang", "chenjing"):
        someone = new_visitor()
        someone.sign_in(username)
        for url in ("/staff/rounds", "/staff/rounds/new", "/staff/rounds/2026-kh", "/staff/rounds/2026-kh/edit"):
            assert someone.get(url).status_code == 403, (username, url)
        assert someone.post("/staff/rounds/2026-kh/open").status_code == 403
    visitor.sign_in("zhaoli")
    assert "2026-kh" in visitor.get("/staff/rounds").text
    page = visitor.get("/staff/rounds/2026-kh")
    assert page.status_code == 200 and "/open" not in page.text and "新建考核组" not in page.text
    assert visitor.get("/staff/rounds/new").status_code == 403
    assert visitor.post("/staff/rounds/2026-kh", round_data(system_id, bonus_cap="1")).status_code == 403
    assert visitor.get("/staff/rounds/nope").status_code == 404
