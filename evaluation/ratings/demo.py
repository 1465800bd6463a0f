"""Demo ratings: a current period with a few hundred ratings, comments, answers and panel codes,
so a newcomer sees every part of 社会评议 at once."""

from __future__ import annotations

import datetime as dt
import random
from datetime import timedelta

from evaluation.core import audit, clock, working_days
from evaluation.core.tables import Account, Department
from evaluation.ratings import imports, panel, periods, scale
from evaluation.ratings.periods import PeriodForm
from evaluation.ratings.scale import Channel
from evaluation.ratings.tables import (
    CommentStatus,
    EvaluationPeriod,
    PanelCode,
    Rating,
    RatingAnswer,
    RatingImport,
    ReasonChoice,
)

ACTOR = "demo"
COMMENTS_GOOD = ["办事指南写得很清楚，一次就办成了。", "财政预决算公开及时，点个赞。", "政策解读通俗易懂。",
                 "网站栏目清晰，信息好找。", "领导分工信息更新及时。"]
COMMENTS_BAD = ["预算公开表格看不懂，希望附上说明。", "办事指南里的材料清单和窗口要求不一致。",
                "去年的规划还没更新。", "在网站上找了半天才找到政策文件。", "咨询电话一直没人接。"]
ANSWERS = ["感谢您的监督。我们已在栏目中补充了说明，并将在每次更新时附上解读。",
           "已核对并更正办事指南中的材料清单，欢迎再次查看。",
           "相关规划已于本周更新，今后将按季度检查栏目内容。"]
# Level weights per department "quality", best to worst level.
PROFILES = [(55, 30, 10, 4, 1), (35, 35, 20, 7, 3), (20, 30, 30, 14, 6)]


async def load() -> bool:
    """Returns False when the demo period exists already (nothing is added twice)."""
    today = periods.today()
    code = f"{today.year}-pj"
    if await EvaluationPeriod.exists().where(EvaluationPeriod.code == code):
        return False
    form = PeriodForm(code=code, name=f"{today.year}年度社会评议", opens_on=dt.date(today.year, 1, 1).isoformat(),
                      closes_on=dt.date(today.year, 12, 31).isoformat())
    if not await periods.create(ACTOR, form):
        raise RuntimeError(str(form.errors))
    period = await periods.find(code)
    assert period is not None
    rng = random.Random(2025)
    batch_id = await panel.create_batch(ACTOR, period, "人大代表", 40)
    panel_codes = [row["id"] for row in await PanelCode.select(PanelCode.id).where(PanelCode.batch == batch_id)]
    reasons = [row["id"] for row in await ReasonChoice.select(ReasonChoice.id).where(
        ReasonChoice.requires_text.eq(False))]
    office = await Account.select(Account.id).where(Account.username == "office").first()
    departments = await Department.select(Department.id, Department.code).order_by(Department.code)
    levels = ["very_satisfied", "satisfied", "basic", "unsatisfied", "very_unsatisfied"]
    now = clock.now()
    rows: list[Rating] = []
    for position, department in enumerate(departments):
        # Twelve departments reach the minimum sample; the others show "样本不足".
        n_public = 24 + rng.randint(0, 14) if position % 4 == 0 else rng.randint(3, 12)
        n_panel = rng.randint(6, 12) if position % 4 == 0 else rng.randint(0, 3)
        weights = PROFILES[position % len(PROFILES)]
        for channel, n in ((Channel.public, n_public), (Channel.panel, n_panel)):
            codes = rng.sample(panel_codes, min(n, len(panel_codes))) if channel is Channel.panel else []
            for i in range(len(codes) if channel is Channel.panel else n):
                level = rng.choices(levels, weights)[0]
                created = now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1440))
                negative = level in scale.NEGATIVE_LEVELS
                comment = ""
                if rng.random() < 0.3:
                    comment = rng.choice(COMMENTS_BAD if negative else COMMENTS_GOOD)
                status = CommentStatus.none.value
                if comment:
                    status = rng.choice([CommentStatus.approved.value] * 3 + [CommentStatus.pending.value,
                                                                             CommentStatus.rejected.value])
                criteria = {}
                if rng.random() < 0.4:
                    # Criteria lean to the overall judgement, one level either way.
                    centre = levels.index(level)
                    criteria = {key: levels[min(4, max(0, centre + rng.choice((-1, 0, 0, 1))))]
                                for key in scale.CRITERION_LABELS}
                due = await working_days.deadline_after(created, period.answer_working_days) if negative else None
                rows.append(Rating(
                    period=period.id, department=department["id"], channel=channel.value, level=level,
                    criteria=criteria,
                    voter_id=f"demo-{department['code']}-{i}" if channel is Channel.public else None,
                    panel_code=codes[i] if channel is Channel.panel else None,
                    reason=rng.choice(reasons) if negative else None, comment=comment, comment_status=status,
                    moderated_by=office["id"] if office and status != CommentStatus.pending.value and comment else None,
                    moderated_at=created + timedelta(hours=5) if comment and status != "pending" else None,
                    answer_due=due, created_at=created,
                ))
    for start in range(0, len(rows), 500):
        await Rating.insert(*rows[start : start + 500])
    await _answer_most(period.id, rng)
    await audit.record(ACTOR, "demo.ratings", f"period:{code}", new={"ratings": len(rows)})
    await _imports(period)
    return True


