"""A report out of the platform: the print page (A4, the tables as in the format), the workbook (a
sheet per table with the format's headers and merged cells, opened by LibreOffice as a real client)
and the statistics as open data (CSV and JSON).

集宁区's 2026 report is submitted with the figures of conftest; a department named like a formula
has one too."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from evaluation.core.tables import DepartmentGroup
from tests.annual_report.conftest import TEXTS, report_figures, write_report
from tests.conftest import add_department, run, text_of
from tests.workbooks import assert_sound_and_opened_by_libreoffice

PRINT = "/annual-reports/2026/units/150902"
XLSX = "/annual-reports/2026/units/150902/report.xlsx"
SHEETS = ["T2a 第二十条第（一）项", "T2b 第二十条第（五）项", "T2c 第二十条第（六）项", "T2d 第二十条第（八）项",
          "T3 收到和处理政府信息公开申请情况", "T4 政府信息公开行政复议、行政诉讼情况"]


@pytest.fixture
def submitted(people):
    texts = {**TEXTS, "S1": TEXTS["S1"] + "\n第二段：主动公开情况。"}
    write_report(2026, "150902", report_figures(), texts, status="submitted")


def test_the_print_page_lays_out_the_report_as_the_format(visitor, submitted):
    page = visitor.get(PRINT)
    assert page.status_code == 200
    html = page.text
    assert 'class="page wide report-print"' in html
    headings = re.findall(r'<h2 id="print-S\d">([^<]+)</h2>', html)
    assert headings == ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
                        "六、其他需要报告的事项"]
    assert '<p class="paragraph">第二段：主动公开情况。</p>' in html
    # Table 三: the corner over three columns of row labels, 申请人情况 over seven columns, and the
    # row labels merged down: 三、本年度办理结果 over its 22 rows, （三）不予公开 over its 8.
    table = html.split('id="print-T3"')[1].split("</table>")[0]
    assert '<th scope="col" colspan="3" rowspan="3"></th>' in table
    assert '<th scope="col" colspan="7" rowspan="1">申请人情况</th>' in table
    assert '<th scope="col" colspan="1" rowspan="2">自然人</th>' in table
    assert '<th scope="col" colspan="5" rowspan="1">法人或其他组织</th>' in table
    assert '<th scope="row" colspan="1" rowspan="22">三、本年度办理结果</th>' in table
    assert '<th scope="row" colspan="1" rowspan="8">（三）不予公开</th>' in table
    assert '<th scope="row" colspan="3" rowspan="1">一、本年新收政府信息公开申请数量</th>' in table
    first_row = table.split("一、本年新收政府信息公开申请数量</th>")[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', first_row) == ["64", "5", "0", "1", "3", "2", "75"]
    # Section 二: its four tables stacked in one, each under its own heading; the fee in 万元.
    stacked = html.split('class="format-table stacked"')[1].split("</table>")[0]
    assert re.findall(r'class="block-caption">([^<]+)<', stacked) == [
        "第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    assert '<td class="num" colspan="3">12.35</td>' in stacked
    # Table 四: no row labels, three header rows.
    four = html.split('id="print-T4"')[1].split("</table>")[0]
    assert '<th scope="col" colspan="5" rowspan="1">行政复议</th>' in four and "数量" not in four
    css = visitor.get("/static/app.css").text
    assert "@page report { size: A4 portrait" in css and "main.report-print { page: report" in css


def test_the_workbook_has_a_sheet_per_table_with_the_formats_headers_and_merged_cells(visitor, submitted):
    response = visitor.get(XLSX)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="2026-150902-report.xlsx"')
    assert f"filename*=UTF-8''{quote('集宁区2026年政府信息公开工作年度报告.xlsx')}" in disposition
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == SHEETS

    sheet = workbook[SHEETS[4]]
    assert sheet["A1"].value == "集宁区2026年政府信息公开工作年度报告" and sheet["A1"].font.bold
    assert sheet["A2"].value == "三、收到和处理政府信息公开申请情况"
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert {"A1:J1", "A2:J2", "A3:C5", "D3:J3", "D4:D5", "E4:I4", "J4:J5", "A6:C6", "A7:C7", "A8:A29", "B8:C8",
            "B10:B17", "B18:B20", "B21:B25", "B26:B28", "B29:C29", "A30:C30"} <= merged
    assert [sheet.cell(5, column).value for column in range(5, 10)] == ["商业企业", "科研机构", "社会公益组织",
                                                                         "法律服务机构", "其他"]
    assert sheet["A8"].value == "三、本年度办理结果" and sheet["B10"].value == "（三）不予公开"
    assert sheet["C10"].value == "1.属于国家秘密" and sheet["B29"].value == "（七）总计"
    assert [sheet.cell(6, column).value for column in range(4, 11)] == [64, 5, 0, 1, 3, 2, 75]
    assert sheet["D29"].value == 62 and sheet["D29"].data_type == "n" and sheet["D29"].number_format == "0"
    assert sheet.max_row == 30 and sheet.row_dimensions[10].height is None  # 1.属于国家秘密
    assert sheet.row_dimensions[26].height == 30  # 1.申请人无正当理由逾期不补正、行政机关不再处理其申请: two lines
    assert sheet.freeze_panes == "D6" and sheet.print_title_rows == "$3:$5"
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"

    four = workbook[SHEETS[5]]
    merged = {str(cell_range) for cell_range in four.merged_cells.ranges}
    assert {"A3:E3", "F3:O3", "A4:A5", "E4:E5", "F4:J4", "K4:O4"} <= merged
    assert [four.cell(6, column).value for column in range(1, 6)] == [2, 1, 0, 1, 4]
    fee = workbook[SHEETS[3]]
    assert [fee["A3"].value, fee["B3"].value] == ["信息内容", "本年收费金额（单位：万元）"]
    assert fee["A4"].value == "行政事业性收费" and fee["B4"].value == 12.35 and fee["B4"].number_format == "0.00##"


def test_a_name_that_looks_like_a_formula_stays_text(visitor, people):
    run(add_department("X1", '=HYPERLINK("http://x","y")', DepartmentGroup.municipal))
    write_report(2026, "X1", report_figures(), TEXTS, status="submitted")
    content = visitor.get("/annual-reports/2026/units/X1/report.xlsx").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in archive.read(name)
    title = load_workbook(io.BytesIO(content))[SHEETS[4]]["A1"]
    assert title.value == '=HYPERLINK("http://x","y")2026年政府信息公开工作年度报告'
    assert title.data_type == "s" and title.quotePrefix


def test_the_workbook_is_sound_and_libreoffice_converts_it_to_pdf(visitor, submitted, tmp_path):
    content = visitor.get(XLSX).content
    assert_sound_and_opened_by_libreoffice(content, tmp_path, "report")


def test_the_statistics_are_open_data_once_submitted(visitor, submitted):
    response = visitor.get("/open-data/annual-reports/2026/units/150902/statistics.csv")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["table", "row", "column", "value"] and len(rows) == 1 + 200
    assert ["T3", "R1", "A1", "64"] in rows and ["T2d", "R1", "C2", "12.35"] in rows
    assert ["T2a", "R1", "C2", "0"] in rows and ["T4", "R1", "F_5", "4"] in rows
    document = visitor.get("/open-data/annual-reports/2026/units/150902/statistics.json").json()
    assert document["year"] == 2026 and document["unit"] == {"code": "150902", "name": "集宁区"}
    assert document["tables"]["T3"]["R3_7"]["A3"] == "73" and document["tables"]["T2d"]["R1"]["C2"] == "12.35"
    figures = report_figures()
    assert all(Decimal(document["tables"][table][row][column]) == figures.get((table, row, column), 0)
               for table, rows_of in document["tables"].items() for row, columns in rows_of.items()
               for column in columns)
    assert json.dumps(document, ensure_ascii=False).count('"') > 0


def test_the_published_years_are_listed_and_the_home_page_links_the_latest(visitor, submitted):
    write_report(2026, None, report_figures(), {**TEXTS, "S1": "全市概况"}, status="submitted")
    home = text_of(visitor.get("/").text)
    assert "年度报告： 市人民政府2026年政府信息公开工作年度报告 · 2026 年度已公布 1 个单位的报告 · 历年年度报告" in home
    listing = text_of(visitor.get("/annual-reports").text)
    assert "2026 年度" in listing and "市人民政府2026年政府信息公开工作年度报告" in listing
    year = visitor.get("/annual-reports/2026").text
    assert 'href="/annual-reports/2026/city"' in year and 'href="/annual-reports/2026/units/150902"' in year
    assert 'href="/open-data/annual-reports/2026/city/statistics.csv"' in year
    assert visitor.get("/annual-reports/2019").status_code == 404
