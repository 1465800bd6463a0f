"""What a team reads before submitting a checklist, and what the inspected unit signs: per
category its points, the items that earned nothing or lost points, the veto, and how many notes
and photos back it up. Worked out from the checklist page's own state (checklists.checklist_for),
so the summary, the printed form and the page can never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from inspections.checklists.checklists import CategoryState, ChecklistPage, ItemState

ZERO = Decimal("0")


@dataclass(frozen=True)
class CategorySummary:
    category: CategoryState
    zero_points: list[ItemState] = field(default_factory=list)  # answered, worth nothing
    deducted: list[ItemState] = field(default_factory=list)  # deduct items with occurrences
    vetoes_triggered: list[ItemState] = field(default_factory=list)
    unanswered: list[ItemState] = field(default_factory=list)
    notes: int = 0
    photos: int = 0

    @property
    def is_veto(self) -> bool:
        return self.category.kind == "veto"


def summarise(checklist: ChecklistPage) -> list[CategorySummary]:
    summaries = []
    for category in checklist.categories:
        items = category.items
        summaries.append(CategorySummary(
            category=category,
            zero_points=[item for item in items
                         if item.kind in ("score", "bonus", "deduct") and item.points is not None and item.points == 0],
            deducted=[item for item in items if item.kind == "deduct" and item.value is not None and item.value > 0],
            vetoes_triggered=[item for item in items if item.kind == "veto" and item.value == 1],
            unanswered=[item for item in items if not item.answered],
            notes=sum(1 for item in items if item.note),
            photos=sum(len(item.evidence) for item in items),
        ))
    return summaries


def lost_points(item: ItemState) -> Decimal:
    """What a deduct item took away: its max less its points."""
    return item.max_points - (item.points if item.points is not None else item.max_points)
