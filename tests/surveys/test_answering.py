"""A citizen answers 政务公开满意度调查 page by page (issue 19): conditions decided by the server,
errors beside their question, answers kept until submitted, one response per browser, stored
whole or not at all."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

import piccolo_conf
from evaluation.core import clock
from evaluation.core.database import is_postgres
from evaluation.surveys.tables import Survey, SurveyDraft, SurveyResponse, SurveyText
from settings import settings
from tests.conftest import CSRF_FIELD, Visitor, run, text_of
from tests.surveys.conftest import build, satisfaction_form

URL = "/surveys/2026-my"


def answers_of(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["answers"]) if isinstance(row["answers"], str) else row["answers"]


def responses() -> list[dict[str, Any]]:
    return run(SurveyResponse.select().order_by(SurveyResponse.id))


def send(visitor: Visitor, page: int, shown: str, action: str = "next", **fields: Any) -> Any:
    return visitor.post(URL, {"page": str(page), "shown": shown, "action": action, **fields}, follow_redirects=False)


def answer_all(visitor: Visitor) -> None:
    visitor.get(URL)
    assert send(visitor, 0, "visited,channels", visited="yes", channels=["web", "app"]).status_code == 303
    assert send(visitor, 1, "overall,aspects", overall="4", **{"aspects.timely": "5", "aspects.complete": "3"}
                ).status_code == 303
    assert send(visitor, 2, "age,advice", "submit", age="35", advice="希望公开更及时。").status_code == 303


def test_a_citizen_answers_three_pages_and_the_response_is_stored_whole(visitor: Visitor, survey: int) -> None:
    page = visitor.get(URL)
    assert page.status_code == 200
    assert "第 1 页，共 3 页" in text_of(page.text)
    assert "您通过哪些渠道获取政府信息" not in page.text  # its condition does not hold yet
    answer_all(visitor)
    done = visitor.get(URL + "?done=1")
    assert "感谢您的参与" in text_of(done.text)
    [stored] = responses()
    assert answers_of(stored) == {"visited": "yes", "channels": ["web", "app"], "overall": 4,
                                  "aspects": {"timely": 5, "complete": 3}, "age": "35", "advice": "希望公开更及时。"}
    assert run(SurveyText.select(SurveyText.body, SurveyText.status)) == [{"body": "希望公开更及时。",
                                                                           "status": "pending"}]
    assert run(SurveyDraft.count()) == 0
    assert "您已提交过这份问卷" in text_of(visitor.get(URL).text)


def test_without_javascript_a_question_revealed_by_a_choice_is_asked_before_going_on(visitor: Visitor,
                                                                                    survey: int) -> None:
    visitor.get(URL)
    again = send(visitor, 0, "visited", visited="yes")
    assert again.status_code == 200
    assert "本页新增了问题" in text_of(again.text)
    assert "您通过哪些渠道获取政府信息" in again.text
    assert 'value="yes" checked' in again.text


def test_htmx_shows_the_conditional_question_as_the_choice_changes(visitor: Visitor, survey: int) -> None:
    visitor.get(URL)
    shown = visitor.post(URL + "/questions/channels", {"page": "0", "visited": "yes"})
    assert "您通过哪些渠道获取政府信息" in shown.text and 'id="slot-channels"' in shown.text
    hidden = visitor.post(URL + "/questions/channels", {"page": "0", "visited": "no"})
    assert 'id="slot-channels"' in hidden.text and "您通过哪些渠道获取政府信息" not in hidden.text


def test_a_hidden_question_keeps_no_answer(visitor: Visitor, survey: int) -> None:
    visitor.get(URL)
    assert send(visitor, 0, "visited,channels", visited="no", channels="web").status_code == 303
    assert send(visitor, 1, "overall,aspects", overall="2").status_code == 303
    assert send(visitor, 2, "age,advice", "submit").status_code == 303
    assert answers_of(responses()[0]) == {"visited": "no", "overall": 2}


def test_errors_are_shown_beside_their_question_and_nothing_typed_is_lost(visitor: Visitor, survey: int) -> None:
    visitor.get(URL)
    send(visitor, 0, "visited", visited="no")
    missing = send(visitor, 1, "overall,aspects", **{"aspects.timely": "5"})
    assert missing.status_code == 422
    assert "这是必答题" in text_of(missing.text)
    assert 'aria-describedby="q-overall-error"' in missing.text
    assert 'name="aspects.timely" value="5" checked' in missing.text
    send(visitor, 1, "overall,aspects", overall="3")
    too_young = send(visitor, 2, "age,advice", "submit", age="12", advice="太长" * 101)
    assert too_young.status_code == 422
    text = text_of(too_young.text)
    assert "不能小于 16" in text and "不能超过 200 个字" in text
    assert 'value="12"' in too_young.text and "太长太长" in too_young.text
    assert 'aria-describedby="q-age-error"' in too_young.text
    assert responses() == []


def test_answers_are_kept_across_pages_and_a_reload_until_submitted(visitor: Visitor, survey: int) -> None:
    visitor.get(URL)
    send(visitor, 0, "visited,channels", visited="yes", channels="paper")
    reloaded = visitor.get(URL)
    assert "第 2 页，共 3 页" in text_of(reloaded.text)
    back = send(visitor, 1, "overall,aspects", "back", overall="5")
    assert back.status_code == 303
    first = visitor.get(URL)
    assert "第 1 页，共 3 页" in text_of(first.text)
    assert 'value="yes" checked' in first.text and 'value="paper" checked' in first.text
    send(visitor, 0, "visited,channels", visited="yes", channels="paper")
    assert 'name="overall" value="5" checked' in visitor.get(URL).text


def test_a_closed_survey_says_when_it_closed(visitor: Visitor, survey: int) -> None:
    closed_at = clock.now() - dt.timedelta(hours=2)
    run(Survey.update({Survey.closes_at: closed_at}).where(Survey.id == survey))
    page = visitor.get(URL)
    assert f"本调查已于 {clock.format_local(closed_at)[:16]} 结束" in text_of(page.text)
    refused = send(visitor, 0, "visited", visited="yes")
    assert refused.status_code == 422 and responses() == []


def test_fifty_concurrent_submissions_from_one_browser_store_one_response(app: Any, survey: int) -> None:
    async def submit_all() -> list[Any]:
        async with AsyncTestClient(app) as browser:
            await browser.get(URL)
            token = browser.cookies.get("csrftoken")
            fields = {CSRF_FIELD: token, "shown": "visited,channels,overall,aspects,age,advice", "action": "next"}
            await browser.post(URL, data={**fields, "page": "0", "visited": "no"})
            await browser.post(URL, data={**fields, "page": "1", "overall": "4"})
            return list(await asyncio.gather(*(
                browser.post(URL, data={**fields, "page": "2", "action": "submit", "advice": f"第{i}次"})
                for i in range(50))))

    sent = asyncio.run(submit_all())
    assert all(response.status_code == 200 for response in sent), {r.status_code for r in sent}
    assert len(responses()) == 1
    assert run(SurveyText.count()) == 1


def test_a_response_is_stored_whole_or_not_at_all_when_a_write_fails_midway(visitor: Visitor, survey: int) -> None:
    # The free text row, written after the response row in the same transaction, is refused.
    if is_postgres(piccolo_conf.DB):
        run(piccolo_conf.DB.run_ddl(
            "CREATE FUNCTION refuse_text() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"))
        run(piccolo_conf.DB.run_ddl("CREATE TRIGGER refuse_text BEFORE INSERT ON survey_text "
                                    "FOR EACH ROW EXECUTE FUNCTION refuse_text()"))
    else:
        run(piccolo_conf.DB.run_ddl("CREATE TRIGGER refuse_text BEFORE INSERT ON survey_text "
                                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    try:
        visitor.get(URL)
        send(visitor, 0, "visited", visited="no")
        send(visitor, 1, "overall,aspects", overall="4")
        failed = send(visitor, 2, "age,advice", "submit", advice="这条留言写不进去")
        assert failed.status_code == 503
        assert "答卷未能保存" in text_of(failed.text) and "这条留言写不进去" in failed.text
        assert responses() == [] and run(SurveyText.count()) == 0
        assert run(SurveyDraft.count()) == 1  # the answers so far are still there
    finally:
        run(piccolo_conf.DB.run_ddl("DROP TRIGGER refuse_text" + (" ON survey_text" if is_postgres(piccolo_conf.DB)
                                                                  else "")))
        if is_postgres(piccolo_conf.DB):
            run(piccolo_conf.DB.run_ddl("DROP FUNCTION refuse_text()"))


@pytest.mark.skipif(not is_postgres(piccolo_conf.DB), reason="PostgreSQL's connections")
def test_connections_the_database_server_ended_are_replaced_and_the_response_is_stored(
        visitor: Visitor, survey: int) -> None:
    """A restart of PostgreSQL, or a network cut, ends the connections a worker keeps for single
    statements (evaluation/core/database.StatementConnections) as well as its pool's: the next
    response is stored on fresh ones, and the worker never holds more than its connections."""
    visitor.get(URL)
    assert send(visitor, 0, "visited", visited="no").status_code == 303
    assert send(visitor, 1, "overall,aspects", overall="4").status_code == 303
    ended = run(piccolo_conf.DB.run_ddl(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    assert ended and all(row["ended"] for row in ended)
    for _ in range(50):
        others = run(piccolo_conf.DB.run_ddl(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
        if others[0]["n"] == 0:
            break
        time.sleep(0.1)
    stored = send(visitor, 2, "age,advice", "submit", advice="重启之后交的")
    assert stored.status_code == 303 and "done=1" in stored.headers["location"]
    assert [answers_of(row)["advice"] for row in responses()] == ["重启之后交的"]
    connections = run(piccolo_conf.DB.run_ddl(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
    assert connections[0]["n"] <= settings.database_connections


def test_a_survey_bound_to_a_department_is_shown_on_both_pages(visitor: Visitor, people: dict[str, str]) -> None:
    build(satisfaction_form(department_code="150902"))
    assert "集宁区" in text_of(visitor.get(URL).text)
    department = visitor.get("/departments/150902")
    assert 'href="/surveys/2026-my"' in department.text and "政务公开满意度调查" in text_of(department.text)
    assert 'href="/surveys/2026-my"' not in visitor.get("/departments/150981").text
