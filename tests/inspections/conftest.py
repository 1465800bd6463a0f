"""The inspection side's shared test data: the sample indicator system (re-dated to 2026),
round 2026-kh open over 集宁区 (team 第一组: 李强) and 丰镇市 (team 第二组: 孙伟).

Rows are written directly, in the shape opening a round gives them, so each feature's tests
stand on their own."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from evaluation.core import clock
from evaluation.core.tables import Role
from inspections.tables import (
    Checklist,
    ChecklistAnswer,
    ChecklistStatus,
    Indicator,
    IndicatorSystem,
    InspectionRound,
    RoundStatus,
    Team,
    TeamMember,
)
from tests.conftest import add_account, run

SAMPLE_SYSTEM = Path(__file__).resolve().parents[2] / "inspections" / "data" / "indicators-sample.csv"
DEFAULT_BANDS = [["优秀", "90"], ["良好", "80"], ["合格", "60"], ["不合格", "0"]]


def sample_rows(year: int = 2026) -> list[dict[str, str]]:
    with SAMPLE_SYSTEM.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        row["year"] = str(year)
    return rows


def sample_csv(year: int = 2026) -> bytes:
    rows = sample_rows(year)
    lines = [",".join(rows[0].keys())]
    for row in rows:
        lines.append(",".join(row.values()))
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass
class Inspection:
    system_id: int
    round_id: int
    round_code: str
    checklists: dict[str, int]  # department code → checklist id
    items: dict[str, int]  # indicator code → indicator id
    answers: dict[tuple[str, str], int] = field(default_factory=dict)  # (department, indicator) → answer id


async def add_sample_system(year: int = 2026, code: str = "2026", frozen: bool = False) -> tuple[int, dict[str, int]]:
    now = clock.now()
    system_id = (
        await IndicatorSystem.insert(
            IndicatorSystem(year=year, code=code, name=f"{year}年度政务公开考核指标", created_at=now,
                            frozen_at=now if frozen else None)
        ).returning(IndicatorSystem.id)
    )[0]["id"]
    ids: dict[str, int] = {}
    for position, row in enumerate(sample_rows(year)):
        inserted = await Indicator.insert(
            Indicator(system=system_id, code=row["code"], parent_code=row["parent_code"], title=row["title"],
                      max_points=Decimal(row["max_points"]), kind=row["kind"], scoring_rule=row["scoring_rule"],
                      per_occurrence=Decimal(row["per_occurrence"]) if row["per_occurrence"] else None,
                      position=position)
        ).returning(Indicator.id)
        ids[row["code"]] = inserted[0]["id"]
    return system_id, ids


async def open_sample_round(departments: dict[str, int], year: int = 2026) -> Inspection:
    now = clock.now()
    system_id, ids = await add_sample_system(year=year, code=str(year), frozen=True)
    round_id = (
        await InspectionRound.insert(
            InspectionRound(code=f"{year}-kh", name=f"{year}年度政务公开考核", year=year, system=system_id,
                            deadline=dt.date(2026, 12, 31), status=RoundStatus.open, opened_at=now,
                            public_weight=Decimal("20"), bonus_cap=Decimal("5"), grade_bands=DEFAULT_BANDS,
                            created_at=now)
        ).returning(InspectionRound.id)
    )[0]["id"]
    liqiang = (await _account_id("liqiang")) or await add_account("liqiang", Role.inspector, "李强")
    sunwei = await add_account("sunwei", Role.inspector, "孙伟")
    teams = {}
    for name, member in (("第一组", liqiang), ("第二组", sunwei)):
        team_id = (await Team.insert(Team(round=round_id, name=name)).returning(Team.id))[0]["id"]
        await TeamMember.insert(TeamMember(team=team_id, account=member))
        teams[name] = team_id
    inspection = Inspection(system_id, round_id, f"{year}-kh", {}, {})
    item_codes = [code for code, row in zip(ids, sample_rows(), strict=True) if row["parent_code"]]
    inspection.items = {code: ids[code] for code in item_codes}
    for department_code, team in (("150902", "第一组"), ("150981", "第二组")):
        checklist_id = (
            await Checklist.insert(
                Checklist(round=round_id, department=departments[department_code], team=teams[team],
                          status=ChecklistStatus.not_started)
            ).returning(Checklist.id)
        )[0]["id"]
        inspection.checklists[department_code] = checklist_id
        for code in item_codes:
            answer = await ChecklistAnswer.insert(
                ChecklistAnswer(checklist=checklist_id, indicator=ids[code])
            ).returning(ChecklistAnswer.id)
            inspection.answers[(department_code, code)] = answer[0]["id"]
    return inspection


async def _account_id(username: str) -> int | None:
    from evaluation.core.tables import Account

    row = await Account.select(Account.id).where(Account.username == username).first()
    return row["id"] if row else None


@pytest.fixture
def inspection(departments: dict[str, int], people: dict[str, str]) -> Inspection:
    """Round 2026-kh, open: 集宁区 → 第一组 (liqiang), 丰镇市 → 第二组 (sunwei); every checklist
    not started, every item unanswered."""
    return run(open_sample_round(departments))


def use_point_step(inspection: Inspection, step: str) -> None:
    """Gives the round's (frozen) system another point step, as if it had been created with it:
    call before any save, as the PostgreSQL save path keeps a frozen system's indicators."""
    run(IndicatorSystem.update({IndicatorSystem.point_step: Decimal(step)})
        .where(IndicatorSystem.id == inspection.system_id))
