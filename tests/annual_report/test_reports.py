"""Writing a department's annual report: who reads and writes which report, the text sections with
the platform's ready sentences, submitting (only when every check passes), the lock, the office
returning a report with a reason, and the audit trail of every change.

陈静 is the liaison of 集宁区 (150902); 王敏 the office; 赵立 the auditor; 李强 an inspector."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import cli
from evaluation.core.tables import AuditEntry
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.tables import AnnualReport, ReportFigure, ReportText
from inspections.rankings import snapshots
from tests.annual_report.conftest import (
    TEXTS,
    form_of,
    report_figures,
    report_row,
    stored_figures,
    t3_figures,
    write_report,
)
from tests.conftest import add_ratings, empty_database, run, text_of
from tests.rankings.test_rankings import FENGZHEN, FULL, fill, use_period

JINING = "/staff/reports/2026/units/150902"
FENGZHEN_REPORT = "/staff/reports/2026/units/150981"


@pytest.fixture
def liaison(visitor, people):
    visitor.sign_in("chenjing")
    return visitor


def audit_rows(action: str) -> list[dict]:
    rows = run(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))
    return [{**row, "old": json.loads(row["old_value"]) if row["old_value"] else None,
             "new": json.loads(row["new_value"]) if row["new_value"] else None} for row in rows]


def write_everything(visitor, path: str = JINING, figures=None) -> None:
    """Every text section and every table of the report, through its forms."""
    figures = figures or report_figures()
    for section, body in TEXTS.items():
        assert visitor.post(f"{path}/sections/{section}", {"body": body}, follow_redirects=False).status_code == 303
    for section in FORMAT.table_sections:
        fields = {}
        for table in section.tables:
            fields.update(form_of(figures, table.code))
        assert visitor.post(f"{path}/sections/{section.code}", fields, follow_redirects=False).status_code == 303


def test_a_liaison_reads_and_writes_only_their_own_departments_report(liaison):
    assert liaison.get(JINING).status_code == 200
    for path in (FENGZHEN_REPORT, "/staff/reports/2026/city", "/staff/reports/2026/units/nope"):
        assert liaison.get(path).status_code == 404
        assert liaison.post(f"{path}/sections/S1", {"body": "试图修改"}).status_code == 404
        assert liaison.post(f"{path}/submit").status_code == 404
    assert report_row(2026, "150981") is None and report_row(2026, None) is None
    page = text_of(liaison.get("/staff/reports").text)
    assert "本单位年度报告" in page and "集宁区2026年政府信息公开工作年度报告" in page and "尚未开始" in page


def test_the_auditor_reads_every_report_and_changes_nothing(liaison, new_visitor):
    liaison.post(f"{JINING}/sections/S1", {"body": TEXTS["S1"]})
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    page = auditor.get(f"{JINING}/sections/S1")
    assert TEXTS["S1"] in page.text and "您只能查看这份报告。" in text_of(page.text)
    assert "readonly" in page.text and "插入" not in text_of(page.text)
    assert 'disabled' in auditor.get(f"{JINING}/sections/S3").text
    response = auditor.post(f"{JINING}/sections/S1", {"body": "审计改的"})
    assert response.status_code == 403
    assert auditor.post(f"{JINING}/submit").status_code == 403
    assert auditor.post(f"{JINING}/return", {"reason": "不行"}).status_code == 403
    assert auditor.get("/staff/reports/2026/city").status_code == 200
    assert len(audit_rows("annual_report.text")) == 1


def test_inspectors_have_no_annual_reports(new_visitor, people):
    inspector = new_visitor()
    inspector.sign_in("liqiang")
    assert inspector.get("/staff/reports").status_code == 403
    assert inspector.get(JINING).status_code == 403


def test_a_text_section_is_saved_and_every_change_is_audited(liaison):
    response = liaison.post(f"{JINING}/sections/S1", {"body": "第一稿"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{JINING}/sections/S1?saved=1"
    liaison.post(f"{JINING}/sections/S1", {"body": "第二稿\r\n第二段"})
    liaison.post(f"{JINING}/sections/S1", {"body": "第二稿\n第二段"})  # the same text: nothing to record
    page = liaison.get(f"{JINING}/sections/S1?saved=1")
    assert "已保存。" in text_of(page.text) and "第二稿\n第二段</textarea>" in page.text
    rows = audit_rows("annual_report.text")
    assert [(row["actor"], row["target"], row["old"], row["new"]) for row in rows] == [
        ("chenjing", "annual-report:2026:150902", None, {"S1": "第一稿"}),
        ("chenjing", "annual-report:2026:150902", {"S1": "第一稿"}, {"S1": "第二稿\n第二段"}),
    ]
    assert report_row(2026, "150902")["status"] == "draft"


def test_changed_cells_are_audited_one_by_one(liaison):
    liaison.post(f"{JINING}/sections/S3", form_of(t3_figures(), "T3"))
    changed = t3_figures()
    changed[("T3", "R3_1", "A1")] += 1
    changed[("T3", "R3_2", "A1")] -= 1
    liaison.post(f"{JINING}/sections/S3", form_of(changed, "T3"))
    rows = audit_rows("annual_report.figures")
    assert len(rows) == 2
    assert len(rows[0]["new"]) == 175 and rows[0]["new"]["T3 R1 A1"] == "64"
    assert rows[1]["old"] == {"T3 R3_1 A1": "30", "T3 R3_2 A1": "6"}
    assert rows[1]["new"] == {"T3 R3_1 A1": "31", "T3 R3_2 A1": "5"}
    assert stored_figures(2026, "150902")[("T3", "R3_1", "A1")] == 31


def test_htmx_swaps_the_section_in_place(liaison):
    response = liaison.post(f"{JINING}/sections/S3", form_of(t3_figures(), "T3"),
                            headers={"HX-Request": "true", "HX-Target": "report-section"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="report-section"') and "<html" not in response.text
    assert "已保存。" in text_of(response.text) and "HX-Request" in response.headers["vary"]
    bad = form_of(t3_figures(), "T3")
    bad["T3-R1-A1"] = "六十四"
    response = liaison.post(f"{JINING}/sections/S3", bad,
                            headers={"HX-Request": "true", "HX-Target": "report-section"})
    assert response.status_code == 422 and "本次未保存" in text_of(response.text)


@pytest.fixture
def published_2026(inspection, departments, period):
    """Round 2026-kh published: 集宁区 first of the 旗县市区 (97 + 15.20 + 3 = 115.20, 优秀), 丰镇市
    second (also 优秀); period 2026-pj gives 集宁区 40 ratings (index 76.00: public 100, panel 60,
    weighed 0.4 / 0.6) and 丰镇市 10, below the minimum sample."""
    use_period(convert=False)
    add_ratings(departments["150902"], "public", "very_satisfied", 20)
    add_ratings(departments["150902"], "panel", "basic", 20)
    add_ratings(departments["150981"], "public", "satisfied", 10)
    fill(inspection, "150902", FULL)
    fill(inspection, "150981", FENGZHEN)
    return run(snapshots.publish("wangmin", "2026-kh", title="关于2026年度政务公开工作考核结果的通报"))


def test_the_platforms_own_figures_are_offered_as_ready_sentences(liaison, published_2026):
    page = text_of(liaison.get(f"{JINING}/sections/S1").text)
    assert "平台数据：可直接插入的语句" in page
    assert ("社会评议 2026年度社会评议期间，本单位共收到评价 40 条（公众 20 条，特邀评议代表 20 条），"
            "满意度指数为 76.00。") in page
    assert ("考核结果 在2026年度政务公开考核中，本单位总分 115.20 分，在旗县市区中排名第 1，考核等次为优秀，"
            "被评为先进集体，在关于2026年度政务公开工作考核结果的通报中予以通报表扬。") in page


def test_inserting_a_sentence_keeps_what_was_typed_and_adds_it_at_the_end(liaison, published_2026):
    response = liaison.post(f"{JINING}/sections/S1", {"body": "本年度工作概况。", "insert": "ratings-1"})
    assert response.status_code == 200
    body = run(AnnualReport.select(AnnualReport.id).first())
    assert body is not None
    text = audit_rows("annual_report.text")[-1]["new"]["S1"]
    assert text.startswith("本年度工作概况。\n2026年度社会评议期间，本单位共收到评价 40 条")
    assert text in response.text.replace("&amp;", "&")
    liaison.post(f"{JINING}/sections/S1", {"body": text, "insert": "nope-9"})  # no such sentence: saved as typed
    assert audit_rows("annual_report.text")[-1]["new"]["S1"] == text


def test_a_below_sample_unit_and_a_year_without_a_ranking_are_said_plainly(new_visitor, published_2026, people):
    fengzhen = new_visitor()
    run(_liaison_of_fengzhen())
    fengzhen.sign_in("wangli")
    page = text_of(fengzhen.get(f"{FENGZHEN_REPORT}/sections/S5").text)
    assert ("本单位共收到评价 10 条（公众 10 条，特邀评议代表 0 条），"
            "评价数未达到最低样本量（30 条），未得出满意度指数。") in page
    assert "在旗县市区中排名第 2" in page
    assert "平台数据" not in text_of(fengzhen.get("/staff/reports/2025/units/150981/sections/S1").text)


async def _liaison_of_fengzhen() -> None:
    from evaluation.core.tables import Department, Role
    from tests.conftest import add_account

    department = await Department.select(Department.id).where(Department.code == "150981").first()
    await add_account("wangli", Role.liaison, "王丽", department_id=department["id"])


def test_the_citys_sentences_speak_of_every_unit(office, published_2026):
    page = text_of(office.get("/staff/reports/2026/city/sections/S1").text)
    assert ("2026年度社会评议期间，群众和特邀评议代表通过平台对 2 个单位作出评价 50 条，"
            "其中 1 个单位的评价数达到最低样本量（30 条），得出满意度指数。") in page
    assert ("公布了2026年度政务公开考核结果：2 个单位参加排名，2 个单位获评优秀并予以通报表扬，"
            "0 个单位为不合格、被要求限期整改。") in page


def test_a_report_is_submitted_only_when_every_check_passes_and_every_section_is_written(liaison):
    figures = report_figures()
    figures[("T3", "R3_7", "A1")] = Decimal(60)
    liaison.post(f"{JINING}/sections/S3", form_of(figures, "T3"))
    liaison.post(f"{JINING}/sections/S1", {"body": TEXTS["S1"]})
    response = liaison.post(f"{JINING}/submit")
    assert response.status_code == 422
    page = text_of(response.text)
    assert "报告未通过检查，不能提交：" in page
    assert "T3 R3_7 A1: 60 ≠ 62" in page and "T3 R1+R2 A1: 67 ≠ 65 (R3_7+R4)" in page
    assert "以下部分尚未填写：五、存在的主要问题及改进情况、六、其他需要报告的事项" in page
    assert report_row(2026, "150902")["status"] == "draft" and not audit_rows("annual_report.submit")

    write_everything(liaison)
    response = liaison.post(f"{JINING}/submit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{JINING}?done=submitted"
    row = report_row(2026, "150902")
    assert row["status"] == "submitted" and row["submitted_by"] == "chenjing"
    # The cells left empty are written as 0: the submitted report is complete.
    stored = stored_figures(2026, "150902")
    assert len(stored) == len(FORMAT.cells()) == 200
    assert stored[("T2a", "R1", "C2")] == 0 and stored[("T2d", "R1", "C2")] == Decimal("12.35")
    submitted = audit_rows("annual_report.submit")
    assert [(row["actor"], row["new"]) for row in submitted] == [
        ("chenjing", {"status": "submitted", "late": False, "zeros_written": 200 - len(report_figures())})]
    assert "报告已提交。" in text_of(liaison.get(f"{JINING}?done=submitted").text)


def test_a_submitted_report_is_locked_even_to_the_database(liaison, office):
    write_everything(liaison)
    liaison.post(f"{JINING}/submit")
    response = liaison.post(f"{JINING}/sections/S1", {"body": "提交以后再改"})
    assert response.status_code == 409 and "该报告已提交，不能再修改" in text_of(response.text)
    assert office.post(f"{JINING}/sections/S3", form_of(t3_figures(), "T3")).status_code == 409
    assert liaison.post(f"{JINING}/submit").status_code == 409
    page = liaison.get(f"{JINING}/sections/S3").text
    assert "报告已提交，不能再修改" in text_of(page) and "保存并检查" not in text_of(page)
    with pytest.raises(Exception, match="submitted annual report cannot be changed"):
        run(ReportFigure.update({ReportFigure.value: Decimal(1)}).where(ReportFigure.table_code == "T4"))
    with pytest.raises(Exception, match="submitted annual report cannot be changed"):
        run(ReportFigure.delete().where(ReportFigure.table_code == "T4"))
    assert audit_rows("annual_report.text")[-1]["new"] == {"S6": TEXTS["S6"]}


def test_the_office_returns_a_submitted_report_with_a_reason_and_it_can_be_written_again(liaison, new_visitor):
    write_everything(liaison)
    liaison.post(f"{JINING}/submit")
    assert liaison.post(f"{JINING}/return", {"reason": "自己退回"}).status_code == 403
    office = new_visitor()
    office.sign_in("wangmin")
    refused = office.post(f"{JINING}/return", {"reason": "  "})
    assert refused.status_code == 422 and "请说明退回的理由。" in text_of(refused.text)
    response = office.post(f"{JINING}/return", {"reason": "总体情况未写社会评议结果，请补充后重新提交。"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert report_row(2026, "150902")["status"] == "returned"
    page = text_of(liaison.get(JINING).text)
    assert "已退回" in page and "理由：总体情况未写社会评议结果，请补充后重新提交。" in page
    assert [(row["actor"], row["new"]) for row in audit_rows("annual_report.return")] == [
        ("wangmin", {"status": "returned", "reason": "总体情况未写社会评议结果，请补充后重新提交。"})]
    assert office.post(f"{JINING}/return", {"reason": "再退一次"}).status_code == 422
    liaison.post(f"{JINING}/sections/S1", {"body": TEXTS["S1"] + "\n社会评议满意度指数为 80。"})
    assert liaison.post(f"{JINING}/submit", follow_redirects=False).status_code == 303
    assert report_row(2026, "150902")["status"] == "submitted"


def test_a_draft_is_not_public_and_a_submitted_report_is(liaison, new_visitor):
    citizen = new_visitor()
    write_everything(liaison)
    for path in ("/annual-reports/2026/units/150902", "/annual-reports/2026/units/150902/report.xlsx",
                 "/open-data/annual-reports/2026/units/150902/statistics.json",
                 "/open-data/annual-reports/2026/units/150902/statistics.csv", "/annual-reports/2026"):
        assert citizen.get(path).status_code == 404, path
    draft = liaison.get("/annual-reports/2026/units/150902")
    assert draft.status_code == 200 and "草稿：本报告尚未提交" in text_of(draft.text)
    assert liaison.get("/open-data/annual-reports/2026/units/150902/statistics.json").status_code == 404
    liaison.post(f"{JINING}/submit")
    page = citizen.get("/annual-reports/2026/units/150902")
    assert page.status_code == 200 and "草稿" not in text_of(page.text)
    assert "集宁区2026年政府信息公开工作年度报告" in text_of(page.text)
    assert citizen.get("/annual-reports/2026/units/150902/report.xlsx").status_code == 200
    listed = text_of(citizen.get("/annual-reports/2026").text)
    assert "集宁区" in listed


def test_the_report_speaks_the_readers_language(liaison):
    liaison.post(f"{JINING}/sections/S3", form_of(t3_figures(), "T3"))
    liaison.client.cookies.set("lang", "en")
    page = text_of(liaison.get(JINING).text)
    assert "集宁区: Annual Report on Government Information Disclosure, 2026" in page
    assert "Deadline by 31/1/2027, 24:00" in page and "Every check of the statistics tables passes." in page
    # The format's own words (its tables and rows) are the statutory Chinese text.
    assert "三、收到和处理政府信息公开申请情况" in page


def test_a_submitted_report_survives_a_backup_and_restore_as_it_was(people, tmp_path, capsys):
    write_report(2026, "150902", report_figures(), TEXTS, status="submitted")
    before = stored_figures(2026, "150902")
    archive = tmp_path / "backup.tar.gz"
    assert cli.main(["backup", str(archive)]) == 0
    run(empty_database)
    assert cli.main(["restore", str(archive)]) == 0, capsys.readouterr().err
    assert report_row(2026, "150902")["status"] == "submitted"
    assert stored_figures(2026, "150902") == before and len(before) == 200
    # Still locked: a new cell collides with the one it has, an old one cannot change.
    with pytest.raises(Exception, match="UNIQUE|unique|duplicate"):
        run(ReportFigure.insert(ReportFigure(report=report_row(2026, "150902")["id"], table_code="T4",
                                             row_code="R1", column_code="F_1", value=Decimal(9))))
    with pytest.raises(Exception, match="submitted annual report cannot be changed"):
        run(ReportText.update({ReportText.body: "改了"}).where(ReportText.section == "S1"))


async def _interviews_of_2026(departments: dict[str, int]) -> None:
    """Two interviews held in 2026 by 集宁区 (one with two published questions, one answered), one of
    丰镇市, one of 集宁区 cancelled and one in 2025: only the held ones of the year count."""
    import datetime as dt

    from evaluation.core import clock
    from evaluation.interviews.tables import Answer, Interview, Person, Question

    now = clock.now()
    host = (await Person.insert(Person(name="主持人", created_at=now)).returning(Person.id))[0]["id"]

    async def held(code: str, department: str, day: dt.date, topic: str, *, cancelled: bool = False) -> int:
        starts = dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=clock.SHANGHAI)
        row = Interview(code=code, topic=topic, department=departments[department], host=host, starts_at=starts,
                        ends_at=starts + dt.timedelta(hours=1), status="archived", created_at=now, updated_at=now,
                        cancelled_at=now if cancelled else None)
        return (await Interview.insert(row).returning(Interview.id))[0]["id"]

    first = await held("jn-1", "150902", dt.date(2026, 3, 10), "优化营商环境")
    await held("jn-2", "150902", dt.date(2026, 9, 1), "教育惠民政策")
    await held("fz-1", "150981", dt.date(2026, 5, 5), "乡村振兴")
    await held("jn-x", "150902", dt.date(2026, 6, 1), "取消的访谈", cancelled=True)
    await held("jn-0", "150902", dt.date(2025, 12, 31), "去年的访谈")
    questions = []
    for body, status in (("问一", "approved"), ("问二", "approved"), ("问三", "rejected")):
        questions.append((await Question.insert(Question(interview=first, body=body, status=status,
                                                         created_at=now)).returning(Question.id))[0]["id"])
    await Answer.insert(Answer(question=questions[0], body="答一", answered_at=now))


def test_the_years_interviews_are_offered_as_a_ready_sentence(liaison, office, departments):
    run(_interviews_of_2026(departments))
    page = text_of(liaison.get(f"{JINING}/sections/S1").text)
    assert ("线上访谈 2026年，本单位负责人参加线上访谈 2 场，围绕“优化营商环境”、“教育惠民政策”与网民交流，"
            "公开网民提问 2 条、答复 1 条。") in page
    city = text_of(office.get("/staff/reports/2026/city/sections/S1").text)
    assert "2026年，平台举办线上访谈 3 场，2 个单位负责人走进访谈" in city
    assert "取消的访谈" not in page and "去年的访谈" not in page


async def _surveys_of_2026(departments: dict[str, int]) -> None:
    """Two surveys of 集宁区 open in 2026 (one from 2025 into 2026) with 3 responses in 2026 and one
    in 2025, one of the city without a department, one of 集宁区 that closed in 2025."""
    import datetime as dt

    from evaluation.core import clock
    from evaluation.surveys.tables import Survey, SurveyResponse

    def at(year: int, month: int, day: int) -> dt.datetime:
        return dt.datetime(year, month, day, tzinfo=clock.SHANGHAI)

    async def survey(code: str, title: str, opens: dt.datetime, closes: dt.datetime, department: str | None,
                     answered: list[dt.datetime]) -> None:
        row = Survey(code=code, title=title, opens_at=opens, closes_at=closes, created_at=clock.now(),
                     department=departments[department] if department else None)
        await Survey.insert(row)
        for number, moment in enumerate(answered):
            await SurveyResponse.insert(SurveyResponse(survey=row.id, voter_id=f"{code}-{number}", answers={},
                                                       created_at=moment))

    await survey("jn-a", "营商环境满意度调查", at(2025, 12, 1), at(2026, 1, 31), "150902",
                 [at(2025, 12, 20), at(2026, 1, 5)])
    await survey("jn-b", "办事指南意见征集", at(2026, 6, 1), at(2026, 7, 1), "150902", [at(2026, 6, 2), at(2026, 6, 3)])
    await survey("city", "政务公开满意度调查", at(2026, 3, 1), at(2026, 4, 1), None, [at(2026, 3, 2)])
    await survey("jn-old", "去年的调查", at(2025, 3, 1), at(2025, 4, 1), "150902", [at(2025, 3, 2)])


def test_the_years_surveys_are_offered_as_a_ready_sentence(liaison, office, departments):
    run(_surveys_of_2026(departments))
    page = text_of(liaison.get(f"{JINING}/sections/S1").text)
    assert ("网上调查 2026年，本单位开展网上调查 2 项（“营商环境满意度调查”、“办事指南意见征集”），"
            "收到答卷 3 份。") in page
    assert "去年的调查" not in page
    city = text_of(office.get("/staff/reports/2026/city/sections/S1").text)
    assert "2026年，平台开展网上调查 3 项" in city and "收到答卷 4 份" in city
