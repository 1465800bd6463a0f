"""Public results of the evaluation: per department, across departments, across periods."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluation.core import cache, spreadsheets
from evaluation.core.tables import Department
from evaluation.ratings import criticism, periods, ratings
from evaluation.ratings.completeness import counted_ratings
from evaluation.ratings.periods import Period, all_periods
from evaluation.ratings.satisfaction import DepartmentIndex, compute, is_sufficient
from evaluation.ratings.scale import LEVEL_LABELS, NEGATIVE_LEVELS
from evaluation.ratings.tables import CommentStatus, Rating, RatingAnswer


@dataclass
class LevelShare:
    level: str
    count: int
    percent: Decimal


def shares(counts_by_level: dict[str, int]) -> list[LevelShare]:
    total = sum(counts_by_level.values())
    return [
        LevelShare(level, counts_by_level.get(level, 0),
                   (Decimal(100 * counts_by_level.get(level, 0)) / total).quantize(Decimal("0.1")) if total
                   else Decimal("0.0"))
        for level in LEVEL_LABELS
    ]


@dataclass
class DepartmentResults:
    period: Period
    index: DepartmentIndex
    sufficient: bool
    levels: list[LevelShare]
    criteria: dict[str, list[LevelShare]]
    trend: list[tuple[Period, Decimal | None, bool, int]]
    criticism: list[dict[str, Any]]


async def department_results(period: Period, department_id: int) -> DepartmentResults:
    index = await ratings.department_index(period, department_id)
    by_level = {level: index.level_total(level) for level in LEVEL_LABELS}
    criteria = await ratings.criteria_distribution(period.id, department_id)
    trend = []
    for other in reversed(await all_periods()):
        other_index = await ratings.department_index(other, department_id)
        trend.append((other, other_index.index, is_sufficient(other_index, other.settings), other_index.total))
    return DepartmentResults(
        period=period,
        index=index,
        sufficient=is_sufficient(index, period.settings),
        levels=shares(by_level),
        criteria={key: shares(value) for key, value in criteria.items()},
        trend=trend,
        criticism=await public_criticism(period.id, department_id),
    )


async def public_criticism(period_id: int, department_id: int) -> list[dict[str, Any]]:
    """Negative ratings the department has answered, and approved comments: what the public may
    read. Who rated is never shown; a rejected or pending comment never is."""
    rows = await Rating.select(
        Rating.id, Rating.level, Rating.comment, Rating.comment_status, Rating.created_at, Rating.reason.label,
        Rating.reason.label_en,
        Rating.answer_due,
    ).where(
        (Rating.period == period_id) & (Rating.department == department_id) & counted_ratings()
        & (Rating.level.is_in(list(NEGATIVE_LEVELS)) | (Rating.comment_status == CommentStatus.approved.value))
    ).order_by(Rating.created_at, ascending=False)
    answers = {
        row["rating"]: row
        for row in await RatingAnswer.select(RatingAnswer.id, RatingAnswer.rating, RatingAnswer.body,
                                             RatingAnswer.answered_at).where(
            RatingAnswer.rating.is_in([row["id"] for row in rows] or [0])
        )
    }
    corrections = await criticism.corrections_of([answer["id"] for answer in answers.values()])
    for answer in answers.values():
        answer["corrections"] = corrections.get(answer["id"], [])
    shown = []
    for row in rows:
        answer = answers.get(row["id"])
        approved = row["comment_status"] == CommentStatus.approved.value
        if row["level"] in NEGATIVE_LEVELS and not answer and not approved:
            continue
        shown.append({
            "level": row["level"],
            "reason": row["reason.label"],
            "reason_en": row["reason.label_en"],
            "comment": row["comment"] if approved else "",
            "created_at": row["created_at"],
            "answer": answer,
            # Every negative rating is answered (PRODUCT.md, Settled questions): its state is shown.
            "awaits_answer": row["level"] in NEGATIVE_LEVELS and not answer,
            "answer_due": row["answer_due"],
        })
    return shown


@dataclass
class OverviewRow:
    code: str
    name: str
    group: str
    index: Decimal | None
    sufficient: bool
    total: int
    public: int
    panel: int


SORTS = {"name", "index", "count"}


@cache.cached
async def shared_overview(period_code: str, sort: str) -> list[OverviewRow] | None:
    """``overview`` as ``/results`` and the open data show it, computed once per few seconds and
    worker (evaluation/core/cache.py) rather than once per view: with 20,000 departments every
    index is worked out for each view, and a burst of visitors paging through the list would do
    it for every page. A new rating shows in it within those seconds; a department's own results
    page is read afresh. None for an unknown period. The rows are shared: read them, never change
    them."""
    period = await periods.find(period_code)
    return await overview(period, sort) if period is not None else None


async def overview(period: Period, sort: str = "index") -> list[OverviewRow]:
    departments = await Department.select(Department.id, Department.code, Department.name, Department.group).where(
        Department.active.eq(True)
    )
    counts = await ratings.counts(period.id)
    rows = []
    # Most of a large city's departments may have no rating yet: their (empty) index is worked
    # out once, and they rank after every rated one, by code.
    unrated = compute({}, period.settings)
    unrated_values = {"index": unrated.index, "sufficient": is_sufficient(unrated, period.settings),
                      "total": 0, "public": 0, "panel": 0}
    for department in departments:
        found = counts.get(department["id"])
        if found:
            index = compute(found, period.settings)
            values = {"index": index.index, "sufficient": is_sufficient(index, period.settings),
                      "total": index.total, "public": index.channel_total("public"),
                      "panel": index.channel_total("panel")}
        else:
            values = unrated_values
        rows.append(OverviewRow(code=department["code"], name=department["name"], group=department["group"],
                                **values))
    if sort == "name":
        rows.sort(key=lambda row: row.code)
    elif sort == "count":
        rows.sort(key=lambda row: (-row.total, row.code))
    else:
        # Below the sample the index is not shown, so it does not rank either.
        rows.sort(key=lambda row: (not row.sufficient, -(row.index or 0) if row.sufficient else 0, row.code))
    return rows


def open_data_csv(period: Period, rows: list[OverviewRow]) -> str:
    """The open data as a table: one line per department, the index empty below the sample."""
    document = open_data(period, rows)
    return spreadsheets.csv_text([
        ("period", "code", "name", "group", "ratings", "public", "panel", "index"),
        *([period.code, row["code"], row["name"], row["group"], row["ratings"], row["public"], row["panel"],
           row["index"] or ""] for row in document["departments"]),
    ])


def open_data(period: Period, rows: list[OverviewRow]) -> dict[str, Any]:
    return {
        "period": {"code": period.code, "name": period.name, "opens_on": period.opens_on.isoformat(),
                   "closes_on": period.closes_on.isoformat(), "min_sample": period.settings.min_sample},
        "departments": [
            {"code": row.code, "name": row.name, "group": row.group, "ratings": row.total,
             "public": row.public, "panel": row.panel,
             "index": str(row.index) if row.sufficient and row.index is not None else None}
            for row in rows
        ],
    }


