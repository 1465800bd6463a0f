"""``pingyi demo``, inspection side: the sample indicator system for 2026, round 2026-kh over the
旗县市区 with two teams, and checklists in every state (not started, half done, submitted,
returned, approved), so a newcomer sees the whole review cycle at once.

Runs after the evaluation demo (its departments, office account and inspectors) and is
idempotent: nothing happens when round 2026-kh exists. Everything goes through the services,
so the audit trail reads as if the people had done it.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import secrets
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from evaluation.core import accounts, spreadsheets
from evaluation.core.accounts import AccountForm
from evaluation.core.database import write_transaction
from evaluation.core.tables import Account, DepartmentGroup, Role
from evaluation.ratings import periods
from inspections.checklists import checklists, review
from inspections.indicators import files as indicator_files
from inspections.indicators import indicators
from inspections.rounds import coverage, rounds, teams
from inspections.rounds import settings as round_settings
from inspections.rounds.settings import RoundForm
from inspections.tables import Checklist, ChecklistAnswer, ChecklistStatus, Indicator, InspectionRound

ACTOR = "demo"
YEAR = 2026
ROUND_CODE = "2026-kh"
SAMPLE_SYSTEM = Path(__file__).resolve().parent / "data" / "indicators-sample.csv"
# The evaluation demo makes these inspectors; they are made here only when missing.
TEAMS = {
    "第一组": [("inspector1", "李强（第一考核组）"), ("inspector2", "张丽（第一考核组）")],
    "第二组": [("inspector3", "刘洋（第二考核组）")],
}
# Departments in code order: the first six go to 第一组, the rest to 第二组.
STATES = [
    ChecklistStatus.approved, ChecklistStatus.submitted, ChecklistStatus.in_progress, ChecklistStatus.returned,
    ChecklistStatus.not_started, ChecklistStatus.in_progress, ChecklistStatus.approved, ChecklistStatus.submitted,
    ChecklistStatus.returned, ChecklistStatus.in_progress, ChecklistStatus.not_started,
]
NOTES = {
    "B1": "栏目更新基本及时；个别子栏目末次更新在半年前。",
    "B3": "政务微博已停更三个月，公开栏和便民手册齐全。",
    "C6": "财政资金栏目缺第三季度预算执行情况。",
    "C9": "全年办理依申请公开12件，1件超期答复。",
}
DEDUCT_NOTE = "目录未按机构调整更新（记1次）；年度报告晚于3月31日发布（记1次）。"
RETURN_COMMENT = "C6 重点领域信息公开的打分缺少依据：请补充财政资金栏目的截图后重新提交。"


def sample_csv(year: int) -> bytes:
    """The sample file, re-dated: an import refuses a file whose year differs from the one asked."""
    with SAMPLE_SYSTEM.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    columns = list(rows[0])
    dated = ({**row, "year": str(year)} for row in rows)
    return spreadsheets.csv_bytes([columns, *([row[column] for column in columns] for row in dated)])


async def _system_id() -> int:
    existing = await indicators.find_system(YEAR)
    if existing is not None:
        return existing.id
    result = await indicator_files.import_system(ACTOR, YEAR, None, None, SAMPLE_SYSTEM.name, sample_csv(YEAR))
    if result.errors or result.system_id is None:
        raise RuntimeError("; ".join(result.errors))
    return result.system_id


async def _inspectors() -> dict[str, str]:
    """Makes the demo inspectors that do not exist yet; returns their passwords."""
    created: dict[str, str] = {}
    for members in TEAMS.values():
        for username, display_name in members:
            if await Account.exists().where(Account.username == username):
                continue
            password = secrets.token_urlsafe(9)
            await accounts.create_account(ACTOR, AccountForm(username=username, display_name=display_name,
                                                             role=Role.inspector.value), password)
            created[username] = password
    return created


async def _account(username: str) -> accounts.SignedIn:
    row = await Account.select(Account.id).where(Account.username == username).first()
    if row is None:
        raise RuntimeError(f"the demo account {username} is missing: load the evaluation demo first")
    signed_in = await accounts.signed_in(row["id"])
    assert signed_in is not None
    return signed_in


def _half_steps(value: Decimal) -> Decimal:
    return (value * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2


def _value(rng: random.Random, kind: str, code: str, max_points: Decimal, with_deduction: bool) -> Decimal:
    """A realistic answer of each kind: points for score/bonus, occurrences for deduct, 0 for veto."""
    if kind == "veto":
        return Decimal("0")  # no demo unit triggers 单项否决
    if kind == "deduct":
        return Decimal("2") if with_deduction else Decimal(rng.choice([0, 0, 0, 1]))
    if kind == "bonus":
        # J1 counts whole 3-point commendations; J2 one point each, at most 2.
        return Decimal(rng.choice([0, 0, 3])) if code == "J1" else Decimal(rng.choice([0, 1, 2]))
    return min(max_points, _half_steps(max_points * Decimal(rng.choice(["1", "1", "1", "0.9", "0.8", "0.6"]))))


async def _fill(rng: random.Random, checklist_id: int, inspector: accounts.SignedIn, how_many: int,
                with_deduction: bool) -> None:
    items = await ChecklistAnswer.select(
        ChecklistAnswer.id, ChecklistAnswer.indicator.code, ChecklistAnswer.indicator.kind,
        ChecklistAnswer.indicator.max_points,
    ).where(ChecklistAnswer.checklist == checklist_id).order_by(ChecklistAnswer.indicator.position)
    async with write_transaction():
        for item in items[:how_many]:
            code, kind = item["indicator.code"], item["indicator.kind"]
            value = _value(rng, kind, code, item["indicator.max_points"], with_deduction)
            note = DEDUCT_NOTE if kind == "deduct" and with_deduction else ""
            if not note and code in NOTES and rng.random() < 0.5:
                note = NOTES[code]
            await checklists.record_answer(item["id"], value, note, inspector.username, inspector.id)


async def load() -> dict[str, str] | None:
    """Returns the passwords of the inspector accounts it created (none when they existed),
    or None when the demo round was already there and nothing was done."""
    if await InspectionRound.exists().where(InspectionRound.code == ROUND_CODE):
        return None
    created = await _inspectors()
    office = await _account("office")
    system_id = await _system_id()
    period = await periods.current_period()
    form = RoundForm(code=ROUND_CODE, name=f"{YEAR}年度政务公开考核", year=str(YEAR), system=str(system_id),
                     period=str(period.id) if period else "",
                     deadline=(periods.today() + dt.timedelta(days=30)).isoformat(), convert_score=True)
    if not await round_settings.create(ACTOR, form):
        raise RuntimeError(str(form.errors))
    await coverage.cover_group(ACTOR, ROUND_CODE, DepartmentGroup.county.value)
    team_ids: dict[str, int] = {}
    for name, members in TEAMS.items():
        team_id = await teams.create_team(ACTOR, ROUND_CODE, teams.TeamForm(name=name))
        assert team_id is not None
        team_ids[name] = team_id
        for username, _display_name in members:
            await teams.add_member(ACTOR, ROUND_CODE, team_id, (await _account(username)).id)
    rows = await Checklist.select(Checklist.id).where(Checklist.round.code == ROUND_CODE).order_by(
        Checklist.department.code)
    order = [row["id"] for row in rows]
    first, second = TEAMS
    await teams.assign(ACTOR, ROUND_CODE, {checklist_id: team_ids[first if position < 6 else second]
                                           for position, checklist_id in enumerate(order)})
    await rounds.open_round(ACTOR, ROUND_CODE)

    items = await Indicator.count().where((Indicator.system == system_id) & (Indicator.parent_code != ""))
    rng = random.Random(YEAR)
    deduction_shown = False
    for position, (checklist_id, state) in enumerate(zip(order, STATES, strict=False)):
        inspector = await _account(TEAMS[first if position < 6 else second][0][0])
        if state == ChecklistStatus.not_started:
            continue
        complete = state != ChecklistStatus.in_progress
        await _fill(rng, checklist_id, inspector, items if complete else items // 2,
                    with_deduction=complete and not deduction_shown)
        deduction_shown = deduction_shown or complete
        if not complete:
            continue
        await review.submit(inspector, checklist_id)
        if state == ChecklistStatus.returned:
            await review.return_to_team(office, checklist_id, RETURN_COMMENT)
        elif state == ChecklistStatus.approved:
            await review.approve(office, checklist_id)
    return created
