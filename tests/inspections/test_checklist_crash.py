"""Checklist saves survive the server being killed outright, three times, in the middle of the work.

李强 fills the 集宁区 checklist with 1,000 saves against uvicorn serving the test database:
round-robin over the items, each save with an id of its own and the version of the item's
last acknowledged answer as its base, retried unchanged (same id, same base) whenever the
connection fails, until it is answered, as the page's outbox does. Around the 250th, 500th and
750th save the server gets SIGKILL while a save is in flight (before, during or after its
transaction, as chance has it) and is started again on the same port.

Afterwards nothing acknowledged is lost and nothing is stored twice: every save answered 200
(a replay answered with the first result counts) is in answer_save with the version it was
told; each item's versions run 1…n without gaps or repeats and n is the answer's version; the
value and note kept are those of the last acknowledged save; and there is one audit entry per
stored save.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from evaluation.core.tables import AuditEntry
from inspections.tables import AnswerSave, ChecklistAnswer
from tests.conftest import CSRF_FIELD, ENGINE_NAME, PASSWORD, run
from tests.inspections.conftest import Inspection, sample_rows
from tests.live_server import LiveServer, ServerDidNotStart

SAVES = 1_000
KILLS_AT = (250, 500, 750)
REQUEST_TIMEOUT_SECONDS = 10
# A save that no server answers for this long fails the test instead of hanging it.
GIVE_UP_SECONDS = 60
RETRY_PAUSE_SECONDS = 0.05
DEPARTMENT = "150902"  # 集宁区, filled by 第一组 (李强)


@dataclass(frozen=True)
class Item:
    code: str
    indicator_id: int
    answer_id: int
    kind: str
    max_points: Decimal


@dataclass(frozen=True)
class Acknowledged:
    ordinal: int
    save_id: str
    answer_id: int
    base_version: int
    version: int
    value: Decimal | None
    note: str
    replayed: bool
    sent_value: Decimal
    sent_note: str


@pytest.fixture
def server(inspection: Inspection, tmp_path: Path) -> Iterator[LiveServer]:
    """uvicorn over the test database (DATABASE_URL comes from the test environment), with a
    var dir of its own that outlives its restarts: the secret key and the sessions stay."""
    env = {**os.environ, "PINGYI_VAR_DIR": str(tmp_path / "var")}
    live = LiveServer(env=env, log_path=tmp_path / "uvicorn.log")
    try:
        live.start()
    except ServerDidNotStart as failure:
        pytest.fail(str(failure))
    yield live
    live.stop()


def _items(inspection: Inspection) -> list[Item]:
    rows = {row["code"]: row for row in sample_rows()}
    return [
        Item(code, indicator_id, inspection.answers[(DEPARTMENT, code)], rows[code]["kind"],
             Decimal(rows[code]["max_points"]))
        for code, indicator_id in inspection.items.items()
    ]


def _value_for(item: Item, ordinal: int) -> str:
    """A value the item accepts, different from one save of it to the next."""
    if item.kind == "veto":
        return str(ordinal % 2)
    if item.kind == "deduct":
        return str(ordinal % 6)
    steps = int(item.max_points * 2) + 1  # 0, 0.5, … max
    return str(Decimal(ordinal % steps) / 2)


def _sign_in(client: httpx.Client) -> None:
    client.get("/staff/login")
    token = client.cookies.get("csrftoken")
    assert token, "the sign-in page set no CSRF cookie"
    answer = client.post("/staff/login", data={"username": "liqiang", "password": PASSWORD, CSRF_FIELD: token})
    assert answer.status_code == 303, answer.text


class Killer:
    """Kills the server a moment after a save is sent (a random fraction of a typical answer
    time, so sometimes before the save's transaction, sometimes during or after it) and starts
    it again, in a thread of its own while the client keeps retrying."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.thread: threading.Thread | None = None
        self.failure: str | None = None
        self.kills = 0

    def arm(self, delay: float) -> None:
        assert self.thread is None or not self.thread.is_alive(), "the previous restart has not finished"
        self.thread = threading.Thread(target=self._kill_and_restart, args=(delay,), daemon=True)
        self.thread.start()

    def _kill_and_restart(self, delay: float) -> None:
        time.sleep(delay)
        self.server.kill()
        self.kills += 1
        try:
            self.server.start()
        except ServerDidNotStart as failure:
            self.failure = str(failure)

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join(timeout=GIVE_UP_SECONDS)


def _save(client: httpx.Client, checklist_id: int, item: Item, form: dict[str, str], killer: Killer,
          stats: Counter[str]) -> httpx.Response:
    """Sends one save until some server answers it: the same save id and base version every time."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while True:
        token = client.cookies.get("csrftoken", "")
        try:
            answer = client.post(f"/inspect/checklists/{checklist_id}/items/{item.indicator_id}", data=form,
                                 headers={"Accept": "application/json", "x-csrftoken": token})
        except httpx.TransportError:
            stats["connection failures"] += 1
        else:
            if answer.status_code != 401:
                return answer
            stats["signed in again"] += 1
            _sign_in(client)
            continue
        if killer.failure:
            pytest.fail(killer.failure)
        if time.monotonic() > deadline:
            pytest.fail(f"save {form['save_id']} was not answered for {GIVE_UP_SECONDS} s")
        time.sleep(RETRY_PAUSE_SECONDS)


def test_every_acknowledged_save_survives_three_kills_of_the_server(server: LiveServer,
                                                                   inspection: Inspection) -> None:
    checklist_id = inspection.checklists[DEPARTMENT]
    items = _items(inspection)
    rng = random.Random()
    killer = Killer(server)
    stats: Counter[str] = Counter()
    versions = {item.answer_id: 0 for item in items}
    acknowledged: list[Acknowledged] = []
    refused: list[str] = []
    latencies: list[float] = []
    started = time.monotonic()

    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        _sign_in(client)
        for ordinal in range(1, SAVES + 1):
            item = items[(ordinal - 1) % len(items)]
            form = {"save_id": f"crash-{ordinal:04d}-{rng.getrandbits(48):012x}",
                    "base_version": str(versions[item.answer_id]),
                    "value": _value_for(item, ordinal),
                    "note": f"第{ordinal}次保存 ({item.code})"}
            if ordinal in KILLS_AT:
                # The client goes on sending meanwhile: the kill lands on this save or the next.
                killer.join()
                typical = sorted(latencies)[len(latencies) // 2] if latencies else 0.01
                killer.arm(rng.uniform(0, 1.5 * typical))
            sent = time.monotonic()
            answer = _save(client, checklist_id, item, form, killer, stats)
            latencies.append(time.monotonic() - sent)
            if answer.status_code != 200:
                refused.append(f"save {ordinal} ({item.code}): {answer.status_code} {answer.text[:200]}")
                continue
            body = answer.json()
            stats["replayed"] += bool(body.get("replayed"))
            value = Decimal(body["value"]) if body.get("value") is not None else None
            acknowledged.append(Acknowledged(ordinal, form["save_id"], item.answer_id, int(form["base_version"]),
                                             body["version"], value, body["note"], bool(body.get("replayed")),
                                             Decimal(form["value"]), form["note"]))
            versions[item.answer_id] = body["version"]
        killer.join()
    elapsed = time.monotonic() - started
    summary = (f"{ENGINE_NAME}: {len(acknowledged)} acknowledged, {killer.kills} kills, {dict(stats)}, "
               f"{elapsed:.1f} s")
    print(summary)  # shown with -s: how the kills landed this time

    assert killer.kills == len(KILLS_AT), summary
    assert not refused, f"{len(refused)} saves were refused ({summary}):\n" + "\n".join(refused[:10])
    assert len(acknowledged) == SAVES, summary
    for ack in acknowledged:
        assert ack.version == ack.base_version + 1, f"save {ack.ordinal} was told version {ack.version}: {ack}"
        assert (ack.value, ack.note) == (ack.sent_value, ack.sent_note), f"save {ack.ordinal} was answered {ack}"

    stored_saves = run(AnswerSave.select(AnswerSave.save_id, AnswerSave.answer, AnswerSave.version))
    answers = {row["id"]: row for row in run(
        ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.value, ChecklistAnswer.note, ChecklistAnswer.version)
        .where(ChecklistAnswer.checklist == checklist_id)
    )}
    audit_entries = run(AuditEntry.count().where(AuditEntry.action == "checklist.answer"))

    # Every acknowledged save is stored, once, with the version it was told.
    stored_by_id = {row["save_id"]: (row["answer"], row["version"]) for row in stored_saves}
    missing = [ack for ack in acknowledged if stored_by_id.get(ack.save_id) != (ack.answer_id, ack.version)]
    assert not missing, f"{len(missing)} acknowledged saves are not stored as told, e.g. {missing[:3]} ({summary})"
    assert len(stored_saves) == len(acknowledged), f"{len(stored_saves)} saves stored ({summary})"

    # Versions per item: 1…n, no gap, no repeat, n = the answer's version.
    for answer_id, answer in answers.items():
        stored_versions = sorted(row["version"] for row in stored_saves if row["answer"] == answer_id)
        assert stored_versions == list(range(1, answer["version"] + 1)), (answer_id, stored_versions[:20], summary)

    # What is kept is the last acknowledged save of each item.
    last: dict[int, Acknowledged] = {}
    for ack in acknowledged:
        last[ack.answer_id] = ack
    assert set(last) == set(answers), "every item was saved"
    for answer_id, ack in last.items():
        kept = answers[answer_id]
        assert (kept["value"], kept["note"], kept["version"]) == (ack.value, ack.note, ack.version), (kept, ack)

    # One audit entry per stored save: none lost with a kill, none left by a rolled-back one.
    assert audit_entries == len(stored_saves), f"{audit_entries} audit entries ({summary})"
    assert not server.error_lines(), "\n".join(server.error_lines()[:20])
