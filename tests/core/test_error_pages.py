"""Error pages in the chosen language, HEAD wherever GET answers, a GET of a POST-only address
sent back to its form, and a stale form's token told as an expired page."""

from __future__ import annotations

from litestar import get

from evaluation.core.web import PUBLIC
from tests.conftest import CSRF_FIELD, text_of


def test_an_address_no_route_answers_is_a_404_in_the_chosen_language(visitor):
    assert "页面不存在" in text_of(visitor.get("/no/such/page").text)
    visitor.get("/language/en")
    english = visitor.get("/no/such/page")
    assert english.status_code == 404 and "Page not found" in text_of(english.text)
    assert 'lang="en"' in english.text


def test_a_get_of_a_post_only_address_goes_back_to_the_page_the_form_was_on(visitor, departments):
    # The language switch on a page a form's POST rendered asks for that address with GET.
    response = visitor.get("/language/en?next=/departments/150902/ratings", follow_redirects=True)
    assert response.status_code == 200 and str(response.url).endswith("/departments/150902")
    assert 'lang="en"' in response.text
    came_from = visitor.get("/panel/exit", headers={"Referer": "http://testserver.local/results"},
                            follow_redirects=False)
    assert came_from.status_code == 303 and came_from.headers["location"] == "/results"
    elsewhere = visitor.get("/panel/exit", headers={"Referer": "https://evil.example/x"}, follow_redirects=False)
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/panel"


def test_error_pages_speak_english_when_chosen(app, visitor, people):
    @get("/explode", opt=PUBLIC)
    async def explode() -> str:
        raise RuntimeError("secret internals")

    app.register(explode)
    visitor.get("/language/en")
    assert "Server error" in text_of(visitor.get("/explode").text)
    not_here = visitor.post("/healthz")
    assert not_here.status_code == 405 and "Action not supported" in text_of(not_here.text)
    assert "Too many wrong codes" in text_of(_panel_locked_out(visitor).text)
    visitor.sign_in("liqiang")
    forbidden = visitor.get("/staff/accounts")
    assert forbidden.status_code == 403 and "not allowed" in text_of(forbidden.text)
    visitor.client.cookies.clear()
    visitor.get("/language/en")
    visitor.sign_in("wangmin")
    too_big = visitor.upload("/staff/ratings/import", "big.csv", b"x" * (11 * 1024 * 1024))
    assert too_big.status_code == 413 and "too large" in text_of(too_big.text)


def _panel_locked_out(visitor):
    for _ in range(200):
        answer = visitor.post("/panel", {"code": "ABCD-EFGH-JKMN-PQRS"})
        if answer.status_code == 429:
            assert answer.headers["retry-after"]
            return answer
    raise AssertionError("never braked")


def test_head_answers_wherever_get_does(visitor, period):
    for path in ("/", "/departments/150902", "/results", "/panel"):
        got, head = visitor.get(path), visitor.client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]


def test_a_rating_with_a_missing_token_says_the_page_expired_and_keeps_the_form(visitor, period):
    visitor.get("/departments/150902")
    typed = {"level": "unsatisfied", "comment": "办事指南三年没更新了", CSRF_FIELD: "stale"}
    in_place = visitor.client.post("/departments/150902/ratings", data=typed,
                                   headers={"HX-Request": "true", "HX-Target": "rating"})
    assert in_place.status_code == 403
    assert "页面已过期，请刷新后重试" in text_of(in_place.text) and "无权" not in in_place.text
    assert in_place.headers["hx-reswap"] == "afterbegin" and in_place.headers["hx-retarget"] == "#rating"
    visitor.client.cookies.clear()
    whole = visitor.client.post("/departments/150902/ratings", data={"level": "good", "comment": "第二条\n留言"},
                                headers={"Referer": "http://testserver.local/departments/150902"})
    assert whole.status_code == 403
    shown = text_of(whole.text)
    assert "页面已过期，请刷新后重试" in shown and "账户" not in shown
    assert "第二条\n留言" in whole.text and 'href="/departments/150902"' in whole.text
