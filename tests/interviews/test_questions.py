"""Citizens ask; the office moderates; during the live interview the office posts each answer
naming the guest who gave it; the open page learns of it by a poll that costs nothing when there
is nothing new (PRODUCT.md §3 and Settled questions)."""

from __future__ import annotations

import asyncio
import re

import pytest

import piccolo_conf
from evaluation.core.tables import AuditEntry
from evaluation.interviews import live
from evaluation.interviews.tables import Answer, Interview, Question
from tests.conftest import run, text_of
from tests.interviews.conftest import interview_row, scheduled


def ask(citizen, code, body, name="", **kwargs):
    return citizen.post(f"/interviews/{code}/questions", {"body": body, "display_name": name},
                        follow_redirects=False, **kwargs)


def question_id(body: str) -> int:
    return run(Question.select(Question.id).where(Question.body == body).first())["id"]


def approve(office, body):
    response = office.post(f"/staff/interviews/questions/{question_id(body)}/approve", follow_redirects=False)
    assert response.status_code == 303


def answer(office, code, body, text, guest=None, cast=None):
    data = {"code": code, "body": text, "guest": str(cast[guest]) if guest else ""}
    return office.post(f"/staff/interviews/questions/{question_id(body)}/answer", data, follow_redirects=False)


def version_shown(html: str) -> int:
    return int(re.search(r'data-version="(\d+)"', html).group(1))


def test_a_question_is_public_only_after_the_office_approves_it(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="collecting")
    citizen = new_visitor()
    response = ask(citizen, "ft", "孩子户口和房产不在同一学区怎么办？", "一位家长")
    assert response.status_code == 303 and response.headers["location"] == "/interviews/ft?asked=1#ask"
    row = run(Question.select().first())
    assert (row["status"], row["channel"], row["display_name"]) == ("pending", "web", "一位家长")
    assert not run(AuditEntry.exists().where(AuditEntry.action.like("question%")))  # citizens are not audited
    assert "孩子户口" not in citizen.get("/interviews/ft").text
    console = text_of(office.get("/staff/interviews/ft/questions").text)
    assert "孩子户口和房产不在同一学区怎么办？" in console
    approve(office, "孩子户口和房产不在同一学区怎么办？")
    page = text_of(citizen.get("/interviews/ft").text)
    assert "孩子户口和房产不在同一学区怎么办？" in page and "一位家长" in page and "等待答复" in page
    assert ask(citizen, "ft", "无关广告内容").status_code == 303
    assert office.post(f"/staff/interviews/questions/{question_id('无关广告内容')}/reject",
                       follow_redirects=False).status_code == 303
    assert "无关广告内容" not in citizen.get("/interviews/ft").text
    assert run(AuditEntry.count().where(AuditEntry.action.is_in(["question.approve", "question.reject"]))) == 2


def test_questions_are_refused_before_collecting_and_after_the_close(office, cast, new_visitor):
    scheduled(office, cast, "early", publish=True)
    citizen = new_visitor()
    page = citizen.get("/interviews/early").text
    assert "我要提问" not in page
    response = ask(citizen, "early", "现在可以提问吗？")
    assert response.status_code == 422 and "本场访谈目前不接受提问" in text_of(response.text)
    scheduled(office, cast, "over", day="2030-01-02", status="closed")
    assert ask(citizen, "over", "还能提问吗？").status_code == 422
    assert run(Question.count()) == 0


def test_an_empty_or_too_long_question_is_answered_in_the_form(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="collecting")
    citizen = new_visitor()
    response = ask(citizen, "ft", "   ")
    assert response.status_code == 422 and "请填写您的问题" in text_of(response.text)
    assert 'aria-describedby="body-error"' in response.text
    response = ask(citizen, "ft", "问" * 501, "名" * 31)
    assert "问题不能超过 500 个字" in text_of(response.text) and "署名不能超过 30 个字" in text_of(response.text)


