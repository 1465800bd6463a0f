"""Scores of teams that scored on paper, entered in bulk by the office (web upload) or from the
command line: all values or none, every problem listed by row, each value written and audited as
a save would be, notes left as they were."""

from __future__ import annotations

import io
import json
import threading
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

import cli
import piccolo_conf
from evaluation.core import database
from evaluation.core.console import actor
from evaluation.core.tables import Account, AuditEntry, DepartmentGroup
from inspections.tables import Checklist, ChecklistAnswer, ChecklistStatus, InspectionRound
from tests.conftest import CSRF_FIELD, Visitor, add_department, run, text_of
from tests.inspections.conftest import Inspection, sample_rows, use_point_step

JINING = "150902"
FENGZHEN = "150981"


def paper_scores() -> dict[str, str]:
    """集宁区's paper sheet: full marks on score and bonus items, 2 occurrences on C8, no veto."""
    values = {}
    for row in sample_rows():
        if not row["parent_code"]:
            continue
        values[row["code"]] = {"deduct": "2", "veto": "0"}.get(row["kind"], row["max_points"])
    return values


def csv_of(lines: list[tuple[str, str, str]]) -> bytes:
    return ("unit_code,indicator_code,value\n" + "".join(f"{u},{i},{v}\n" for u, i, v in lines)).encode()


def upload(visitor: Visitor, content: bytes, filename: str = "纸质评分.csv", round_code: str = "2026-kh") -> Any:
    return visitor.client.post(f"/staff/rounds/{round_code}/scores", data={CSRF_FIELD: visitor.csrf_token()},
                               files={"file": (filename, content)})


def answers(inspection: Inspection, department: str) -> dict[str, dict[str, Any]]:
    rows = run(ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.value, ChecklistAnswer.note,
                                      ChecklistAnswer.version, ChecklistAnswer.answered_by)
               .where(ChecklistAnswer.checklist == inspection.checklists[department]))
    by_id = {row["id"]: row for row in rows}
    return {code: by_id[inspection.answers[(department, code)]] for code in inspection.items}


def status_of(inspection: Inspection, department: str) -> str:
    return run(Checklist.select(Checklist.status).where(Checklist.id == inspection.checklists[department]).first())[
        "status"]


def set_status(inspection: Inspection, department: str, status: ChecklistStatus) -> None:
    run(Checklist.update({Checklist.status: status.value}).where(Checklist.id == inspection.checklists[department]))


