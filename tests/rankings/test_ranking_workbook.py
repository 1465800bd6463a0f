"""The ranking workbook (the draft for the office and the auditors, a published version for anyone),
the individual ratings behind a round as streamed CSV (office only), and `pingyi ranking export`.

Round 2026-kh (public weight 20, bonus cap 5, bands 90/80/60) takes period 2026-pj's index with a
minimum sample of 3. 旗县市区: 集宁区 answers every item in full and has 3 public ratings,
丰镇市 has none. 市直单位: five units whose names look like formulas or carry a control character,
乌兰察布市教育局 left out of the ranking, 乌兰察布市财政局 not approved yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook

import cli
from evaluation.core import cache, clock
from evaluation.core.tables import DepartmentGroup
from evaluation.ratings import exports as rating_exports
from evaluation.ratings.tables import EvaluationPeriod, Rating
from inspections.rankings import drafts, exclusions, snapshots
from inspections.tables import Checklist, ChecklistAnswer, ChecklistStatus, Indicator, InspectionRound
from tests.conftest import add_department, open_period, reason_id, run
from tests.inspections.conftest import Inspection
from tests.workbooks import assert_sound_and_opened_by_libreoffice

JINING, FENGZHEN, EDUCATION, FINANCE = "150902", "150981", "SZ03", "SZ10"
# Unit names the office typed, each of which a spreadsheet would run, and one with a bell character.
LOOKS_LIKE_FORMULAS = {"X1": '=HYPERLINK("http://x","y")', "X2": "+1", "X3": "@SUM(A1)", "X4": "-2+3"}
BELL = ("X5", "铃\x07声局")
DRAFT_URL = "/staff/rounds/2026-kh/ranking/ranking.xlsx"
CSV_URL = "/staff/rounds/2026-kh/ranking/ratings.csv"


async def _cover(inspection: Inspection, department_id: int) -> int:
    checklist_id = (await Checklist.insert(Checklist(round=inspection.round_id, department=department_id,
                                                     status=ChecklistStatus.not_started)).returning(Checklist.id))[0]["id"]
    for item_id in inspection.items.values():
        await ChecklistAnswer.insert(ChecklistAnswer(checklist=checklist_id, indicator=item_id))
    return checklist_id


async def _approve(inspection: Inspection, code: str, values: dict[str, Decimal]) -> None:
    """The checklist's answers as the team saved them, then approved by the office."""
    checklist_id = inspection.checklists[code]
    for item, value in values.items():
        await ChecklistAnswer.update({ChecklistAnswer.value: value, ChecklistAnswer.version: 1,
                                      ChecklistAnswer.answered_at: clock.now()}).where(
            (ChecklistAnswer.checklist == checklist_id) & (ChecklistAnswer.indicator == inspection.items[item]))
    await Checklist.update({Checklist.status: ChecklistStatus.approved.value,
                            Checklist.reviewed_at: clock.now()}).where(Checklist.id == checklist_id)


async def _full_marks(inspection: Inspection) -> dict[str, Decimal]:
    """Every score item at its maximum, no deduction, both bonus items, no veto."""
    rows = await Indicator.select(Indicator.code, Indicator.kind, Indicator.max_points).where(
        Indicator.id.is_in(list(inspection.items.values())))
    return {row["code"]: Decimal(0) if row["kind"] in ("deduct", "veto") else Decimal(row["max_points"])
            for row in rows}


def add_rating(period_code: str, department_id: int, level: str, *, channel: str = "public", source: str = "web",
               reason: str | None = None, reason_text: str = "", voter: str | None = None) -> None:
    async def insert() -> None:
        period = await EvaluationPeriod.select(EvaluationPeriod.id).where(EvaluationPeriod.code == period_code).first()
        await Rating.insert(Rating(period=period["id"], department=department_id, channel=channel, source=source,
                                   voter_id=voter, level=level, reason=int(reason) if reason else None,
                                   reason_text=reason_text, created_at=dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)))

    run(insert)


