"""The office enters paper forms and survey firms' tallies: all or nothing, counted in their channel."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook

from evaluation.core import clock, working_days
from evaluation.core.tables import Account, AuditEntry
from evaluation.ratings import imports as rating_imports
from evaluation.ratings import periods
from evaluation.ratings.tables import Rating, RatingImport, RatingTally
from tests.conftest import CSRF_FIELD, Visitor, run, text_of


def upload(visitor: Visitor, filename: str, content: bytes, period: str = "2026-pj"):
    return visitor.client.post("/staff/ratings/import", data={CSRF_FIELD: visitor.csrf_token(), "period": period},
                               files={"file": (filename, content)})


def add_web_ratings(department_id: int, channel: str, level: str, n: int) -> None:
    async def insert() -> None:
        period = await periods.find("2026-pj")
        await Rating.insert(*[
            Rating(period=period.id, department=department_id, channel=channel, level=level,
                   voter_id=f"{channel}-{level}-{i}", created_at=clock.now())
            for i in range(n)
        ])

    run(insert)


TALLY = (
    "unit_code,channel,level,count\n"
    "150902,public,very_satisfied,10\n"
    "150902,panel,satisfied,6\n"
    "150902,panel,basic,4\n"
    "SZ03,公众,基本满意,3\n"
)


def test_a_tally_counts_in_its_channel_and_moves_the_public_index(office, departments, period):
    add_web_ratings(departments["150902"], "public", "satisfied", 20)
    before = text_of(office.get("/departments/150902/results").text)
    assert "样本不足" in before and "评价总数 20" in before

    response = upload(office, "调查公司汇总.csv", TALLY.encode())
    assert response.status_code == 200, text_of(response.text)
    assert "已导入 4 行汇总数据，共计 23 条评价。" in text_of(response.text)

    # 集宁区 now has 40 ratings, so the index shows (minimum sample 30), with the default
    # values 100/80/60/30/0 and weights public 0.4, panel 0.6:
    #   public: 20 web 满意 + 10 tallied 非常满意 → (20·80 + 10·100) / 30 = 2600/30 = 86.666…
    #   panel:  6 满意 + 4 基本满意             → (6·80 + 4·60) / 10  = 720/10  = 72
    #   index:  0.4 · 2600/30 + 0.6 · 72 = 34.666… + 43.2 = 77.866… → 77.87 (half up, once)
    after = text_of(office.get("/departments/150902/results").text)
    assert "满意度指数 77.87" in after
    assert "评价总数 40" in after and "公众 30" in after and "特邀评议代表 10" in after

    batch = run(RatingImport.select().first())
    wangmin = run(Account.select(Account.id).where(Account.username == "wangmin").first())["id"]
    assert (batch["filename"], batch["kind"], batch["rows"], batch["entered_by"]) == (
        "调查公司汇总.csv", "tally", 4, wangmin)
    tallies = run(RatingTally.select().order_by(RatingTally.id))
    assert [(t["channel"], t["level"], t["rating_count"]) for t in tallies] == [
        ("public", "very_satisfied", 10), ("panel", "satisfied", 6), ("panel", "basic", 4), ("public", "basic", 3)]
    assert {t["import_batch"] for t in tallies} == {batch["id"]}
    assert run(Rating.count()) == 20  # a tally is counts, not ratings: nothing to answer or moderate

    trail = run(AuditEntry.select().where(AuditEntry.action == "ratings.import"))
    assert len(trail) == 1 and trail[0]["actor"] == "wangmin" and trail[0]["target"] == "period:2026-pj"
    assert json.loads(trail[0]["new_value"]) == {"filename": "调查公司汇总.csv", "kind": "tally", "rows": 4}
    assert "调查公司汇总.csv" in text_of(office.get("/staff/ratings/import").text)


FORMS = (
    "unit_code,channel,level,reason,reason_text,comment,timeliness\n"
    "150902,public,satisfied,,,,very_satisfied\n"
    "150902,panel,不满意,内容过时,,预算表还是前年的,\n"
    "150902,Public,Very_Unsatisfied,其他,链接失效,办事指南的链接打不开,非常不满意\n"
    "SZ03,public,basic,,,,\n"
)


def test_paper_forms_are_ratings_and_a_negative_one_must_be_answered(office, departments, period, new_visitor):
    response = upload(office, "纸质问卷.csv", FORMS.encode())
    assert response.status_code == 200, text_of(response.text)
    assert "已导入 4 份纸质问卷，其中 2 份须由单位答复，2 条留言待审核。" in text_of(response.text)

    batch = run(RatingImport.select().first())
    assert (batch["kind"], batch["rows"]) == ("forms", 4)
    saved = run(Rating.select(Rating.all_columns(), Rating.reason.label).order_by(Rating.id).output(load_json=True))
    assert [(r["channel"], r["level"]) for r in saved] == [
        ("public", "satisfied"), ("panel", "unsatisfied"), ("public", "very_unsatisfied"), ("public", "basic")]
    assert all(r["source"] == "paper" and r["import_batch"] == batch["id"] for r in saved)
    assert all(r["voter_id"] is None and r["panel_code"] is None for r in saved)
    assert saved[0]["criteria"] == {"timeliness": "very_satisfied"}
    assert saved[0]["reason"] is None and saved[0]["answer_due"] is None
    assert saved[0]["comment_status"] == "none"
    assert [r["reason.label"] for r in saved[1:3]] == ["内容过时", "其他"]
    assert [r["reason_text"] for r in saved[1:3]] == ["", "链接失效"]
    assert [r["comment_status"] for r in saved[1:3]] == ["pending", "pending"]
    due = run(working_days.deadline_after(saved[1]["created_at"], 5))
    assert saved[1]["answer_due"] == due and saved[2]["answer_due"] == due

    liaison = new_visitor()
    liaison.sign_in("chenjing")  # 集宁区's liaison answers both negative forms
    answers = text_of(liaison.get("/staff/answers").text)
    assert "原因：内容过时" in answers and "原因：其他" in answers and "答复期限" in answers
    moderation = text_of(office.get("/staff/moderation").text)
    assert "预算表还是前年的" in moderation and "办事指南的链接打不开" in moderation
    # Paper forms count in the index like any other rating of their channel.
    assert "评价总数 3" in text_of(office.get("/departments/150902/results").text)


def test_a_bad_file_is_refused_whole_with_every_line_listed(office, departments, period):
    content = (
        "unit_code,channel,level,reason,comment\n"
        "150902,public,satisfied,,\n"
        "999999,public,satisfied,,\n"
        "150902,web,satisfied,,\n"
        "150902,public,good,,\n"
        "150902,public,unsatisfied,,\n"
        "150902,public,不满意,太贵了,\n"
        "150902,panel,very_unsatisfied,其他,\n"
        f"SZ03,public,satisfied,,{'很' * 1001}\n"
        "150902,public,basic,,,timeliness\n"
    )
    response = upload(office, "问卷.csv", content.encode())
    assert response.status_code == 422
    text = text_of(response.text)
    assert "文件有 7 处问题，未导入任何数据" in text
    assert "第 2 行：" not in text and "第 10 行：" not in text
    assert "第 3 行：单位代码“999999”不存在" in text
    assert "第 4 行：渠道“web”不是 public（公众）或 panel（特邀评议代表）" in text
    assert "第 5 行：评价等级“good”不是" in text
    assert "第 6 行：“不满意”或“非常不满意”须填写原因" in text
    assert "第 7 行：原因“太贵了”不在原因列表中（可选：信息未公开、内容过时、内容不完整、难以查找、其他）" in text
    assert "第 8 行：原因为“其他”时须在 reason_text 列写明具体原因" in text
    assert "第 9 行：留言超过 1000 个字" in text
    assert run(Rating.count()) == 0 and run(RatingImport.count()) == 0
    assert run(AuditEntry.count().where(AuditEntry.action == "ratings.import")) == 0


def test_a_tally_count_must_be_a_positive_whole_number_and_a_cell_appear_once(office, departments, period):
    content = (
        "unit_code,channel,level,count\n"
        "150902,public,satisfied,0\n"
        "150902,public,basic,-3\n"
        "150902,public,unsatisfied,2.5\n"
        "150902,public,very_satisfied,十\n"
        "150981,panel,satisfied,5\n"
        "150981,特邀评议代表,满意,7\n"
        ",public,satisfied,1\n"
        "SZ03,panel,unsatisfied,12345678901234567890\n"
    )
    text = text_of(upload(office, "汇总.csv", content.encode()).text)
    assert "文件有 7 处问题" in text
    for line, count in ((2, "0"), (3, "-3"), (4, "2.5"), (5, "十"), (9, "12345678901234567890")):
        assert f"第 {line} 行：数量“{count}”不是 1 到 1000000 之间的整数" in text
    assert "第 7 行：与第 6 行重复（同一单位、渠道和等级）" in text
    assert "第 8 行：单位代码为空" in text
    assert run(RatingTally.count()) == 0 and run(RatingImport.count()) == 0


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_from_excel_in_gb18030_or_utf8_with_or_without_bom_imports(office, departments, period, encoding):
    content = "unit_code,channel,level,count\r\n150981,特邀评议代表,非常满意,12\r\nSZ10,公众,不满意,2\r\n"
    response = upload(office, "汇总.csv", content.encode(encoding))
    assert response.status_code == 200, text_of(response.text)
    assert "共计 14 条评价" in text_of(response.text)
    assert run(RatingTally.count()) == 2


def test_xlsx_upload_reads_numbers_as_excel_stores_them(office, departments, period):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["unit_code", "channel", "level", "count"])
    sheet.append([150902, "public", "满意", 12])  # a code typed in Excel becomes a number
    sheet.append(["SZ03", "panel", "very_satisfied", 3.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(office, "汇总.xlsx", buffer.getvalue())
    assert response.status_code == 200, text_of(response.text)
    counts = {(t["department"], t["rating_count"]) for t in run(RatingTally.select())}
    assert counts == {(departments["150902"], 12), (departments["SZ03"], 3)}


def test_xlsx_paper_forms_with_criteria(office, departments, period):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["unit_code", "channel", "level", "reason", "comment", "accuracy", "usefulness", "rated_on"])
    sheet.append(["SZ10", "panel", "非常不满意", "难以查找", None, "不满意", None, dt.date(2026, 3, 2)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(office, "问卷.xlsx", buffer.getvalue())
    assert response.status_code == 200, text_of(response.text)
    saved = run(Rating.select().output(load_json=True).first())
    assert saved["criteria"] == {"accuracy": "unsatisfied"} and saved["answer_due"] is not None
    assert saved["comment_status"] == "none"
    assert saved["rated_on"] == dt.date(2026, 3, 2)  # a date cell of Excel reads as the date


def test_files_that_are_not_a_known_layout_are_refused_kindly(office, departments, period):
    unknown = upload(office, "x.csv", "编号,数量\n150902,3\n".encode())
    assert unknown.status_code == 422 and "无法识别文件格式" in text_of(unknown.text)
    both = upload(office, "x.csv", b"unit_code,channel,level,count,reason,comment\n")
    assert both.status_code == 422 and "无法识别文件格式" in text_of(both.text)
    empty = upload(office, "x.csv", b"unit_code,channel,level,count\n")
    assert empty.status_code == 422 and "文件中没有数据行" in text_of(empty.text)
    old_excel = upload(office, "x.xls", b"\xd0\xcf\x11\xe0 old binary workbook")
    assert old_excel.status_code == 422 and "不支持旧版 Excel" in text_of(old_excel.text)
    broken = upload(office, "x.xlsx", b"PK\x03\x04 not really a workbook")
    assert broken.status_code == 422 and "无法读取该 xlsx 文件" in text_of(broken.text)
    no_period = upload(office, "x.csv", TALLY.encode(), period="1999-pj")
    assert no_period.status_code == 422 and "请选择评议期" in text_of(no_period.text)
    no_file = office.post("/staff/ratings/import", {"period": "2026-pj"})
    assert no_file.status_code == 422 and "请选择一个 CSV 或 xlsx 文件" in text_of(no_file.text)
    assert run(RatingImport.count()) == 0


def test_only_the_office_enters_ratings(visitor, people, period):
    assert visitor.get("/staff/ratings/import", follow_redirects=False).status_code == 303  # to the sign-in page
    visitor.sign_in("zhaoli")
    assert visitor.get("/staff/ratings/import").status_code == 403
    # Sent without a file: Litestar leaves the temporary file of an upload refused by a guard to the GC.
    assert visitor.post("/staff/ratings/import", {"period": "2026-pj"}).status_code == 403
    assert visitor.get("/staff/ratings").status_code == 200  # the auditor reads and downloads
    assert run(RatingTally.count()) == 0


def test_the_command_line_takes_the_period_code_or_id(office, departments, period):
    period_id = run(periods.find("2026-pj")).id
    result = run(rating_imports.import_for_command_line("cli:wang", str(period_id), "汇总.csv", TALLY.encode()))
    assert not result.errors and result.summary() == "已导入 4 行汇总数据，共计 23 条评价。"
    assert run(RatingImport.select(RatingImport.entered_by).first())["entered_by"] is None
    # The list names who entered it as the audit trail does, not "—".
    assert "cli:wang" in text_of(office.get("/staff/ratings/import").text)
    assert run(AuditEntry.select().where(AuditEntry.action == "ratings.import").first())["actor"] == "cli:wang"
    with pytest.raises(rating_imports.RatingImportError, match="找不到评议期“2030-pj”"):
        run(rating_imports.import_for_command_line("cli:wang", "2030-pj", "汇总.csv", TALLY.encode()))


def withdraw(visitor: Visitor, import_id: int, reason: str, period: str = "2026-pj"):
    return visitor.post(f"/staff/ratings/imports/{import_id}/withdraw",
                        {"reason": reason, "period": period}, follow_redirects=False)


def test_the_same_file_twice_in_a_period_is_refused_naming_when_and_by_whom(office, departments, period):
    assert upload(office, "调查公司汇总.csv", TALLY.encode()).status_code == 200
    again = upload(office, "汇总-再次发送.csv", TALLY.encode())
    assert again.status_code == 422
    text = text_of(again.text)
    created = run(RatingImport.select(RatingImport.created_at).first())["created_at"]
    assert (f"这个文件与 {clock.format_local(created)[:16]} 由 王敏 导入本评议期的“调查公司汇总.csv”完全相同，"
            "已拒绝，以免重复计数。") in text
    assert run(RatingImport.count()) == 1 and run(RatingTally.count()) == 4
    assert "评价总数 20" in text_of(office.get("/departments/150902/results").text)
    # Another file (one line more) is another delivery: taken.
    assert upload(office, "更正.csv", (TALLY + "SZ10,public,satisfied,1\n").encode()).status_code == 200


def test_withdrawing_an_import_takes_its_ratings_out_of_every_count_at_once(office, departments, period,
                                                                            new_visitor):
    add_web_ratings(departments["150902"], "public", "satisfied", 20)
    assert upload(office, "纸质问卷.csv", FORMS.encode()).status_code == 200
    assert upload(office, "调查公司汇总.csv", TALLY.encode()).status_code == 200
    forms, tally = [row["id"] for row in run(RatingImport.select(RatingImport.id).order_by(RatingImport.id))]
    assert "评价总数 43" in text_of(office.get("/departments/150902/results").text)

    refused = withdraw(office, tally, "  ")
    assert refused.status_code == 422 and "请写明撤回的原因" in text_of(refused.text)
    assert run(RatingTally.count()) == 4

    done = withdraw(office, tally, "调查公司重复发送")
    assert done.status_code == 303
    page = text_of(office.get(done.headers["location"]).text)
    assert "已撤回“调查公司汇总.csv”，其评价已不再计入任何统计。" in page
    assert "调查公司重复发送" in page  # still listed, with its reason
    assert "评价总数 23" in text_of(office.get("/departments/150902/results").text)
    assert run(RatingTally.count()) == 0

    assert withdraw(office, forms, "问卷录错了单位").status_code == 303
    assert "评价总数 20" in text_of(office.get("/departments/150902/results").text)
    assert "办事指南的链接打不开" not in text_of(office.get("/staff/moderation").text)
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    assert "原因：内容过时" not in text_of(liaison.get("/staff/answers").text)
    assert run(Rating.count().where(Rating.import_batch == forms)) == 0
    twice = withdraw(office, forms, "再撤一次")
    assert twice.status_code == 422 and "这次导入已经撤回" in text_of(twice.text)

    trail = run(AuditEntry.select().where(AuditEntry.action == "ratings.import.withdraw").order_by(AuditEntry.id))
    assert [(row["actor"], row["target"]) for row in trail] == [("wangmin", "period:2026-pj")] * 2
    assert json.loads(trail[0]["old_value"]) == {"import": tally, "filename": "调查公司汇总.csv", "kind": "tally",
                                                 "rows": 4, "ratings": 23}
    assert json.loads(trail[1]["new_value"]) == {"withdrawn": True, "reason": "问卷录错了单位"}
    # Withdrawn, the same file may be entered again: it is then counted once.
    assert upload(office, "调查公司汇总.csv", TALLY.encode()).status_code == 200


def test_only_the_office_withdraws_an_import(office, visitor, departments, period):
    upload(office, "调查公司汇总.csv", TALLY.encode())
    batch = run(RatingImport.select(RatingImport.id).first())["id"]
    visitor.sign_in("zhaoli")
    assert withdraw(visitor, batch, "审计员试一试").status_code == 403
    assert "撤回原因" not in text_of(visitor.get("/staff/ratings").text)
    assert run(RatingTally.count()) == 4


def test_paper_forms_follow_the_web_forms_rules_and_keep_their_own_date(office, departments, period):
    content = (
        "unit_code,channel,level,reason,reason_text,comment,rated_on\n"
        "150902,public,不满意,其他,,网站打不开,2026-03-02\n"
        f"150902,public,不满意,内容过时,{'长' * 501},,\n"
        "150902,public,满意,,,,2026/03/02\n"
        "150902,public,满意,,,,2099-01-01\n"
    )
    text = text_of(upload(office, "问卷.csv", content.encode()).text)
    assert "文件有 4 处问题" in text
    assert "第 2 行：原因为“其他”时须在 reason_text 列写明具体原因" in text
    assert "第 3 行：原因说明超过 500 个字" in text
    assert "第 4 行：填表日期“2026/03/02”不是 YYYY-MM-DD 格式的日期" in text
    assert "第 5 行：填表日期“2099-01-01”晚于今天" in text

    good = (
        "unit_code,channel,level,reason,reason_text,comment,rated_on\n"
        "150902,public,不满意,其他,网站打不开,,2026-03-02\n"
        "150902,public,满意,缺,写了也不算,,\n"
    )
    assert upload(office, "问卷.csv", good.encode()).status_code == 200
    negative, positive = run(Rating.select().order_by(Rating.id))
    assert negative["rated_on"].isoformat() == "2026-03-02" and negative["reason_text"] == "网站打不开"
    # The department first sees the form when it is entered: its deadline runs from then.
    assert negative["answer_due"] == run(working_days.deadline_after(negative["created_at"], 5))
    assert positive["rated_on"] is None and positive["reason"] is None and positive["reason_text"] == ""
