"""A large import does not stop the city: while the office imports 20,000 departments, a citizen's
rating is still thanked at once (the import writes 500 rows per transaction, and the citizen's
insert takes its turn between two of them), and every department of the file is there after."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx

from evaluation.core.tables import AuditEntry, Department
from evaluation.ratings.tables import Rating
from tests.conftest import CSRF_FIELD, PASSWORD, run
from tests.ratings.test_rating_concurrency import HTMX_HEADERS, THANKS

IMPORTED = 20_000
# Far under the 19 s a citizen waited when the whole file was one transaction; a chunk takes
# tens of milliseconds, the rest is a slow shared machine.
QUICK_SECONDS = 2.0


def _file() -> bytes:
    lines = ["code,name,group"] + [f"D{n:05d},第{n}号测试单位,市直单位" for n in range(IMPORTED)]
    return ("\n".join(lines) + "\n").encode()


@contextlib.contextmanager
def office_on(base_url: str) -> Iterator[httpx.Client]:
    """The office's browser on a live server, signed in; slow answers (a large import) awaited."""
    with httpx.Client(base_url=base_url, timeout=300) as office:
        office.get("/staff/login")
        signed_in = office.post("/staff/login", data={"username": "wangmin", "password": PASSWORD,
                                                      CSRF_FIELD: office.cookies["csrftoken"]})
        assert signed_in.status_code == 303, signed_in.text
        yield office


def _import_as_office(base_url: str, outcome: dict[str, object]) -> None:
    with office_on(base_url) as office:
        outcome["started"] = time.monotonic()
        answer = office.post("/staff/departments/import", data={CSRF_FIELD: office.cookies["csrftoken"]},
                             files={"file": ("departments.csv", _file())})
        outcome["finished"] = time.monotonic()
        outcome["status"], outcome["text"] = answer.status_code, answer.text


def rate(base_url: str, department: str = "150902") -> tuple[float, float, str]:
    """One citizen's browser: opens the page, rates; (when answered, seconds it took, what it said)."""
    with httpx.Client(base_url=base_url, timeout=60) as citizen:
        citizen.get(f"/departments/{department}")
        sent = time.monotonic()
        answer = citizen.post(f"/departments/{department}/ratings",
                              data={"level": "satisfied", CSRF_FIELD: citizen.cookies["csrftoken"]},
                              headers=HTMX_HEADERS)
        answered = time.monotonic()
        assert answer.status_code == 200, answer.text
        return answered, answered - sent, answer.text


def test_a_citizen_is_thanked_quickly_while_twenty_thousand_departments_are_imported(people, period, start_server):
    base_url, _log = start_server(workers=1)
    outcome: dict[str, object] = {}
    importer = threading.Thread(target=_import_as_office, args=(base_url, outcome))
    importer.start()
    while "started" not in outcome and importer.is_alive():
        time.sleep(0.05)
    ratings = []
    while importer.is_alive():
        ratings.append(rate(base_url))
    importer.join()

    assert outcome["status"] == 200, outcome["text"]
    during = [(took, text) for answered, took, text in ratings if answered < outcome["finished"]]
    assert len(during) >= 3, f"the import ended before three ratings were answered: {ratings}"
    assert all(THANKS in text for _took, text in during)
    slowest = max(took for took, _text in during)
    assert slowest < QUICK_SECONDS, f"a rating waited {slowest:.2f} s while the import ran"
    assert run(Rating.count()) == len(ratings)
    assert run(Department.count()) == 4 + IMPORTED
    assert run(AuditEntry.count().where(AuditEntry.action == "department.create")) == IMPORTED
