"""For the review and the record: the summary a team reads before submitting, the form the
inspected unit signs, who last changed each item, and the audit trail in words."""

from __future__ import annotations

import re

from settings import PROJECT_DIR
from tests.conftest import Visitor, text_of
from tests.inspections.conftest import Inspection
from tests.inspections.test_checklist_saves import JINING, item_url, send


def answer(visitor: Visitor, inspection: Inspection, values: dict[str, tuple[str, str]]) -> None:
    for code, (value, note) in values.items():
        response = send(visitor, item_url(inspection, code), value, note=note)
        assert response.status_code == 200, response.text


def row_of(html: str, category: str) -> str:
    start = html.index(f'id="summary-{category}"')
    return re.sub(r"\s+", "", text_of(html[start:html.index("</tr>", start)]))


def test_before_submitting_the_team_reads_each_categorys_points_gaps_and_evidence(
        visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    answer(visitor, inspection, {"A1": ("2", ""), "A2": ("0", "没有书面文件"), "A3": ("1.5", ""),
                                 "C8": ("2", "目录未更新"), "V1": ("0", ""), "J1": ("0", "")})
    checklist = f"/inspect/checklists/{inspection.checklists[JINING]}"
    response = visitor.get(f"{checklist}/summary")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "集宁区：提交前核对" in page and "已答 6 / 19" in page
    a = row_of(response.text, "A")
    assert "3.5/6" in a and "A2" in a and "1条" in a and "0张" in a
    assert f'href="{checklist}#item-A2"' in response.text  # each item links back to its card
    c = row_of(response.text, "C")
    assert "C8（2次，扣2分）" in c and "C1、C2" in c  # deducted, and the unanswered
    assert "未触发" in row_of(response.text, "V")
    assert "J1" in row_of(response.text, "J")  # a bonus of 0 is a zero-point item
    assert "还有 13 项未填写" in page
    assert re.search(r'<button type="submit" class="primary"[^>]*disabled', response.text)


def test_the_printable_checklist_has_the_unit_round_team_every_item_totals_and_date(
        visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    answer(visitor, inspection, {"A1": ("2", "会议记录齐全"), "C8": ("3", ""), "V1": ("1", "有意隐瞒")})
    response = visitor.get(f"/inspect/checklists/{inspection.checklists[JINING]}/print")
    assert response.status_code == 200
    page = text_of(response.text)
    for expected in ("集宁区（150902）", "2026年度政务公开考核（2026-kh）", "第一组",
                     "A1 明确负责人和承办科室 2 2 分 2 会议记录齐全",
                     "C8 信息公开目录和年度报告 5 3 次 2", "V1", "触发 — 有意隐瞒", "考核得分 4 / 100",
                     "单项否决 已触发", "被考核单位负责人（签字、盖章）", "日期"):
        assert expected in page, expected
    assert 'class="page wide checklist-print"' in response.text
    assert "@page checklist { size: A4;" in (PROJECT_DIR / "static" / "checklist.css").read_text(encoding="utf-8")


def test_the_summary_and_the_print_are_for_those_who_may_see_the_checklist(
        visitor: Visitor, new_visitor, inspection: Inspection) -> None:
    visitor.sign_in("sunwei")  # 第二组: not 集宁区's team
    checklist = f"/inspect/checklists/{inspection.checklists[JINING]}"
    assert visitor.get(f"{checklist}/summary").status_code == 404
    assert visitor.get(f"{checklist}/print").status_code == 404
    office = new_visitor()
    office.sign_in("wangmin")
    assert office.get(f"{checklist}/summary").status_code == 200
    assert "提交审核" not in text_of(office.get(f"{checklist}/summary").text)
    assert office.get(f"{checklist}/print").status_code == 200


def test_each_card_says_who_last_changed_it_and_when(visitor: Visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    answer(visitor, inspection, {"B2": ("2.5", "")})
    response = visitor.get(f"/inspect/checklists/{inspection.checklists[JINING]}")
    start = response.text.index('id="item-B2"')
    card = text_of(response.text[start:response.text.index("</article>", start)])
    assert re.search(r"李强 于 \d{4}-\d\d-\d\d \d\d:\d\d 修改", card)
    start = response.text.index('id="item-B1"')
    assert "修改" not in text_of(response.text[start:response.text.index("</article>", start)])


def test_the_audit_trail_names_the_unit_and_item_and_says_old_and_new_in_words(
        visitor: Visitor, new_visitor, inspection: Inspection) -> None:
    visitor.sign_in("liqiang")
    answer(visitor, inspection, {"A1": ("2", "会议记录齐全"), "C8": ("1", ""), "V1": ("0", "")})
    send(visitor, item_url(inspection, "A1"), "1.5", base_version=1)
    office = new_visitor()
    office.sign_in("wangmin")
    response = office.get("/staff/audit")
    rows = [re.sub(r"\s+", " ", text_of(row)) for row in re.findall(r"<tr>(.*?)</tr>", response.text, re.S)]
    a1 = [row for row in rows if "集宁区（150902）· 2026-kh · A1 明确负责人和承办科室" in row]
    assert len(a1) == 2
    assert "checklist.answer" in a1[0] and "2 分；备注：会议记录齐全 1.5 分" in a1[0]  # newest first
    assert "未作答 2 分；备注：会议记录齐全" in a1[1]
    assert any("C8 信息公开目录和年度报告 未作答 1 次" in row for row in rows)
    assert any("V1 " in row and "未作答 未触发" in row for row in rows)
    checklist_id = inspection.checklists[JINING]
    assert f">checklist:{checklist_id}:A1<" not in response.text  # the id is only in the filter's link
    assert f'href="/staff/audit?target=checklist%3A{checklist_id}%3AA1"' in response.text
    assert '{"value"' not in response.text and "&#34;value&#34;" not in response.text


def test_a_conflict_without_script_keeps_the_other_inspectors_note_and_says_so(
        visitor: Visitor, inspection: Inspection) -> None:
    # The answer with a note is saved first; a plain form opened before it still says version 0.
    visitor.sign_in("liqiang")
    answer(visitor, inspection, {"C4": ("3", "动态信息更新滞后两周")})
    response = visitor.post(item_url(inspection, "C4"), {"save_id": "form-c4-stale-1", "base_version": "0",
                                                         "value": "4", "note": ""})
    assert response.status_code == 409
    start = response.text.index('id="item-C4"')
    card = response.text[start:response.text.index("</article>", start)]
    assert "备注：动态信息更新滞后两周" in text_of(card)
    assert "对方的备注已附在下面的备注之后" in text_of(card)
    assert re.search(r'<textarea[^>]*name="note"[^>]*>动态信息更新滞后两周</textarea>', card)
