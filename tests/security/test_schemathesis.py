"""Schemathesis against the app's own OpenAPI schema: every operation, sent generated paths,
queries and forms by the office (signed in, with its CSRF token, so that writes reach their
handlers) on a live server over the test database; not one answer is a server error (issue 16,
"Kept in the suite"). Bounded: a few examples per operation, about a minute in all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given

from app import create_app
from evaluation.core.tables import Account, SignInFailure
from tests.conftest import PASSWORD, PASSWORD_HASH, run
from tests.live_server import LiveServer

pytestmark = pytest.mark.fuzz

EXAMPLES_PER_OPERATION = 10
# Signing out would leave the rest of the run anonymous, and every page then just says "sign in".
LEFT_OUT = {("POST", "/staff/logout")}


def _schema() -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(create_app().openapi_schema.to_schema())


def _signed_in(base_url: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base_url}/staff/login", timeout=10)
    token = session.cookies["csrftoken"]
    answer = session.post(f"{base_url}/staff/login", data={"username": "wangmin", "password": PASSWORD,
                                                          "_csrf_token": token}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    session.headers["x-csrftoken"] = session.cookies["csrftoken"]
    return session


def _server_errors(operation: Any, base_url: str, session: requests.Session) -> list[str]:
    """The generated requests of one operation that the server answered with a 5xx."""
    examples: list[str] = []

    @given(case=operation.as_strategy())
    @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, session=session, timeout=30)
        if response.status_code >= 500:
            examples.append(f"{case.formatted_path} {case.query or ''} {case.body or ''}"[:200])

    check()
    return examples


def test_no_operation_of_the_schema_answers_a_server_error(people, period, tmp_path: Path):
    server = LiveServer(env={**os.environ, "PINGYI_VAR_DIR": str(tmp_path / "var")}, log_path=tmp_path / "server.log")
    server.start()
    failures: list[str] = []
    operations = 0
    try:
        for result in _schema().get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in LEFT_OUT:
                continue
            operations += 1
            # An operation may have changed the office's own account (made it inactive, given it
            # a new password): each starts from the office as it was, signed in afresh.
            run(Account.update({Account.active: True, Account.password: PASSWORD_HASH, Account.role: "office"})
                .where(Account.username == "wangmin"))
            run(SignInFailure.delete(force=True))
            session = _signed_in(server.base_url)
            examples = _server_errors(operation, server.base_url, session)
            if examples:
                failures.append(f"{operation.method.upper()} {operation.path}: {len(examples)} × 500, "
                                f"e.g. {examples[0]}")
    finally:
        server.stop()
    assert operations > 100
    assert not failures, "\n".join(failures)
