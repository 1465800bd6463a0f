"""Office staff manage departments and catalogues; imports are all-or-nothing."""

from __future__ import annotations

import io

from openpyxl import Workbook

from evaluation.core.tables import AuditEntry, CatalogueItem, Department
from tests.conftest import run, text_of


def test_office_creates_a_department_and_it_appears_in_the_directory(office):
    response = office.post("/staff/departments", {"code": "SZ40", "name": "乌兰察布市数据局", "group": "municipal"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "乌兰察布市数据局" in text_of(office.get("/").text)
    saved = run(Department.select().where(Department.code == "SZ40").first())
    assert saved["group"] == "municipal" and saved["active"]


def test_department_form_errors_are_shown_in_the_form_and_nothing_is_saved(office):
    response = office.post("/staff/departments", {"code": "bad code!", "name": "", "group": "elsewhere"})
    assert response.status_code == 422
    text = text_of(response.text)
    assert "代码只能包含字母、数字、下划线和连字符" in text
    assert "请填写单位名称" in text
    assert "请选择分组" in text
    assert 'value="bad code!"' in response.text  # what was typed is kept
    assert run(Department.count()) == 4


def test_duplicate_code_is_refused_kindly(office):
    response = office.post("/staff/departments", {"code": "150902", "name": "重复", "group": "county"})
    assert response.status_code == 422 and "代码 150902 已被使用" in text_of(response.text)


def test_office_renames_and_deactivates_a_department(office):
    office.post("/staff/departments/SZ10", {"name": "乌兰察布市财政局（新）", "group": "municipal"})
    saved = run(Department.select().where(Department.code == "SZ10").first())
    assert saved["name"] == "乌兰察布市财政局（新）" and not saved["active"]
    assert "乌兰察布市财政局" not in text_of(office.get("/").text)
    trail = run(AuditEntry.select().where(AuditEntry.target == "department:SZ10"))
    assert trail[-1]["actor"] == "wangmin" and trail[-1]["action"] == "department.update"
    assert "乌兰察布市财政局（新）" in trail[-1]["new_value"] and '"active": true' in trail[-1]["old_value"]


def test_office_adds_and_removes_catalogue_items(office, departments):
    office.post("/staff/departments/150902/catalogue",
                {"title": "财政预决算", "description": "部门预算", "url": "https://www.jiningqu.gov.cn/czyjs"})
    assert "财政预决算" in text_of(office.get("/departments/150902").text)
    item = run(CatalogueItem.select().where(CatalogueItem.department == departments["150902"]).first())
    office.post(f"/staff/departments/150902/catalogue/{item['id']}/delete")
    assert "财政预决算" not in text_of(office.get("/departments/150902").text)
    actions = [row["action"] for row in run(AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["catalogue.add", "catalogue.remove"]


def test_catalogue_link_must_be_a_web_address(office):
    response = office.post("/staff/departments/150902/catalogue", {"title": "办事指南", "url": "javascript:alert(1)"})
    assert response.status_code == 422 and "链接必须以 http:// 或 https:// 开头" in text_of(response.text)
    assert run(CatalogueItem.count()) == 0


def test_auditor_reads_but_cannot_change_departments(visitor, people):
    visitor.sign_in("zhaoli")
    assert visitor.get("/staff/departments/150902/edit").status_code == 200
    assert visitor.post("/staff/departments/150902", {"name": "改名", "group": "county"}).status_code == 403
    assert visitor.post("/staff/departments/150902/catalogue", {"title": "x"}).status_code == 403
    assert run(Department.select(Department.name).where(Department.code == "150902").first())["name"] == "集宁区"


def test_liaison_cannot_manage_departments(visitor, people):
    visitor.sign_in("chenjing")
    assert visitor.get("/staff/departments").status_code == 403
    assert visitor.post("/staff/departments", {"code": "X1", "name": "x", "group": "county"}).status_code == 403


CSV_OK = "code,name,group\n150981,丰镇市,旗县市区\n150921,卓资县,旗县市区\nSZ03,乌兰察布市教育体育局,市直单位\n"


def test_csv_import_creates_and_updates(office):
    response = office.upload("/staff/departments/import", "departments.csv", CSV_OK.encode())
    assert response.status_code == 200
    assert "新增 1 个，更新 1 个，未变 1 个" in text_of(response.text)
    names = {row["code"]: row["name"] for row in run(Department.select())}
    assert names["150921"] == "卓资县" and names["SZ03"] == "乌兰察布市教育体育局"


def test_import_with_bad_rows_lists_each_by_line_and_imports_nothing(office):
    content = (
        "code,name,group\n"
        "150921,卓资县,旗县市区\n"
        ",无代码,旗县市区\n"
        "150922,化德县,乡镇\n"
        "150921,卓资县重复,旗县市区\n"
        "SZ41,,市直单位\n"
    )
    response = office.upload("/staff/departments/import", "departments.csv", content.encode())
    assert response.status_code == 422
    text = text_of(response.text)
    assert "未导入任何数据" in text
    assert "第 3 行" in text and "第 4 行" in text and "第 5 行" in text and "第 6 行" in text
    assert "第 2 行：" not in text
    assert "与第 2 行重复" in text and "“乡镇”" in text and "名称为空" in text
    assert run(Department.count()) == 4
    assert run(AuditEntry.count()) == 0


def test_a_large_file_with_one_bad_row_at_its_end_imports_nothing(office):
    # Written in chunks of 500, a good file lands chunk by chunk; a bad one is refused before the first.
    good = [f"D{n:04d},第{n}号单位,市直单位" for n in range(1_200)]
    content = "\n".join(["code,name,group", *good, "D9999,,市直单位"]) + "\n"
    response = office.upload("/staff/departments/import", "departments.csv", content.encode())
    assert response.status_code == 422
    assert "第 1202 行：名称为空" in text_of(response.text)
    assert run(Department.count()) == 4
    assert run(AuditEntry.count()) == 0


def test_a_large_file_is_written_whole_and_again_changes_nothing(office):
    content = "\n".join(["code,name,group", *[f"D{n:04d},第{n}号单位,市直单位" for n in range(1_200)]]) + "\n"
    first = office.upload("/staff/departments/import", "departments.csv", content.encode())
    assert "新增 1200 个，更新 0 个，未变 0 个" in text_of(first.text)
    again = office.upload("/staff/departments/import", "departments.csv", content.encode())
    assert "新增 0 个，更新 0 个，未变 1200 个" in text_of(again.text)
    assert run(Department.count()) == 4 + 1_200
    assert run(AuditEntry.count().where(AuditEntry.action == "department.create")) == 1_200


def test_xlsx_import_uses_the_same_columns(office):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "group"])
    sheet.append(["150929", "四子王旗", "旗县市区"])
    sheet.append(["SZ36", "乌兰察布市气象局", "市直单位"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = office.upload("/staff/departments/import", "单位.xlsx", buffer.getvalue())
    assert response.status_code == 200 and "新增 2 个" in text_of(response.text)


def test_import_refuses_a_file_without_the_columns_or_a_broken_xlsx(office):
    missing = office.upload("/staff/departments/import", "d.csv", "编号,名称\n1,甲\n".encode())
    assert missing.status_code == 422 and "缺少列" in text_of(missing.text)
    broken = office.upload("/staff/departments/import", "d.xlsx", b"PK\x03\x04 not really a workbook")
    assert broken.status_code == 422 and "无法读取该 xlsx 文件" in text_of(broken.text)
    nothing = office.post("/staff/departments/import", {})
    assert nothing.status_code == 422 and "请选择一个 CSV 或 xlsx 文件" in text_of(nothing.text)
    assert run(Department.count()) == 4


def test_gbk_encoded_csv_from_excel_imports(office):
    content = "code,name,group\n150923,商都县,旗县市区\n".encode("gbk")
    response = office.upload("/staff/departments/import", "d.csv", content)
    assert response.status_code == 200 and "新增 1 个" in text_of(response.text)
