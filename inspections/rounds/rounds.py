"""Inspection rounds (考核批次): what a round is, finding one, opening and closing it.

A round's settings are made and changed in inspections/rounds/settings.py, its coverage in
inspections/rounds/coverage.py, its teams in inspections/rounds/teams.py. Every change is audited
under the target ``round:<code>``, so the round's history reads in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from piccolo.query.functions.aggregate import Count

from evaluation.core import audit, clock
from evaluation.core.database import is_postgres, write_transaction
from evaluation.core.form_values import parse_int
from evaluation.core.i18n import N_, _
from inspections.checklists.scoring import as_decimal
from inspections.indicators.rules import DEFAULT_STEP
from inspections.tables import (
    CHECKLIST_STATUS_LABELS,
    Checklist,
    ChecklistAnswer,
    Indicator,
    IndicatorSystem,
    InspectionRound,
    RoundStatus,
)

ROUND_STATUS_LABELS = {
    RoundStatus.draft.value: N_("筹备中"),
    RoundStatus.open.value: N_("进行中"),
    RoundStatus.closed.value: N_("已结束"),
}


BELOW_SAMPLE_LABELS = {"group_mean": N_("按同组平均指数计"), "own": N_("按本单位实际指数计")}


CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class RoundError(ValueError):
    """A refusal with a message fit to show the user; ``items`` lists what is at fault."""

    def __init__(self, message: str, items: list[str] | None = None) -> None:
        super().__init__(message)
        self.items = items or []


class RoundNotFound(RoundError):
    pass


@dataclass(frozen=True)
class Round:
    id: int
    code: str
    name: str
    year: int
    system_id: int
    system_code: str
    system_name: str
    system_frozen: bool
    system_point_step: Decimal
    period_id: int | None
    period_code: str | None
    period_name: str | None
    deadline: dt.date
    status: str
    opened_at: dt.datetime | None
    public_weight: Decimal
    convert_score: bool
    below_sample: str
    bonus_cap: Decimal
    grade_bands: list[tuple[str, Decimal]]
    excellent_quota: int | None

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.draft.value

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.open.value


def stored_bands(value: Any) -> list[tuple[str, Decimal]]:
    if isinstance(value, str):  # JSON arrives as text
        value = json.loads(value or "[]")
    return [(str(name), Decimal(str(lower))) for name, lower in value]


_ROUND_COLUMNS = (
    InspectionRound.system.code.as_alias("system_code"),
    InspectionRound.system.name.as_alias("system_name"),
    InspectionRound.system.frozen_at.as_alias("system_frozen_at"),
    InspectionRound.system.point_step.as_alias("system_point_step"),
    InspectionRound.period.code.as_alias("period_code"),
    InspectionRound.period.name.as_alias("period_name"),
)


def _round(row: dict[str, Any]) -> Round:
    return Round(
        id=row["id"], code=row["code"], name=row["name"], year=row["year"], system_id=row["system"],
        system_code=row["system_code"], system_name=row["system_name"],
        system_frozen=row["system_frozen_at"] is not None,
        system_point_step=as_decimal(row["system_point_step"]) or DEFAULT_STEP, period_id=row["period"],
        period_code=row["period_code"], period_name=row["period_name"], deadline=row["deadline"],
        status=row["status"], opened_at=row["opened_at"], public_weight=Decimal(row["public_weight"]),
        convert_score=bool(row["convert_score"]), below_sample=row["below_sample"],
        bonus_cap=Decimal(row["bonus_cap"]), grade_bands=stored_bands(row["grade_bands"]),
        excellent_quota=row["excellent_quota"],
    )


def _select() -> Any:
    return InspectionRound.select(*InspectionRound.all_columns(), *_ROUND_COLUMNS)


async def find(reference: str) -> Round | None:
    """A round by its code or its numeric id (the command line accepts either)."""
    row = await _select().where(InspectionRound.code == reference).first()
    if row is None and (number := parse_int(reference)) is not None and reference.isdigit():
        row = await _select().where(InspectionRound.id == number).first()
    return _round(row) if row else None


async def checklist_id(code: str, unit_code: str) -> int | None:
    """The checklist of one covered unit of a round."""
    row = await Checklist.select(Checklist.id).where(
        (Checklist.round.code == code) & (Checklist.department.code == unit_code)).first()
    return row["id"] if row else None


async def covered_unit(round_id: int, unit_code: str) -> dict[str, Any] | None:
    """A unit the round covers: its department id, code and name."""
    row = await Checklist.select(Checklist.department.id, Checklist.department.code, Checklist.department.name).where(
        (Checklist.round == round_id) & (Checklist.department.code == unit_code)).first()
    if row is None:
        return None
    return {"department_id": row["department.id"], "code": row["department.code"], "name": row["department.name"]}


async def all_rounds() -> list[tuple[Round, dict[str, int]]]:
    """Every round, newest year first, with its checklists counted per status (one query)."""
    rounds = [_round(row) for row in await _select().order_by(InspectionRound.year, ascending=False)
              .order_by(InspectionRound.code)]
    counts: dict[int, dict[str, int]] = {r.id: dict.fromkeys(CHECKLIST_STATUS_LABELS, 0) for r in rounds}
    for row in await Checklist.select(Checklist.round, Checklist.status, Count(alias="n")).group_by(
            Checklist.round, Checklist.status):
        counts[row["round"]][row["status"]] = row["n"]
    return [(r, counts[r.id]) for r in rounds]


async def systems() -> list[dict[str, Any]]:
    """The indicator systems a round may use, newest first."""
    return await IndicatorSystem.select(IndicatorSystem.id, IndicatorSystem.year, IndicatorSystem.code,
                                        IndicatorSystem.name).order_by(IndicatorSystem.year, ascending=False).order_by(
        IndicatorSystem.code)


async def round_row(code: str) -> dict[str, Any]:
    """The round, read to be changed (call inside ``write_transaction``). On PostgreSQL the row is
    locked, so two changes to one round's coverage or teams queue instead of racing on the
    unique indexes; SQLite's write transaction already queues them."""
    if is_postgres():
        rows = await InspectionRound.raw("SELECT * FROM inspection_round WHERE code = {} FOR UPDATE", code)
        row = rows[0] if rows else None
    else:
        row = await InspectionRound.select().where(InspectionRound.code == code).first()
    if row is None:
        raise RoundNotFound(_("找不到该考核批次。"))
    return row


