"""The draft ranking of a round, recomputed from current data whenever the office looks: the
round's settings, its indicator system, every covered unit's checklist and the satisfaction
index of the round's evaluation period (with the period's own settings).

Five queries whatever the size of the round; the rules are in inspections/rankings/compiling.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.ratings import periods, ratings
from evaluation.ratings.periods import Period
from evaluation.ratings.satisfaction import DepartmentIndex, compute, is_sufficient
from inspections.checklists.scoring import as_decimal
from inspections.rankings.compiling import (
    EXCLUDED,
    RANKED,
    UNFINISHED,
    IndicatorRow,
    Ranking,
    RankingSettings,
    UnitInput,
    compile_ranking,
)
from inspections.rankings.tables import RankingExclusion
from inspections.rounds import rounds
from inspections.rounds.rounds import Round
from inspections.tables import Checklist, ChecklistStatus, Indicator


@dataclass
class Draft:
    round: Round
    period: Period | None
    ranking: Ranking
    checklists: dict[str, int]  # unit code → checklist id
    indexes: dict[str, DepartmentIndex] = field(default_factory=dict)  # unit code → the period's index
    department_ids: dict[str, int] = field(default_factory=dict)

    @property
    def unfinished(self) -> list[Any]:
        return [unit for unit in self.ranking.not_ranked if unit.state == UNFINISHED]

    @property
    def excluded(self) -> list[Any]:
        return [unit for unit in self.ranking.not_ranked if unit.state == EXCLUDED]

    @property
    def blockers(self) -> list[str]:
        """What stops publication, as codes the pages and the command line put in words
        (inspections/rankings/texts.py)."""
        found = []
        if not self.checklists:
            found.append("no_units")
        if self.unfinished:
            found.append("unfinished")
        if self.checklists and not self.ranking.ranked:
            found.append("nothing_ranked")
        if self.round.public_weight > 0 and self.period is None:
            found.append("no_period")
        found.extend(self.ranking.problems)
        return found

    @property
    def publishable(self) -> bool:
        return not self.blockers


def settings_of(found: Round) -> RankingSettings:
    return RankingSettings(public_weight=found.public_weight, convert_score=found.convert_score,
                           below_sample=found.below_sample, bonus_cap=found.bonus_cap,
                           grade_bands=found.grade_bands, excellent_quota=found.excellent_quota)


async def indicator_rows(system_id: int) -> list[IndicatorRow]:
    rows = await Indicator.select(Indicator.code, Indicator.parent_code, Indicator.title, Indicator.kind,
                                  Indicator.max_points, Indicator.per_occurrence).where(
        Indicator.system == system_id).order_by(Indicator.position).order_by(Indicator.id)
    return [IndicatorRow(code=row["code"], parent_code=row["parent_code"] or "", title=row["title"], kind=row["kind"],
                         max_points=as_decimal(row["max_points"]), per_occurrence=as_decimal(row["per_occurrence"]))
            for row in rows]


async def _units(found: Round) -> list[dict[str, Any]]:
    return await Checklist.raw(
        """
        SELECT c.id, c.status, d.id AS department_id, d.code, d.name, d."group",
               x.reason AS exclusion_reason
        FROM checklist c
        JOIN department d ON d.id = c.department
        LEFT JOIN ranking_exclusion x ON x.round = c.round AND x.department = c.department
        WHERE c.round = {}
        ORDER BY d.code
        """,
        found.id,
    ).run()


async def _answers(found: Round) -> dict[int, dict[str, Decimal | None]]:
    rows = await Checklist.raw(
        """
        SELECT a.checklist, i.code, a.value
        FROM checklist_answer a
        JOIN checklist c ON c.id = a.checklist
        JOIN indicator i ON i.id = a.indicator
        WHERE c.round = {}
        """,
        found.id,
    ).run()
    answers: dict[int, dict[str, Decimal | None]] = {}
    for row in rows:
        answers.setdefault(row["checklist"], {})[row["code"]] = as_decimal(row["value"])
    return answers


async def draft_ranking(found: Round) -> Draft:
    period = await periods.by_id(found.period_id) if found.period_id is not None else None
    units = await _units(found)
    answers = await _answers(found)
    counts = await ratings.counts(period.id) if period is not None else {}
    inputs: list[UnitInput] = []
    indexes: dict[str, DepartmentIndex] = {}
    for unit in units:
        index = compute(counts.get(unit["department_id"], {}), period.settings) if period else DepartmentIndex()
        indexes[unit["code"]] = index
        if unit["exclusion_reason"] is not None:
            state = EXCLUDED
        elif unit["status"] == ChecklistStatus.approved.value:
            state = RANKED
        else:
            state = UNFINISHED
        inputs.append(UnitInput(
            code=unit["code"], name=unit["name"], group=unit["group"], state=state,
            answers=answers.get(unit["id"], {}), own_index=index.index, sample=index.total,
            sufficient=period is not None and index.index is not None and is_sufficient(index, period.settings),
            exclusion_reason=unit["exclusion_reason"] or "", checklist_status=unit["status"],
        ))
    ranking = compile_ranking(await indicator_rows(found.system_id), inputs, settings_of(found))
    return Draft(round=found, period=period, ranking=ranking,
                 checklists={unit["code"]: unit["id"] for unit in units}, indexes=indexes,
                 department_ids={unit["code"]: unit["department_id"] for unit in units})


async def draft_for(reference: str) -> Draft | None:
    """The draft of a round named by its code or id; None when there is no such round."""
    found = await rounds.find(reference)
    return await draft_ranking(found) if found is not None else None


async def exclusion_rows(round_id: int) -> list[dict[str, Any]]:
    return await RankingExclusion.select().where(RankingExclusion.round == round_id)
