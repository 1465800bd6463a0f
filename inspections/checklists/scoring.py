"""How a checklist's answers become points (PRODUCT.md §4 and Settled questions).

Pure functions over ``Decimal``: no database, no web. The checklist page, the save API and the
rankings all score with these, so a running score and a published one can never disagree.

- score / bonus item: its value is its points;
- deduct item: max − occurrences × per-occurrence deduction, never below 0;
- veto item: no points; triggered when its value is 1;
- a category: the sum of its items' points, capped at the category's max (the editor refuses
  systems whose item maxima sum past it, but old or imported data may not obey);
- inspection score: the sum of the categories that are neither bonus nor veto;
- bonus: the bonus categories' (capped) points; the round's cap is applied by the rankings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
NOT_COUNTED_IN_INSPECTION = ("bonus", "veto")


def item_points(
    kind: str, max_points: Decimal, per_occurrence: Decimal | None, value: Decimal | None
) -> Decimal | None:
    """The points one answered item earns; None while it is unanswered."""
    if value is None:
        return None
    if kind == "veto":
        return ZERO
    if kind == "deduct":
        deduction = value * (per_occurrence if per_occurrence is not None else Decimal("1"))
        return max(ZERO, max_points - deduction)
    return value


def category_points(max_points: Decimal, points: Iterable[Decimal | None]) -> Decimal:
    """The sum of the items' points (unanswered items count 0), capped at the category's max."""
    total = sum((point for point in points if point is not None), ZERO)
    return min(max_points, total)


def veto_triggered(kind: str, value: Decimal | None) -> bool:
    return kind == "veto" and value is not None and value == 1


@dataclass(frozen=True)
class ChecklistScore:
    inspection: Decimal  # capped points of every category that is neither bonus nor veto
    bonus: Decimal  # the bonus categories' points, capped by their max (not yet by the round)
    veto: bool  # any veto item triggered
    answered: int  # items with a value
    total: int  # items
    categories: dict[str, Decimal] = field(default_factory=dict)  # category code → capped points


def score(rows: Iterable[Mapping[str, Any]]) -> ChecklistScore:
    """Scores one checklist from the rows of its indicator system, categories included.

    Each row needs ``code``, ``parent_code`` ("" for a category), ``kind``, ``max_points``,
    ``per_occurrence`` and, for items, ``value`` (None = unanswered). One query joining the
    system's indicators with a checklist's answers gives exactly these rows."""
    category_rows: dict[str, Mapping[str, Any]] = {}
    item_points_by_category: dict[str, list[Decimal | None]] = {}
    answered = total = 0
    veto = False
    for row in rows:
        if not row["parent_code"]:
            category_rows[row["code"]] = row
            continue
        value = as_decimal(row.get("value"))
        total += 1
        answered += value is not None
        veto = veto or veto_triggered(row["kind"], value)
        points = item_points(row["kind"], as_decimal(row["max_points"]), as_decimal(row["per_occurrence"]), value)
        item_points_by_category.setdefault(row["parent_code"], []).append(points)
    categories: dict[str, Decimal] = {}
    inspection = bonus = ZERO
    for code, category in category_rows.items():
        points = category_points(as_decimal(category["max_points"]), item_points_by_category.get(code, ()))
        categories[code] = points
        if category["kind"] == "bonus":
            bonus += points
        elif category["kind"] not in NOT_COUNTED_IN_INSPECTION:
            inspection += points
    return ChecklistScore(inspection=inspection, bonus=bonus, veto=veto, answered=answered, total=total,
                          categories=categories)


def as_decimal(value: Any) -> Decimal | None:
    """Numbers from either engine (Decimal, float from SQLite's NUMERIC affinity, int, text) as Decimal."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def format_points(value: Decimal | None) -> str | None:
    """``Decimal("1.50")`` → ``"1.5"``, ``Decimal("100.0")`` → ``"100"``: how points are shown and sent."""
    if value is None:
        return None
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text