async def open_round(actor: str, code: str, require_teams: bool = True) -> int:
    """draft → open: freezes the indicator system and makes every checklist's answer rows, in
    one transaction. Returns the number of answer rows made. Without ``require_teams`` (the
    command line, for offices whose scores come from a file) units without a team are allowed."""
    async with write_transaction():
        row = await round_row(code)
        if row["status"] != RoundStatus.draft.value:
            raise RoundError(_("只有筹备中的考核批次可以开始。"))
        checklists = await Checklist.select(Checklist.id, Checklist.team, Checklist.department.code,
                                            Checklist.department.name).where(Checklist.round == row["id"]).order_by(
            Checklist.department.code)
        if not checklists:
            raise RoundError(_("考核批次还没有覆盖任何单位，不能开始。"))
        unassigned = [f"{c['department.code']} {c['department.name']}" for c in checklists if c["team"] is None]
        if unassigned and require_teams:
            raise RoundError(_("以下 {n} 个单位尚未分配考核组，不能开始：").format(n=len(unassigned)), unassigned)
        items = await Indicator.count().where((Indicator.system == row["system"]) & (Indicator.parent_code != ""))
        if items == 0:
            raise RoundError(_("所选指标体系还没有任何考核项目，不能开始。"))
        now = clock.now()
        await IndicatorSystem.update({IndicatorSystem.frozen_at: now}).where(
            (IndicatorSystem.id == row["system"]) & IndicatorSystem.frozen_at.is_null())
        await InspectionRound.update({InspectionRound.status: RoundStatus.open, InspectionRound.opened_at: now}).where(
            InspectionRound.id == row["id"])
        # One statement for every checklist × item: a round of 150 departments makes ~3,000 rows.
        await ChecklistAnswer.raw(
            'INSERT INTO checklist_answer ("checklist", "indicator", "value", "note", "version") '
            'SELECT c."id", i."id", NULL, \'\', 0 FROM checklist c JOIN indicator i ON i."system" = {} '
            'WHERE c."round" = {} AND i."parent_code" <> \'\'',
            row["system"], row["id"],
        )
        await audit.record(actor, "round.open", f"round:{code}", old={"status": row["status"]},
                           new={"status": RoundStatus.open.value, "checklists": len(checklists), "items": items})
    return len(checklists) * items


async def close_round(actor: str, code: str) -> None:
    async with write_transaction():
        row = await round_row(code)
        if row["status"] != RoundStatus.open.value:
            raise RoundError(_("只有进行中的考核批次可以结束。"))
        await InspectionRound.update({InspectionRound.status: RoundStatus.closed}).where(
            InspectionRound.id == row["id"])
        await audit.record(actor, "round.close", f"round:{code}", old={"status": row["status"]},
                           new={"status": RoundStatus.closed.value})
