"""The office and the auditors download a period's results and its comments as xlsx workbooks."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from urllib.parse import quote

from openpyxl import load_workbook

from evaluation.core import clock
from evaluation.ratings import periods
from evaluation.ratings.tables import Rating, RatingAnswer
from tests.conftest import CSRF_FIELD, run

INJECTIONS = ["=1+1", "@SUM(A1)", "+cmd", "-2+3", '=HYPERLINK("http://evil.example","点我")']


def add_rating(department_id: int, level: str, *, comment: str = "", status: str = "none",
               criteria: dict[str, str] | None = None, at: dt.datetime | None = None) -> int:
    async def insert() -> int:
        period = await periods.find("2026-pj")
        count = await Rating.count()
        rows = await Rating.insert(Rating(
            period=period.id, department=department_id, channel="public", level=level, voter_id=f"v{count}",
            comment=comment, comment_status=status, criteria=criteria or {}, created_at=at or clock.now(),
        )).returning(Rating.id)
        return rows[0]["id"]

    return run(insert)


def answer(rating_id: int, body: str, at: dt.datetime) -> None:
    run(RatingAnswer.insert(RatingAnswer(rating=rating_id, body=body, answered_at=at)))


def workbook_of(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.content))


def test_results_workbook_has_one_row_per_department_with_counts_and_index(office, departments, period):
    # 集宁区: 20 满意 (5 of them judge 及时性 非常满意) + 10 非常满意, all public:
    #   (20·80 + 10·100) / 30 = 2600/30 = 86.666… → 86.67; 30 ratings reach the minimum sample.
    for i in range(20):
        add_rating(departments["150902"], "satisfied", criteria={"timeliness": "very_satisfied"} if i < 5 else None)
    for _ in range(10):
        add_rating(departments["150902"], "very_satisfied")
    # 市教育局: 3 paper tallies in the panel channel, below the sample.
    tally = b"unit_code,channel,level,count\nSZ03,panel,basic,3\n"
    imported = office.client.post("/staff/ratings/import", data={CSRF_FIELD: office.csrf_token(), "period": "2026-pj"},
                                  files={"file": ("t.csv", tally)})
    assert imported.status_code == 200

    response = office.get("/staff/ratings/2026-pj/results.xlsx")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="2026-pj-results.xlsx"')
    assert f"filename*=UTF-8''{quote('2026-pj-评议结果.xlsx')}" in disposition
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["评议结果", "评议设置"]
    sheet = workbook["评议结果"]

    header = [cell.value for cell in sheet[1]]
    assert header[:14] == ["分组", "排名", "单位代码", "单位名称", "满意度指数", "样本情况", "评价总数", "非常满意",
                           "满意", "基本满意", "不满意", "非常不满意", "公众", "特邀评议代表"]
    assert header[14] == "及时性：非常满意" and header[-1] == "便民性：非常不满意" and len(header) == 39
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:AM1"
    # Readable: the names and the criteria's long titles are not cut off.
    assert sheet.column_dimensions["D"].width == 30 and sheet.column_dimensions["O"].width == 17
    # Printed: A4 landscape, one page wide, the header row on every page.
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1"

    rows = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    assert list(rows) == ["150902", "150981", "SZ03", "SZ10"]  # by group, then rank, then code
    jining = rows["150902"]
    assert jining[2].data_type == "s"  # a code stays text: 0-led codes keep their zeros
    assert [cell.value for cell in jining[:4]] == ["旗县市区", 1, "150902", "集宁区"]
    assert jining[4].value == 86.67 and jining[4].number_format == "0.00" and jining[5].value is None
    assert [cell.value for cell in jining[6:14]] == [30, 10, 20, 0, 0, 0, 30, 0]
    assert [cell.value for cell in jining[14:19]] == [5, 0, 0, 0, 0]  # 及时性 by level
    # Below the minimum sample: no rank, no number in the index column, 样本不足 in its own.
    education = rows["SZ03"]
    assert [cell.value for cell in education[1:2] + education[4:6]] == [None, None, "样本不足"]
    assert [cell.value for cell in education[6:14]] == [3, 0, 0, 3, 0, 0, 0, 3]

    settings = {row[0].value: row[1].value for row in workbook["评议设置"].iter_rows()}
    assert settings["代码"] == "2026-pj" and settings["最低样本量"] == 30
    assert settings["满意的分值"] == 80 and settings["特邀评议代表权重"] == 0.6


def test_comments_workbook_has_approved_comments_as_literal_text(office, departments, period):
    rated = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    ids = [add_rating(departments["SZ10"], "unsatisfied", comment=text, status="approved", at=rated)
           for text in INJECTIONS]
    add_rating(departments["150902"], "satisfied", comment="响铃\x07字符", status="approved", at=rated)
    add_rating(departments["150902"], "basic", comment="还在审核中", status="pending")
    add_rating(departments["150902"], "basic", comment="不予公开", status="rejected")
    answer(ids[0], "=cmd|' /C calc'!A0", dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC))

    response = office.get("/staff/ratings/2026-pj/comments.xlsx")
    assert f"filename*=UTF-8''{quote('2026-pj-留言与答复.xlsx')}" in response.headers["content-disposition"]
    workbook = workbook_of(response)
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == ["评价时间", "单位代码", "单位名称", "渠道", "来源", "总体评价", "原因",
                                                 "原因说明", "留言", "单位答复", "答复时间"]
    assert all(cell.font.bold for cell in sheet[1]) and sheet.freeze_panes == "A2"

    rows = list(sheet.iter_rows(min_row=2))
    comments = [row[8] for row in rows]
    assert [cell.value for cell in comments] == ["响铃字符", *INJECTIONS]  # 集宁区 before 财政局; no pending, rejected
    for cell in comments:
        assert cell.data_type == "s" and cell.quotePrefix
    first = rows[1]
    assert first[0].value == dt.datetime(2026, 3, 2, 9, 30) and first[0].number_format == "yyyy-mm-dd hh:mm"
    assert [cell.value for cell in first[1:6]] == ["SZ10", "乌兰察布市财政局", "公众", "网上评议", "不满意"]
    assert first[9].value == "=cmd|' /C calc'!A0" and first[9].data_type == "s"
    assert first[10].value == dt.datetime(2026, 3, 3, 10, 0)
    assert rows[2][9].value is None and rows[2][10].value is None  # not answered yet

    # Nothing in the file is a formula, whatever a reader makes of the cells.
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and all(b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
                              for name in sheets)


def test_exports_are_for_the_office_and_the_auditors(visitor, new_visitor, people, period):
    assert visitor.get("/staff/ratings/2026-pj/results.xlsx", follow_redirects=False).status_code == 303
    visitor.sign_in("zhaoli")
    assert visitor.get("/staff/ratings/2026-pj/results.xlsx").status_code == 200
    assert visitor.get("/staff/ratings/2026-pj/comments.xlsx").status_code == 200
    assert visitor.get("/staff/ratings/nope/results.xlsx").status_code == 404
    for username in ("liqiang", "chenjing"):
        other = new_visitor()
        other.sign_in(username)
        assert other.get("/staff/ratings/2026-pj/results.xlsx").status_code == 403
        assert other.get("/staff/ratings/2026-pj/comments.xlsx").status_code == 403
        assert other.get("/staff/ratings").status_code == 403


def test_the_ratings_page_links_the_downloads_of_every_period(visitor, people, period):
    visitor.sign_in("zhaoli")
    page = visitor.get("/staff/ratings").text
    assert 'href="/staff/ratings/2026-pj/results.xlsx"' in page
    assert 'href="/staff/ratings/2026-pj/comments.xlsx"' in page
    assert 'href="/staff/ratings/import"' not in page  # importing is the office's


def test_results_workbook_ranks_within_each_group_and_equal_indexes_share_a_rank(office, departments, period):
    # 旗县市区: 集宁区 80.00, 丰镇市 100.00; 市直单位: both 80.00 (a tie shares the rank).
    for code, level in (("150902", "satisfied"), ("150981", "very_satisfied"), ("SZ03", "satisfied"),
                        ("SZ10", "satisfied")):
        for _ in range(30):
            add_rating(departments[code], level)
    sheet = workbook_of(office.get("/staff/ratings/2026-pj/results.xlsx"))["评议结果"]
    ranked = [(row[0].value, row[1].value, row[2].value, row[4].value) for row in sheet.iter_rows(min_row=2)]
    assert ranked == [("旗县市区", 1, "150981", 100), ("旗县市区", 2, "150902", 80),
                      ("市直单位", 1, "SZ03", 80), ("市直单位", 1, "SZ10", 80)]
