"""What enters the platform is cleaned once, and no input, however odd, makes a page fail:
control characters and bidi overrides (ASVS V5.1.3), numbers no column can hold, oversized
public forms (issue 16, "Input")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from evaluation.core.tables import Department
from evaluation.interviews.tables import Question
from evaluation.ratings.tables import EvaluationPeriod, Rating
from tests.conftest import run, text_of
from tests.core.test_cli import pingyi
from tests.interviews.conftest import cast, scheduled  # noqa: F401 (a fixture)

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE = "预算\x00公开\x01\x1b\x7f\x85" + BIDI + "及时\r\n第二行\t完"
CLEAN = "预算公开及时\n第二行\t完"


def _has_bidi(text: str) -> bool:
    return any(character in text for character in BIDI)


def test_a_comment_with_nul_control_and_bidi_characters_is_stored_without_them(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "satisfied", "comment": HOSTILE})
    assert response.status_code == 200 and "感谢您的评价" in text_of(response.text)
    assert run(Rating.select(Rating.comment).first())["comment"] == CLEAN


def test_a_refused_form_shows_what_was_typed_without_control_or_bidi_characters(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "unsatisfied", "comment": HOSTILE})
    assert response.status_code == 422
    assert "预算公开及时" in response.text and not _has_bidi(response.text) and "\x00" not in response.text
    assert run(Rating.count()) == 0


def test_a_multipart_form_is_cleaned_too(visitor, period):
    visitor.get("/departments/150902")
    token = visitor.csrf_token()
    response = visitor.client.post("/departments/150902/ratings",
                                   files={"level": (None, "satisfied"), "comment": (None, HOSTILE),
                                          "_csrf_token": (None, token)})
    assert response.status_code == 200
    assert run(Rating.select(Rating.comment).first())["comment"] == CLEAN


def test_searches_and_addresses_with_nul_answer_without_failing(visitor, departments):
    assert visitor.get("/?q=%E9%9B%86%00%E5%AE%81").status_code == 200
    assert "集宁区" in text_of(visitor.get("/?q=%E9%9B%86%00%E5%AE%81").text)
    # Removed, not refused: the NUL never reaches the database, the code is found without it.
    assert "集宁区" in text_of(visitor.get("/departments/1509%0002").text)
    assert visitor.get("/departments/%E2%80%AE150902").status_code == 200


def test_bidi_overrides_already_in_the_database_never_reach_a_page(visitor, departments):
    run(Department.update({Department.name: "集宁区\u202egpj.exe"}).where(Department.code == "150902"))
    for path in ("/", "/departments/150902", "/?q=%E9%9B%86"):
        page = visitor.get(path)
        assert page.status_code == 200 and "集宁区gpj.exe" in page.text and not _has_bidi(page.text)


def test_an_interview_question_is_cleaned(office, cast, new_visitor):  # noqa: F811 (the fixture)
    scheduled(office, cast, "ft", status="collecting")
    citizen = new_visitor()
    response = citizen.post("/interviews/ft/questions", {"body": HOSTILE, "display_name": "张\x00三\u202e"},
                            follow_redirects=False)
    assert response.status_code == 303
    saved = run(Question.select(Question.body, Question.display_name).first())
    assert saved["body"] == CLEAN and saved["display_name"] == "张三"


def _int_path_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route with an integer in its path, from the app's route table,
    each integer a number no column holds and each other parameter a plausible value."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not any(p.type is int for p in route.path_parameters.values()):
            continue
        path = route.path_format
        for name, parameter in route.path_parameters.items():
            # One past a 32-bit id (PostgreSQL's Serial); past 64 bits is tried in a query below.
            path = path.replace("{" + name + "}", str(2**31) if parameter.type is int else "x")
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def test_every_route_with_a_number_in_its_path_answers_404_to_a_number_too_large(app, office):
    routes = _int_path_routes(app)
    assert len(routes) > 40
    for method, path in routes:
        response = office.client.get(path) if method == "GET" else office.post(path, {"x": "1"})
        assert response.status_code == 404, (method, path, response.status_code)
        if path.endswith(".json"):  # open data answers in its own format
            assert response.json()["status_code"] == 404, path
        else:
            assert "页面不存在" in text_of(response.text)


@pytest.mark.parametrize("path", [
    "/staff/audit?before=99999999999999999999",
    "/staff/panel?created=-99999999999999999999",
    "/staff/reports?year=99999999999999999999",
    "/interviews/x/live?since=99999999999999999999",
])
def test_numbers_too_large_in_a_query_answer_400(office, path):
    response = office.get(path)
    assert response.status_code in (400, 404), response.status_code
    assert response.status_code != 500


def test_a_public_form_over_64_kb_is_refused_in_the_users_language(visitor, period):
    visitor.get("/departments/150902")
    response = visitor.post("/departments/150902/ratings", {"level": "satisfied", "comment": "长" * 40_000})
    assert response.status_code == 413 and "上传的内容超过了大小限制" in text_of(response.text)
    assert "长长长长" not in response.text and run(Rating.count()) == 0
    visitor.client.cookies.set("lang", "en")
    english = visitor.post("/departments/150902/ratings", {"level": "satisfied", "comment": "x" * 70_000})
    assert english.status_code == 413 and "too large" in text_of(english.text).lower()


def test_an_error_page_echoes_no_more_than_the_fields_limit(visitor, period):
    visitor.get("/departments/150902")
    typed = "评" * 6_000  # within 64 KB as form data (9 bytes a character), six times the comment's limit
    response = visitor.post("/departments/150902/ratings", {"level": "satisfied", "comment": typed})
    assert response.status_code == 422 and "留言不能超过 1000 个字" in text_of(response.text)
    assert re.search("评{1000}", response.text) and not re.search("评{1001}", response.text)
    assert run(Rating.count()) == 0


def test_an_imported_file_is_cleaned_like_a_form(office, tmp_path):
    content = ("code,name,group\n" + "SZ90,市统计局\x01\u202e,市直单位\n").encode("utf-8")
    response = office.upload("/staff/departments/import", "departments.csv", content)
    assert response.status_code in (200, 303), response.status_code
    assert run(Department.select(Department.name).where(Department.code == "SZ90").first())["name"] == "市统计局"
    # The same file through the command line.
    (tmp_path / "more.csv").write_bytes(content.replace(b"SZ90", b"SZ91"))
    assert pingyi("departments", "import", str(tmp_path / "more.csv")) == 0
    assert run(Department.select(Department.name).where(Department.code == "SZ91").first())["name"] == "市统计局"


def test_command_line_arguments_are_cleaned_like_a_form(people, capsys):
    assert pingyi("period", "create", "--code", "2027-pj", "--name", "2027\x1b年度\u202e评议",
                  "--opens", "2027-01-01", "--closes", "2027-12-31") == 0
    saved = run(EvaluationPeriod.select(EvaluationPeriod.name).where(EvaluationPeriod.code == "2027-pj").first())
    assert saved["name"] == "2027年度评议"


def test_what_schemathesis_found_answers_404(office):
    # A code that is all digits is also tried as an id: one too large for a column is no id.
    assert office.get("/staff/rounds/999999999999999999999999999999/ranking/ranking.xlsx").status_code == 404
    assert office.get("/staff/periods/999999999999999999999999999999/edit").status_code == 404
    assert office.post("/staff/accounts/nobody/password", {"password": "short"}).status_code == 404
    assert office.post("/staff/reports/4267648062319310/start").status_code == 404
