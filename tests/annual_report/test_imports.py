"""Figures into a report from a file: last year's figures from the format's workbook or from the long
CSV machines exchange (``table,row,column,value``), through ``pingyi report import`` and the report's
page; the same checks as the forms, the check across years against last year when it is there, and
a failing file refused whole with every failing identity named by its cells.
``pingyi report export`` writes both forms."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

import cli
from evaluation.core.tables import AuditEntry
from inspections.annual_report.layout import FORMAT
from tests.annual_report.conftest import TEXTS, report_figures, report_row, stored_figures, t3_figures, write_report
from tests.conftest import run, text_of


def pingyi(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def long_csv(figures: dict, extra: str = "") -> str:
    lines = ["table,row,column,value"]
    lines += [f"{table},{row},{column},{value}" for (table, row, column), value in figures.items()]
    return "\n".join(lines) + "\n" + extra


def test_last_years_figures_import_from_the_long_csv_with_decimal_fees(capsys, tmp_path, people):
    source = tmp_path / "2025-jining.csv"
    source.write_text(long_csv(report_figures()), encoding="utf-8")
    code, out, err = pingyi(capsys, "report", "import", "2025", "--department", "150902", str(source))
    assert code == 0, err
    cells = len(report_figures())
    assert out.strip() == f"已导入 imported: {cells} 个数据格 cells → 集宁区2025年政府信息公开工作年度报告"
    stored = stored_figures(2025, "150902")
    assert stored == {cell: value.normalize() for cell, value in report_figures().items()}
    assert stored[("T2d", "R1", "C2")] == Decimal("12.35") and stored[("T3", "R1", "A1")] == 64
    assert report_row(2025, "150902")["status"] == "draft"
    entry = run(AuditEntry.select().where(AuditEntry.action == "annual_report.import").first())
    assert entry["actor"].startswith("cli:") and entry["target"] == "annual-report:2025:150902"
    assert json.loads(entry["new_value"])["file"] == "2025-jining.csv"


def test_the_exported_workbook_imports_back_as_it_was(capsys, tmp_path, people):
    write_report(2025, "150902", report_figures(), TEXTS, status="submitted")
    workbook = tmp_path / "集宁区2025.xlsx"
    code, out, _ = pingyi(capsys, "report", "export", "2025", "--department", "150902", "-o", str(workbook))
    assert code == 0 and out.startswith("已导出 exported: 集宁区2025年政府信息公开工作年度报告 →")
    assert load_workbook(workbook).sheetnames[4] == "T3 收到和处理政府信息公开申请情况"
    # The city took it up as its own figures of 2025, the first year of the platform.
    code, out, err = pingyi(capsys, "report", "import", "2025", str(workbook))
    assert code == 0, err
    assert "市人民政府2025年政府信息公开工作年度报告" in out
    assert stored_figures(2025, None) == stored_figures(2025, "150902")
    assert len(stored_figures(2025, None)) == 200


def test_a_file_that_breaks_an_identity_is_refused_whole_with_every_failure_named(capsys, tmp_path, people):
    figures = report_figures()
    figures[("T3", "R3_7", "A1")] = Decimal(60)  # a printed 总计 that is not the sum of its rows
    figures[("T4", "R1", "L1_5")] = Decimal(3)
    source = tmp_path / "printed.csv"
    source.write_text(long_csv(figures), encoding="utf-8")
    code, out, err = pingyi(capsys, "report", "import", "2025", "--department", "150902", str(source))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "T3 R1+R2 A1: 67 ≠ 65 (R3_7+R4)（自然人：本年新收与上年结转之和为 67，"
        "本年度办理结果总计与结转下年度继续办理之和为 65，两者应相等）",
        "T3 R3_7 A1: 60 ≠ 62（（七）总计 · 自然人：应为（一）至（六）之和 62，填写的是 60）",
        "T3 R3_7 A3: 73 ≠ 71（（七）总计 · 总计：应为自然人至法人或其他组织之和 71，填写的是 73）",
        "T4 R1 L1_5: 3 ≠ 2（数量 · 行政诉讼·未经复议直接起诉·总计：应为结果维持至尚未审结之和 2，填写的是 3）",
        "pingyi: 4 处问题，未导入任何数据 (nothing imported)",
    ]
    assert report_row(2025, "150902") is None


def test_the_check_across_years_runs_against_last_years_figures_when_they_are_there(capsys, tmp_path, people):
    source = tmp_path / "2026.csv"
    source.write_text(long_csv(t3_figures(carried_in={"A1": 3})), encoding="utf-8")
    write_report(2025, "150902", t3_figures(carried_out={"A1": 4}), TEXTS, status="submitted")
    code, _, err = pingyi(capsys, "report", "import", "2026", "--department", "150902", str(source))
    assert code == 1
    assert "T3 R2 A1: 3 ≠ 4 (2025 R4)" in err and "T3 R2 A3: 3 ≠ 4 (2025 R4)" in err
    # 丰镇市 has no 2025 figures: nothing to carry over from, the same file imports.
    assert pingyi(capsys, "report", "import", "2026", "--department", "150981", str(source))[0] == 0


def test_cells_the_format_does_not_have_and_bad_figures_are_named_by_line(capsys, tmp_path, people):
    source = tmp_path / "bad.csv"
    source.write_text("table,row,column,value\nT3,R1,A1,64\nT3,R3,A1,5\nT9,R1,A1,1\nT3,R1,A2,1\nT2a,R1,C1,1\n"
                      "T3,R2,A1,-1\nT3,R1,A1,64\nT2d,R1,C2,1.23456\nT4,R1,F_1,2.5\n", encoding="utf-8")
    code, _, err = pingyi(capsys, "report", "import", "2025", "--department", "150902", str(source))
    assert code == 1
    assert err.splitlines() == [
        "第 3 行：T3 没有数据格 R3 A1", "第 4 行：没有表 T9", "第 5 行：T3 没有数据格 R1 A2",
        "第 6 行：T2a 没有数据格 R1 C1", "第 7 行：T3 R2 A1 须为不小于 0 的整数", "第 8 行：T3 R1 A1 与第 2 行重复",
        "第 9 行：T2d R1 C2 最多保留 4 位小数", "第 10 行：T4 R1 F_1 须为不小于 0 的整数",
        "pingyi: 8 处问题，未导入任何数据 (nothing imported)",
    ]


def test_a_workbook_not_in_the_formats_layout_is_refused(capsys, tmp_path, people):
    write_report(2025, "150902", report_figures(), TEXTS, status="submitted")
    exported = tmp_path / "export.xlsx"
    pingyi(capsys, "report", "export", "2025", "--department", "150902", "-o", str(exported))
    workbook = load_workbook(exported)
    workbook["T3 收到和处理政府信息公开申请情况"]["A6"] = "一、本年新收申请数量"  # a row label retyped
    workbook["T4 政府信息公开行政复议、行政诉讼情况"]["B6"] = "一"
    changed = tmp_path / "changed.xlsx"
    workbook.save(changed)
    code, _, err = pingyi(capsys, "report", "import", "2025", "--department", "150981", str(changed))
    assert code == 1
    assert ("工作表 T3 第 6 行第 1 列应为“一、本年新收政府信息公开申请数量”，"
            "实为“一、本年新收申请数量”：不是本格式的表。") in err
    assert "工作表 T4 T4 R1 F_2（第 6 行第 2 列）：须为不小于 0 的整数" in err


def test_the_long_csv_export_has_every_cell_of_the_format(capsys, tmp_path, people):
    write_report(2025, "150902", report_figures(), TEXTS, status="submitted")
    target = tmp_path / "2025.csv"
    assert pingyi(capsys, "report", "export", "2025", "--department", "150902", "-o", str(target))[0] == 0
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["table", "row", "column", "value"]
    assert [tuple(row[:3]) for row in rows[1:]] == FORMAT.cells()
    assert ["T3", "R1", "A1", "64"] in rows and ["T2d", "R1", "C2", "12.35"] in rows
    # The city has no 2025 report yet: the blank format, said on standard error.
    code, _, err = pingyi(capsys, "report", "export", "2025", "-o", str(tmp_path / "city.xlsx"))
    assert code == 0 and "该报告尚未建立，导出的是空白表" in err


@pytest.mark.parametrize("args, message", [
    (("export", "2025", "--department", "NOPE", "-o", "x.xlsx"), "找不到单位 no such department: NOPE"),
    (("export", "2025", "-o", "x.pdf"), "文件名须以 .xlsx 或 .csv 结尾"),
    (("import", "2025", "missing.csv"), "找不到文件 no such file: missing.csv"),
    (("export", "1999", "-o", "x.csv"), "年度须在 2008 年至今年之间"),
])
def test_bad_arguments_are_one_line_and_exit_1(capsys, people, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = pingyi(capsys, "report", *args)
    assert code == 1 and err.count("\n") == 1 and message in err


def test_the_office_uploads_last_years_figures_on_the_reports_page(office, tmp_path):
    content = long_csv(report_figures()).encode("utf-8")
    response = office.upload("/staff/reports/2025/city/import", "2025-city.csv", content, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/reports/2025/city?done=imported"
    assert len(stored_figures(2025, None)) == len(report_figures())
    figures = report_figures()
    figures[("T3", "R3_7", "A1")] = Decimal(60)
    refused = office.upload("/staff/reports/2025/city/import", "printed.csv", long_csv(figures).encode("utf-8"))
    assert refused.status_code == 422
    page = text_of(refused.text)
    assert "文件未导入（须全部无误才导入）：" in page and "T3 R3_7 A1: 60 ≠ 62" in page
    assert stored_figures(2025, None)[("T3", "R3_7", "A1")] == 62


def test_a_submitted_report_takes_no_import(capsys, tmp_path, people):
    write_report(2025, "150902", report_figures(), TEXTS, status="submitted")
    source = tmp_path / "again.csv"
    source.write_text(long_csv(report_figures()), encoding="utf-8")
    code, _, err = pingyi(capsys, "report", "import", "2025", "--department", "150902", str(source))
    assert code == 1 and "该报告已提交，不能再修改" in err