def audit_of(action: str) -> list[dict[str, Any]]:
    return run(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def test_a_clean_file_writes_every_value_as_a_save_would_and_answers_per_unit(office, inspection):
    run(ChecklistAnswer.update({ChecklistAnswer.note: "原件存档于政务公开办"})
        .where(ChecklistAnswer.id == inspection.answers[(JINING, "C1")]))
    lines = [(JINING, code, value) for code, value in paper_scores().items()]
    lines += [(FENGZHEN, "A1", "1.5"), (FENGZHEN, "C8", "0"), (FENGZHEN, "V1", "1")]
    response = upload(office, csv_of(lines))
    assert response.status_code == 200, text_of(response.text)
    page = text_of(response.text)
    assert "已导入 22 个分值。" in page
    assert "集宁区 150902 19" in page and "丰镇市 150981 3" in page

    wangmin = run(Account.select(Account.id).where(Account.username == "wangmin").first())["id"]
    jining = answers(inspection, JINING)
    assert {code: row["value"] for code, row in jining.items()} == {
        code: Decimal(value) for code, value in paper_scores().items()}
    assert all(row["version"] == 1 and row["answered_by"] == wangmin for row in jining.values())
    assert jining["C1"]["note"] == "原件存档于政务公开办" and jining["A1"]["note"] == ""
    fengzhen = answers(inspection, FENGZHEN)
    assert (fengzhen["A1"]["value"], fengzhen["C8"]["value"], fengzhen["V1"]["value"]) == (
        Decimal("1.5"), Decimal("0"), Decimal("1"))
    assert fengzhen["A2"]["value"] is None and fengzhen["A2"]["version"] == 0
    assert status_of(inspection, JINING) == status_of(inspection, FENGZHEN) == "in_progress"

    answered = audit_of("checklist.answer")
    assert len(answered) == 22 and {entry["actor"] for entry in answered} == {"wangmin"}
    c1 = next(e for e in answered if e["target"] == f"checklist:{inspection.checklists[JINING]}:C1")
    assert json.loads(c1["old_value"]) == {"value": None, "note": "原件存档于政务公开办"}
    assert json.loads(c1["new_value"]) == {"value": "25", "note": "原件存档于政务公开办"}
    [summary] = audit_of("scores.import")
    assert summary["target"] == "round:2026-kh"
    assert json.loads(summary["new_value"])["units"] == {JINING: 19, FENGZHEN: 3}

    # The team's page shows the imported score.
    office.get("/")  # nothing else needed: the office sees every checklist
    checklist = text_of(office.get(f"/inspect/checklists/{inspection.checklists[JINING]}").text)
    assert "19 / 19" in checklist


def test_a_bad_file_is_refused_whole_with_every_problem_listed_by_row(office, inspection):
    set_status(inspection, FENGZHEN, ChecklistStatus.submitted)
    lines = [
        (JINING, "A1", "2"),          # 2: fine
        ("999999", "A2", "1"),        # 3: unknown unit
        ("SZ03", "A2", "1"),          # 4: not covered by the round
        (JINING, "Z9", "1"),          # 5: unknown indicator
        (JINING, "A", "6"),           # 6: a category
        (JINING, "A2", "1.3"),        # 7: not a step of 0.5
        (JINING, "A3", "3"),          # 8: over the item's max
        (JINING, "C8", "1.5"),        # 9: occurrences are whole
        (JINING, "V1", "2"),          # 10: veto is 1 or 0
        (JINING, "B1", ""),           # 11: no value
        (JINING, "A1", "1"),          # 12: the same unit and item again
        (FENGZHEN, "A1", "1"),        # 13: submitted
        ("", "", "1"),                # 14: nothing to go on
    ]
    response = upload(office, csv_of(lines))
    assert response.status_code == 422
    page = text_of(response.text)
    assert "文件有 12 处问题，未导入任何分值" in page
    for expected in (
        "第 3 行：单位代码“999999”不存在",
        "第 4 行：乌兰察布市教育局（SZ03）不在本考核批次的范围内",
        "第 5 行：指标代码“Z9”不在本批次的指标体系中",
        "第 6 行：“A”是类目，不能直接打分，请填写其下的指标代码",
        "第 7 行：A2 的 value“1.3”无效：得分须在 0 到 2 分之间，以 0.5 分为单位",
        "第 8 行：A3 的 value“3”无效：得分须在 0 到 2 分之间",
        "第 9 行：C8 的 value“1.5”无效：扣分次数须为 0 到 999 之间的整数",
        "第 10 行：V1 的 value“2”无效：单项否决只能填 1（触发）或 0（未触发）",
        "第 11 行：value 为空",
        "第 12 行：与第 2 行重复（同一单位和指标）",
        "第 13 行：丰镇市（150981）的考核清单已提交，不能导入",
        "第 14 行：unit_code 为空；indicator_code 为空",
    ):
        assert expected in page, expected
    assert "第 2 行" not in page.split("第 12 行")[0]
    assert all(row["version"] == 0 for row in answers(inspection, JINING).values())
    assert audit_of("checklist.answer") == [] and audit_of("scores.import") == []


def test_an_approved_checklist_is_refused_and_a_returned_one_stays_returned(office, inspection):
    set_status(inspection, JINING, ChecklistStatus.approved)
    refused = upload(office, csv_of([(JINING, "A1", "2")]))
    assert refused.status_code == 422
    assert "第 2 行：集宁区（150902）的考核清单已审定，不能导入" in text_of(refused.text)
    set_status(inspection, JINING, ChecklistStatus.returned)
    assert upload(office, csv_of([(JINING, "A1", "2")])).status_code == 200
    assert status_of(inspection, JINING) == "returned"  # still with the team, now with the value


def test_the_command_line_takes_an_xlsx_and_the_round_by_id(inspection, tmp_path, capsys):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["unit_code", "indicator_code", "value"])
    sheet.append([150902, "A1", 1.5])  # Excel stores codes and points as numbers
    sheet.append([150902, "C8", 3])
    sheet.append(["150981", "J1", "2.5"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "纸质评分.xlsx"
    path.write_bytes(buffer.getvalue())

    assert cli.main(["scores", "import", str(inspection.round_id), str(path)]) == 0
    out = capsys.readouterr().out
    assert "150902 集宁区: 2" in out and "150981 丰镇市: 1" in out and "imported: 3 values, 2 units (2026-kh)" in out
    jining = answers(inspection, JINING)
    assert (jining["A1"]["value"], jining["C8"]["value"]) == (Decimal("1.5"), Decimal("3"))
    assert jining["A1"]["answered_by"] is None
    assert answers(inspection, FENGZHEN)["J1"]["value"] == Decimal("2.5")
    assert {entry["actor"] for entry in audit_of("checklist.answer")} == {actor()}
    assert audit_of("scores.import")[0]["actor"] == actor()


def test_the_command_line_lists_every_problem_and_imports_nothing(inspection, tmp_path, capsys):
    path = tmp_path / "scores.csv"
    path.write_bytes(csv_of([(JINING, "A1", "9"), (JINING, "Q1", "1")]))
    assert cli.main(["scores", "import", "2026-kh", str(path)]) == 1
    err = capsys.readouterr().err
    assert "第 2 行：A1 的 value“9”无效" in err and "第 3 行：指标代码“Q1”不在本批次的指标体系中" in err
    assert "2 处问题，未导入任何分值" in err
    assert cli.main(["scores", "import", "2099-kh", str(path)]) == 1
    assert "找不到考核批次“2099-kh”" in capsys.readouterr().err
    assert cli.main(["scores", "import", "2026-kh", str(tmp_path / "missing.csv")]) == 1
    assert audit_of("checklist.answer") == []


def test_a_round_that_is_not_open_takes_no_scores(office, inspection, tmp_path, capsys):
    run(InspectionRound.update({InspectionRound.status: "closed"}).where(InspectionRound.id == inspection.round_id))
    page = office.get("/staff/rounds/2026-kh/scores")
    assert page.status_code == 200 and "只有进行中的考核批次可以导入分值。" in text_of(page.text)
    refused = upload(office, csv_of([(JINING, "A1", "2")]))
    assert refused.status_code == 422
    assert "考核批次“2026-kh”已结束，只有进行中的批次可以导入分值。" in text_of(refused.text)
    path = tmp_path / "scores.csv"
    path.write_bytes(csv_of([(JINING, "A1", "2")]))
    assert cli.main(["scores", "import", "2026-kh", str(path)]) == 1
    assert "已结束" in capsys.readouterr().err
    assert audit_of("checklist.answer") == []


def test_files_that_are_not_score_tables_are_refused_in_one_message(office, inspection):
    wrong = upload(office, b"unit_code,channel,level,count\n150902,public,satisfied,3\n")
    assert wrong.status_code == 422
    assert "缺少列：indicator_code, value。第一行必须是 unit_code,indicator_code,value。" in text_of(wrong.text)
    old_excel = upload(office, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, filename="scores.xls")
    assert old_excel.status_code == 422 and "不支持旧版 Excel" in text_of(old_excel.text)
    empty = upload(office, b"unit_code,indicator_code,value\n")
    assert empty.status_code == 422 and "文件中没有数据行" in text_of(empty.text)
    no_file = office.client.post("/staff/rounds/2026-kh/scores", data={CSRF_FIELD: office.csrf_token()})
    assert no_file.status_code == 422 and "请选择一个 CSV 或 xlsx 文件" in text_of(no_file.text)


def test_the_upload_page_is_the_offices(new_visitor, inspection):
    inspector = new_visitor()
    inspector.sign_in("liqiang")
    assert inspector.get("/staff/rounds/2026-kh/scores").status_code == 403
    # Sent without a file: Litestar leaves the temporary file of an upload refused by a guard to the GC.
    assert inspector.post("/staff/rounds/2026-kh/scores", {}).status_code == 403
    office = new_visitor()
    office.sign_in("wangmin")
    assert office.get("/staff/rounds/2099-kh/scores").status_code == 404
    form = office.get("/staff/rounds/2026-kh/scores")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert answers(inspection, JINING)["A1"]["version"] == 0


def test_an_import_and_a_submission_at_the_same_time_never_both_change_a_submitted_checklist(new_visitor, inspection):
    lines = [(JINING, code, value) for code, value in paper_scores().items()]
    run(ChecklistAnswer.update({ChecklistAnswer.value: Decimal("0"), ChecklistAnswer.version: 1})
        .where(ChecklistAnswer.checklist == inspection.checklists[JINING]))
    set_status(inspection, JINING, ChecklistStatus.in_progress)
    office, liqiang = new_visitor(), new_visitor()
    office.sign_in("wangmin")
    liqiang.sign_in("liqiang")
    token = office.csrf_token(), liqiang.csrf_token()
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def importing() -> None:
        barrier.wait()
        results["import"] = office.client.post("/staff/rounds/2026-kh/scores", data={CSRF_FIELD: token[0]},
                                               files={"file": ("纸质评分.csv", csv_of(lines))})

    def submitting() -> None:
        barrier.wait()
        results["submit"] = liqiang.client.post(f"/inspect/checklists/{inspection.checklists[JINING]}/submit",
                                                data={CSRF_FIELD: token[1]}, follow_redirects=False)

    threads = [threading.Thread(target=importing), threading.Thread(target=submitting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["submit"].status_code == 303
    assert status_of(inspection, JINING) == "submitted"
    written = audit_of("checklist.answer")
    submitted_at = audit_of("checklist.submit")[0]["id"]
    if results["import"].status_code == 200:
        # Imported first; the veto's 0 equals the 0 stored and is left as it is.
        changed = sum(Decimal(value) != 0 for value in paper_scores().values())
        assert len(written) == changed == 18 and all(entry["id"] < submitted_at for entry in written)
    else:
        assert results["import"].status_code == 422 and "已提交，不能导入" in text_of(results["import"].text)
        assert written == []


def test_a_system_with_step_0_1_takes_scores_of_7_4_and_refuses_7_45(office, inspection, tmp_path, capsys):
    use_point_step(inspection, "0.1")
    assert "以 0.1 分为单位" in text_of(office.get("/staff/rounds/2026-kh/scores").text)
    refused = upload(office, csv_of([(JINING, "C1", "7.4"), (JINING, "J1", "2.3"), (FENGZHEN, "C1", "7.45")]))
    assert refused.status_code == 422
    assert "第 4 行：C1 的 value“7.45”无效：得分须在 0 到 25 分之间，以 0.1 分为单位" in text_of(refused.text)
    assert answers(inspection, JINING)["C1"]["version"] == 0

    assert upload(office, csv_of([(JINING, "C1", "7.4"), (JINING, "J1", "2.3")])).status_code == 200
    path = tmp_path / "scores.csv"
    path.write_bytes(csv_of([(FENGZHEN, "C6", "18.7")]))
    assert cli.main(["scores", "import", "2026-kh", str(path)]) == 0
    assert "imported: 1 values" in capsys.readouterr().out
    jining, fengzhen = answers(inspection, JINING), answers(inspection, FENGZHEN)
    assert (jining["C1"]["value"], jining["J1"]["value"], fengzhen["C6"]["value"]) == (
        Decimal("7.4"), Decimal("2.3"), Decimal("18.7"))


def test_scores_of_7_4_are_refused_in_a_system_with_step_0_5(office, inspection):
    refused = upload(office, csv_of([(JINING, "C1", "7.4")]))
    assert refused.status_code == 422
    assert "第 2 行：C1 的 value“7.4”无效：得分须在 0 到 25 分之间，以 0.5 分为单位" in text_of(refused.text)
    assert "以 0.5 分为单位" in text_of(office.get("/staff/rounds/2026-kh/scores").text)


def _many_units(inspection: Inspection, n: int) -> list[str]:
    """``n`` more units in the round, each with its checklist not started: their codes."""

    async def add() -> list[str]:
        first_team = await Checklist.select(Checklist.team).where(
            Checklist.id == inspection.checklists[JINING]).first()
        codes = []
        for i in range(n):
            code = f"U{i:03d}"
            department = await add_department(code, f"第{i}号单位", DepartmentGroup.municipal)
            checklist = (await Checklist.insert(Checklist(
                round=inspection.round_id, department=department, team=first_team["team"],
                status=ChecklistStatus.not_started)).returning(Checklist.id))[0]["id"]
            inspection.checklists[code] = checklist
            await ChecklistAnswer.insert(*[ChecklistAnswer(checklist=checklist, indicator=indicator)
                                           for indicator in inspection.items.values()])
            made = await ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.indicator).where(
                ChecklistAnswer.checklist == checklist)
            item_of = {indicator: item for item, indicator in inspection.items.items()}
            inspection.answers.update({(code, item_of[row["indicator"]]): row["id"] for row in made})
            codes.append(code)
        return codes

    return run(add)


def _failing_saves_of(checklist_id: int) -> tuple[list[str], list[str]]:
    """A trigger that makes the database refuse any value of one checklist: a database failure in
    the middle of an import, as a full disk or a lost connection would be. (set up, tear down)"""
    if database.is_postgres(piccolo_conf.DB):
        return ([
            "CREATE FUNCTION failing_save() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.checklist = {checklist_id} THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER failing_save BEFORE UPDATE ON checklist_answer FOR EACH ROW"
            " EXECUTE FUNCTION failing_save()",
        ], ["DROP TRIGGER IF EXISTS failing_save ON checklist_answer", "DROP FUNCTION IF EXISTS failing_save()"])
    return ([
        f"CREATE TRIGGER failing_save BEFORE UPDATE ON checklist_answer WHEN NEW.checklist = {checklist_id} "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    ], ["DROP TRIGGER IF EXISTS failing_save"])


async def _apply(statements: list[str]) -> None:
    for statement in statements:
        await piccolo_conf.DB.run_ddl(statement)


def test_a_large_file_is_written_a_checklist_at_a_time_and_a_failure_midway_says_which_units(office, inspection):
    codes = [JINING, FENGZHEN, *_many_units(inspection, 58)]
    items = len(inspection.items)  # 19 a checklist: 26 checklists (494 values) a part, 3 parts
    scores = paper_scores()
    content = csv_of([(code, item, scores[item]) for code in codes for item in inspection.items])
    failing = codes[29]  # in the second part
    set_up, tear_down = _failing_saves_of(inspection.checklists[failing])
    run(_apply(set_up))
    try:
        response = upload(office, content)
    finally:
        run(_apply(tear_down))
    assert response.status_code == 422
    page = text_of(response.text)
    assert "导入在第 2/3 部分停止（数据库错误）。" in page
    assert all(f"第{i}号单位 U{i:03d} {items}" in page for i in range(24))  # the first part's units
    not_written = page.split("以下单位未写入：")[1].split("。")[0]
    assert not_written == "、".join(f"第{i}号单位（U{i:03d}）" for i in range(24, 58))

    # The first part's checklists have every value, the others none: the second part's
    # transaction wrote nothing, not even the values before the failing checklist.
    versions = {code: {row["version"] for row in answers(inspection, code).values()} for code in codes}
    assert all(versions[code] == {1} for code in codes[:26])
    assert all(versions[code] == {0} for code in codes[26:])
    [part] = audit_of("scores.import")
    assert json.loads(part["new_value"])["part"] == "1/3"
    assert len(json.loads(part["new_value"])["units"]) == 26

    # The same file again writes the rest; what the first part wrote is left as it is.
    again = upload(office, content)
    assert again.status_code == 200, text_of(again.text)
    page = text_of(again.text)
    assert f"已导入 {34 * items} 个分值。" in page
    assert f"另有 {26 * items} 个分值与已保存的相同，未改动。" in page
    assert all({row["version"] for row in answers(inspection, code).values()} == {1} for code in codes)
    assert len(audit_of("checklist.answer")) == 60 * items
    assert [json.loads(entry["new_value"])["part"] for entry in audit_of("scores.import")] == [
        "1/3", "1/3", "2/3", "3/3"]


def _submitting_on_save_of(checklist_id: int, submitted_id: int) -> tuple[list[str], list[str]]:
    """A trigger that submits one checklist as soon as a value of another is saved: the team of
    the second submits while the first part of an import is written. (set up, tear down)"""
    if database.is_postgres(piccolo_conf.DB):
        return ([
            "CREATE FUNCTION submitting() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE checklist SET status = 'submitted' WHERE id = {submitted_id}; RETURN NEW; END $$",
            "CREATE TRIGGER submitting AFTER UPDATE ON checklist_answer FOR EACH ROW"
            f" WHEN (NEW.checklist = {checklist_id}) EXECUTE FUNCTION submitting()",
        ], ["DROP TRIGGER IF EXISTS submitting ON checklist_answer", "DROP FUNCTION IF EXISTS submitting()"])
    return ([
        f"CREATE TRIGGER submitting AFTER UPDATE ON checklist_answer WHEN NEW.checklist = {checklist_id} "
        f"BEGIN UPDATE checklist SET status = 'submitted' WHERE id = {submitted_id}; END",
    ], ["DROP TRIGGER IF EXISTS submitting"])


def test_a_checklist_submitted_between_two_parts_stops_the_command_and_it_names_what_was_written(
        inspection, tmp_path, capsys):
    codes = [JINING, FENGZHEN, *_many_units(inspection, 58)]
    scores = paper_scores()
    path = tmp_path / "scores.csv"
    path.write_bytes(csv_of([(code, item, scores[item]) for code in codes for item in inspection.items]))
    submitted = codes[40]  # in the second part, submitted while the first is written
    set_up, tear_down = _submitting_on_save_of(inspection.checklists[JINING], inspection.checklists[submitted])
    run(_apply(set_up))
    try:
        assert cli.main(["scores", "import", "2026-kh", str(path)]) == 1
    finally:
        run(_apply(tear_down))
    out, err = capsys.readouterr()
    assert "150902 集宁区: 19" in out and "U023 第23号单位: 19" in out and "U024" not in out
    line = 2 + 40 * len(inspection.items)
    assert f"导入在第 2/3 部分停止（第 {line} 行：第38号单位（U038）的考核清单已提交，不能导入）。" in err
    assert "未写入 not written: 第24号单位（U024）、" in err and "第57号单位（U057）" in err
    assert status_of(inspection, submitted) == "submitted"
    assert all({row["version"] for row in answers(inspection, code).values()} == {0} for code in codes[26:])
    assert len(audit_of("checklist.answer")) == 26 * len(inspection.items)