PAPER_FORMS = (
    "unit_code,channel,level,reason,reason_text,comment,rated_on\n"
    "{first},public,satisfied,,,窗口工作人员很耐心。,{day}\n"
    "{first},public,unsatisfied,其他,公示栏的电话号码是空号,希望公布能打通的咨询电话。,{day}\n"
    "{second},panel,very_satisfied,,,,{day}\n"
)
TALLY_SENT_TWICE = "unit_code,channel,level,count\n{first},public,satisfied,12\n{second},public,basic,5\n"


async def _imports(period: periods.Period) -> None:
    """Paper forms kept, and a survey firm's tally withdrawn (it had been sent by mistake): the
    import page shows both states."""
    first, second = [row["code"] for row in await Department.select(Department.code).where(
        Department.active.eq(True)).order_by(Department.code).limit(2)]
    day = (periods.today() - timedelta(days=3)).isoformat()
    await imports.import_ratings(ACTOR, period, "纸质问卷-第一批.csv",
                                 PAPER_FORMS.format(first=first, second=second, day=day).encode())
    await imports.import_ratings(ACTOR, period, "调查公司汇总-重复发送.csv",
                                 TALLY_SENT_TWICE.format(first=first, second=second).encode())
    tally = await RatingImport.select(RatingImport.id).where(RatingImport.kind == imports.TALLY).first()
    await imports.withdraw(ACTOR, tally["id"], "调查公司误把上月的汇总当作本月数据发送，已要求其重新提供。")


async def _answer_most(period_id: int, rng: random.Random) -> None:
    """Departments answered most criticism; the newest negative ratings wait, one of them overdue."""
    negative = await Rating.select(Rating.id, Rating.department, Rating.created_at, Rating.answer_due).where(
        (Rating.period == period_id) & Rating.level.is_in(list(scale.NEGATIVE_LEVELS))
    ).order_by(Rating.created_at)
    liaisons = {row["department"]: row["id"] for row in await Account.select(Account.id, Account.department).where(
        Account.department.is_not_null())}
    now = clock.now()
    for row in negative:
        overdue = row["answer_due"] and row["answer_due"] < now
        if overdue and rng.random() < 0.9:
            answered_at = row["created_at"] + timedelta(days=rng.randint(1, 4))
            await RatingAnswer.insert(RatingAnswer(rating=row["id"], body=rng.choice(ANSWERS),
                                                   answered_by=liaisons.get(row["department"]),
                                                   answered_at=answered_at))
