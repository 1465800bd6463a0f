"""Citizens rate a department's published information (社会评议)."""

from __future__ import annotations

import datetime as dt
import re

from evaluation.ratings import periods
from evaluation.ratings.tables import CommentStatus, Rating
from tests.conftest import open_period, reason_id, run, text_of


def test_a_citizen_rates_a_department_and_is_thanked(visitor, period):
    page = visitor.get("/departments/150902")
    assert "评价该单位的信息公开" in text_of(page.text)
    assert "voter" in page.cookies
    response = visitor.post("/departments/150902/ratings", {"level": "satisfied", "criterion_timeliness": "basic",
                                                            "comment": "财政预算公开得很及时"})
    assert response.status_code == 200 and "感谢您的评价" in text_of(response.text)
    saved = run(Rating.select().first())
    assert saved["level"] == "satisfied" and saved["channel"] == "public" and saved["source"] == "web"
    assert saved["comment_status"] == CommentStatus.pending.value and saved["answer_due"] is None


def test_with_htmx_the_thank_you_replaces_the_form_in_place(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "very_satisfied"},
                            headers={"HX-Request": "true", "HX-Target": "rating"})
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="rating"' in response.text and "感谢您的评价" in text_of(response.text)


def test_a_second_rating_from_the_same_browser_is_refused_kindly(visitor, period):
    visitor.get("/departments/150902")
    visitor.post("/departments/150902/ratings", {"level": "satisfied"})
    again = visitor.post("/departments/150902/ratings", {"level": "very_unsatisfied", "reason": reason_id("内容过时")})
    assert again.status_code == 200
    assert "您已在2026年度社会评议中评价过该单位" in text_of(again.text)
    assert run(Rating.count()) == 1
    assert "您已在2026年度社会评议中评价过该单位" in text_of(visitor.get("/departments/150902").text)


def test_the_same_browser_may_rate_another_department(visitor, period):
    visitor.get("/departments/150902")
    visitor.post("/departments/150902/ratings", {"level": "satisfied"})
    visitor.post("/departments/SZ03/ratings", {"level": "basic"})
    assert run(Rating.count()) == 2


def test_unsatisfied_rating_requires_a_reason(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "unsatisfied", "comment": "找不到预算"})
    assert response.status_code == 422
    assert "请选择一个原因" in text_of(response.text)
    assert "找不到预算" in response.text  # nothing typed is lost
    assert run(Rating.count()) == 0


def test_the_reason_other_requires_text(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "very_unsatisfied", "reason": reason_id("其他")})
    assert response.status_code == 422 and "选择“其他”时，请写明具体原因" in text_of(response.text)
    ok = visitor.post("/departments/150902/ratings", {"level": "very_unsatisfied", "reason": reason_id("其他"),
                                                      "reason_text": "网站经常打不开"})
    assert ok.status_code == 200
    saved = run(Rating.select().first())
    assert saved["reason_text"] == "网站经常打不开" and saved["answer_due"] is not None


def test_a_level_outside_the_scale_is_refused(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "excellent"})
    assert response.status_code == 422 and "请选择总体评价" in text_of(response.text)


def test_outside_the_period_the_page_says_when_it_opens(visitor, departments):
    today = periods.today()
    open_period("2027-pj", opens=today + dt.timedelta(days=10), closes=today + dt.timedelta(days=40))
    text = text_of(visitor.get("/departments/150902").text)
    assert "评议尚未开始" in text and (today + dt.timedelta(days=10)).isoformat() in text
    response = visitor.post("/departments/150902/ratings", {"level": "satisfied"})
    assert response.status_code == 422 and run(Rating.count()) == 0


def test_ratings_are_rate_limited_per_address_and_department(visitor, new_visitor, period, monkeypatch):
    for _ in range(20):
        browser = new_visitor()
        browser.get("/departments/150902")
        assert browser.post("/departments/150902/ratings", {"level": "satisfied"}).status_code == 200
    stuffing = new_visitor()
    stuffing.get("/departments/150902")
    refused = stuffing.post("/departments/150902/ratings", {"level": "satisfied"})
    assert refused.status_code == 429 and "评价次数过多" in text_of(refused.text)
    assert run(Rating.count()) == 20
    assert stuffing.post("/departments/SZ03/ratings", {"level": "satisfied"}).status_code == 200


def test_citizens_share_one_rendering_of_the_page_but_each_gets_their_own_token(new_visitor, office, period):
    first, second = new_visitor(), new_visitor()
    pages = [first.get("/departments/150902").text, second.get("/departments/150902").text]
    tokens = [re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert tokens == [first.client.cookies["csrftoken"], second.client.cookies["csrftoken"]]
    assert all(f'"x-csrftoken": "{token}"' in page for token, page in zip(tokens, pages, strict=True))
    sent = second.client.post("/departments/150902/ratings", data={"level": "satisfied", "_csrf_token": tokens[1]})
    assert "感谢您的评价" in text_of(sent.text)
    # Once rated, that browser sees its own state; the office's change shows to everyone at once.
    assert "评价过该单位" in text_of(second.get("/departments/150902").text)
    office.post("/staff/departments/150902/catalogue", {"title": "财政预决算", "description": "", "url": ""})
    assert "财政预决算" in text_of(first.get("/departments/150902").text)
    assert "评价过该单位" not in text_of(first.get("/departments/150902").text)
