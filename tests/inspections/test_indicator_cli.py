"""`pingyi indicators import` and `pingyi indicators export` (PRODUCT.md, Settled questions): a
file whose year differs from --year is refused, re-import needs --replace and works only while
unfrozen, export writes the same layout, changes are audited as cli:<user>."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

import cli
from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from inspections.indicators import files as indicator_files
from inspections.indicators import indicators
from inspections.tables import Indicator, IndicatorSystem
from tests.conftest import run
from tests.inspections.conftest import SAMPLE_SYSTEM, sample_csv, sample_rows

FROZEN = "该指标体系已被考核批次使用，已冻结，不能修改；可复制为新年度的指标体系"


def rows_of(year, code):
    system = run(indicators.find_system(year, code))
    return [item.values() for item in system.rows()]


def test_the_sample_is_imported_and_exported_from_the_command_line(tmp_path, capsys):
    assert cli.main(["indicators", "import", str(SAMPLE_SYSTEM), "--year", "2016"]) == 0
    out = capsys.readouterr().out
    assert "2016/2016 2016年度考核指标体系" in out and "5 类目" in out and "19 指标项" in out
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.import").first())
    assert entry["actor"].startswith("cli:") and entry["target"] == "indicator_system:2016:2016"

    assert cli.main(["indicators", "export", "-", "--year", "2016"]) == 0
    assert capsys.readouterr().out.encode("utf-8") == SAMPLE_SYSTEM.read_bytes()
    exported = tmp_path / "2016.csv"
    assert cli.main(["indicators", "export", str(exported), "--year", "2016", "--code", "2016"]) == 0
    # A file carries the BOM every CSV file of the platform starts with (Excel); standard output does not.
    assert exported.read_bytes() == b"\xef\xbb\xbf" + SAMPLE_SYSTEM.read_bytes()


def test_export_then_import_gives_back_the_same_rows_in_csv_and_xlsx(tmp_path, capsys):
    assert cli.main(["indicators", "import", str(SAMPLE_SYSTEM), "--year", "2016"]) == 0
    for extension in ("csv", "xlsx"):
        exported = tmp_path / f"out.{extension}"
        assert cli.main(["indicators", "export", str(exported), "--year", "2016"]) == 0
        assert cli.main(["indicators", "import", str(exported), "--year", "2016", "--code", extension,
                         "--name", f"{extension} 副本"]) == 0
        assert rows_of(2016, extension) == rows_of(2016, "2016")
    workbook = load_workbook(io.BytesIO((tmp_path / "out.xlsx").read_bytes()))
    assert [cell.value for cell in workbook.active[1]] == list(indicator_files.COLUMNS)
    assert run(IndicatorSystem.select(IndicatorSystem.name).where(IndicatorSystem.code == "xlsx").first()) == {
        "name": "xlsx 副本"}


def test_a_file_of_another_year_is_refused_and_nothing_is_stored(capsys):
    assert cli.main(["indicators", "import", str(SAMPLE_SYSTEM), "--year", "2026"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "第 2 行：年份 2016 与指定的年份 2026 不一致"
    assert len(err) == 25 and err[-1] == "pingyi: 24 处问题，未导入任何数据 (nothing imported)"
    assert run(IndicatorSystem.count()) == 0 and run(Indicator.count()) == 0


def test_a_bad_file_lists_every_problem_by_row(tmp_path, capsys):
    rows = sample_rows()
    rows[3]["kind"] = "plus"
    rows[16]["per_occurrence"] = ""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("year,code,parent_code,title,max_points,kind,scoring_rule,per_occurrence\n" + "\n".join(
        ",".join(row.values()) for row in rows) + "\n").encode("utf-8"))
    assert cli.main(["indicators", "import", str(bad), "--year", "2026"]) == 1
    err = capsys.readouterr().err
    assert "第 5 行：类型“plus”不是 score、deduct、veto、bonus 之一" in err
    assert "第 18 行：扣分项（deduct）须填写每次扣分（per_occurrence）" in err
    assert "2 处问题" in err and run(IndicatorSystem.count()) == 0


def test_reimport_needs_replace_and_a_frozen_system_is_refused(tmp_path, capsys):
    current = tmp_path / "2026.csv"
    current.write_bytes(sample_csv(2026))
    assert cli.main(["indicators", "import", str(current), "--year", "2026"]) == 0
    capsys.readouterr()
    assert cli.main(["indicators", "import", str(current), "--year", "2026"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--replace" in err

    smaller = tmp_path / "smaller.csv"
    smaller.write_bytes(b"".join(line + b"\n" for line in sample_csv(2026).splitlines() if b",V" not in line))
    assert cli.main(["indicators", "import", str(smaller), "--year", "2026", "--replace"]) == 0
    assert "已替换 replaced" in capsys.readouterr().out
    assert [row["code"] for row in rows_of(2026, "2026")][-1] == "J2"
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.replace").first())
    assert entry["actor"].startswith("cli:")

    run(IndicatorSystem.update({IndicatorSystem.frozen_at: clock.now()}, force=True))
    assert cli.main(["indicators", "import", str(current), "--year", "2026", "--replace"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and FROZEN in err
    assert len(rows_of(2026, "2026")) == 22


def test_command_line_mistakes_fail_in_one_line(tmp_path, capsys):
    assert cli.main(["indicators", "import", str(tmp_path / "missing.csv"), "--year", "2026"]) == 1
    assert "missing.csv" in capsys.readouterr().err
    assert cli.main(["indicators", "export", str(tmp_path / "out.csv"), "--year", "2030"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "找不到 2030 年度代码为 2030 的指标体系" in err
    assert cli.main(["indicators", "export", str(tmp_path / "out.txt"), "--year", "2030"]) == 1
    assert ".csv 或 .xlsx" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


TENTHS = ("year,code,parent_code,title,max_points,kind,scoring_rule,per_occurrence\n"
          "2026,A,,组织保障,80,score,,\n"
          "2026,A1,A,明确负责人,74.4,score,,\n"
          "2026,A2,A,目录缺项,5.6,deduct,,0.3\n")


def step_of(year, code):
    return run(indicators.find_system(year, code)).point_step


def test_an_import_with_step_0_1_takes_74_4_points_and_refuses_0_05(tmp_path, capsys):
    tenths = tmp_path / "tenths.csv"
    tenths.write_text(TENTHS, encoding="utf-8")
    assert cli.main(["indicators", "import", str(tenths), "--year", "2026"]) == 1
    err = capsys.readouterr().err
    assert "第 3 行：分值 74.4 无效：须为不小于 0 的数，且为 0.5 的整数倍" in err
    assert "第 4 行：分值 5.6 无效" in err and "分值 0.3 无效" in err and run(IndicatorSystem.count()) == 0

    assert cli.main(["indicators", "import", str(tenths), "--year", "2026", "--step", "0.1"]) == 0
    assert "分值单位 step 0.1" in capsys.readouterr().out
    assert step_of(2026, "2026") == Decimal("0.1")
    assert [(row["code"], row["max_points"], row["per_occurrence"]) for row in rows_of(2026, "2026")] == [
        ("A", "80", ""), ("A1", "74.4", ""), ("A2", "5.6", "0.3")]
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.import").first())
    assert '"point_step": "0.1"' in entry["new_value"]

    finer = tmp_path / "finer.csv"
    finer.write_text(TENTHS.replace("5.6,deduct,,0.3", "5.55,deduct,,0.05"), encoding="utf-8")
    assert cli.main(["indicators", "import", str(finer), "--year", "2026", "--code", "fine", "--step", "0.1"]) == 1
    err = capsys.readouterr().err
    assert "第 4 行：分值 5.55 无效：须为不小于 0 的数，且为 0.1 的整数倍" in err and "分值 0.05 无效" in err

    # The step is the system's, not a column: the export has the same columns as ever.
    assert cli.main(["indicators", "export", "-", "--year", "2026"]) == 0
    assert capsys.readouterr().out == TENTHS


def test_a_step_other_than_0_5_or_0_1_is_refused_in_one_line(capsys):
    assert cli.main(["indicators", "import", str(SAMPLE_SYSTEM), "--year", "2016", "--step", "0.25"]) == 1
    err = capsys.readouterr().err
    assert err == "pingyi: 分值单位“0.25”无效：只能是 0.5 或 0.1\n"
    assert cli.main(["indicators", "import", str(SAMPLE_SYSTEM), "--year", "2016", "--step", "half"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert run(IndicatorSystem.count()) == 0


def test_reimport_with_replace_sets_the_step_given_and_keeps_it_when_none_is(tmp_path, capsys):
    current = tmp_path / "2026.csv"
    current.write_bytes(sample_csv(2026))
    assert cli.main(["indicators", "import", str(current), "--year", "2026"]) == 0
    assert step_of(2026, "2026") == Decimal("0.5")
    assert cli.main(["indicators", "import", str(current), "--year", "2026", "--replace", "--step", "0.1"]) == 0
    assert step_of(2026, "2026") == Decimal("0.1")
    tenths = tmp_path / "tenths.csv"
    tenths.write_text(TENTHS, encoding="utf-8")
    assert cli.main(["indicators", "import", str(tenths), "--year", "2026", "--replace"]) == 0
    assert step_of(2026, "2026") == Decimal("0.1") and len(rows_of(2026, "2026")) == 3
    capsys.readouterr()
    assert cli.main(["indicators", "import", str(tenths), "--year", "2026", "--replace", "--step", "0.5"]) == 1
    assert "第 3 行：分值 74.4 无效" in capsys.readouterr().err
    assert step_of(2026, "2026") == Decimal("0.1")
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.replace").order_by(AuditEntry.id)
                .first())
    assert '"point_step": "0.5"' in entry["old_value"] and '"point_step": "0.1"' in entry["new_value"]
