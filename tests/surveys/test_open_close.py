"""`pingyi survey open|close SURVEY` (SURVEY by code or id): the survey's page follows at once;
what cannot be opened or closed is refused with the reason."""

from __future__ import annotations

import datetime as dt

from cli import main
from evaluation.core import clock
from evaluation.core.audit import recorded
from evaluation.core.tables import AuditEntry
from evaluation.surveys.tables import Survey
from tests.conftest import Visitor, run, text_of
from tests.surveys.conftest import build, satisfaction_form

URL = "/surveys/2026-my"


def test_the_command_line_closes_and_opens_a_survey_by_code_or_id(visitor: Visitor, people: dict[str, str],
                                                                  capsys) -> None:
    survey_id = build(satisfaction_form(opens_days=3, closes_days=10))
    assert "本调查将于" in text_of(visitor.get(URL).text)
    assert main(["survey", "open", "2026-my"]) == 0
    assert "已开始" in capsys.readouterr().out
    assert "第 1 页，共 3 页" in text_of(visitor.get(URL).text)
    assert main(["survey", "close", str(survey_id)]) == 0
    closed_at = run(Survey.select(Survey.closes_at).first())["closes_at"]
    assert abs(closed_at - clock.now()) < dt.timedelta(minutes=1)
    assert f"本调查已于 {clock.format_local(closed_at)[:16]} 结束" in text_of(visitor.get(URL).text)
    assert run(recorded("survey.open"))[0][0] == "survey:2026-my" and run(recorded("survey.close"))
    actors = {row["actor"] for row in run(AuditEntry.select(AuditEntry.actor).where(
        AuditEntry.action.is_in(["survey.open", "survey.close"])))}
    assert len(actors) == 1 and actors.pop().startswith("cli:")
    capsys.readouterr()
    assert main(["survey", "close", "2026-my"]) == 1
    assert "本调查已于" in capsys.readouterr().err
    assert main(["survey", "open", "2026-my"]) == 1
    assert "不能立即开放" in capsys.readouterr().err
    assert main(["survey", "open", "nope"]) == 1
    assert "找不到调查" in capsys.readouterr().err
