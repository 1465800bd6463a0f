"""`pingyi period create` and `pingyi period show`: periods named by code or id, settings as
TOML, refusals in one line, changes audited as cli:<user>."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import cli
from evaluation.core.tables import AuditEntry
from evaluation.ratings import periods
from evaluation.ratings.periods import PeriodError
from evaluation.ratings.tables import EvaluationPeriod
from tests.conftest import run

SETTINGS = """
level_values = { very_satisfied = 10, satisfied = 8, basic = 6, unsatisfied = 3, very_unsatisfied = 0 }
public_weight = 0.3
panel_weight = 0.7
min_sample = 50
answer_working_days = 10
"""


def create(settings_text: str | None = None, **changes: str) -> periods.Period:
    arguments = {"code": "2027-pj", "name": "2027年度社会评议", "opens": "2027-01-01", "closes": "2027-12-31"}
    arguments.update(changes)
    return run(periods.create_from_cli("cli:wangmin", settings_text=settings_text, **arguments))


def refusal(settings_text: str | None = None, **changes: str) -> str:
    with pytest.raises(PeriodError) as refused:
        create(settings_text, **changes)
    message = str(refused.value)
    assert "\n" not in message
    assert run(EvaluationPeriod.count()) == 0
    return message


def test_a_period_created_with_a_settings_file_has_those_settings_and_is_audited_as_cli():
    period = create(SETTINGS)
    assert (period.code, period.name) == ("2027-pj", "2027年度社会评议")
    assert (period.opens_on, period.closes_on) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert period.settings.level_values == {"very_satisfied": 10, "satisfied": 8, "basic": 6, "unsatisfied": 3,
                                            "very_unsatisfied": 0}
    assert period.settings.channel_weights == {"public": Decimal("0.3"), "panel": Decimal("0.7")}
    assert period.settings.min_sample == 50 and period.answer_working_days == 10
    entry = run(AuditEntry.select().where(AuditEntry.action == "period.create").first())
    assert entry["actor"] == "cli:wangmin" and entry["target"] == "period:2027-pj"


def test_without_a_settings_file_the_defaults_apply_and_a_partial_file_changes_only_what_it_names():
    defaults = create().settings
    assert defaults.level_values == periods.DEFAULT_LEVEL_VALUES and defaults.channel_weights == periods.DEFAULT_WEIGHTS
    assert defaults.min_sample == 30
    partial = create("min_sample = 20\nlevel_values = { basic = 50 }\n", code="2029-pj")
    assert partial.settings.min_sample == 20 and partial.answer_working_days == 5
    assert partial.settings.level_values["basic"] == 50 and partial.settings.level_values["satisfied"] == 80


def test_unknown_keys_are_refused_in_one_line():
    message = refusal("min_sample = 30\nbonus_cap = 5\npublic_wieght = 0.4\n")
    assert "bonus_cap, public_wieght" in message and "answer_working_days" in message
    assert "excellent" in refusal("level_values = { excellent = 100 }\n")


def test_values_of_the_wrong_kind_are_refused_by_name():
    assert "min_sample 必须是整数" in refusal("min_sample = 30.5\n")
    assert "public_weight 必须是数字" in refusal('public_weight = "0.4"\n')
    assert "level_values.basic 必须是数字" in refusal("level_values = { basic = true }\n")
    assert "level_values 必须是表" in refusal("level_values = 100\n")
    assert "不是有效的 TOML" in refusal("min_sample = \n")


def test_the_web_forms_rules_apply_and_name_the_option_at_fault():
    assert "public_weight/panel_weight: 公众与特邀评议代表的权重之和必须等于 1" in refusal("public_weight = 0.5\n")
    assert "level_values.very_satisfied: 分值必须是 0 到 100 之间的数" in refusal(
        "level_values = { very_satisfied = 120 }\n")
    assert "--closes: 结束日期不能早于开始日期" in refusal(opens="2027-12-31", closes="2027-01-01")
    assert "--opens:" in refusal(opens="2027-13-01")
    assert "--code:" in refusal(code="2027 pj")


def test_a_duplicate_code_is_refused():
    create()
    with pytest.raises(PeriodError, match="代码 2027-pj 已被使用"):
        create(name="重复")
    assert run(EvaluationPeriod.count()) == 1


def test_the_settings_a_period_shows_read_back_as_a_settings_file():
    period = create(SETTINGS)
    shown = periods.settings_toml(period)
    assert "public_weight = 0.3" in shown and "min_sample = 50" in shown
    assert create(shown, code="2028-pj").settings == period.settings


def test_a_period_is_found_by_code_or_numeric_id():
    period = create()
    assert run(periods.find("2027-pj")).id == period.id
    assert run(periods.find(str(period.id))).code == "2027-pj"
    assert run(periods.find("nope")) is None


def test_pingyi_period_create_then_show(tmp_path, capsys):
    """Through `cli.main`, as typed in a terminal."""
    settings_file = tmp_path / "2027.toml"
    settings_file.write_text(SETTINGS, encoding="utf-8")
    assert cli.main(["period", "create", "--code", "2027-pj", "--name", "2027年度社会评议", "--opens", "2027-01-01",
                     "--closes", "2027-12-31", "--settings", str(settings_file)]) == 0
    assert "2027-pj" in capsys.readouterr().out
    entry = run(AuditEntry.select().where(AuditEntry.action == "period.create").first())
    assert entry["actor"].startswith("cli:")

    period_id = str(run(periods.find("2027-pj")).id)
    for reference in ("2027-pj", period_id):
        assert cli.main(["period", "show", reference]) == 0
        out = capsys.readouterr().out
        assert "2027年度社会评议" in out and "2027-01-01" in out and "2027-12-31" in out
        assert "public_weight = 0.3" in out and "min_sample = 50" in out and "answer_working_days = 10" in out
    # What `show` prints is a settings file: next year's period starts from this year's settings.
    copied = tmp_path / "copied.toml"
    copied.write_text(out, encoding="utf-8")
    assert cli.main(["period", "create", "--code", "2028-pj", "--name", "2028年度社会评议", "--opens", "2028-01-01",
                     "--closes", "2028-12-31", "--settings", str(copied)]) == 0
    assert run(periods.find("2028-pj")).settings == run(periods.find("2027-pj")).settings
    capsys.readouterr()

    assert cli.main(["period", "show", "nope"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("bonus_cap = 5\n", encoding="utf-8")
    assert cli.main(["period", "create", "--code", "2029-pj", "--name", "2029年度社会评议", "--opens", "2029-01-01",
                     "--closes", "2029-12-31", "--settings", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bonus_cap" in err
    assert cli.main(["period", "create", "--code", "2029-pj", "--name", "2029年度社会评议", "--opens", "2029-01-01",
                     "--closes", "2029-12-31", "--settings", str(tmp_path / "missing.toml")]) == 1
    assert "missing.toml" in capsys.readouterr().err
    assert run(EvaluationPeriod.count()) == 2