@pytest.fixture
def ranked_round(inspection: Inspection, departments: dict[str, int], period: None) -> Inspection:
    async def prepare() -> None:
        period_row = await EvaluationPeriod.select(EvaluationPeriod.id).where(
            EvaluationPeriod.code == "2026-pj").first()
        await EvaluationPeriod.update({EvaluationPeriod.min_sample: 3}).where(EvaluationPeriod.id == period_row["id"])
        await InspectionRound.update({InspectionRound.period: period_row["id"]}).where(
            InspectionRound.id == inspection.round_id)
        for code in (EDUCATION, FINANCE):
            inspection.checklists[code] = await _cover(inspection, departments[code])
        for code, name in [*LOOKS_LIKE_FORMULAS.items(), BELL]:
            departments[code] = await add_department(code, name, DepartmentGroup.municipal)
            inspection.checklists[code] = await _cover(inspection, departments[code])
        full = await _full_marks(inspection)
        await _approve(inspection, JINING, full)
        # 丰镇市: C1 and C6 in full (25 + 25), two deductions of C8 (5 − 2 = 3), nothing else.
        await _approve(inspection, FENGZHEN, {**{code: Decimal(0) for code in full}, "C1": Decimal(25),
                                              "C6": Decimal(25), "C8": Decimal(2)})
        await _approve(inspection, "X1", {**full, "V1": Decimal(1)})  # full marks, but vetoed
        await _approve(inspection, "X2", {**full, "C1": Decimal(10)})
        await _approve(inspection, "X3", {**full, "C6": Decimal(20)})
        await _approve(inspection, "X4", {code: Decimal(0) for code in full})
        await _approve(inspection, BELL[0], {**full, "J1": Decimal(0)})
        await exclusions.exclude("wangmin", "2026-kh", EDUCATION, "机构改革，=本年度撤并")

    run(prepare)
    cache.clear()
    other = reason_id("其他")
    # 集宁区: (100 + 100 + 30) / 3 = 76.666… → 76.67, the sample reached: 76.67 × 20 / 100 = 15.33.
    add_rating("2026-pj", departments[JINING], "very_satisfied", voter="voter-aaaa")
    add_rating("2026-pj", departments[JINING], "very_satisfied", voter="voter-bbbb")
    add_rating("2026-pj", departments[JINING], "unsatisfied", voter="voter-cccc", reason=other,
               reason_text="=cmd|' /C calc'!A0")
    # 市直: "+1" has 3 panel forms from paper (80 each); "-2+3" has one rating, below the sample.
    for _ in range(3):
        add_rating("2026-pj", departments["X2"], "satisfied", channel="panel", source="paper")
    add_rating("2026-pj", departments["X4"], "basic", voter="voter-dddd")
    return inspection


def workbook_of(response: Any) -> Workbook:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.content))


def draft_document() -> dict[str, Any]:
    draft = run(drafts.draft_for("2026-kh"))
    return snapshots.document(draft, version=0, title="", reason="", published_by="", published_at=clock.now())


def unit_rows(sheet: Any) -> dict[str, tuple[Any, ...]]:
    """The table's rows by unit name (the rows under the header that start with a rank)."""
    rows = {}
    for row in sheet.iter_rows(min_row=5):
        if isinstance(row[0].value, int):
            rows[row[1].value] = row
    return rows


