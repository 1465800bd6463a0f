"""The per-address limit on rating submissions when its counts live in the worker's memory
(one worker without Redis): the same answers and headers as Litestar's own middleware, which
the other tests exercise with the file store that several workers share."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient

from evaluation.ratings.routes import ratings as rating_routes
from evaluation.ratings.tables import Rating
from settings import settings
from tests.conftest import Visitor, run, text_of

LIMIT = 20  # the default of PINGYI_RATINGS_PER_HOUR
HTMX = {"HX-Request": "true", "HX-Target": "rating"}


@pytest.fixture
def one_worker(monkeypatch: pytest.MonkeyPatch) -> Any:
    import app as app_module

    monkeypatch.setattr(app_module, "settings", dataclasses.replace(settings, workers=1))
    app = app_module.create_app()
    assert isinstance(app.stores.get("rate_limit_ratings"), MemoryStore)
    return app


def test_the_limit_in_memory_answers_as_litestars(one_worker, period):
    assert settings.ratings_per_hour == LIMIT
    with TestClient(app=one_worker, base_url="http://testserver.local") as client:
        browser = Visitor(client)
        remaining = []
        for _ in range(LIMIT):
            client.cookies.clear()  # another browser (voter cookie) at the same address
            browser.get("/departments/150902")  # a GET is not counted
            answer = browser.post("/departments/150902/ratings", {"level": "satisfied"}, headers=HTMX)
            assert answer.status_code == 200 and "感谢您的评价" in text_of(answer.text)
            assert answer.headers["ratelimit-policy"] == f"{LIMIT}; w=3600"
            assert answer.headers["ratelimit-limit"] == str(LIMIT)
            assert 3590 <= int(answer.headers["ratelimit-reset"]) <= 3600
            remaining.append(int(answer.headers["ratelimit-remaining"]))
        assert remaining == list(range(LIMIT - 1, -1, -1))

        client.cookies.clear()
        browser.get("/departments/150902")
        refused = browser.post("/departments/150902/ratings", {"level": "satisfied"}, headers=HTMX)
        assert refused.status_code == 429 and "操作太频繁" in text_of(refused.text)
        assert run(Rating.count()) == LIMIT
        # Per address and department: another department is still open to this address.
        assert browser.post("/departments/SZ03/ratings", {"level": "satisfied"}, headers=HTMX).status_code == 200


def test_ended_windows_are_swept() -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        return None

    middleware = rating_routes.RatingLimitMiddleware(app=inner, config=rating_routes.rating_limit)
    middleware._counts = {"ended": (3, 100), "open": (1, 200), "ends-now": (2, 150)}
    middleware._prune(150)
    assert middleware._counts == {"open": (1, 200)}
