"""Units the office leaves out of a round's ranking (不参加排名), each with a stated reason
(PRODUCT.md §5): listed on the ranking, not ranked, not counted in the 优秀 quota's base. Every
change is audited under the round, like the round's other settings."""

from __future__ import annotations

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from inspections.rankings.tables import RankingExclusion
from inspections.rounds import rounds
from inspections.tables import Checklist

MAX_REASON = 500


class ExclusionError(ValueError):
    """A refusal with a message fit to show the office."""


async def _covered(round_code: str, unit_code: str) -> tuple[dict, dict]:
    row = await rounds.round_row(round_code)
    checklist = await Checklist.select(Checklist.id, Checklist.department, Checklist.department.name).where(
        (Checklist.round == row["id"]) & (Checklist.department.code == unit_code)).first()
    if checklist is None:
        raise ExclusionError(_("单位 {code} 不在本考核批次的范围内。").format(code=unit_code))
    return row, checklist


async def exclude(actor: str, round_code: str, unit_code: str, reason: str | None) -> None:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ExclusionError(_("请说明该单位不参加排名的理由。"))
    if len(reason) > MAX_REASON:
        raise ExclusionError(_("理由不能超过 {most} 个字。").format(most=MAX_REASON))
    async with write_transaction():
        row, checklist = await _covered(round_code, unit_code)
        existing = await RankingExclusion.select(RankingExclusion.reason).where(
            (RankingExclusion.round == row["id"]) & (RankingExclusion.department == checklist["department"])).first()
        if existing is not None:
            raise ExclusionError(_("{name}已标为不参加排名。").format(name=checklist["department.name"]))
        await RankingExclusion.insert(RankingExclusion(round=row["id"], department=checklist["department"],
                                                       reason=reason, excluded_by=actor, excluded_at=clock.now()))
        await audit.record(actor, "ranking.exclude", f"round:{row['code']}",
                           new={"unit": unit_code, "reason": reason})


async def include(actor: str, round_code: str, unit_code: str) -> None:
    """Takes an excluded unit back into the ranking."""
    async with write_transaction():
        row, checklist = await _covered(round_code, unit_code)
        removed = await RankingExclusion.delete().where(
            (RankingExclusion.round == row["id"]) & (RankingExclusion.department == checklist["department"])
        ).returning(RankingExclusion.reason)
        if not removed:
            raise ExclusionError(_("{name}没有被标为不参加排名。").format(name=checklist["department.name"]))
        await audit.record(actor, "ranking.include", f"round:{row['code']}",
                           old={"unit": unit_code, "reason": removed[0]["reason"]})