def test_the_draft_workbook_is_laid_out_like_the_notice_with_the_rankings_figures(office, ranked_round):
    response = office.get(DRAFT_URL)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="2026-kh-ranking-draft.xlsx"')
    assert f"filename*=UTF-8''{quote('2026年度政务公开考核-排名（草稿）.xlsx')}" in disposition
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["旗县市区", "市直单位", "检查项目得分", "评议数据", "设置"]

    sheet = workbook["旗县市区"]
    # 名次, 单位, the categories A, B, C, 小计, 满意度指数, 社会评议得分, 加分, 总分, 等次, 说明: A to L.
    assert sheet["A1"].value == "2026年度政务公开考核结果通报（草稿）" and sheet["A1"].font.bold
    assert "A1:L1" in {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert "草稿" in sheet["A2"].value and "满分 120 分（不含加分）" in sheet["A2"].value
    assert [sheet.cell(3, column).value for column in (1, 2, 3, 7, 9, 10, 11, 12)] == [
        "名次", "单位", "检查得分", "社会评议", "加分（上限 5 分）", "总分", "等次", "说明"]
    assert [sheet.cell(4, column).value for column in range(3, 9)] == [
        "组织保障（6分）", "主要载体建设（15分）", "政府信息公开（79分）", "小计（100 分）", "满意度指数",
        "社会评议得分（20 分）"]
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:F3", "G3:H3", "I3:I4", "L3:L4"} <= merged
    assert sheet.freeze_panes == "C5"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$3:$4"

    rows = unit_rows(sheet)
    assert list(rows) == ["集宁区", "丰镇市"]
    jining = [cell.value for cell in rows["集宁区"]]
    assert jining[:11] == [1, "集宁区", 6, 15, 79, 100, 76.67, 15.33, 5, 120.33, "优秀"]
    assert rows["集宁区"][9].number_format == "0.00" and rows["集宁区"][9].data_type == "n"
    assert all(cell.number_format == "0.00" for cell in rows["集宁区"][5:10])
    assert rows["集宁区"][10].fill.fgColor.rgb.endswith("C6EFCE")
    # 丰镇市 has no ratings: the mean index of its group's units that reached the sample (集宁区's).
    fengzhen = [cell.value for cell in rows["丰镇市"]]
    assert fengzhen[:11] == [2, "丰镇市", 0, 0, 53, 53, 76.67, 15.33, 0, 68.33, "合格"]
    assert fengzhen[11] == "样本不足（0 条），采用本组平均指数 76.67"

    municipal = workbook["市直单位"]
    rows = unit_rows(municipal)
    # The vetoed unit comes last whatever its total, graded 不合格 in red.
    assert list(rows)[-1] == LOOKS_LIKE_FORMULAS["X1"]
    vetoed = rows[LOOKS_LIKE_FORMULAS["X1"]]
    assert vetoed[10].value == "不合格" and vetoed[10].fill.fgColor.rgb.endswith("FFC7CE")
    assert vetoed[11].value.startswith("单项否决：V1")
    texts = [cell.value for row in municipal.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "未参加排名的单位" in texts
    assert {"不参加排名", "乌兰察布市教育局", "理由：机构改革，=本年度撤并", "未完成", "乌兰察布市财政局",
            "检查表状态：未开始"} <= set(texts)

    # Every figure is the ranking's own: the same document the 通报 publishes.
    document = draft_document()
    for group, sheet_name in (("county", "旗县市区"), ("municipal", "市直单位")):
        expected = next(g for g in document["groups"] if g["group"] == group)["units"]
        rows = unit_rows(workbook[sheet_name])
        assert [cell[1].value for cell in rows.values()] == [unit["name"].replace("\x07", "") for unit in expected]
        for unit in expected:
            row = rows[unit["name"].replace("\x07", "")]
            assert row[0].value == unit["rank"]
            assert [Decimal(str(cell.value)) for cell in row[5:10]] == [
                Decimal(unit[key]) for key in ("inspection_score", "index_used", "public_component", "bonus", "total")]
            assert row[10].value == unit["grade"]


def test_item_and_ratings_sheets_hold_each_items_points_and_the_counts_behind_each_index(office, ranked_round):
    workbook = workbook_of(office.get(DRAFT_URL))
    items = workbook["检查项目得分"]
    assert [items.cell(1, column).value for column in range(1, 6)] == ["分组", "名次", "单位代码", "单位", "A 组织保障"]
    assert items.cell(2, 5).value == "A1 明确负责人和承办科室（2分）"
    assert items.freeze_panes == "E3"
    header = {items.cell(2, column).value.split(" ")[0]: column for column in range(5, items.max_column + 1)}
    assert len(header) == len(ranked_round.items) == 19
    by_unit = {row[2].value: row for row in items.iter_rows(min_row=3)}
    assert list(by_unit) == [JINING, FENGZHEN, "X5", "X3", "X2", "X4", "X1"]  # 118, 116, 106, 21, vetoed
    fengzhen = by_unit[FENGZHEN]
    assert fengzhen[0].value == "旗县市区" and fengzhen[1].value == 2
    assert fengzhen[header["C1"] - 1].value == 25 and fengzhen[header["C8"] - 1].value == 3  # 5 − 2 deductions
    assert fengzhen[header["A1"] - 1].value == 0
    assert by_unit[JINING][header["J1"] - 1].value == 3 and by_unit["X1"][header["V1"] - 1].value == 0

    ratings = workbook["评议数据"]
    assert [cell.value for cell in ratings[1]] == [
        "单位代码", "单位", "渠道", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "合计", "渠道平均分",
        "本单位指数", "样本量", "采用指数", "指数来源"]
    rows = [[cell.value for cell in row] for row in ratings.iter_rows(min_row=2)]
    jining = [row for row in rows if row[0] == JINING]
    assert jining == [
        [JINING, "集宁区", "公众", 2, 0, 0, 1, 0, 3, 76.67, None, None, None, None],
        [JINING, "集宁区", "特邀评议代表", 0, 0, 0, 0, 0, 0, None, None, None, None, None],
        [JINING, "集宁区", "全部渠道", 2, 0, 0, 1, 0, 3, None, 76.67, 3, 76.67, "本单位指数"],
    ]
    assert [row for row in rows if row[0] == FENGZHEN][-1][8:] == [0, None, None, 0, 76.67, "本组平均指数"]
    plus_one = [row for row in rows if row[0] == "X2"]
    assert plus_one[1][3:10] == [0, 3, 0, 0, 0, 3, 80] and plus_one[2][10:] == [80, 3, 80, "本单位指数"]
    # "-2+3" rated once, below the sample: its own index is shown, its group's mean is used.
    assert [row for row in rows if row[0] == "X4"][-1][10:] == [60, 1, 80, "本组平均指数"]


def test_the_settings_sheet_names_the_weights_the_bands_and_the_method(office, ranked_round):
    settings = {row[0].value: row[1].value for row in workbook_of(office.get(DRAFT_URL))["设置"].iter_rows(min_row=2)}
    assert settings["考核批次"] == "2026年度政务公开考核（2026-kh）"
    assert settings["版本"] == "草稿（未发布）" and settings["导出人"] == "wangmin"
    assert settings["导出时间"].endswith("+08:00")
    assert settings["评议期"] == "2026年度社会评议（2026-pj）" and settings["最低样本量"] == 3
    assert settings["满意的分值"] == 80 and settings["不满意的分值"] == 30
    assert settings["公众权重"] == 0.4 and settings["特邀评议代表权重"] == 0.6
    assert settings["社会评议权重"] == 20 and settings["折算"] == "否" and settings["加分上限"] == 5
    assert settings["样本不足时"] == "按同组平均指数计"
    assert settings["等次：优秀"] == "90 分及以上" and settings["等次：良好"] == "80 分及以上"
    assert settings["等次：不合格"] == "低于 60 分，或触发单项否决"
    assert settings["优秀名额"] == "不限" and settings["满分（不含加分）"] == 120
    assert settings["检查得分满分"] == 100
    assert "社会评议得分 = 满意度指数 × 社会评议权重 / 100" in settings["计算方法"]
    assert "校验码（SHA-256）" not in settings


def formula_free(content: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_names_that_look_like_formulas_stay_text_in_the_workbook_and_the_ratings_csv(office, ranked_round):
    response = office.get(DRAFT_URL)
    formula_free(response.content)
    workbook = workbook_of(response)
    names = [*LOOKS_LIKE_FORMULAS.values(), "铃声局"]
    for sheet_name, column in (("市直单位", 1), ("检查项目得分", 3), ("评议数据", 1)):
        cells = [row[column] for row in workbook[sheet_name].iter_rows() if row[column].value in names]
        assert {cell.value for cell in cells} == set(names), sheet_name
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    assert all(cell.data_type != "f" for sheet in workbook for row in sheet.iter_rows() for cell in row)

    lines = list(csv.reader(io.StringIO(office.get(CSV_URL).content.decode("utf-8-sig"))))
    names_in_csv = {row[1] for row in lines[1:]}
    assert names_in_csv == {"集宁区", "'+1", "'-2+3"}
    assert "'=cmd|' /C calc'!A0" in {row[6] for row in lines[1:]}


def test_the_workbook_is_sound_and_libreoffice_opens_it(office, ranked_round, tmp_path):
    content = office.get(DRAFT_URL).content
    assert_sound_and_opened_by_libreoffice(content, tmp_path, "ranking")


def test_the_ratings_csv_streams_every_rating_of_the_rounds_units_without_voter_ids(office, ranked_round,
                                                                                     departments, monkeypatch):
    monkeypatch.setattr(rating_exports, "RATINGS_BATCH", 2)  # 7 ratings: 4 batches, none lost or repeated
    # Not in it: a unit the round does not cover, and another period's ratings.
    uncovered = run(add_department("150921", "卓资县", DepartmentGroup.county))
    add_rating("2026-pj", uncovered, "satisfied", voter="voter-eeee")
    open_period("2025-pj", opens=dt.date(2025, 1, 1), closes=dt.date(2025, 12, 31))
    add_rating("2025-pj", departments[JINING], "satisfied", voter="voter-ffff")

    response = office.get(CSV_URL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf") and response.content.count(b"\xef\xbb\xbf") == 1
    assert f"filename*=UTF-8''{quote('2026年度政务公开考核-评议明细.csv')}" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["unit_code", "unit_name", "channel", "source", "level", "reason", "reason_text",
                        "comment_status", "created_at"]
    assert len(lines) == 1 + 3 + 3 + 1
    assert lines[1] == [JINING, "集宁区", "public", "web", "very_satisfied", "", "", "none",
                        "2026-03-02 09:30:00 +08:00"]
    assert lines[3][4:7] == ["unsatisfied", "其他", "'=cmd|' /C calc'!A0"]
    assert [line[:4] for line in lines[4:7]] == [["X2", "'+1", "panel", "paper"]] * 3
    assert "voter" not in text and "卓资县" not in text


def test_the_ratings_csv_is_for_the_office_only(visitor, new_visitor, ranked_round):
    response = visitor.get(CSV_URL, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login?next=")
    for username in ("zhaoli", "liqiang", "chenjing"):
        other = new_visitor()
        other.sign_in(username)
        assert other.get(CSV_URL).status_code == 403
    visitor.sign_in("wangmin")
    assert visitor.get("/staff/rounds/nope/ranking/ratings.csv").status_code == 404


def test_a_round_without_a_period_gives_only_the_header(office, ranked_round):
    run(InspectionRound.update({InspectionRound.period: None}).where(InspectionRound.id == ranked_round.round_id))
    response = office.get(CSV_URL)
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines() == [
        "unit_code,unit_name,channel,source,level,reason,reason_text,comment_status,created_at"]


def publish(inspection: Inspection) -> snapshots.Publication:
    """乌兰察布市财政局 approved with nothing answered, so that the ranking can be published."""
    run(_approve(inspection, FINANCE, {}))
    return run(snapshots.publish("wangmin", "2026-kh"))


def test_the_draft_is_for_the_office_and_the_auditors(visitor, new_visitor, ranked_round):
    assert visitor.get(DRAFT_URL, follow_redirects=False).status_code == 303
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    assert workbook_of(auditor.get(DRAFT_URL))["设置"]["B6"].value == "zhaoli"  # 导出人
    assert auditor.get("/staff/rounds/nope/ranking/ranking.xlsx").status_code == 404
    for username in ("liqiang", "chenjing"):
        other = new_visitor()
        other.sign_in(username)
        assert other.get(DRAFT_URL).status_code == 403


def test_a_published_version_is_public_and_carries_its_checksum(visitor, ranked_round):
    publication = publish(ranked_round)
    response = visitor.get("/rankings/2026-kh/1/ranking.xlsx")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="2026-kh-ranking-v1.xlsx"')
    assert f"filename*=UTF-8''{quote('2026年度政务公开考核-排名-第1版.xlsx')}" in disposition
    workbook = workbook_of(response)
    assert workbook["旗县市区"]["A1"].value == "2026年度政务公开考核结果通报"
    assert workbook["旗县市区"]["A2"].value.startswith("第 1 版，发布于 ")
    settings = {row[0].value: row[1].value for row in workbook["设置"].iter_rows(min_row=2)}
    assert settings["版本"] == "第 1 版" and settings["发布人"] == "wangmin"
    assert settings["校验码（SHA-256）"] == publication.checksum
    document = publication.document
    totals = [cell[9].value for cell in unit_rows(workbook["旗县市区"]).values()]
    assert totals == [float(unit["total"]) for unit in document["groups"][0]["units"]]
    # What was published stays: a later change to a checklist is in the draft, not in version 1.
    run(ChecklistAnswer.update({ChecklistAnswer.value: Decimal(0)}).where(
        (ChecklistAnswer.checklist == ranked_round.checklists[JINING])
        & (ChecklistAnswer.indicator == ranked_round.items["C1"])))
    again = workbook_of(visitor.get("/rankings/2026-kh/1/ranking.xlsx"))
    assert unit_rows(again["旗县市区"])["集宁区"][9].value == 120.33
    assert visitor.get("/rankings/2026-kh/2/ranking.xlsx").status_code == 404
    assert visitor.get("/rankings/nope/1/ranking.xlsx").status_code == 404


def test_the_workbook_speaks_the_readers_language(visitor, ranked_round):
    publish(ranked_round)
    visitor.client.cookies.set("lang", "en")
    workbook = workbook_of(visitor.get("/rankings/2026-kh/1/ranking.xlsx"))
    assert workbook.sheetnames == ["Counties and districts", "Municipal departments", "Item points",
                                   "Evaluation data", "Settings"]
    sheet = workbook["Counties and districts"]
    assert [sheet.cell(3, column).value for column in (1, 2, 3)] == ["Rank", "Department", "Inspection score"]
    assert sheet["A2"].value.startswith("Version 1, published ")


@pytest.fixture
def exported(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "排名.xlsx"


def test_ranking_export_writes_the_latest_version_or_the_draft(ranked_round, exported, capsys):
    assert cli.main(["ranking", "export", "2026-kh", "-o", str(exported)]) == 0
    captured = capsys.readouterr()
    assert "草稿" in captured.err and "draft" in captured.err
    assert load_workbook(exported)["旗县市区"]["A1"].value.endswith("（草稿）")

    publication = publish(ranked_round)
    round_id = str(ranked_round.round_id)
    assert cli.main(["ranking", "export", round_id, "-o", str(exported)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "第 1 版" in captured.out
    settings = {row[0].value: row[1].value for row in load_workbook(exported)["设置"].iter_rows(min_row=2)}
    assert settings["校验码（SHA-256）"] == publication.checksum
    assert cli.main(["ranking", "export", "2026-kh", "--version", "1", "-o", str(exported)]) == 0


def test_ranking_export_fails_in_one_line(ranked_round, exported, capsys):
    for arguments, message in (
        (["2026-kh", "--version", "2"], "没有第 2 版"),
        (["nope"], "找不到考核批次"),
        (["2026-kh", "-o", "/no/such/folder/x.xlsx"], "找不到目录"),
        (["2026-kh", "-o", "ranking.csv"], ".xlsx"),
    ):
        output = [] if "-o" in arguments else ["-o", str(exported)]
        assert cli.main(["ranking", "export", *arguments, *output]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not exported.exists()
