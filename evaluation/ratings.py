"""Citizens' and panel members' ratings of a department (社会评议, PRODUCT.md §1)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from evaluation import clock, working_days
from evaluation.database import is_unique_violation
from evaluation.i18n import _
from evaluation.periods import CRITERION_LABELS, LEVEL_LABELS, NEGATIVE_LEVELS, Period
from evaluation.satisfaction import DepartmentIndex, compute
from evaluation.tables import (
    Channel,
    CommentStatus,
    Department,
    PanelCode,
    Rating,
    RatingSource,
    RatingTally,
)

MAX_COMMENT = 1000
MAX_REASON_TEXT = 500
VOTER_COOKIE = "voter"


def new_voter_id() -> str:
    return secrets.token_urlsafe(32)


class AlreadyRated(Exception):
    """This browser (or panel code) has rated the department in this period already."""


@dataclass
class RatingForm:
    level: str = ""
    criteria: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    reason_text: str = ""
    comment: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, str]) -> RatingForm:
        return cls(
            level=data.get("level", ""),
            criteria={key: data.get(f"criterion_{key}", "") for key in CRITERION_LABELS},
            reason=data.get("reason", ""),
            reason_text=data.get("reason_text", ""),
            comment=data.get("comment", ""),
        )

    @property
    def is_negative(self) -> bool:
        return self.level in NEGATIVE_LEVELS

    def validate(self, reasons: list[dict[str, Any]]) -> bool:
        self.comment, self.reason_text = self.comment.strip(), self.reason_text.strip()
        if self.level not in LEVEL_LABELS:
            self.errors["level"] = _("请选择总体评价。")
        for key, value in self.criteria.items():
            if value and value not in LEVEL_LABELS:
                self.errors[f"criterion_{key}"] = _("请从五个等级中选择。")
        if self.is_negative:
            chosen = next((r for r in reasons if str(r["id"]) == self.reason), None)
            if chosen is None:
                self.errors["reason"] = _("选择“不满意”或“非常不满意”时，请选择一个原因。")
            elif chosen["requires_text"] and not self.reason_text:
                self.errors["reason_text"] = _("选择“{label}”时，请写明具体原因。").format(label=chosen["label"])
        if len(self.reason_text) > MAX_REASON_TEXT:
            self.errors["reason_text"] = _("原因说明不能超过 500 个字。")
        if len(self.comment) > MAX_COMMENT:
            self.errors["comment"] = _("留言不能超过 1000 个字。")
        return not self.errors


async def _answer_due(period: Period, level: str) -> Any:
    if level not in NEGATIVE_LEVELS:
        return None
    return await working_days.deadline_after(clock.now(), period.answer_working_days)


def _row(period: Period, department_id: int, channel: Channel, form: RatingForm, due: Any, **extra: Any) -> Rating:
    return Rating(
        period=period.id,
        department=department_id,
        channel=channel.value,
        source=extra.pop("source", RatingSource.web.value),
        level=form.level,
        criteria={key: value for key, value in form.criteria.items() if value},
        reason=int(form.reason) if form.is_negative and form.reason else None,
        reason_text=form.reason_text if form.is_negative else "",
        comment=form.comment,
        comment_status=CommentStatus.pending.value if form.comment else CommentStatus.none.value,
        answer_due=due,
        created_at=clock.now(),
        **extra,
    )


async def submit_public(period: Period, department_id: int, voter_id: str, form: RatingForm) -> None:
    """One rating per browser: the unique index refuses a second, however concurrent."""
    due = await _answer_due(period, form.level)
    try:
        await Rating.insert(_row(period, department_id, Channel.public, form, due, voter_id=voter_id))
    except Exception as error:
        if is_unique_violation(error):
            raise AlreadyRated from error
        raise


async def submit_panel(period: Period, department_id: int, code_id: int, form: RatingForm) -> None:
    due = await _answer_due(period, form.level)
    try:
        await Rating.insert(_row(period, department_id, Channel.panel, form, due, panel_code=code_id))
    except Exception as error:
        if is_unique_violation(error):
            raise AlreadyRated from error
        raise


async def has_rated(period: Period, department_id: int, voter_id: str | None, code_id: int | None) -> bool:
    if code_id is not None:
        return await Rating.exists().where(
            (Rating.period == period.id) & (Rating.department == department_id) & (Rating.panel_code == code_id)
        )
    if voter_id:
        return await Rating.exists().where(
            (Rating.period == period.id) & (Rating.department == department_id) & (Rating.voter_id == voter_id)
        )
    return False


async def panel_code(period: Period, code: str) -> dict[str, Any] | None:
    """The panel code if it exists and belongs to this period."""
    code = code.strip().upper().replace(" ", "").replace("-", "")
    if not code:
        return None
    row = await PanelCode.select(PanelCode.id, PanelCode.code, PanelCode.batch.period, PanelCode.batch.label).where(
        PanelCode.code == code
    ).first()
    if row is None or row["batch.period"] != period.id:
        return None
    return row


async def counts(period_id: int, department_id: int | None = None) -> dict[int, dict[str, dict[str, int]]]:
    """department → channel → level → count, over ratings and office-entered tallies."""
    where = Rating.period == period_id
    tally_where = RatingTally.period == period_id
    if department_id is not None:
        where &= Rating.department == department_id
        tally_where &= RatingTally.department == department_id
    result: dict[int, dict[str, dict[str, int]]] = {}
    rows = await Rating.raw(
        "SELECT department, channel, level, COUNT(*) AS n FROM rating WHERE period = {}"
        + (" AND department = {}" if department_id is not None else "")
        + " GROUP BY department, channel, level",
        *([period_id, department_id] if department_id is not None else [period_id]),
    )
    tallies = await RatingTally.raw(
        "SELECT department, channel, level, SUM(rating_count) AS n FROM rating_tally WHERE period = {}"
        + (" AND department = {}" if department_id is not None else "")
        + " GROUP BY department, channel, level",
        *([period_id, department_id] if department_id is not None else [period_id]),
    )
    for row in [*rows, *tallies]:
        levels = result.setdefault(row["department"], {}).setdefault(row["channel"], {})
        levels[row["level"]] = levels.get(row["level"], 0) + int(row["n"])
    return result


async def department_index(period: Period, department_id: int) -> DepartmentIndex:
    by_department = await counts(period.id, department_id)
    return compute(by_department.get(department_id, {}), period.settings)


async def criteria_distribution(period_id: int, department_id: int) -> dict[str, dict[str, int]]:
    """criterion → level → count, from the ratings that judged criteria (shown, not weighted)."""
    rows = await Rating.select(Rating.criteria).where(
        (Rating.period == period_id) & (Rating.department == department_id)
    )
    result: dict[str, dict[str, int]] = {key: {} for key in CRITERION_LABELS}
    for row in rows:
        criteria = row["criteria"]
        if isinstance(criteria, str):
            import json

            criteria = json.loads(criteria or "{}")
        for key, level in (criteria or {}).items():
            if key in result and level in LEVEL_LABELS:
                result[key][level] = result[key].get(level, 0) + 1
    return result


async def active_department(code: str) -> dict[str, Any] | None:
    return (
        await Department.select(Department.id, Department.code, Department.name, Department.group)
        .where((Department.code == code) & Department.active.eq(True))
        .first()
    )

