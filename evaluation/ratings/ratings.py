"""Citizens' and panel members' ratings of a department (社会评议, PRODUCT.md §1)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from piccolo.utils.encoding import dump_json

from evaluation.core import cache, clock, working_days
from evaluation.core.database import group_commit, is_postgres, is_unique_violation, statements
from evaluation.core.form_values import at_most
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from evaluation.ratings.completeness import INCOMPLETE_IMPORTS_SQL, counted_ratings, counted_tallies
from evaluation.ratings.periods import Period
from evaluation.ratings.reasons import shown_label
from evaluation.ratings.satisfaction import DepartmentIndex, compute
from evaluation.ratings.scale import CRITERION_LABELS, LEVEL_LABELS, NEGATIVE_LEVELS, Channel
from evaluation.ratings.tables import CommentStatus, Rating, RatingSource, RatingTally

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
                self.errors["reason_text"] = _("选择“{label}”时，请写明具体原因。").format(
                    label=shown_label(chosen["label"], chosen.get("label_en")))
        # Shown again no longer than the field takes (its maxlength): a form posted by a script
        # with 60 KB in it is not echoed back whole.
        if len(self.reason_text) > MAX_REASON_TEXT:
            self.errors["reason_text"] = _("原因说明不能超过 500 个字。")
            self.reason_text = at_most(self.reason_text, MAX_REASON_TEXT)
        if len(self.comment) > MAX_COMMENT:
            self.errors["comment"] = _("留言不能超过 1000 个字。")
            self.comment = at_most(self.comment, MAX_COMMENT)
        return not self.errors


async def _answer_due(period: Period, level: str) -> Any:
    if level not in NEGATIVE_LEVELS:
        return None
    now = clock.now()
    return await _deadline_from(clock.local(now).date(), period.answer_working_days)


@cache.cached
async def _deadline_from(local_day: date, working_days_later: int) -> Any:
    """A negative rating's answer deadline depends only on its local day: computed once per day
    and worker (the calendar's changes go through ``write_transaction``, which clears it)."""
    return (await working_days.deadline(datetime.combine(local_day, time(12), tzinfo=clock.SHANGHAI),
                                         working_days_later)).due


# One statement per submission, its SQL written once (a ``Rating`` instance and its query would be
# built again for every rating). Every column is named, as the ORM's insert does.
_INSERT_RATING = (
    "INSERT INTO rating (period, department, channel, source, voter_id, panel_code, level, criteria, reason,"
    " reason_text, comment, comment_status, moderated_by, moderated_at, answer_due, import_batch, created_at)"
    " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, NULL, {}, NULL, {})"
)
_INSERT_RATING_POSTGRES = _INSERT_RATING.format(*(f"${n}" for n in range(1, 15)))
_INSERT_RATING_SQLITE = _INSERT_RATING.replace("{}", "?")


async def _insert(period: Period, department_id: int, channel: Channel, form: RatingForm, *,
                  voter_id: str | None = None, panel_code: int | None = None) -> None:
    """Stores one online rating, durably before it returns (grouped with concurrent ones on
    SQLite: ``database.group_commit``); a second one of the same voter or code raises AlreadyRated."""
    due = await _answer_due(period, form.level)
    negative = form.is_negative
    values = (
        period.id, department_id, channel.value, RatingSource.web.value, voter_id, panel_code, form.level,
        dump_json({key: value for key, value in form.criteria.items() if value}),
        int(form.reason) if negative and form.reason else None,
        form.reason_text if negative else "",
        form.comment,
        CommentStatus.pending.value if form.comment else CommentStatus.none.value,
        due,
        clock.now(),
    )
    engine = Rating._meta.db
    try:
        if not is_postgres(engine):
            await group_commit(lambda db: db.execute(_INSERT_RATING_SQLITE, values), engine=engine)
        elif (lane := statements(engine)) is not None:
            # One statement commits on its own; sent straight it skips Piccolo's query building,
            # a tenth of a submission's CPU (bench/README.md, "Ratings").
            await lane.execute(_INSERT_RATING_POSTGRES, *values)
        else:
            await Rating.raw(_INSERT_RATING, *values)
    except Exception as error:
        if is_unique_violation(error):
            raise AlreadyRated from error
        raise


async def submit_public(period: Period, department_id: int, voter_id: str, form: RatingForm) -> None:
    """One rating per browser: the unique index refuses a second, however concurrent."""
    await _insert(period, department_id, Channel.public, form, voter_id=voter_id)


async def submit_panel(period: Period, department_id: int, code_id: int, form: RatingForm) -> None:
    await _insert(period, department_id, Channel.panel, form, panel_code=code_id)


async def own_rating(period: Period, department_id: int, voter_id: str | None,
                     code_id: int | None) -> dict[str, Any] | None:
    """What this browser (or panel code) chose for the department in the period, and when: shown
    to the citizen instead of the form."""
    if code_id is not None:
        mine = Rating.panel_code == code_id
    elif voter_id:
        mine = Rating.voter_id == voter_id
    else:
        return None
    return await Rating.select(Rating.level, Rating.created_at).where(
        (Rating.period == period.id) & (Rating.department == department_id) & mine
    ).first()


async def counts(period_id: int, department_id: int | None = None) -> dict[int, dict[str, dict[str, int]]]:
    """department → channel → level → count, over ratings and office-entered tallies of complete
    imports (evaluation/ratings/completeness.py)."""
    one = " AND department = {}" if department_id is not None else ""
    arguments = [period_id, department_id] if department_id is not None else [period_id]
    result: dict[int, dict[str, dict[str, int]]] = {}
    # The ratings of imports still incomplete are subtracted rather than filtered: the count of
    # every rating of the period stays read from its covering index alone, and the second part
    # finds nothing at once when no import is being written. One statement, so one snapshot.
    rows = await Rating.raw(
        "SELECT department, channel, level, COUNT(*) AS n FROM rating WHERE period = {}" + one
        + " GROUP BY department, channel, level"
        " UNION ALL SELECT department, channel, level, -COUNT(*) AS n FROM rating"
        f" WHERE import_batch IN ({INCOMPLETE_IMPORTS_SQL}) AND period = {{}}" + one
        + " GROUP BY department, channel, level",
        *arguments, *arguments,
    )
    tallies = await RatingTally.raw(
        "SELECT department, channel, level, SUM(rating_count) AS n FROM rating_tally WHERE period = {}" + one
        + f" AND import_batch NOT IN ({INCOMPLETE_IMPORTS_SQL})"
        " GROUP BY department, channel, level",
        *arguments,
    )
    summed: dict[tuple[int, str, str], int] = {}
    for row in [*rows, *tallies]:
        key = (row["department"], row["channel"], row["level"])
        summed[key] = summed.get(key, 0) + int(row["n"])
    for (department, channel, level), n in summed.items():
        if n:  # a level only an incomplete import gave is no level at all
            result.setdefault(department, {}).setdefault(channel, {})[level] = n
    return result


async def department_index(period: Period, department_id: int) -> DepartmentIndex:
    by_department = await counts(period.id, department_id)
    return compute(by_department.get(department_id, {}), period.settings)


async def individual(period_id: int, department_id: int, offset: int = 0,
                     limit: int = 100) -> tuple[list[dict[str, Any]], int]:
    """One department's ratings in a period, newest first, and how many there are: what the
    office sees behind an index. Who rated (voter id, panel code) is never part of it."""
    where = (Rating.period == period_id) & (Rating.department == department_id) & counted_ratings()
    rows = await Rating.select(
        Rating.id, Rating.created_at, Rating.channel, Rating.source, Rating.level, Rating.reason.label,
        Rating.reason_text, Rating.comment, Rating.comment_status, Rating.import_batch.filename,
    ).where(where).order_by(Rating.created_at, ascending=False).order_by(Rating.id, ascending=False).offset(
        offset).limit(limit)
    return rows, await Rating.count().where(where)


async def tallies(period_id: int, department_id: int) -> list[dict[str, Any]]:
    """The counts office-entered tally files gave one department in a period."""
    return await RatingTally.select(
        RatingTally.channel, RatingTally.level, RatingTally.rating_count, RatingTally.import_batch.filename,
        RatingTally.import_batch.created_at,
    ).where((RatingTally.period == period_id) & (RatingTally.department == department_id)
            & counted_tallies()).order_by(RatingTally.id)


async def criteria_distribution(period_id: int, department_id: int) -> dict[str, dict[str, int]]:
    """criterion → level → count, from the ratings that judged criteria (shown, not weighted)."""
    rows = await Rating.select(Rating.criteria).where(
        (Rating.period == period_id) & (Rating.department == department_id) & counted_ratings()
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


@cache.cached
async def active_department(code: str) -> dict[str, Any] | None:
    """Cached like the department pages: only the office changes departments, through
    ``write_transaction``, which clears the cache (an unknown code is not kept)."""
    return (
        await Department.select(Department.id, Department.code, Department.name, Department.group)
        .where((Department.code == code) & Department.active.eq(True))
        .first()
    )

