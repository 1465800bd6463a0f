"""Indicator systems imported from and exported to CSV or xlsx in the layout of
inspections/data/indicators-sample.csv (PRODUCT.md §4, Settled questions): a bad file is refused
whole with every problem listed by row, and export then import gives back the same system."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from inspections.tables import Indicator, IndicatorSystem
from tests.conftest import run, text_of
from tests.inspections.conftest import SAMPLE_SYSTEM, add_sample_system, sample_csv, sample_rows

FROZEN = "该指标体系已被考核批次使用，已冻结，不能修改；可复制为新年度的指标体系"
COLUMNS = "year,code,parent_code,title,max_points,kind,scoring_rule,per_occurrence"


def upload(office, content, year="2026", code="", name="", replace=False, filename="indicators.csv", point_step=""):
    data = {"_csrf_token": office.csrf_token(), "year": year, "code": code, "name": name, "point_step": point_step}
    if replace:
        data["replace"] = "on"
    return office.client.post("/staff/indicators/import", data=data, files={"file": (filename, content)},
                              follow_redirects=False)


def stored(system_id):
    rows = run(Indicator.select().where(Indicator.system == system_id).order_by(Indicator.position))
    return [(row["code"], row["parent_code"], row["title"], row["max_points"], row["kind"], row["scoring_rule"],
             row["per_occurrence"]) for row in rows]


def system_row(year=2026, code="2026"):
    return run(IndicatorSystem.select().where((IndicatorSystem.year == year) & (IndicatorSystem.code == code))
               .first())


def csv_of(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS.split(","), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_the_sample_is_imported_from_the_web_page(office):
    response = upload(office, sample_csv())
    assert response.status_code == 303, text_of(response.text)
    system = system_row()
    assert system["name"] == "2026年度考核指标体系" and system["frozen_at"] is None
    assert response.headers["location"] == f"/staff/indicators/{system['id']}?imported=created"
    page = text_of(office.get(response.headers["location"]).text)
    assert "已从文件导入" in page and "考核总分 100" in page and "5 / 19" in page
    assert len(stored(system["id"])) == 24
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.import").first())
    assert entry["actor"] == "wangmin" and entry["target"] == "indicator_system:2026:2026"
    assert "信息公开目录和年度报告" in entry["new_value"]


def test_a_bad_file_is_refused_whole_with_every_problem_listed_by_row(office):
    rows = sample_rows()
    rows[1]["parent_code"] = "X"  # line 3: unknown parent
    rows[2]["parent_code"] = "A1"  # line 4: a third level
    rows[3]["kind"] = "plus"  # line 5
    rows[5]["max_points"] = "三"  # line 7
    rows[6]["max_points"] = "2.25"  # line 8
    rows[7]["title"] = ""  # line 9
    rows[10]["max_points"] = "30"  # line 12: C2 2 → 30; C6 (line 16) then takes category C past 79
    rows[12]["code"] = "C1"  # line 14: C1 is on line 11
    rows[16]["per_occurrence"] = ""  # line 18: deduct without per_occurrence
    rows[18]["year"] = "2016"  # line 20
    rows[20]["code"] = ""  # line 22
    response = upload(office, csv_of(rows))
    assert response.status_code == 422
    page = text_of(response.text)
    assert "文件有 11 处问题，未导入任何数据" in page
    for expected in (
        "第 3 行：上级代码 X 不存在",
        "第 4 行：上级 A1 本身是指标项：指标体系只有两级",
        "第 5 行：类型“plus”不是 score、deduct、veto、bonus 之一",
        "第 7 行：分值“三”不是数字",
        "第 8 行：分值 2.25 无效：须为不小于 0 的数，且为 0.5 的整数倍",
        "第 9 行：名称为空",
        "第 16 行：类目 C（政府信息公开）下各指标项分值合计 102，超过类目分值 79",
        "第 14 行：代码 C1 与第 11 行重复",
        "第 18 行：扣分项（deduct）须填写每次扣分（per_occurrence）",
        "第 20 行：年份 2016 与指定的年份 2026 不一致",
        "第 22 行：代码为空",
    ):
        assert expected in page, expected
    assert 'value="2026"' in response.text  # the form keeps what was typed
    assert run(IndicatorSystem.count()) == 0 and run(Indicator.count()) == 0 and run(AuditEntry.count()) == 0


def test_a_repeated_code_is_named_even_when_its_first_line_is_wrong_too(office):
    rows = sample_rows()
    rows[9]["title"] = ""  # line 11: C1 without a name
    rows[12]["code"] = "C1"  # line 14: C1 again, otherwise a good row
    response = upload(office, csv_of(rows))
    page = text_of(response.text)
    assert response.status_code == 422
    assert "第 11 行：名称为空" in page
    assert "第 14 行：代码 C1 与第 11 行重复" in page
    assert run(IndicatorSystem.count()) == 0


def test_an_item_that_takes_its_category_past_the_max_is_named_on_its_own_line(office):
    rows = sample_rows()
    extra = {**rows[3], "code": "A4", "title": "新增一项", "max_points": "1"}
    rows.insert(4, extra)  # line 6, after A3: A totals 7 of 6
    response = upload(office, csv_of(rows))
    page = text_of(response.text)
    assert response.status_code == 422
    assert "文件有 1 处问题" in page
    assert "第 6 行：类目 A（组织保障）下各指标项分值合计 7，超过类目分值 6" in page
    assert "第 2 行" not in page  # not on the category's line
    assert run(IndicatorSystem.count()) == 0


def test_a_file_of_another_year_is_refused_row_by_row(office):
    response = upload(office, SAMPLE_SYSTEM.read_bytes())  # the sample is dated 2016
    page = text_of(response.text)
    assert response.status_code == 422 and "第 2 行：年份 2016 与指定的年份 2026 不一致" in page
    assert "第 25 行：年份 2016 与指定的年份 2026 不一致" in page
    assert run(IndicatorSystem.count()) == 0


def test_missing_columns_and_unreadable_files_are_refused_in_one_message(office):
    response = upload(office, b"year,code,title\n2026,A,x\n")
    assert response.status_code == 422
    assert "缺少列：parent_code, max_points, kind, scoring_rule, per_occurrence" in text_of(response.text)
    response = upload(office, b"PK\x03\x04 broken", filename="x.xlsx")
    assert response.status_code == 422 and "无法读取该 xlsx 文件" in text_of(response.text)
    response = upload(office, COLUMNS.encode() + b"\n")
    assert response.status_code == 422 and "文件中没有数据行" in text_of(response.text)
    assert run(IndicatorSystem.count()) == 0


def test_an_existing_system_is_replaced_only_when_asked_and_only_while_unfrozen(office):
    system_id, _ = run(add_sample_system())
    smaller = csv_of([row for row in sample_rows() if not row["code"].startswith("C")])
    response = upload(office, smaller)
    assert response.status_code == 422 and "--replace" in text_of(response.text)
    assert len(stored(system_id)) == 24

    response = upload(office, smaller, replace=True, name="2026年度考核指标（修订）")
    assert response.status_code == 303 and response.headers["location"].endswith("imported=replaced")
    assert [row[0] for row in stored(system_id)] == [row["code"] for row in sample_rows() if row["code"][0] != "C"]
    assert system_row()["name"] == "2026年度考核指标（修订）"
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.replace").first())
    assert "C10" in entry["old_value"] and "C10" not in entry["new_value"]

    run(IndicatorSystem.update({IndicatorSystem.frozen_at: clock.now()}).where(IndicatorSystem.id == system_id))
    response = upload(office, sample_csv(), replace=True)
    assert response.status_code == 422 and FROZEN in text_of(response.text)
    assert len(stored(system_id)) == 13


def test_a_csv_download_imports_back_as_the_same_system(office):
    system_id, _ = run(add_sample_system())
    download = office.get(f"/staff/indicators/{system_id}/indicators.csv")
    assert download.status_code == 200 and download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.content.startswith(b"\xef\xbb\xbf")
    assert "filename*=UTF-8''2026-2026-" in download.headers["content-disposition"]
    assert download.content.startswith(b"\xef\xbb\xbf" + COLUMNS.encode())
    # The layout is the sample's, numbers as written: 6 not 6.0, the deduction 1.
    assert download.content[3:] == sample_csv().decode().replace("\n", "\n").encode()
    response = upload(office, download.content, code="copy")
    assert response.status_code == 303
    assert stored(system_row(code="copy")["id"]) == stored(system_id)


def test_an_xlsx_download_imports_back_as_the_same_system_and_keeps_text_as_text(office):
    system_id, ids = run(add_sample_system())
    run(Indicator.update({Indicator.scoring_rule: "=HYPERLINK(\"http://x\")", Indicator.max_points: 1.5,
                          Indicator.per_occurrence: 0.5}).where(Indicator.id == ids["C8"]))
    run(Indicator.update({Indicator.max_points: 75.5}).where(Indicator.id == ids["C"]))
    download = office.get(f"/staff/indicators/{system_id}/indicators.xlsx")
    assert download.status_code == 200 and "spreadsheetml" in download.headers["content-type"]
    sheet = load_workbook(io.BytesIO(download.content)).active
    header = [cell.value for cell in sheet[1]]
    assert ",".join(header) == COLUMNS
    c8 = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "C8")
    assert c8[6].data_type == "s" and c8[6].value.startswith("=HYPERLINK")
    assert (c8[4].value, c8[7].value) == (1.5, 0.5) and c8[0].value == 2026
    response = upload(office, download.content, code="copy", filename="indicators.xlsx")
    assert response.status_code == 303, text_of(response.text)
    assert stored(system_row(code="copy")["id"]) == stored(system_id)


def test_a_hand_made_xlsx_and_a_gb18030_csv_import(office):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS.split(","))
    for row in sample_rows():
        values = list(row.values())
        values[0] = 2026  # numbers as Excel stores them
        values[4] = float(values[4])
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(office, buffer.getvalue(), code="xlsx", filename="体系.xlsx").status_code == 303
    gb = sample_csv().decode("utf-8").encode("gb18030")
    assert upload(office, gb, code="gb").status_code == 303
    assert stored(system_row(code="xlsx")["id"]) == stored(system_row(code="gb")["id"])
    assert len(stored(system_row(code="gb")["id"])) == 24


def test_exported_numbers_read_as_written():
    from inspections.indicators.rules import points_text

    assert [points_text(value) for value in (6, 6.0, 0.5, 79, 1.5, None)] == ["6", "6", "0.5", "79", "1.5", ""]


def test_the_demo_loads_the_sample_for_any_year():
    from inspections.indicators import files as indicator_files
    from inspections.indicators import indicators

    result = run(indicator_files.import_system("demo", 2026, None, None, "sample.csv",
                                               indicator_files.sample_for(2026)))
    assert result.errors == [] and (result.categories, result.items) == (5, 19)
    system = run(indicators.find_system(2026))
    assert system.name == "2026年度考核指标体系" and system.inspection_max == 100 and system.bonus_max == 5


def test_the_web_import_checks_the_file_against_the_step_chosen(office):
    rows = [row for row in sample_rows() if row["code"][0] == "A"]
    rows[0]["max_points"] = "6.3"  # the category: 2 + 2 + 2 of its items fit under it
    rows[1]["max_points"] = "0.3"
    response = upload(office, csv_of(rows))
    assert response.status_code == 422
    page = text_of(response.text)
    assert "第 2 行：分值 6.3 无效：须为不小于 0 的数，且为 0.5 的整数倍" in page and "第 3 行：分值 0.3 无效" in page
    assert "不指定" in response.text and 'name="point_step"' in response.text
    response = upload(office, csv_of(rows), point_step="0.2")
    assert response.status_code == 422 and "分值单位“0.2”无效：只能是 0.5 或 0.1" in text_of(response.text)
    assert run(IndicatorSystem.count()) == 0

    response = upload(office, csv_of(rows), point_step="0.1")
    assert response.status_code == 303, text_of(response.text)
    system = system_row()
    assert system["point_step"] == Decimal("0.1")
    assert [row[3] for row in stored(system["id"])] == [Decimal("6.3"), Decimal("0.3"), Decimal("2"), Decimal("2")]
    assert "分值单位 0.1 分" in text_of(office.get(response.headers["location"]).text)
    # The download carries the same columns as ever: the step is the system's, not the file's.
    download = office.get(f"/staff/indicators/{system['id']}/indicators.csv")
    assert download.content.startswith(b"\xef\xbb\xbf" + COLUMNS.encode() + b"\n2026,A,,")


def test_a_file_of_more_rows_than_a_system_has_is_refused_before_anything_is_written(office):
    rows = [{"year": "2026", "code": f"K{n}", "parent_code": "", "title": f"类目{n}", "max_points": "1",
             "kind": "score", "scoring_rule": "", "per_occurrence": ""} for n in range(1_001)]
    response = upload(office, csv_of(rows), code="big")
    assert response.status_code == 422
    assert "文件超过 1000 行：一个指标体系只有几十个类目和指标，请检查文件。" in text_of(response.text)
    assert run(IndicatorSystem.count()) == 0
