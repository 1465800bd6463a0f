"""The format's checks (勾稽关系), as the liaison of 集宁区 meets them in the form of table 三 and
四: each identity passes with figures that add up and fails, naming its cells, when they do not;
only the identities that fail are reported. The figures are a real-looking department's year
(tests/annual_report/conftest.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspections.annual_report import checks
from inspections.annual_report.layout import FORMAT
from tests.annual_report.conftest import T3_OUTCOMES, form_of, report_figures, t3_figures, write_report
from tests.conftest import text_of

SECTION_3 = "/staff/reports/2026/units/150902/sections/S3"
SECTION_4 = "/staff/reports/2026/units/150902/sections/S4"


@pytest.fixture
def liaison(visitor, people):
    visitor.sign_in("chenjing")
    return visitor


def failures_shown(html: str) -> list[str]:
    """The cells named by the failures listed on the page, in order."""
    return re.findall(r'<code class="cells">([^<]+)</code>', html)


def save_table_3(liaison, figures) -> str:
    response = liaison.post(SECTION_3, form_of(figures, "T3"))
    assert response.status_code == 200, response.text
    return response.text


def codes(failures: list[checks.Failure]) -> list[str]:
    return [failure.code_text for failure in failures]


def test_a_report_whose_figures_add_up_passes_every_check(liaison):
    assert checks.check(report_figures()) == []
    page = save_table_3(liaison, report_figures())
    assert failures_shown(page) == []
    assert "本部分的勾稽关系检查全部通过。" in text_of(page)
    page = liaison.post(SECTION_4, form_of(report_figures(), "T4")).text
    assert failures_shown(page) == [] and "本部分的勾稽关系检查全部通过。" in text_of(page)


def test_new_and_carried_over_must_equal_processed_and_carried_to_next_year(liaison):
    figures = t3_figures()
    # One more application from a company than the outcomes account for, counted in the total column too.
    figures[("T3", "R1", "A21")] += 1
    figures[("T3", "R1", "A3")] += 1
    assert failures_shown(save_table_3(liaison, figures)) == [
        "T3 R1+R2 A21: 6 ≠ 5 (R3_7+R4)",
        "T3 R1+R2 A3: 80 ≠ 79 (R3_7+R4)",
    ]
    page = text_of(liaison.get(SECTION_3).text)
    assert ("法人或其他组织·商业企业：本年新收与上年结转之和为 6，"
            "本年度办理结果总计与结转下年度继续办理之和为 5，两者应相等") in page


def test_the_total_row_must_equal_the_sum_of_the_outcome_rows(liaison):
    figures = t3_figures()
    # Two more disclosed in full, entered in the applicant's column and the total column, but not in （七）总计.
    figures[("T3", "R3_1", "A1")] += 2
    figures[("T3", "R3_1", "A3")] += 2
    page = save_table_3(liaison, figures)
    assert failures_shown(page) == ["T3 R3_7 A1: 62 ≠ 64", "T3 R3_7 A3: 73 ≠ 75"]
    assert "（七）总计 · 自然人：应为（一）至（六）之和 64，填写的是 62" in text_of(page)


def test_the_total_column_must_equal_the_sum_of_the_applicant_columns(liaison):
    figures = t3_figures()
    # One application moved from 部分公开 to 予以公开 in the total column only.
    figures[("T3", "R3_1", "A3")] += 1
    figures[("T3", "R3_2", "A3")] -= 1
    page = save_table_3(liaison, figures)
    assert failures_shown(page) == ["T3 R3_1 A3: 36 ≠ 35", "T3 R3_2 A3: 7 ≠ 8"]
    assert "（一）予以公开 · 总计：应为自然人至法人或其他组织之和 35，填写的是 36" in text_of(page)


def test_every_total_of_table_four_must_equal_the_sum_of_its_four_cells(liaison):
    figures = report_figures()
    figures[("T4", "R1", "F_5")] = Decimal(5)  # 2 + 1 + 0 + 1 is 4
    figures[("T4", "R1", "L2_1")] = Decimal(0)  # its 总计 still says 1
    page = liaison.post(SECTION_4, form_of(figures, "T4")).text
    assert failures_shown(page) == ["T4 R1 F_5: 5 ≠ 4", "T4 R1 L2_5: 1 ≠ 0"]
    assert "行政复议·总计：应为结果维持至尚未审结之和 4，填写的是 5" in text_of(page)


def test_this_years_carried_over_must_equal_last_years_carried_to_next_year(liaison):
    # 2025: five applications from individuals were carried to 2026, and one from a law firm.
    write_report(2025, "150902", t3_figures(carried_out={"A1": 5, "A24": 1}))
    page = save_table_3(liaison, t3_figures(carried_in={"A1": 5, "A24": 1}))
    assert failures_shown(page) == []
    page = save_table_3(liaison, t3_figures(carried_in={"A1": 3, "A24": 1}))
    assert failures_shown(page) == ["T3 R2 A1: 3 ≠ 5 (2025 R4)", "T3 R2 A3: 4 ≠ 6 (2025 R4)"]
    assert "自然人：上年结转 3 应等于 2025 年报告中结转下年度继续办理的 5" in text_of(page)


def test_without_last_years_figures_there_is_nothing_to_carry_over_from(liaison):
    write_report(2025, "150902", texts={"S1": "去年的报告只有文字。"})  # no table 三
    write_report(2024, "150902", t3_figures(carried_out={"A1": 9}))  # not last year
    assert failures_shown(save_table_3(liaison, t3_figures(carried_in={"A1": 3}))) == []


def test_a_printed_total_that_is_not_the_sum_of_its_rows_is_caught_at_exactly_its_identities(liaison):
    """As printed reports do: the rows of 自然人 add up to 62, the printed （七）总计 says 60, and the
    total column, carried from the rows, says 73. Three identities hold the wrong cell; none other fails."""
    figures = t3_figures()
    figures[("T3", "R3_7", "A1")] = Decimal(60)
    failures = checks.check(figures)
    assert codes(failures) == ["T3 R1+R2 A1: 67 ≠ 65 (R3_7+R4)", "T3 R3_7 A1: 60 ≠ 62", "T3 R3_7 A3: 73 ≠ 71"]
    assert all(("R3_7", "A1") in failure.involved for failure in failures)
    page = save_table_3(liaison, figures)
    assert failures_shown(page) == codes(failures)
    # The form marks the cells those identities name, and no other cell.
    flagged = [cell for cell in FORMAT.table_by_code["T3"].cells()
               if 'aria-describedby="failure-' in _input_of(page, "T3", *cell)]
    assert flagged == [("R1", "A1"), ("R2", "A1"), ("R3_7", "A1"), ("R3_7", "A3"), ("R4", "A1")]


def test_a_total_typed_by_hand_where_the_sheet_computes_the_rest_fails_only_in_its_own_row(liaison):
    """As a report made in a spreadsheet prints it: （七）总计 of individuals typed by hand as 60 (its
    rows add up to 62), the 总计 column and 四 (结转下年度) computed by the sheet from it. Only the
    total row fails, in the two columns where it is wrong; every other identity holds."""
    figures = t3_figures()
    figures[("T3", "R3_7", "A1")] = Decimal(60)
    figures[("T3", "R3_7", "A3")] = Decimal(71)  # =SUM of the row
    figures[("T3", "R4", "A1")] = Decimal(7)  # = 一 + 二 − （七）
    figures[("T3", "R4", "A3")] = Decimal(8)
    assert codes(checks.check(figures)) == ["T3 R3_7 A1: 60 ≠ 62", "T3 R3_7 A3: 71 ≠ 73"]
    assert failures_shown(save_table_3(liaison, figures)) == ["T3 R3_7 A1: 60 ≠ 62", "T3 R3_7 A3: 71 ≠ 73"]


def _input_of(page: str, table: str, row: str, column: str) -> str:
    start = page.index(f'id="{table}-{row}-{column}"')
    return page[page.rindex("<input", 0, start):page.index(">", start)]


@pytest.mark.parametrize("amount, problem", [("-1", "须为不小于 0 的整数"), ("2.5", "须为不小于 0 的整数"),
                                             ("abc", "须为不小于 0 的整数")])
def test_a_count_that_is_not_a_whole_number_is_refused_and_nothing_is_saved(liaison, amount, problem):
    fields = form_of(report_figures(), "T3")
    fields["T3-R1-A1"] = amount
    response = liaison.post(SECTION_3, fields)
    assert response.status_code == 422
    assert "有 1 个格子填写有误，请改正后再保存；本次未保存。" in text_of(response.text)
    assert problem in _cell_error(response.text, "T3-R1-A1")
    assert 'aria-invalid="true"' in _input_of(response.text, "T3", "R1", "A1")
    assert f'value="{amount}"' in _input_of(response.text, "T3", "R1", "A1")  # what was typed stays


def _cell_error(page: str, name: str) -> str:
    start = page.index(f'id="e-{name}"')
    return page[start:page.index("</span>", start)]


def test_the_fee_is_an_amount_in_ten_thousands_of_yuan_with_up_to_four_places(liaison):
    section = "/staff/reports/2026/units/150902/sections/S2"
    fields = form_of(report_figures(), "T2d")
    fields["T2d-R1-C2"] = "12.3456"
    assert liaison.post(section, fields).status_code == 200
    fields["T2d-R1-C2"] = "0.12345"
    response = liaison.post(section, fields)
    assert response.status_code == 422 and "最多保留 4 位小数" in _cell_error(response.text, "T2d-R1-C2")


# Any single wrong cell of a report that adds up is caught, and every failure holds that cell.
T3_CELLS = [("T3", row, column) for row, column in FORMAT.table_by_code["T3"].cells()]
T4_CELLS = [("T4", row, column) for row, column in FORMAT.table_by_code["T4"].cells()]


@settings(max_examples=300, deadline=None)
@given(outcomes=st.fixed_dictionaries({column: st.dictionaries(
    st.sampled_from(sorted({row for rows in T3_OUTCOMES.values() for row in rows} | {"R3_3_1", "R3_6_3"})),
    st.integers(0, 500), max_size=6) for column in T3_OUTCOMES}),
    carried=st.dictionaries(st.sampled_from(list(T3_OUTCOMES)), st.integers(0, 20), max_size=3),
    cell=st.sampled_from(T3_CELLS + T4_CELLS), change=st.integers(-50, 50).filter(bool))
def test_one_wrong_cell_is_named_by_every_failure_and_a_report_that_adds_up_has_none(outcomes, carried, cell,
                                                                                     change):
    figures = t3_figures(outcomes, carried_in=carried, carried_out={})
    figures.update({other: Decimal(str(value)) for other, value in report_figures().items() if other[0] != "T3"})
    assert checks.check(figures) == []
    figures[cell] = figures.get(cell, Decimal(0)) + change
    failures = checks.check(figures)
    assert failures
    assert all(failure.table == cell[0] and cell[1:] in failure.involved for failure in failures)
