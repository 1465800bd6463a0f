"""`pingyi round create` and `pingyi round show`: a draft round with its coverage and its
settings from TOML, named by code or id; bad input fails in one line; audited as cli:<user>."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import cli
from evaluation.core.tables import AuditEntry
from evaluation.ratings.tables import EvaluationPeriod
from inspections.tables import Checklist, InspectionRound
from tests.conftest import open_period, run
from tests.inspections.conftest import add_sample_system

SETTINGS = """
public_weight = 30
convert_score = true
below_sample = "own"
bonus_cap = 3.5
grade_bands = [["优秀", 85], ["良好", 75], ["合格", 60], ["不合格", 0]]
excellent_quota = 25
"""


@pytest.fixture
def system(departments) -> int:
    return run(add_sample_system())[0]


def create(*extra: str) -> int:
    return cli.main(["round", "create", "2026-kh", "--name", "2026年度政务公开考核", "--year", "2026",
                     "--deadline", "2026-12-31", *extra])


def refused(capsys, *extra: str) -> str:
    assert create(*extra) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert run(InspectionRound.count()) == 0 and run(Checklist.count()) == 0
    return err


def test_a_round_is_created_with_its_settings_and_coverage_and_audited_as_cli(system, tmp_path, capsys):
    open_period()
    settings = tmp_path / "round.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    assert create("--period", "2026-pj", "--groups", "county", "--departments", "SZ03",
                  "--settings", str(settings)) == 0
    assert "2026-kh" in capsys.readouterr().out
    row = run(InspectionRound.select().first())
    assert (row["status"], row["system"], row["convert_score"], row["below_sample"]) == ("draft", system, True, "own")
    assert row["public_weight"] == Decimal("30") and row["bonus_cap"] == Decimal("3.5")
    assert row["excellent_quota"] == 25
    assert row["period"] == run(EvaluationPeriod.select(EvaluationPeriod.id).first())["id"]
    covered = {r["department.code"] for r in run(Checklist.select(Checklist.department.code))}
    assert covered == {"150902", "150981", "SZ03"}
    entries = run(AuditEntry.select().where(AuditEntry.target == "round:2026-kh").order_by(AuditEntry.id))
    assert [e["action"] for e in entries] == ["round.create", "round.cover", "round.cover"]
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert json.loads(entries[0]["new_value"])["grade_bands"] == [["优秀", "85"], ["良好", "75"], ["合格", "60"],
                                                                  ["不合格", "0"]]


def test_round_show_prints_the_settings_as_toml_that_reads_back_by_code_or_id(system, tmp_path, capsys):
    settings = tmp_path / "round.toml"
    settings.write_text(SETTINGS, encoding="utf-8")
    assert create("--settings", str(settings)) == 0
    capsys.readouterr()
    assert cli.main(["round", "show", "2026-kh"]) == 0
    shown = capsys.readouterr().out
    round_id = run(InspectionRound.select(InspectionRound.id).first())["id"]
    assert cli.main(["round", "show", str(round_id)]) == 0
    assert capsys.readouterr().out == shown
    assert 'grade_bands = [["优秀", 85], ["良好", 75], ["合格", 60], ["不合格", 0]]' in shown
    assert "excellent_quota = 25" in shown and 'below_sample = "own"' in shown
    # The printed file makes the same settings again.
    copy = tmp_path / "copy.toml"
    copy.write_text(shown, encoding="utf-8")
    assert cli.main(["round", "create", "2026-kh2", "--name", "副本", "--year", "2026", "--deadline", "2026-12-31",
                     "--settings", str(copy)]) == 0
    rows = run(InspectionRound.select().order_by(InspectionRound.id))
    keys = ("public_weight", "convert_score", "below_sample", "bonus_cap", "excellent_quota")
    assert [rows[0][k] for k in keys] == [rows[1][k] for k in keys]
    assert cli.main(["round", "show", "nope"]) == 1
    assert "no such round: nope" in capsys.readouterr().err


def test_defaults_apply_without_a_settings_file_and_the_system_defaults_to_the_year(system, capsys):
    assert create() == 0
    row = run(InspectionRound.select().first())
    assert row["public_weight"] == Decimal("20") and row["bonus_cap"] == Decimal("5") and not row["convert_score"]
    assert row["excellent_quota"] is None and row["system"] == system


def test_bad_input_fails_in_one_line_and_creates_nothing(system, tmp_path, capsys):
    assert "找不到 2026 年度、代码为 other 的考核指标体系" in refused(capsys, "--system", "other")
    assert "--deadline: 请填写截止日期" in refused(capsys, "--deadline", "2026-13-01")
    assert "找不到评议期 2099-pj" in refused(capsys, "--period", "2099-pj")
    assert "未知的单位分组 cities" in refused(capsys, "--groups", "cities")
    assert "找不到这些单位（或已停用）：NOPE" in refused(capsys, "--departments", "150902,NOPE")
    bad = tmp_path / "bad.toml"
    bad.write_text("public_weight = \n", encoding="utf-8")
    assert "不是有效的 TOML" in refused(capsys, "--settings", str(bad))
    bad.write_text("public_weight = 20\nchannel_weights = 1\n", encoding="utf-8")
    assert "未知的项：channel_weights" in refused(capsys, "--settings", str(bad))
    bad.write_text('grade_bands = [["优秀", 90], ["合格", 60]]\n', encoding="utf-8")
    assert "最后一个等次的分数下限必须是 0" in refused(capsys, "--settings", str(bad))
    bad.write_text('grade_bands = "优秀 90"\n', encoding="utf-8")
    assert "grade_bands 必须是" in refused(capsys, "--settings", str(bad))
    bad.write_text("convert_score = 1\n", encoding="utf-8")
    assert "convert_score 必须是 true 或 false" in refused(capsys, "--settings", str(bad))
    assert "no such file" in refused(capsys, "--settings", str(tmp_path / "missing.toml"))
    assert "--year" in refused(capsys, "--year", "twenty")
