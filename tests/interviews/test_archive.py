"""The archive (PRODUCT.md §3): the transcript (question, answer, who answered, when) and the
summary, as a printable page, an xlsx workbook and from the command line."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from cli import main
from tests.conftest import text_of
from tests.interviews.conftest import interview_row, scheduled
from tests.interviews.test_questions import answer, approve, ask


def played_through(office, cast, new_visitor) -> None:
    """Interview ft, archived: two questions answered by 王海涛 and 刘芳, one of them typed like a
    spreadsheet formula, and a summary."""
    scheduled(office, cast, "ft", status="live", guests=("王海涛", "刘芳"), topic="入学政策解读")
    citizen = new_visitor()
    ask(citizen, "ft", "随迁子女需要哪些材料？", "张先生")
    ask(citizen, "ft", "=HYPERLINK(\"http://evil\")", "")
    for body, guest, text in (("随迁子女需要哪些材料？", "刘芳", "需要居住证和就业证明。"),
                              ("=HYPERLINK(\"http://evil\")", "王海涛", "-2+3 请勿发送链接。")):
        approve(office, body)
        assert answer(office, "ft", body, text, guest, cast).status_code == 303
    assert office.post("/staff/interviews/ft/move", {"to": "closed"}, follow_redirects=False).status_code == 303
    assert office.post("/staff/interviews/ft/summary", {"summary": "介绍了今年入学政策的三项变化。"},
                       follow_redirects=False).status_code == 303
    assert office.post("/staff/interviews/ft/move", {"to": "archived"}, follow_redirects=False).status_code == 303


def test_the_transcript_page_gives_each_question_its_answer_who_and_when(office, cast, new_visitor):
    played_through(office, cast, new_visitor)
    citizen = new_visitor()
    page = citizen.get("/interviews/ft/transcript")
    assert page.status_code == 200
    assert 'class="page transcript-page"' in page.text  # printed by the transcript's print stylesheet
    text = text_of(page.text)
    assert "介绍了今年入学政策的三项变化。" in text
    assert "问： 随迁子女需要哪些材料？ （张先生，" in text
    assert "答： 需要居住证和就业证明。 （刘芳（基础教育科科长），现场答复，" in text
    assert text.index("随迁子女需要哪些材料？") < text.index("HYPERLINK")


def test_the_transcript_workbook_keeps_what_people_typed_as_text(office, cast, new_visitor):
    played_through(office, cast, new_visitor)
    response = new_visitor().get("/interviews/ft/transcript.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "入学政策解读"
    header = rows.index(["序号", "提问时间", "提问人", "问题", "答复人", "答复方式", "答复时间", "答复"])
    first, second = rows[header + 1], rows[header + 2]
    assert first[2:6] == ["张先生", "随迁子女需要哪些材料？", "刘芳（基础教育科科长）", "现场答复"]
    assert second[3] == "=HYPERLINK(\"http://evil\")" and second[7] == "-2+3 请勿发送链接。"
    for row in sheet.iter_rows(min_row=header + 2):
        assert row[3].data_type == "s" and row[7].data_type == "s"
    assert any(row[:2] == ["摘要", "介绍了今年入学政策的三项变化。"] for row in rows)


def test_the_public_gets_no_transcript_before_the_interview_ends(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="live")
    citizen = new_visitor()
    assert citizen.get("/interviews/ft/transcript").status_code == 404
    assert citizen.get("/interviews/ft/transcript.xlsx").status_code == 404
    assert office.get("/staff/interviews/ft/transcript.xlsx").status_code == 200


def test_the_command_line_lists_interviews_and_exports_one_by_code_or_id(office, cast, new_visitor, tmp_path: Path,
                                                                         capsys):
    played_through(office, cast, new_visitor)
    assert main(["interview", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ft" in listed and "archived" in listed and "入学政策解读" in listed
    by_code, by_id = tmp_path / "by-code.xlsx", tmp_path / "by-id.xlsx"
    assert main(["interview", "export", "ft", "-o", str(by_code)]) == 0
    assert main(["interview", "export", str(interview_row("ft")["id"]), "-o", str(by_id)]) == 0
    for path in (by_code, by_id):
        assert load_workbook(path).active["A1"].value == "入学政策解读"
    assert main(["interview", "export", "nope", "-o", str(tmp_path / "x.xlsx")]) == 1
    assert "找不到访谈" in capsys.readouterr().err
    assert main(["interview", "export", "ft", "-o", str(tmp_path / "x.csv")]) == 1
