"""``pingyi demo``, rankings: last year's round, done the way an office that scored on paper does
it, compiled and published, so a newcomer sees a real 通报 and downloads its workbook at once.

Last year's 社会评议 came as a survey firm's tally (three units stay below the minimum sample),
the scores as a file, every checklist approved; 市气象局 does not take part (a vertically managed
unit) and 商都县 triggers the veto. Version 1 was published, then version 2 after a correction.
Idempotent: nothing happens when round 2025-kh exists. Runs after the other demos (departments,
the office account)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from evaluation.core import accounts
from evaluation.core.tables import Account, Department
from evaluation.ratings import imports as rating_imports
from evaluation.ratings import periods
from evaluation.ratings.periods import PeriodForm
from inspections.checklists import checklists, review, score_imports
from inspections.demo import SAMPLE_SYSTEM, sample_csv
from inspections.indicators import files as indicator_files
from inspections.indicators import indicators
from inspections.rankings import exclusions, snapshots
from inspections.rounds import coverage, rounds
from inspections.rounds import settings as round_settings
from inspections.rounds.settings import RoundForm
from inspections.tables import ChecklistAnswer, Indicator, InspectionRound

ACTOR = "demo"
YEAR = 2025
PERIOD_CODE = "2025-pj"
ROUND_CODE = "2025-kh"
BELOW_SAMPLE = {"150923", "SZ21", "SZ30"}  # fewer than 30 ratings
EXCLUDED = ("SZ36", "垂直管理单位，按上级部门要求不参加地方政务公开考核排名。")
VETOED = "150923"  # 商都县
CORRECTED = ("150925", "J1", Decimal("3"), "补记凉城县受到自治区通报表彰一次（加分项 J1 漏计）。")
LEVELS = ["very_satisfied", "satisfied", "basic", "unsatisfied", "very_unsatisfied"]


def _tally(departments: list[dict], rng: random.Random) -> bytes:
    lines = ["unit_code,channel,level,count"]
    for department in departments:
        code = department["code"]
        public = rng.randint(8, 20) if code in BELOW_SAMPLE else rng.randint(40, 160)
        panel = 0 if code in BELOW_SAMPLE else rng.randint(10, 30)
        lean = rng.random()
        for channel, total in (("public", public), ("panel", panel)):
            weights = [35 + 30 * lean, 30, 20 - 10 * lean, 10 - 6 * lean, 5 - 4 * lean]
            counts = [0] * 5
            for _ in range(total):
                counts[rng.choices(range(5), weights)[0]] += 1
            lines += [f"{code},{channel},{level},{n}" for level, n in zip(LEVELS, counts, strict=True) if n]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _scores(departments: list[dict], items: list[dict], rng: random.Random) -> bytes:
    lines = ["unit_code,indicator_code,value"]
    for department in departments:
        strength = rng.uniform(0.62, 0.97)
        for item in items:
            maximum = Decimal(str(item["max_points"]))
            if item["kind"] == "veto":
                value = Decimal(1 if department["code"] == VETOED else 0)
            elif item["kind"] == "deduct":
                value = Decimal(rng.choice([0, 0, 1, 2]))
            elif item["kind"] == "bonus":
                value = Decimal(rng.choice([0, 0, 0, 1])) if item["code"] == "J2" else Decimal(rng.choice([0, 0, 0, 3]))
            else:
                # Points of a paper form: 0.1 steps are allowed by some systems, the sample's are 0.5.
                value = min(maximum, (maximum * Decimal(str(strength + rng.uniform(-0.08, 0.08))) * 2).quantize(
                    Decimal("1")) / 2)
                value = max(Decimal(0), value)
            lines.append(f"{department['code']},{item['code']},{value}")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def load() -> bool:
    """Returns False when last year's round exists already."""
    if await InspectionRound.exists().where(InspectionRound.code == ROUND_CODE):
        return False
    rng = random.Random(YEAR)
    departments = await Department.select(Department.id, Department.code).where(
        Department.active.eq(True)).order_by(Department.code)
    if await periods.find(PERIOD_CODE) is None:
        form = PeriodForm(code=PERIOD_CODE, name=f"{YEAR}年度社会评议", opens_on=dt.date(YEAR, 1, 1).isoformat(),
                          closes_on=dt.date(YEAR, 12, 31).isoformat())
        if not await periods.create(ACTOR, form):
            raise RuntimeError(str(form.errors))
        period = await periods.find(PERIOD_CODE)
        assert period is not None
        await rating_imports.import_ratings(ACTOR, period, f"{YEAR}年度社会评议统计表.csv", _tally(departments, rng))
    period = await periods.find(PERIOD_CODE)
    assert period is not None
    system = await indicators.find_system(YEAR)
    if system is None:
        result = await indicator_files.import_system(ACTOR, YEAR, None, None, SAMPLE_SYSTEM.name, sample_csv(YEAR))
        if result.errors:
            raise RuntimeError("; ".join(result.errors))
        system = await indicators.find_system(YEAR)
    assert system is not None
    form = RoundForm(code=ROUND_CODE, name=f"{YEAR}年度政务公开考核", year=str(YEAR), system=str(system.id),
                     period=str(period.id), deadline=f"{YEAR + 1}-01-31", public_weight="20", convert_score=True,
                     bonus_cap="5", excellent_quota="30")
    if not await round_settings.create(ACTOR, form):
        raise RuntimeError(str(form.errors))
    for group in ("county", "municipal"):
        await coverage.cover_group(ACTOR, ROUND_CODE, group)
    await rounds.open_round(ACTOR, ROUND_CODE, require_teams=False)
    found = await rounds.find(ROUND_CODE)
    assert found is not None
    items = await Indicator.select(Indicator.code, Indicator.kind, Indicator.max_points).where(
        (Indicator.system == system.id) & (Indicator.parent_code != "")).order_by(Indicator.position)
    scores = await score_imports.import_scores(ACTOR, found, f"{YEAR}年度考核评分表.csv",
                                               _scores(departments, items, rng))
    if scores.errors:
        raise RuntimeError("; ".join(scores.errors))
    await exclusions.exclude(ACTOR, ROUND_CODE, *EXCLUDED)
    await review.approve_complete(ACTOR, ROUND_CODE)
    await snapshots.publish(ACTOR, ROUND_CODE, title=f"关于{YEAR}年度政务公开工作考核结果的通报")
    await _correct_and_republish()
    return True


async def _correct_and_republish() -> None:
    """A bonus left out of the paper form, found after publication: the office reopens the unit's
    checklist with the reason, enters the point, approves again and publishes version 2."""
    unit, item, value, reason = CORRECTED
    row = await Account.select(Account.id).where(Account.username == "office").first()
    office = await accounts.signed_in(row["id"]) if row else None
    checklist_id = await rounds.checklist_id(ROUND_CODE, unit)
    if office is None or checklist_id is None:
        return
    await review.reopen(office, checklist_id, reason)
    answer = await ChecklistAnswer.select(ChecklistAnswer.id).where(
        (ChecklistAnswer.checklist == checklist_id) & (ChecklistAnswer.indicator.code == item)).first()
    await checklists.record_answer(answer["id"], value, reason, office.username, office.id)
    await review.approve_complete(office.username, ROUND_CODE, [unit])
    await snapshots.publish(office.username, ROUND_CODE, reason=reason,
                            title=f"关于{YEAR}年度政务公开工作考核结果的通报")
