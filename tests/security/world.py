"""The demo's things that the security tests try each address on, found by name in a database
loaded by ``pingyi demo`` (through the app's engine or straight from a SQLite file)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Fetch = Callable[[str], Awaitable[list[dict[str, Any]]]]

X_CODE = "150902"  # 集宁区, whose liaison is liaison-jining
QUERIES = {
    "x_catalogue_item": "SELECT c.id FROM catalogue_item c JOIN department d ON d.id = c.department"
                        " WHERE d.code = '150902' ORDER BY c.id LIMIT 1",
    "period": "SELECT code FROM evaluation_period ORDER BY opens_on DESC LIMIT 1",
    "pending_comment": "SELECT id FROM rating WHERE comment_status = 'pending' ORDER BY id LIMIT 1",
    "x_criticism": "SELECT r.id FROM rating r JOIN department d ON d.id = r.department WHERE d.code = '150902'"
                   " AND r.answer_due IS NOT NULL ORDER BY r.id LIMIT 1",
    "x_answered": "SELECT r.id FROM rating r JOIN department d ON d.id = r.department JOIN rating_answer a"
                  " ON a.rating = r.id WHERE d.code = '150902' ORDER BY r.id LIMIT 1",
    "panel_batch": "SELECT id FROM panel_batch ORDER BY id LIMIT 1",
    "reason": "SELECT id FROM reason_choice ORDER BY id LIMIT 1",
    "rating_import": "SELECT id FROM rating_import WHERE withdrawn_at IS NULL ORDER BY id LIMIT 1",
    "interview": "SELECT code FROM interview WHERE status = 'collecting' LIMIT 1",
    "archived_interview": "SELECT code FROM interview WHERE status = 'archived' LIMIT 1",
    "pending_question": "SELECT id FROM interview_question WHERE status = 'pending' LIMIT 1",
    "person": "SELECT id FROM interview_person ORDER BY id LIMIT 1",
    "round": "SELECT code FROM inspection_round WHERE status = 'open' ORDER BY year DESC LIMIT 1",
    "published_round": "SELECT r.code FROM inspection_round r JOIN ranking_publication p ON p.round = r.id"
                       " ORDER BY p.id LIMIT 1",
    "system": "SELECT system FROM inspection_round WHERE status = 'open' ORDER BY year DESC LIMIT 1",
    "team_a": "SELECT t.id FROM team t JOIN team_member m ON m.team = t.id JOIN account a ON a.id = m.account"
              " WHERE a.username = 'inspector1' LIMIT 1",
    "inspector_a_id": "SELECT id FROM account WHERE username = 'inspector1'",
    "inspector_b_id": "SELECT id FROM account WHERE username = 'inspector3'",
    "checklist_a": "SELECT c.id FROM checklist c JOIN team_member m ON m.team = c.team JOIN account a"
                   " ON a.id = m.account WHERE a.username = 'inspector1' AND c.status = 'in_progress'"
                   " ORDER BY c.id LIMIT 1",
    "submitted_checklist": "SELECT id FROM checklist WHERE status = 'submitted' ORDER BY id LIMIT 1",
    "approved_checklist": "SELECT id FROM checklist WHERE status = 'approved' ORDER BY id LIMIT 1",
    "report_year": "SELECT year FROM annual_report r JOIN department d ON d.id = r.department"
                   " WHERE d.code = '150902' ORDER BY year DESC LIMIT 1",
    "submitted_report_year": "SELECT year FROM annual_report WHERE department IS NULL AND status = 'submitted'"
                             " ORDER BY year LIMIT 1",
}


async def demo_world(fetch: Fetch) -> dict[str, str]:
    async def one(sql: str) -> str:
        rows = await fetch(sql)
        assert rows, f"the demo has nothing for: {sql}"
        return str(next(iter(rows[0].values())))

    world = {"x_code": X_CODE}
    for key, sql in QUERIES.items():
        world[key] = await one(sql)
    world["draft_system"] = world["system"]
    world["next_report_year"] = str(int(world["report_year"]) + 1)
    system = int(world["system"])
    world["indicator"] = await one(f"SELECT id FROM indicator WHERE system = {system} ORDER BY id LIMIT 1")
    world["item_a"] = await one(
        "SELECT a.indicator FROM checklist_answer a JOIN indicator i ON i.id = a.indicator"
        f" WHERE a.checklist = {int(world['checklist_a'])} AND i.kind = 'score' ORDER BY a.id LIMIT 1")
    submitted = (await fetch(
        "SELECT r.year, d.code FROM annual_report r JOIN department d ON d.id = r.department"
        " WHERE r.status = 'submitted' ORDER BY r.year, d.code LIMIT 1"))[0]
    world["submitted_unit_year"], world["submitted_unit"] = str(submitted["year"]), submitted["code"]
    return world
