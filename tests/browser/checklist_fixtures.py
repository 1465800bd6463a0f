"""An open inspection round on the live server's database, for the checklist browser tests.

The rows are those of tests/inspections/conftest.py (round 2026-kh: 集宁区 → 第一组 李强,
丰镇市 → 第二组 孙伟), written before the pages are opened and removed afterwards, so the other
browser tests find the database as the live server was seeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from evaluation.core.tables import Account, Department
from inspections.tables import (
    AnswerSave,
    Checklist,
    ChecklistAnswer,
    Evidence,
    Indicator,
    IndicatorSystem,
    InspectionRound,
    Team,
    TeamMember,
)
from tests.browser.conftest import Visit
from tests.conftest import PASSWORD, run
from tests.inspections.conftest import Inspection, open_sample_round


def in_a_thread(work: Callable[[], Any]) -> Any:
    """Playwright's sync API keeps an event loop running in this thread: database work goes
    to another one, as the live server's seeding does."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(run, work).result()


async def _open_round() -> Inspection:
    rows = await Department.select(Department.id, Department.code).where(Department.code.is_in(["150902", "150981"]))
    return await open_sample_round({row["code"]: row["id"] for row in rows})


async def _remove_round(inspection: Inspection) -> None:
    checklists = list(inspection.checklists.values())
    answers = ChecklistAnswer.select(ChecklistAnswer.id).where(ChecklistAnswer.checklist.is_in(checklists))
    await Evidence.delete().where(Evidence.answer.is_in(answers))
    await AnswerSave.delete().where(AnswerSave.answer.is_in(answers))
    await ChecklistAnswer.delete().where(ChecklistAnswer.checklist.is_in(checklists))
    await Checklist.delete().where(Checklist.id.is_in(checklists))
    teams = Team.select(Team.id).where(Team.round == inspection.round_id)
    await TeamMember.delete().where(TeamMember.team.is_in(teams))
    await Team.delete().where(Team.round == inspection.round_id)
    await InspectionRound.delete().where(InspectionRound.id == inspection.round_id)
    await Indicator.delete().where(Indicator.system == inspection.system_id)
    await IndicatorSystem.delete().where(IndicatorSystem.id == inspection.system_id)
    await Account.delete().where(Account.username.is_in(["liqiang", "sunwei"]))


@pytest.fixture(scope="module")
def open_round(live_server: str) -> Iterator[Inspection]:
    inspection = in_a_thread(_open_round)
    yield inspection
    in_a_thread(lambda: _remove_round(inspection))


def answers_on_server(inspection: Inspection, department: str = "150902") -> dict[str, tuple[Decimal | None, str]]:
    """Item code → (value, note) as stored."""

    async def query() -> list[dict[str, Any]]:
        return await ChecklistAnswer.select(
            ChecklistAnswer.indicator.code.as_alias("code"), ChecklistAnswer.value, ChecklistAnswer.note
        ).where(ChecklistAnswer.checklist == inspection.checklists[department])

    rows = in_a_thread(query)
    return {row["code"]: (None if row["value"] is None else Decimal(str(row["value"])), row["note"]) for row in rows}


def evidence_on_server(inspection: Inspection, department: str = "150902") -> list[dict[str, Any]]:
    async def query() -> list[dict[str, Any]]:
        return await Evidence.select(Evidence.original_name, Evidence.content_type,
                                     Evidence.answer.indicator.code.as_alias("code")).where(
            Evidence.answer.checklist == inspection.checklists[department]
        )

    return in_a_thread(query)


def sign_in_to_checklist(tab: Visit, inspection: Inspection, username: str = "liqiang",
                         department: str = "150902") -> Page:
    page = tab.page
    path = f"/inspect/checklists/{inspection.checklists[department]}"
    tab.goto(f"/staff/login?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(tab.url(path))
    # The URL changes when the page starts to arrive; its script takes what is typed only once it
    # has run (deferred: before DOMContentLoaded). A loaded CI machine typed before that once.
    page.wait_for_load_state("domcontentloaded")
    return page


def answer_elsewhere(inspection: Inspection, department: str, code: str, value: Decimal, by: str) -> None:
    """Another inspector's save, as the server would store it: a new version, by them, now."""
    from evaluation.core import clock

    async def write() -> None:
        account = await Account.select(Account.id).where(Account.username == by).first()
        row = await ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.version).where(
            (ChecklistAnswer.checklist == inspection.checklists[department])
            & (ChecklistAnswer.indicator == inspection.items[code])
        ).first()
        await ChecklistAnswer.update({
            ChecklistAnswer.value: value, ChecklistAnswer.version: row["version"] + 1,
            ChecklistAnswer.answered_at: clock.now(), ChecklistAnswer.answered_by: account["id"],
        }).where(ChecklistAnswer.id == row["id"])

    in_a_thread(write)


def set_point_step(inspection: Inspection, step: str) -> None:
    """The round's indicator system takes another point step (the live server reads it afresh on
    SQLite, where the browser tests that use this run)."""

    async def update() -> None:
        await IndicatorSystem.update({IndicatorSystem.point_step: Decimal(step)}).where(
            IndicatorSystem.id == inspection.system_id)

    in_a_thread(update)