def test_htmx_swaps_the_question_form_for_its_thanks(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="collecting")
    citizen = new_visitor()
    response = ask(citizen, "ft", "招生报名什么时候开始？", headers={"HX-Request": "true", "HX-Target": "ask"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="ask"')
    assert "问题已提交，审核通过后会显示在本页" in text_of(response.text)


def test_a_question_without_the_csrf_token_is_refused(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="collecting")
    citizen = new_visitor()
    citizen.get("/interviews/ft")
    response = citizen.client.post("/interviews/ft/questions", data={"body": "没有令牌的问题"})
    assert response.status_code == 403
    assert run(Question.count()) == 0


def test_questions_from_one_address_are_limited_per_hour(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="collecting")
    citizen = new_visitor()
    for n in range(10):
        assert ask(citizen, "ft", f"第 {n} 个问题").status_code == 303
    refused = ask(citizen, "ft", "第 11 个问题")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "提问太频繁" in text_of(refused.text) and "第 11 个问题" in refused.text
    assert run(Question.count()) == 10


def test_the_office_answers_live_naming_the_guest(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="collecting", guests=("王海涛", "刘芳"))
    citizen = new_visitor()
    ask(citizen, "ft", "随迁子女需要哪些材料？", "张先生")
    approve(office, "随迁子女需要哪些材料？")
    too_early = answer(office, "ft", "随迁子女需要哪些材料？", "居住证等。", "刘芳", cast)
    assert too_early.status_code == 422 and "直播开始后才能发布答复" in text_of(too_early.text)
    assert office.post("/staff/interviews/ft/move", {"to": "live"}, follow_redirects=False).status_code == 303
    no_guest = answer(office, "ft", "随迁子女需要哪些材料？", "居住证等。")
    assert no_guest.status_code == 422 and "请选择回答问题的嘉宾" in text_of(no_guest.text)
    not_a_guest = answer(office, "ft", "随迁子女需要哪些材料？", "居住证等。", "郑洁", cast)
    assert not_a_guest.status_code == 422 and "请选择本场访谈的嘉宾" in text_of(not_a_guest.text)
    assert answer(office, "ft", "随迁子女需要哪些材料？", "需要居住证和就业证明。", "刘芳", cast).status_code == 303
    stored = run(Answer.select().first())
    assert (stored["kind"], stored["answered_by"]) == ("live", cast["刘芳"])
    page = text_of(citizen.get("/interviews/ft").text)
    assert "需要居住证和就业证明。" in page and "刘芳（基础教育科科长） · 现场答复" in page
    again = answer(office, "ft", "随迁子女需要哪些材料？", "再答一次", "刘芳", cast)
    assert again.status_code == 422 and "该问题已经答复过了" in text_of(again.text)


class QueryCounter:
    """Counts the statements the app sends to the database (same process as the test client)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        engine = piccolo_conf.DB
        original = engine.run_querystring

        async def counted(*args, **kwargs):
            self.count += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(engine, "run_querystring", counted)


def test_the_open_page_polls_and_a_poll_with_nothing_new_costs_no_query(office, cast, new_visitor, monkeypatch):
    scheduled(office, cast, "ft", status="live")
    citizen = new_visitor()
    ask(citizen, "ft", "今年招生有什么变化？")
    approve(office, "今年招生有什么变化？")
    page = citizen.get("/interviews/ft").text
    version = version_shown(page)
    assert f'hx-get="/interviews/ft/live?since={version}"' in page and 'hx-trigger="every 5s"' in page
    live.versions.clear()
    assert citizen.get(f"/interviews/ft/live?since={version}").status_code == 204  # reads the versions once
    queries = QueryCounter(monkeypatch)
    for _ in range(20):
        poll = citizen.get(f"/interviews/ft/live?since={version}")
        assert poll.status_code == 204 and poll.content == b""
    assert queries.count == 0
    monkeypatch.undo()
    assert answer(office, "ft", "今年招生有什么变化？", "以房产所在地为主。", "王海涛", cast).status_code == 303
    news = citizen.get(f"/interviews/ft/live?since={version}")
    assert news.status_code == 200
    assert "以房产所在地为主。" in text_of(news.text)
    assert version_shown(news.text) > version
    assert citizen.get(f"/interviews/ft/live?since={version_shown(news.text)}").status_code == 204


def test_a_change_made_through_another_worker_is_seen_within_a_second(office, cast, new_visitor, monkeypatch):
    scheduled(office, cast, "ft", status="live")
    citizen = new_visitor()
    version = version_shown(citizen.get("/interviews/ft").text)
    assert citizen.get(f"/interviews/ft/live?since={version}").status_code == 204
    # Another worker approves a question: this worker's memory knows nothing of it …
    run(Question.insert(Question(interview=interview_row("ft")["id"], body="别的进程批准的问题", status="approved",
                                 created_at=interview_row("ft")["created_at"])))
    run(Interview.update({Interview.live_version: version + 1}).where(Interview.code == "ft"))
    # … until its versions are a second old, when the next poll reads them again.
    monkeypatch.setattr(live, "REFRESH_SECONDS", 0.0)
    news = citizen.get(f"/interviews/ft/live?since={version}")
    assert news.status_code == 200 and "别的进程批准的问题" in news.text


def test_the_page_stops_polling_once_the_interview_is_archived(office, cast, new_visitor):
    scheduled(office, cast, "ft", status="archived")
    page = new_visitor().get("/interviews/ft").text
    assert "hx-trigger" not in page.split('id="live"')[1].split(">")[0]


def test_polls_arriving_while_the_news_is_rendered_share_that_one_render():
    renders = 0

    async def render() -> str:
        nonlocal renders
        renders += 1
        await asyncio.sleep(0.05)
        return "<section>new</section>"

    async def hundred_polls() -> list[str | None]:
        return await asyncio.gather(*(live.render_once("ft", "zh_CN", render) for _ in range(100)))

    assert asyncio.run(hundred_polls()) == ["<section>new</section>"] * 100
    assert renders == 1
