"""Comments are moderated; departments answer criticism in time; the office sees what is overdue."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from openpyxl import load_workbook

from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from evaluation.ratings.tables import CommentStatus, Rating, RatingAnswer
from tests.conftest import reason_id, run, text_of


def rate(visitor, code: str, **data: str) -> None:
    visitor.get(f"/departments/{code}")
    assert visitor.post(f"/departments/{code}/ratings", data).status_code == 200


def test_a_comment_is_hidden_until_approved(visitor, new_visitor, people, period):
    rate(visitor, "150902", level="satisfied", comment="预算公开得很详细")
    results = "/departments/150902/results"
    assert "预算公开得很详细" not in visitor.get(results).text
    office = new_visitor()
    office.sign_in("wangmin")
    assert "预算公开得很详细" in text_of(office.get("/staff/moderation").text)
    rating = run(Rating.select().first())
    office.post(f"/staff/moderation/{rating['id']}/approve")
    assert "预算公开得很详细" in text_of(visitor.get(results).text)
    entry = run(AuditEntry.select().where(AuditEntry.action == "comment.approve").first())
    assert entry["actor"] == "wangmin" and entry["target"] == f"rating:{rating['id']}"


def test_a_rejected_comment_keeps_its_rating(visitor, new_visitor, people, period):
    rate(visitor, "150902", level="very_satisfied", comment="广告内容")
    office = new_visitor()
    office.sign_in("wangmin")
    office.post(f"/staff/moderation/{run(Rating.select().first())['id']}/reject")
    assert run(Rating.select().first())["comment_status"] == CommentStatus.rejected.value
    page = text_of(visitor.get("/departments/150902/results").text)
    assert "广告内容" not in page and "评价总数 1" in page


def test_the_liaison_answers_a_negative_rating_and_the_answer_is_public(visitor, new_visitor, people, period):
    rate(visitor, "150902", level="unsatisfied", reason=reason_id("内容过时"))
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    page = text_of(liaison.get("/staff/answers").text)
    assert "内容过时" in page and "答复期限" in page
    rating = run(Rating.select().first())
    response = liaison.post(f"/staff/answers/{rating['id']}", {"body": "已更新栏目，感谢监督。"},
                            follow_redirects=False)
    assert response.status_code == 303
    public = text_of(visitor.get("/departments/150902/results").text)
    assert "内容过时" in public and "已更新栏目，感谢监督。" in public
    assert run(RatingAnswer.count()) == 1


def test_a_liaison_cannot_answer_for_another_department(visitor, new_visitor, people, period):
    rate(visitor, "SZ03", level="very_unsatisfied", reason=reason_id("难以查找"))
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert "难以查找" not in text_of(liaison.get("/staff/answers").text)
    rating = run(Rating.select().first())
    assert liaison.post(f"/staff/answers/{rating['id']}", {"body": "不是我们的"}).status_code == 404
    assert run(RatingAnswer.count()) == 0


def test_liaisons_never_see_who_rated(visitor, new_visitor, people, period):
    rate(visitor, "150902", level="unsatisfied", reason=reason_id("内容过时"))
    voter_id = run(Rating.select(Rating.voter_id).first())["voter_id"]
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert voter_id not in liaison.get("/staff/answers").text


def test_an_empty_answer_is_refused_and_nothing_is_lost(visitor, new_visitor, people, period):
    rate(visitor, "150902", level="unsatisfied", reason=reason_id("内容过时"))
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    rating = run(Rating.select().first())
    response = liaison.post(f"/staff/answers/{rating['id']}", {"body": "   "})
    assert response.status_code == 422 and "请填写答复内容" in text_of(response.text)


def test_the_office_sees_overdue_answers_per_department(visitor, new_visitor, people, period):
    rate(visitor, "150902", level="unsatisfied", reason=reason_id("内容过时"))
    run(Rating.update({Rating.answer_due: clock.now() - timedelta(days=1)}, force=True))
    office = new_visitor()
    office.sign_in("wangmin")
    page = text_of(office.get("/staff/overdue").text)
    assert "集宁区" in page and "1 条" in page
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert "已逾期" in text_of(liaison.get("/staff/answers").text)
    liaison.post(f"/staff/answers/{run(Rating.select().first())['id']}", {"body": "迟到的答复"})
    assert "没有逾期未答复的评价" in text_of(office.get("/staff/overdue").text)


def test_each_overdue_item_links_to_its_rating_names_the_liaison_and_exports_to_xlsx(visitor, new_visitor, people,
                                                                                     period):
    rate(visitor, "150902", level="unsatisfied", reason=reason_id("内容过时"))
    rate(new_visitor(), "SZ03", level="very_unsatisfied", reason=reason_id("难以查找"))
    run(Rating.update({Rating.answer_due: clock.now() - timedelta(days=3)}, force=True))
    jining, education = [row["id"] for row in run(Rating.select(Rating.id).order_by(Rating.id))]
    office = new_visitor()
    office.sign_in("wangmin")
    html = office.get("/staff/overdue").text
    page = text_of(html)
    assert "联络员：陈静（chenjing）" in page  # 集宁区's liaison
    assert "联络员：未指定联络员" in page  # 市教育局 has none among these people
    assert f'href="/staff/criticism/{jining}"' in html and f'href="/staff/criticism/{education}"' in html

    rating = text_of(office.get(f"/staff/criticism/{jining}").text)
    assert "集宁区（150902）" in rating and "陈静（chenjing）" in rating and "内容过时" in rating
    assert "已逾期" in rating and "尚未答复" in rating

    response = office.get("/staff/overdue.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content))["逾期未答复"]
    assert [cell.value for cell in sheet[1]] == ["单位代码", "单位名称", "联络员", "评价编号", "总体评价", "原因",
                                                 "评价时间", "答复期限", "已逾期（天）"]
    rows = sorted([cell.value for cell in row] for row in sheet.iter_rows(min_row=2))
    assert [row[:6] for row in rows] == [
        ["150902", "集宁区", "陈静（chenjing）", jining, "不满意", "内容过时"],
        ["SZ03", "乌兰察布市教育局", "未指定联络员", education, "非常不满意", "难以查找"]]
    assert all(row[8] == 3 for row in rows)
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"

    # The auditor reads it too; a liaison opens only their own department's ratings.
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    assert auditor.get(f"/staff/criticism/{education}").status_code == 200
    assert auditor.get("/staff/overdue.xlsx").status_code == 200
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert liaison.get(f"/staff/criticism/{jining}").status_code == 200
    assert liaison.get(f"/staff/criticism/{education}").status_code == 404
    assert liaison.get("/staff/overdue.xlsx").status_code == 403
    assert office.get("/staff/criticism/999999").status_code == 404


def test_a_liaison_corrects_an_answer_until_the_office_has_seen_it_then_adds_a_correction(visitor, new_visitor,
                                                                                          people, period):
    rate(visitor, "150902", level="unsatisfied", reason=reason_id("内容过时"))
    rating = run(Rating.select().first())["id"]
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    liaison.post(f"/staff/answers/{rating}", {"body": "已更新栏目。"})

    # Not seen yet: the liaison edits the answer in place, audited with the old and new text.
    edited = liaison.post(f"/staff/answers/{rating}/edit", {"body": "已于本周更新规划栏目，感谢监督。"},
                          follow_redirects=False)
    assert edited.status_code == 303
    assert run(RatingAnswer.select(RatingAnswer.body).first())["body"] == "已于本周更新规划栏目，感谢监督。"
    entry = run(AuditEntry.select().where(AuditEntry.action == "rating.answer.edit").first())
    assert entry["actor"] == "chenjing" and entry["target"] == f"rating:{rating}"
    assert json.loads(entry["old_value"]) == "已更新栏目。"
    assert json.loads(entry["new_value"]) == "已于本周更新规划栏目，感谢监督。"
    early = liaison.post(f"/staff/answers/{rating}/correction", {"body": "更正"})
    assert early.status_code == 422 and "可以直接修改答复" in text_of(early.text)

    office = new_visitor()
    office.sign_in("wangmin")
    assert office.post(f"/staff/answers/{rating}/seen", follow_redirects=False).status_code == 303
    assert liaison.post(f"/staff/answers/{rating}/seen").status_code == 403  # only the office marks it seen
    seen = run(AuditEntry.select().where(AuditEntry.action == "rating.answer.seen").first())
    assert seen["actor"] == "wangmin"

    # Seen: the text stays as the office read it; the typed text is kept with the refusal.
    refused = liaison.post(f"/staff/answers/{rating}/edit", {"body": "悄悄改掉"})
    assert refused.status_code == 422 and "不能再修改" in text_of(refused.text) and "悄悄改掉" in refused.text
    assert run(RatingAnswer.select(RatingAnswer.body).first())["body"] == "已于本周更新规划栏目，感谢监督。"

    corrected = liaison.post(f"/staff/answers/{rating}/correction", {"body": "更正：栏目是规划计划，不是财政预决算。"},
                             follow_redirects=False)
    assert corrected.status_code == 303
    answered_at = run(RatingAnswer.select(RatingAnswer.answered_at).first())["answered_at"]
    public = text_of(visitor.get("/departments/150902/results").text)
    assert "已于本周更新规划栏目，感谢监督。" in public
    assert (f"更正（{clock.format_local(clock.now())[:10]}），更正 {clock.format_local(answered_at)[:10]} 的答复："
            " 更正：栏目是规划计划，不是财政预决算。") in public
    assert "更正：栏目是规划计划" in text_of(liaison.get("/staff/answers").text)
    entry = run(AuditEntry.select().where(AuditEntry.action == "rating.answer.correct").first())
    assert json.loads(entry["new_value"])["body"] == "更正：栏目是规划计划，不是财政预决算。"

    # Seen, nobody edits it in place, the office included.
    assert office.post(f"/staff/answers/{rating}/edit", {"body": "x"}).status_code == 422
