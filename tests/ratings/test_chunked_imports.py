"""A large file of paper forms is written in chunks and counts only once complete.

While the office imports 20,000 paper forms, a citizen's rating is still thanked at once (the
import writes 500 rows per transaction and the citizen's insert takes its turn between two of
them). An import that stops between two chunks — its process killed, or the database failing —
counts nowhere, is cleaned up, and the same file imported again counts once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

import piccolo_conf
from evaluation.core import database
from evaluation.core.tables import AuditEntry
from evaluation.ratings.tables import Rating, RatingImport
from settings import PROJECT_DIR
from tests.conftest import CSRF_FIELD, run, text_of
from tests.ratings.test_rating_concurrency import THANKS
from tests.ratings.test_rating_during_import import office_on, rate
from tests.ratings.test_rating_imports import upload

FORMS = 20_000
# Far under the seconds a citizen would wait for one transaction of the whole file; a chunk
# takes tens of milliseconds, the rest is a slow shared machine.
QUICK_SECONDS = 2.0


def _forms(n: int = FORMS) -> bytes:
    """``n`` paper forms of 集宁区: 满意, or 基本满意 for every fourth."""
    lines = ["unit_code,channel,level,reason,comment"]
    lines += [f"150902,public,{'basic' if i % 4 == 0 else 'satisfied'},," for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _import_as_office(base_url: str, content: bytes, outcome: dict[str, object]) -> None:
    with office_on(base_url) as office:
        outcome["started"] = time.monotonic()
        answer = office.post("/staff/ratings/import", data={CSRF_FIELD: office.cookies["csrftoken"],
                                                            "period": "2026-pj"},
                             files={"file": ("纸质问卷.csv", content)})
        outcome["finished"] = time.monotonic()
        outcome["status"], outcome["text"] = answer.status_code, answer.text


def test_a_citizen_is_thanked_quickly_while_twenty_thousand_paper_forms_are_imported(people, period, start_server):
    base_url, _log = start_server(workers=1)
    outcome: dict[str, object] = {}
    importer = threading.Thread(target=_import_as_office, args=(base_url, _forms(), outcome))
    importer.start()
    while "started" not in outcome and importer.is_alive():
        time.sleep(0.05)
    ratings = []
    seen_incomplete = False
    while importer.is_alive():
        ratings.append(rate(base_url, "SZ03"))
        # While the chunks go in, the forms already written count nowhere.
        written = run(Rating.count().where(Rating.import_batch.is_not_null()))
        page = text_of(httpx.get(f"{base_url}/departments/150902/results").text)
        if written and run(RatingImport.exists().where(RatingImport.completed_at.is_null())):
            seen_incomplete = True  # incomplete before and after the page was read: so while it was
            assert "评价总数 0" in page
    importer.join()

    assert outcome["status"] == 200, text_of(str(outcome["text"]))
    assert f"已导入 {FORMS} 份纸质问卷" in text_of(str(outcome["text"]))
    during = [(took, text) for answered, took, text in ratings if answered < outcome["finished"]]
    assert len(during) >= 3, f"the import ended before three ratings were answered: {ratings}"
    assert all(THANKS in text for _took, text in during)
    slowest = max(took for took, _text in during)
    assert slowest < QUICK_SECONDS, f"a rating waited {slowest:.2f} s while the import ran"
    assert seen_incomplete, "the import was never seen between two chunks"
    assert run(Rating.count().where(Rating.import_batch.is_not_null())) == FORMS
    assert f"评价总数 {FORMS}" in text_of(httpx.get(f"{base_url}/departments/150902/results").text)
    assert run(AuditEntry.count().where(AuditEntry.action == "ratings.import")) == 1


def _results(office, code: str = "150902") -> dict[str, object]:
    data = office.get("/open-data/2026-pj/results.json").json()
    return next(row for row in data["departments"] if row["code"] == code)


def test_an_import_killed_between_chunks_counts_nowhere_and_the_same_file_then_imports_once(
        office, departments, period, tmp_path: Path):
    content = _forms()
    path = tmp_path / "纸质问卷.csv"
    path.write_bytes(content)
    command = [sys.executable, "cli.py", "ratings", "import", "2026-pj", str(path)]
    log = tmp_path / "import.log"
    with log.open("wb") as output:
        importer = subprocess.Popen(command, cwd=PROJECT_DIR, env=dict(os.environ), stdout=output,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while not run(Rating.count().where(Rating.import_batch.is_not_null())):
            assert importer.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "no chunk was written"
            time.sleep(0.02)
        os.killpg(importer.pid, signal.SIGKILL)
    finally:
        importer.wait()
    left = run(Rating.count().where(Rating.import_batch.is_not_null()))
    assert 0 < left < FORMS, f"{left} rows written: the command was not killed between two chunks"
    assert run(RatingImport.select(RatingImport.completed_at).first())["completed_at"] is None

    # Written but counted nowhere: results, open data, the office's list says so.
    assert "评价总数 0" in text_of(office.get("/departments/150902/results").text)
    assert _results(office)["ratings"] == 0
    assert "正在写入，尚未计入统计" in text_of(office.get("/staff/ratings/import?period=2026-pj").text)

    # The same file again: the killed import does not make it "imported already"; it is cleaned
    # up (its process is gone), and the file counts once.
    response = upload(office, "纸质问卷.csv", content)
    assert response.status_code == 200, text_of(response.text)
    assert f"已导入 {FORMS} 份纸质问卷" in text_of(response.text)
    imports = run(RatingImport.select(RatingImport.completed_at))
    assert len(imports) == 1 and imports[0]["completed_at"] is not None
    assert run(Rating.count()) == FORMS
    assert _results(office)["ratings"] == FORMS
    cleaned = run(AuditEntry.select().where(AuditEntry.action == "ratings.import.interrupted"))
    assert len(cleaned) == 1 and cleaned[0]["target"] == "period:2026-pj"
    assert json.loads(cleaned[0]["old_value"])["written"] == left
    assert run(AuditEntry.count().where(AuditEntry.action == "ratings.import")) == 1

    # And the file once more is refused as imported already.
    again = upload(office, "纸质问卷.csv", content)
    assert again.status_code == 422 and "完全相同" in text_of(again.text)


def _fail_inserts_of(comment: str) -> tuple[list[str], list[str]]:
    """A trigger that makes the database refuse a rating with this comment: a database failure
    in the middle of an import, as a full disk or a lost connection would be. (set up, tear down)"""
    if database.is_postgres(piccolo_conf.DB):
        return ([
            "CREATE FUNCTION failing_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.comment = '{comment}' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER failing_insert BEFORE INSERT ON rating FOR EACH ROW EXECUTE FUNCTION failing_insert()",
        ], ["DROP TRIGGER IF EXISTS failing_insert ON rating", "DROP FUNCTION IF EXISTS failing_insert()"])
    return ([
        f"CREATE TRIGGER failing_insert BEFORE INSERT ON rating WHEN NEW.comment = '{comment}' "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    ], ["DROP TRIGGER IF EXISTS failing_insert"])


async def _apply(statements: list[str]) -> None:
    for statement in statements:
        await piccolo_conf.DB.run_ddl(statement)


def test_a_database_failure_between_chunks_takes_the_written_rows_out_and_says_so(office, departments, period):
    lines = ["unit_code,channel,level,reason,comment"] + [
        f"150902,public,satisfied,,第 {i} 份" for i in range(2_000)]
    content = ("\n".join(lines) + "\n").encode()
    set_up, tear_down = _fail_inserts_of("第 1234 份")
    run(_apply(set_up))
    try:
        response = upload(office, "纸质问卷.csv", content)
    finally:
        run(_apply(tear_down))
    assert response.status_code == 422
    # The 1,235th form is in the third chunk: two were written, then taken out again.
    assert ("导入在写入 1000/2000 行后中断（数据库错误）：已写入的部分已清除，没有计入任何统计。"
            in text_of(response.text))
    assert run(Rating.count()) == 0 and run(RatingImport.count()) == 0
    assert "评价总数 0" in text_of(office.get("/departments/150902/results").text)
    discarded = run(AuditEntry.select().where(AuditEntry.action == "ratings.import.interrupted"))
    assert len(discarded) == 1 and discarded[0]["actor"] == "wangmin"
    assert json.loads(discarded[0]["old_value"])["written"] == 1000

    # The database mended, the same file imports once.
    response = upload(office, "纸质问卷.csv", content)
    assert response.status_code == 200, text_of(response.text)
    assert run(Rating.count()) == 2_000
    assert "评价总数 2000" in text_of(office.get("/departments/150902/results").text)
