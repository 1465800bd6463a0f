"""Security from the first commit: headers, guards on every staff route, OpenAPI, error pages."""

from __future__ import annotations

from litestar import get

from evaluation.core.web import PUBLIC
from tests.conftest import text_of


def test_every_route_is_guarded_or_explicitly_public(app):
    unguarded = []
    for route in app.routes:
        for handler in route.route_handlers:
            # Litestar adds an OPTIONS handler to every path; it answers with the allowed methods only.
            framework_options = handler.http_methods == {"OPTIONS"} and handler.handler_name == "options_handler"
            if framework_options or handler.resolve_guards() or handler.opt.get("public"):
                continue
            unguarded.append(f"{route.path} ({handler.handler_name})")
    assert not unguarded, "neither guarded nor marked public: " + ", ".join(unguarded)


def test_staff_pages_send_anonymous_visitors_to_sign_in(visitor, app):
    staff_routes = {
        route.path: route.methods for route in app.routes
        if route.path.startswith(("/staff", "/inspect")) and "{" not in route.path
    }
    # Open to anyone: signing in and out, and the inspectors' service worker, a static script
    # the browser re-checks after the session has expired too.
    for path in ("/staff/login", "/staff/logout", "/inspect/sw.js"):
        staff_routes.pop(path)
    assert staff_routes
    for path, methods in staff_routes.items():
        if "GET" in methods:
            response = visitor.get(path, follow_redirects=False)
        else:
            response = visitor.post(path, {}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login?next="), path


def test_roles_see_only_their_pages(visitor, people):
    visitor.sign_in("liqiang")
    for path in ("/staff/departments", "/staff/accounts", "/staff/audit"):
        response = visitor.get(path)
        assert response.status_code == 403, path
        assert "没有权限" in text_of(response.text)
    visitor.post("/staff/logout")
    visitor.sign_in("zhaoli")
    assert visitor.get("/staff/audit").status_code == 200
    assert visitor.get("/staff/departments").status_code == 200
    assert visitor.get("/staff/accounts").status_code == 403


def test_pages_carry_security_headers(visitor):
    response = visitor.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(visitor, departments):
    for path in ("/", "/departments/150902", "/staff/login"):
        html = visitor.get(path).text
        assert "<script>" not in html and " onclick=" not in html, path


def test_openapi_schema_is_for_office_staff_only(visitor, new_visitor, people):
    anonymous = visitor.get("/schema/openapi.json", follow_redirects=False)
    assert anonymous.status_code == 303
    inspector = new_visitor()
    inspector.sign_in("liqiang")
    assert inspector.get("/schema/openapi.json").status_code == 403
    office = new_visitor()
    office.sign_in("wangmin")
    schema = office.get("/schema/openapi.json")
    assert schema.status_code == 200 and schema.json()["info"]["title"].startswith("Pingyi")


def test_forms_without_csrf_token_are_refused(office):
    response = office.client.post("/staff/departments", data={"code": "SZ50", "name": "新局", "group": "municipal"})
    assert response.status_code == 403


def test_error_pages_are_html_in_the_users_language(visitor):
    chinese = visitor.get("/departments/NOPE")
    assert chinese.status_code == 404 and "页面不存在" in text_of(chinese.text)
    visitor.get("/language/en")
    english = visitor.get("/departments/NOPE")
    assert english.status_code == 404 and "Page not found" in text_of(english.text)


def test_bad_request_gets_a_400_page(office):
    response = office.get("/staff/audit", params={"before": "not-a-number"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "请求有误" in text_of(response.text)


def test_unexpected_error_is_a_500_page_without_a_stack_trace(app, visitor):
    @get("/explode", opt=PUBLIC)
    async def explode() -> str:
        raise RuntimeError("secret internals")

    app.register(explode)
    response = visitor.get("/explode")
    assert response.status_code == 500
    assert "服务器出错了" in text_of(response.text)
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_forms_carry_their_csrf_token_as_a_hidden_field(visitor):
    html = visitor.get("/staff/login").text
    assert '<input type="hidden" name="_csrf_token" value="' in html
