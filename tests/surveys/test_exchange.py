"""The office moves surveys in and out (issue 19): XLSForm uploaded and downloaded on the staff
pages and on the command line, nothing stored when a file is refused; the responses as xlsx
(summary, raw sheet in a fixed column order, codebook) and CSV, no answer able to run as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import cli
from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from evaluation.surveys import forms
from evaluation.surveys.tables import Survey, SurveyQuestion, SurveyResponse
from evaluation.surveys.xlsform import write_xlsform
from tests.conftest import Visitor, run, text_of
from tests.surveys.conftest import build, satisfaction_form
from tests.surveys.test_xlsform import XLSFORMS, needs_forms
from tests.workbooks import assert_sound_and_opened_by_libreoffice

RAW_COLUMNS = ["response_id", "submitted_at", "channel", "visited", "channels/web", "channels/app", "channels/paper",
               "overall", "aspects/timely", "aspects/complete", "age", "advice"]


def exported_form() -> bytes:
    file = write_xlsform(satisfaction_form("2026-xx"))
    try:
        return file.read()
    finally:
        file.close()


def add_responses(survey_id: int, *answers: dict[str, Any]) -> None:
    async def insert() -> None:
        for index, given in enumerate(answers):
            await SurveyResponse.insert(SurveyResponse(survey=survey_id, voter_id=f"voter-{index}", answers=given,
                                                       created_at=clock.now())).run()

    run(insert)


RESPONSES = (
    {"visited": "yes", "channels": ["web", "app"], "overall": 4, "aspects": {"timely": 5, "complete": 3},
     "age": "35", "advice": "=HYPERLINK(\"http://evil\",\"点我\")"},
    {"visited": "no", "overall": 2, "aspects": {"timely": 1}, "age": "60.5", "advice": "@SUM(A1)"},
    {"visited": "yes", "channels": ["web"], "overall": 4, "advice": " <b>公开</b> & 及时\x07 "},
)


def test_the_office_imports_an_xlsform_and_downloads_it_again(office: Visitor) -> None:
    assert "从 XLSForm 导入调查" in office.get("/staff/surveys/import").text
    response = office.client.post("/staff/surveys/import", data={"_csrf_token": office.csrf_token(), "code": "2026-dr",
                                                                  "opens": "2026-12-01", "closes": "2026-12-31"},
                                  files={"file": ("调查.xlsx", exported_form())})
    assert response.status_code == 200, text_of(response.text)
    assert "已导入调查“政务公开满意度调查”（代码 2026-dr）：3 页，6 题。" in text_of(response.text)
    survey = run(forms.find_survey("2026-dr"))
    form = run(forms.load_definition(survey["id"]))
    assert form.pages == satisfaction_form().pages
    assert clock.format_local(form.settings.opens_at) == "2026-12-01 00:00:00 +08:00"
    assert clock.format_local(form.settings.closes_at) == "2027-01-01 00:00:00 +08:00"  # 24:00 of the 31st
    assert run(AuditEntry.count().where(AuditEntry.action == "survey.create")) == 1
    download = office.get(f"/staff/surveys/{survey['id']}/xlsform.xlsx")
    assert download.status_code == 200
    assert "filename*=UTF-8''2026-dr-XLSForm.xlsx" in download.headers["content-disposition"]
    assert load_workbook(io.BytesIO(download.content)).sheetnames == ["survey", "choices", "settings"]


def test_a_refused_file_names_its_rows_keeps_what_was_typed_and_stores_nothing(office: Visitor) -> None:
    bad = load_workbook(io.BytesIO(exported_form()))
    bad["survey"].append(["calculate", "total", "合计"])
    bad["survey"].append(["geopoint", "where", "位置"])
    content = io.BytesIO()
    bad.save(content)
    response = office.client.post("/staff/surveys/import", data={"_csrf_token": office.csrf_token(), "code": "2026-dr",
                                                                  "opens": "2026-12-01", "closes": "someday"},
                                  files={"file": ("bad.xlsx", content.getvalue())})
    assert response.status_code == 422
    assert "结束日期须为日期" in text_of(response.text)
    assert 'value="2026-dr"' in response.text and 'value="2026-12-01"' in response.text
    response = office.client.post("/staff/surveys/import", data={"_csrf_token": office.csrf_token(), "code": "2026-dr"},
                                  files={"file": ("bad.xlsx", content.getvalue())})
    assert response.status_code == 422
    shown = text_of(response.text)
    assert "文件有 2 处问题，未导入任何内容" in shown
    assert "不支持题型 calculate" in shown and "不支持题型 geopoint" in shown
    assert run(Survey.count()) == 0 and run(SurveyQuestion.count()) == 0


def test_a_taken_code_or_a_file_that_is_not_a_workbook_is_refused(office: Visitor, survey: int) -> None:
    for code, filename, content, message in (
        ("2026-my", "f.xlsx", exported_form(), "调查代码 2026-my 已被使用"),
        ("2026-dr", "f.xlsx", b"PK\x03\x04 not really", "无法读取该 xlsx 文件"),
        ("bad code!", "f.xlsx", exported_form(), "调查代码须为"),
    ):
        response = office.client.post("/staff/surveys/import", data={"_csrf_token": office.csrf_token(), "code": code},
                                      files={"file": (filename, content)})
        assert response.status_code == 422
        assert message in text_of(response.text)
    assert run(Survey.count()) == 1


@needs_forms
def test_a_real_form_imports_on_the_staff_page_and_its_notice_is_shown(office: Visitor) -> None:
    response = office.client.post(
        "/staff/surveys/import", data={"_csrf_token": office.csrf_token(), "code": "mitwirken"},
        files={"file": ("m.xlsx", (XLSFORMS / "pos_de_mitwirken_umfrage.xlsx").read_bytes())})
    assert response.status_code == 200
    shown = text_of(response.text)
    assert "7 页，38 题" in shown and "teilhabe_gruppen" in shown


def test_only_the_office_imports_and_only_staff_who_read_everything_download(
        visitor: Visitor, new_visitor: Any, people: dict[str, str], survey: int) -> None:
    assert visitor.get("/staff/surveys/import", follow_redirects=False).status_code in (302, 303, 401)
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    assert auditor.get("/staff/surveys/import").status_code == 403
    assert auditor.get(f"/staff/surveys/{survey}/responses.xlsx").status_code == 200
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert liaison.get(f"/staff/surveys/{survey}/responses.csv").status_code == 403
    assert liaison.get(f"/staff/surveys/{survey}/xlsform.xlsx").status_code == 403


def test_the_responses_workbook_has_summary_raw_and_codebook(office: Visitor, survey: int, tmp_path: Path) -> None:
    add_responses(survey, *RESPONSES)
    response = office.get(f"/staff/surveys/{survey}/responses.xlsx")
    assert response.status_code == 200
    assert "2026-my-" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "原始数据", "编码表"]
    raw = [list(row) for row in workbook["原始数据"].iter_rows(values_only=True)]
    assert raw[0] == RAW_COLUMNS
    first, second, third = raw[1:]
    assert first[2:] == ["公开", "yes", 1, 1, 0, 4, 5, 3, 35, "=HYPERLINK(\"http://evil\",\"点我\")"]
    assert second[3:] == ["no", None, None, None, 2, 1, None, 60.5, "@SUM(A1)"]
    assert third[3:8] == ["yes", 1, 0, 0, 4]
    # Text as typed (markup and spaces kept, a control character dropped); text that could run
    # as a formula is quote-prefixed, so it stays text when edited; times as they read in Beijing.
    assert third[-1] == " <b>公开</b> & 及时 "
    raw_sheet = workbook["原始数据"]
    assert raw_sheet.cell(2, len(RAW_COLUMNS)).quotePrefix and not raw_sheet.cell(4, len(RAW_COLUMNS)).quotePrefix
    assert raw_sheet.cell(2, 2).number_format == "yyyy-mm-dd hh:mm"
    stored = clock.local(run(SurveyResponse.select().order_by(SurveyResponse.id).first())["created_at"])
    assert abs(first[1] - stored.replace(tzinfo=None)) < dt.timedelta(seconds=1)
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)  # no answer runs as a formula
    summary = [[value for value in row] for row in workbook["汇总"].iter_rows(values_only=True)]
    lines = {(row[1], row[2]) for row in summary}
    assert ("答卷总数", None) not in lines
    assert ["答卷总数", None, 3] in [row[:3] for row in summary]
    overall = next(index for index, row in enumerate(summary) if row[0] == "总体满意度")
    assert summary[overall][1:3] == ["回答人数", 3]
    assert summary[overall + 4][1:4] == ["4", 2, pytest.approx(0.6667)]
    # A matrix row's percentages are of the people who answered that row.
    assert [row[1:4] for row in summary if row[1] in ("及时性：5", "完整性：3")] == [["及时性：5", 1, 0.5],
                                                                                  ["完整性：3", 1, 1]]
    age = next(index for index, row in enumerate(summary) if row[0] == "您的年龄")
    assert [row[1:3] for row in summary[age + 1:age + 6]] == [["人数", 2], ["平均值", 47.75], ["中位数", 47.75],
                                                               ["最小值", 35], ["最大值", 60.5]]
    codebook = [list(row) for row in workbook["编码表"].iter_rows(values_only=True)]
    assert ["visited", "您访问过政府信息公开专栏吗？", "单选", "yes", "访问过"] in codebook
    assert ["channels/web", "您通过哪些渠道获取政府信息？：政府网站", "多选", "1", "选中"] in codebook
    assert_sound_and_opened_by_libreoffice(response.content, tmp_path, "responses")


def test_the_responses_csv_has_the_same_columns_and_is_formula_safe(office: Visitor, survey: int) -> None:
    add_responses(survey, *RESPONSES)
    response = office.get(f"/staff/surveys/{survey}/responses.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == RAW_COLUMNS
    assert rows[1][2:] == ["open", "yes", "1", "1", "0", "4", "5", "3", "35", "'=HYPERLINK(\"http://evil\",\"点我\")"]
    assert rows[2][3:] == ["no", "", "", "", "2", "1", "", "60.5", "'@SUM(A1)"]
    assert len(rows) == 4


def test_an_unknown_survey_is_not_found(office: Visitor) -> None:
    for suffix in ("xlsform.xlsx", "responses.xlsx", "responses.csv"):
        assert office.get(f"/staff/surveys/999/{suffix}").status_code == 404


def test_the_command_line_imports_exports_and_writes_responses(tmp_path: Path, people: dict[str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "form.xlsx"
    source.write_bytes(exported_form())
    assert cli.main(["survey", "import", str(source), "--code", "2026-cli", "--opens", "2026-12-01",
                     "--closes", "2026-12-31"]) == 0
    assert "已导入调查 imported: 2026-cli" in capsys.readouterr().out
    survey = run(forms.find_survey("2026-cli"))
    entry = run(AuditEntry.select().where(AuditEntry.action == "survey.create").first())
    assert entry["actor"].startswith("cli:") and entry["target"] == "survey:2026-cli"
    add_responses(survey["id"], *RESPONSES)
    again = tmp_path / "again.xlsx"
    assert cli.main(["survey", "export", "2026-cli", "-o", str(again)]) == 0
    assert cli.main(["survey", "import", str(again), "--code", "2026-cli2"]) == 0
    assert run(forms.load_definition(run(forms.find_survey("2026-cli2"))["id"])).pages == satisfaction_form().pages
    assert cli.main(["survey", "responses", str(survey["id"]), "-o", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text("utf-8-sig").splitlines()[0] == ",".join(RAW_COLUMNS)
    assert cli.main(["survey", "responses", "2026-cli", "-o", str(tmp_path / "r.xlsx")]) == 0
    assert load_workbook(tmp_path / "r.xlsx").sheetnames == ["汇总", "原始数据", "编码表"]
    capsys.readouterr()


def test_the_command_line_refuses_in_one_line_and_stores_nothing(tmp_path: Path, people: dict[str, str],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = load_workbook(io.BytesIO(exported_form()))
    bad["survey"].append(["note", "hello", "您好"])
    source = tmp_path / "bad.xlsx"
    bad.save(source)
    assert cli.main(["survey", "import", str(source), "--code", "2026-cli"]) == 1
    err = capsys.readouterr().err
    assert "不支持题型 note" in err
    assert err.strip().splitlines()[-1] == "pingyi: 1 处问题，未导入任何调查 (nothing imported)"
    assert run(Survey.count()) == 0
    assert cli.main(["survey", "export", "nope", "-o", str(tmp_path / "x.xlsx")]) == 1
    assert "找不到调查 no such survey: nope" in capsys.readouterr().err
    assert cli.main(["survey", "responses", "nope", "-o", str(tmp_path / "x.txt")]) == 1
    assert "-o 须以 .xlsx 或 .csv 结尾" in capsys.readouterr().err
    assert not list(tmp_path.glob("x*"))


def test_a_survey_built_in_the_app_exports_to_the_same_survey(office: Visitor) -> None:
    survey_id = build(satisfaction_form("2026-built"))
    download = office.get(f"/staff/surveys/{survey_id}/xlsform.xlsx")
    response = office.client.post("/staff/surveys/import",
                                  data={"_csrf_token": office.csrf_token(), "code": "2026-copy"},
                                  files={"file": ("copy.xlsx", download.content)})
    assert response.status_code == 200
    copy = run(forms.load_definition(run(forms.find_survey("2026-copy"))["id"]))
    assert copy.pages == run(forms.load_definition(survey_id)).pages
