"""What the ranking pages show: the office's draft of a round, a published notification (通报),
and the drill-down from a unit's figures to the answers and ratings behind them
(PRODUCT.md §5: every number is traceable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluation.core.accounts import SignedIn
from evaluation.ratings import ratings
from inspections.checklists import checklists
from inspections.checklists.checklists import ChecklistPage
from inspections.rankings import drafts, snapshots
from inspections.rankings.drafts import Draft
from inspections.rankings.snapshots import Publication
from inspections.rankings.texts import blocker_text, checklist_status_label
from inspections.rankings.views import RankingView
from inspections.rounds import rounds
from inspections.rounds.rounds import Round


@dataclass
class OfficeRanking:
    round: Round
    draft: Draft
    view: RankingView
    versions: list[Publication]

    @property
    def blockers(self) -> list[str]:
        return [blocker_text(code) for code in self.draft.blockers]

    @property
    def unfinished(self) -> list[tuple[str, str, str]]:
        """(code, name, checklist status) of every unit that stops publication."""
        return [(unit.code, unit.name, checklist_status_label(unit.checklist_status))
                for unit in self.draft.unfinished]

    @property
    def excludable(self) -> list[tuple[str, str]]:
        excluded = {unit.code for unit in self.draft.excluded}
        return [(unit.code, unit.name) for unit in [*self.draft.ranking.ranked, *self.draft.unfinished]
                if unit.code not in excluded]

    @property
    def next_version(self) -> int:
        return (self.versions[0].version if self.versions else 0) + 1

    latest_figures: dict[str, Any] | None = None

    @property
    def differs_from_latest(self) -> bool:
        """Whether publishing now would change any figure of the latest version."""
        return self.latest_figures is not None and self.latest_figures != _figures(self.view.document)


def _figures(document: dict[str, Any]) -> dict[str, Any]:
    """What a version says about the units, without when, by whom and why it was published."""
    return {key: document[key] for key in ("groups", "not_ranked", "settings", "period", "indicators", "no_index")}


async def office_ranking(code: str) -> OfficeRanking | None:
    found = await rounds.find(code)
    if found is None or found.code != code:
        return None
    draft = await drafts.draft_ranking(found)
    versions = await snapshots.versions(code)
    latest = await snapshots.find(code, versions[0].version) if versions else None
    return OfficeRanking(round=found, draft=draft, view=RankingView(snapshots.draft_document(draft)), versions=versions,
                         latest_figures=_figures(latest.document) if latest else None)


@dataclass
class Notice:
    publication: Publication
    view: RankingView
    versions: list[Publication]

    @property
    def is_latest(self) -> bool:
        return self.publication.superseded_by is None


async def notice(code: str, version: int | None = None) -> Notice | None:
    publication = await snapshots.find(code, version)
    if publication is None:
        return None
    every = await snapshots.versions(code)
    publication.superseded_by = next((p.superseded_by for p in every if p.version == publication.version), None)
    return Notice(publication=publication, view=RankingView(publication.document), versions=every)


async def notices() -> list[Publication]:
    return await snapshots.latest_notices()


async def home_section() -> dict[str, Any]:
    """The home page links the newest 通报, if any."""
    published = await snapshots.latest_notices()
    return {"latest_notice": published[0]} if published else {}


@dataclass
class UnitTrace:
    """One unit's figures, from the total down to each item and the ratings behind the index.
    ``checklist`` (notes, photos, who changed what) is there for staff only; the public sees the
    published aggregates."""

    view: RankingView
    unit: dict[str, Any]
    group: str
    round_code: str
    version: int | None  # None: the office's draft
    checklist: ChecklistPage | None = None
    checklist_id: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # item code → ItemState

    @property
    def is_draft(self) -> bool:
        return self.version is None


async def _with_checklist(trace: UnitTrace, account: SignedIn | None) -> UnitTrace:
    if account is None or not checklists.may_see_every_checklist(account):
        return trace
    checklist_id = await rounds.checklist_id(trace.round_code, trace.unit["code"])
    if checklist_id is None:
        return trace
    page = await checklists.checklist_for(account, checklist_id)
    if page is not None:
        trace.checklist, trace.checklist_id = page, checklist_id
        trace.answers = {item.code: item for category in page.categories for item in category.items}
    return trace


async def draft_trace(code: str, unit_code: str, account: SignedIn) -> UnitTrace | None:
    office = await office_ranking(code)
    if office is None:
        return None
    unit = office.view.unit(unit_code)
    if unit is None:
        return None
    trace = UnitTrace(view=office.view, unit=unit, group=office.view.group_of(unit_code), round_code=code,
                      version=None)
    return await _with_checklist(trace, account)


async def published_trace(code: str, version: int, unit_code: str, account: SignedIn | None) -> UnitTrace | None:
    publication = await snapshots.find(code, version)
    if publication is None:
        return None
    view = RankingView(publication.document)
    unit = view.unit(unit_code)
    if unit is None:
        return None
    trace = UnitTrace(view=view, unit=unit, group=view.group_of(unit_code), round_code=code, version=version)
    return await _with_checklist(trace, account)


@dataclass
class RatingsBehind:
    round: Round
    unit_code: str
    unit_name: str
    rows: list[dict[str, Any]]
    tallies: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


RATINGS_PER_PAGE = 100


async def ratings_behind(code: str, unit_code: str, page: int = 1) -> RatingsBehind | None:
    """The individual ratings behind a unit's index (the office only): who rated is never shown."""
    found = await rounds.find(code)
    if found is None or found.code != code:
        return None
    unit = await rounds.covered_unit(found.id, unit_code)
    if unit is None:
        return None
    page = max(1, page)
    rows: list[dict[str, Any]] = []
    tallies: list[dict[str, Any]] = []
    total = 0
    if found.period_id is not None:
        rows, total = await ratings.individual(found.period_id, unit["department_id"],
                                               offset=(page - 1) * RATINGS_PER_PAGE, limit=RATINGS_PER_PAGE)
        tallies = await ratings.tallies(found.period_id, unit["department_id"])
    return RatingsBehind(round=found, unit_code=unit_code, unit_name=unit["name"], rows=rows, tallies=tallies,
                         total=total, page=page, per_page=RATINGS_PER_PAGE)
