"""What a citizen sees around their rating: the same thank-you with and without JavaScript, what
they chose and when, every field error tied to its field, the answer state of public criticism
with its deadline as a last working day, and line breaks kept."""

from __future__ import annotations

import datetime as dt
import re

from evaluation.core import clock, working_days
from evaluation.ratings.tables import CommentStatus, Rating, RatingAnswer
from tests.conftest import reason_id, run, text_of

HTMX = {"HX-Request": "true", "HX-Target": "rating"}
PROMISE = "该单位将在规定期限内公开答复"


def _thank_you(html: str) -> str:
    return re.search(r'<section id="rating".*?</section>', html, flags=re.S).group(0)


def test_the_thank_you_is_the_same_with_and_without_javascript(visitor, new_visitor, period):
    negative = {"level": "unsatisfied", "reason": reason_id("内容过时")}
    visitor.get("/departments/150902")
    in_place = visitor.post("/departments/150902/ratings", negative, headers=HTMX)
    other = new_visitor()
    other.get("/departments/150902")
    redirected = other.post("/departments/150902/ratings", negative, follow_redirects=False)
    assert redirected.status_code == 303
    whole = other.get(redirected.headers["location"])
    assert _thank_you(in_place.text) == _thank_you(whole.text)
    assert PROMISE in text_of(whole.text) and "感谢您的评价" in text_of(whole.text)
    assert 'data-focus-after-swap' in _thank_you(in_place.text)
    # A positive rating is thanked without the promise, both ways too.
    third = new_visitor()
    third.get("/departments/SZ03")
    positive = third.get(third.post("/departments/SZ03/ratings", {"level": "satisfied"},
                                    follow_redirects=False).headers["location"])
    assert "感谢您的评价" in text_of(positive.text) and PROMISE not in text_of(positive.text)


def test_a_citizen_who_has_rated_sees_what_they_chose_and_when(visitor, period):
    visitor.get("/departments/150902")
    visitor.post("/departments/150902/ratings", {"level": "basic"}, headers=HTMX)
    saved = run(Rating.select(Rating.created_at).first())["created_at"]
    page = text_of(visitor.get("/departments/150902").text)
    assert "您已在2026年度社会评议中评价过该单位" in page
    assert f"您的评价：基本满意（{clock.format_local(saved)[:16]}）" in page
    visitor.get("/language/en")
    english = text_of(visitor.get("/departments/150902").text)
    assert "Your rating: Fairly satisfied (" in english


def test_every_field_error_is_tied_to_its_field(visitor, period):
    visitor.get("/departments/150902")
    refused = visitor.post("/departments/150902/ratings",
                           {"level": "unsatisfied", "reason": reason_id("其他"), "comment": "x" * 1001},
                           headers=HTMX)
    assert refused.status_code == 422
    errors = re.findall(r'<p class="field-error"( id="([^"]+)")?', refused.text)
    assert len(errors) >= 2
    for with_id, error_id in errors:
        assert with_id, "a field error without an id"
        assert re.search(rf'aria-describedby="[^"]*\b{error_id}\b', refused.text), error_id
    assert 'data-focus-after-swap' in refused.text


def _negative_rating(comment: str, due_day: dt.date, approved: bool = True) -> int:
    async def insert() -> int:
        from evaluation.core.tables import Department
        from evaluation.ratings.tables import EvaluationPeriod

        period = await EvaluationPeriod.select(EvaluationPeriod.id).first()
        department = await Department.select(Department.id).where(Department.code == "150902").first()
        rows = await Rating.insert(Rating(
            period=period["id"], department=department["id"], channel="public", level="unsatisfied",
            source="web", voter_id=f"v-{comment[:4]}-{due_day}", comment=comment,
            comment_status=(CommentStatus.approved if approved else CommentStatus.pending).value,
            created_at=clock.now(), answer_due=working_days.end_of_day(due_day),
        )).returning(Rating.id)
        return rows[0]["id"]

    return run(insert())


def test_public_criticism_shows_its_answer_state_and_deadline_as_the_last_working_day(visitor, new_visitor,
                                                                                     people, period):
    waiting = _negative_rating("第一行\n第二行 <b>粗</b>", dt.date(2026, 12, 11))
    answered = _negative_rating("早已答复的意见", dt.date(2026, 12, 18))
    liaison = new_visitor()
    liaison.sign_in("chenjing")
    liaison.post(f"/staff/answers/{answered}", {"body": "已更新。\n请查看新栏目。"})
    answered_on = clock.format_local(run(RatingAnswer.select().first())["answered_at"])[:10]

    page = visitor.get("/departments/150902/results")
    shown = text_of(page.text)
    assert "待答复，期限 2026-12-11（星期五）" in shown
    assert f"已答复 {answered_on}" in shown and "2026-12-18" not in shown
    # Line breaks kept, the text escaped: a pre-line paragraph holds the newline itself.
    assert '<p class="comment">第一行\n第二行 &lt;b&gt;粗&lt;/b&gt;</p>' in page.text
    assert '<p class="answer-body">已更新。\n请查看新栏目。</p>' in page.text
    css = visitor.get("/static/app.css").text
    assert re.search(r"\.answer-body, \.comment[^{]*\{ white-space: pre-line; \}", css)

    # The liaison's list gives the same last day, not 00:00 of the next one.
    answers = text_of(liaison.get("/staff/answers").text)
    assert "答复期限：2026-12-11（星期五）" in answers and "2026-12-12" not in answers
    visitor.get("/language/en")
    english = text_of(visitor.get("/departments/150902/results").text)
    assert "Fri 11 Dec 2026" in english
    assert waiting


def test_the_deadline_reads_as_its_last_day_in_both_languages():
    from evaluation.core import i18n

    due = working_days.end_of_day(dt.date(2026, 12, 11))
    assert clock.format_local(due).startswith("2026-12-12 00:00")
    i18n.activate("zh_CN")
    assert working_days.last_day_of(due) == "2026-12-11（星期五）"
    i18n.activate("en")
    assert working_days.last_day_of(due) == "Fri 11 Dec 2026"
    i18n.activate("zh_CN")
    assert working_days.last_day_of(None) == ""
