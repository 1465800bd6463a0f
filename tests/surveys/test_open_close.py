"""A survey opened or closed at once: by 王敏 (office) with the buttons of its builder page, or by
`pingyi survey open|close SURVEY` (SURVEY by code or id). Both go through one service, refuse the
same things and are audited alike; the survey's page follows at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from cli import main
from evaluation.core import clock
from evaluation.core.audit import recorded
from evaluation.core.tables import AuditEntry
from evaluation.surveys.tables import Survey, SurveyResponse
from tests.conftest import Visitor, run, text_of
from tests.surveys.conftest import build, satisfaction_form
from tests.surveys.test_answering import answer_all, send

URL = "/surveys/2026-my"


def draft(code: str = "2026-my") -> int:
    """政务公开满意度调查 without an opening time yet, closing in ten days."""
    form = satisfaction_form(code)
    return build(dataclasses.replace(form, settings=dataclasses.replace(form.settings, opens_at=None)))


def times(survey_id: int) -> dict[str, dt.datetime | None]:
    return run(Survey.select(Survey.opens_at, Survey.closes_at).where(Survey.id == survey_id).first())


def test_the_office_opens_a_draft_and_citizens_can_answer_at_once(office: Visitor,
                                                                    new_visitor: Callable[[], Visitor]) -> None:
    survey_id = draft()
    builder = text_of(office.get(f"/staff/surveys/{survey_id}").text)
    assert "未开始，尚未定开放时间。" in builder and "立即开放" in builder and "立即关闭" not in builder
    citizen = new_visitor()
    assert "本调查尚未开始" in text_of(citizen.get(URL).text)

    opened = office.post(f"/staff/surveys/{survey_id}/open", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/staff/surveys/{survey_id}?opened=1#opening"
    builder = text_of(office.get(opened.headers["location"]).text)
    assert "已开放：市民现在可以答卷。" in builder and "进行中，自" in builder
    assert "立即关闭" in builder and "立即开放" not in builder
    assert abs(times(survey_id)["opens_at"] - clock.now()) < dt.timedelta(minutes=1)

    answer_all(citizen)
    assert run(SurveyResponse.count()) == 1
    [(target, new)] = run(recorded("survey.open"))
    assert target == "survey:2026-my" and new["closes_at"] is not None
    actor = run(AuditEntry.select(AuditEntry.actor).where(AuditEntry.action == "survey.open").first())["actor"]
    assert actor == "wangmin"


def test_closing_is_confirmed_then_the_survey_says_when_it_closed_and_takes_no_more(
        office: Visitor, new_visitor: Callable[[], Visitor]) -> None:
    survey_id = build()
    builder = text_of(office.get(f"/staff/surveys/{survey_id}").text)
    assert "关闭后不再接受答卷" in builder and "我确认关闭本调查，不再接受答卷" in builder

    unconfirmed = office.post(f"/staff/surveys/{survey_id}/close")
    assert unconfirmed.status_code == 422 and "请勾选确认后再关闭。" in text_of(unconfirmed.text)
    assert times(survey_id)["closes_at"] > clock.now() and run(recorded("survey.close")) == []

    closed = office.post(f"/staff/surveys/{survey_id}/close", {"confirm": "1"}, follow_redirects=False)
    assert closed.status_code == 303 and closed.headers["location"].endswith("?closed=1#opening")
    closed_at = times(survey_id)["closes_at"]
    assert abs(closed_at - clock.now()) < dt.timedelta(minutes=1)
    builder = text_of(office.get(closed.headers["location"]).text)
    assert "已关闭：不再接受答卷。" in builder and f"已于 {clock.format_local(closed_at)[:16]} 结束" in builder
    assert "立即关闭" not in builder and "立即开放" not in builder and "要重新开放，请在设置中" in builder

    citizen = new_visitor()
    assert f"本调查已于 {clock.format_local(closed_at)[:16]} 结束" in text_of(citizen.get(URL).text)
    refused = send(citizen, 0, "visited", visited="yes")
    assert refused.status_code == 422 and run(SurveyResponse.count()) == 0
    [(target, new)] = run(recorded("survey.close"))
    assert target == "survey:2026-my" and new["closes_at"] is not None


def test_what_cannot_be_opened_or_closed_is_explained_and_nothing_changes(office: Visitor) -> None:
    survey_id = build()
    already_open = office.post(f"/staff/surveys/{survey_id}/open")
    assert already_open.status_code == 422 and "本调查已在进行中" in text_of(already_open.text)

    closed_at = clock.now() - dt.timedelta(hours=2)
    run(Survey.update({Survey.closes_at: closed_at}).where(Survey.id == survey_id))
    before = times(survey_id)
    reopened = office.post(f"/staff/surveys/{survey_id}/open")
    assert reopened.status_code == 422
    assert (f"结束时间 {clock.format_local(closed_at)[:16]} 已过，不能立即开放。"
            "要重新开放，请在设置中把结束时间改到以后。") in text_of(reopened.text)
    closed_again = office.post(f"/staff/surveys/{survey_id}/close", {"confirm": "1"})
    assert closed_again.status_code == 422
    assert f"本调查已于 {clock.format_local(closed_at)[:16]} 结束。" in text_of(closed_again.text)
    assert times(survey_id) == before
    assert run(recorded("survey.open")) == [] and run(recorded("survey.close")) == []

    for action in ("open", "close"):
        missing = office.post(f"/staff/surveys/{survey_id + 99}/{action}", {"confirm": "1"})
        assert missing.status_code == 404 and "Traceback" not in missing.text


def test_the_refusal_and_the_buttons_speak_english_too(office: Visitor) -> None:
    survey_id = build()
    office.get("/language/en")
    page = text_of(office.get(f"/staff/surveys/{survey_id}").text)
    assert "Close now" in page and "Closing means no more responses" in page
    unconfirmed = office.post(f"/staff/surveys/{survey_id}/close")
    assert "Tick the box to confirm before closing." in text_of(unconfirmed.text)
    refused = office.post(f"/staff/surveys/{survey_id}/open")
    assert refused.status_code == 422 and "This survey is already open" in text_of(refused.text)


def test_the_list_shows_each_surveys_state_with_its_button(office: Visitor) -> None:
    open_id = build()
    draft_id = draft("2026-wz")
    listing = office.get("/staff/surveys").text
    assert f'action="/staff/surveys/{draft_id}/open#opening"' in listing
    assert f'action="/staff/surveys/{open_id}/open#opening"' not in listing
    assert f'href="/staff/surveys/{open_id}#opening"' in listing
    assert office.post(f"/staff/surveys/{draft_id}/open", follow_redirects=False).status_code == 303
    assert "未开始" not in text_of(office.get("/staff/surveys").text)


def test_only_the_office_opens_and_closes_a_survey(visitor: Visitor, people: dict[str, str]) -> None:
    survey_id = draft()
    anonymous = visitor.post(f"/staff/surveys/{survey_id}/open", follow_redirects=False)
    assert anonymous.status_code in {302, 303} and anonymous.headers["location"].startswith("/staff/login")
    for username in ("zhaoli", "liqiang", "chenjing"):
        visitor.sign_in(username)
        assert visitor.post(f"/staff/surveys/{survey_id}/open").status_code == 403
        assert visitor.post(f"/staff/surveys/{survey_id}/close", {"confirm": "1"}).status_code == 403
    # The auditor reads the state, without the buttons.
    visitor.sign_in("zhaoli")
    page = text_of(visitor.get(f"/staff/surveys/{survey_id}").text)
    assert "未开始，尚未定开放时间。" in page and "立即开放" not in page
    assert times(survey_id)["opens_at"] is None and run(recorded("survey.open")) == []


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
