"""How a round's units become a graded ranking (PRODUCT.md §5 and Settled questions).

Pure functions over ``Decimal``: no database, no web, so that the draft the office looks at, the
published snapshot, the command line and the property tests all compute with the same rules.

For every unit of the round:

- item points and category points capped at each category's max (inspections/checklists/scoring.py);
- inspection score = the capped non-bonus categories; with 折算 it is converted to
  (100 − W) points: score × (100 − W) / system max, rounded half up to 2 places;
- public component = satisfaction index × W / 100, rounded half up to 2 places. The index is the
  period's (rounded once there). Below the period's minimum sample the round's rule applies:
  the plain mean of the indexes of the group's units (those the round covers) that reached the
  sample, rounded like an index; else the mean over every covered unit that did; else 0 for
  everyone; or, by the round's setting, the unit's own index;
- bonus = the bonus categories (each capped at its max), capped by the round's bonus cap;
- total = the exact sum of those three 2-place values, so the printed total is the graded one;
- grade by the round's bands (a bound belongs to the higher grade); a triggered veto means the
  lowest band (不合格) whatever the score;
- ranking within each group: vetoed units after all others, then total descending; equal totals
  share a rank and skip the next (1, 2, 2, 4);
- the 优秀 quota: at most N % of the group's ranked units (vetoed included, rounded down) keep the
  top grade, in rank order; beyond it the lower-ranked fall to the next band; units tied at the
  boundary are treated alike: if keeping all of them would exceed the quota, all of them fall.

Only approved checklists are ranked; units the office excluded are listed as 不参加排名 and
left out of the quota's base; other units are 未完成.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from evaluation.ratings.satisfaction import round_half_up
from inspections.checklists import scoring

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TWO_PLACES = Decimal("0.01")

RANKED = "ranked"
UNFINISHED = "unfinished"  # 未完成: no approved checklist yet
EXCLUDED = "excluded"  # 不参加排名, with the office's reason

GROUP_MEAN = "group_mean"
OWN = "own"

# Where a unit's index came from.
INDEX_OWN = "own"  # its own index, at or above the minimum sample
INDEX_OWN_BELOW_SAMPLE = "own_below_sample"  # its own, below the sample (the round says so)
INDEX_GROUP_MEAN = "group_mean"
INDEX_ALL_MEAN = "all_mean"  # no unit of its group reached the sample
INDEX_NONE = "none"  # no unit reached the sample at all, or the round has no period: 0


@dataclass(frozen=True)
class RankingSettings:
    """The round's own settings (the index settings are the period's)."""

    public_weight: Decimal
    convert_score: bool
    below_sample: str
    bonus_cap: Decimal
    grade_bands: Sequence[tuple[str, Decimal]]  # best first, the last bound 0
    excellent_quota: int | None  # percent of a group that may be 优秀; None: no limit


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    parent_code: str  # "" for a category
    title: str
    kind: str
    max_points: Decimal
    per_occurrence: Decimal | None = None


@dataclass(frozen=True)
class UnitInput:
    code: str
    name: str
    group: str
    state: str  # RANKED (approved), UNFINISHED or EXCLUDED
    answers: Mapping[str, Decimal | None] = field(default_factory=dict)  # item code → value
    own_index: Decimal | None = None  # the period's index of the unit, None without ratings
    sample: int = 0  # ratings over every channel
    sufficient: bool = False  # sample ≥ the period's minimum
    exclusion_reason: str = ""
    checklist_status: str = ""


@dataclass(frozen=True)
class Reason:
    """Why a unit's grade or figures are what they are, shown beside it (in the reader's
    language: see inspections/rankings/texts.py)."""

    code: str  # veto | quota | group_mean | all_mean | no_index | own_below_sample | bonus_capped
    values: tuple[tuple[str, str], ...] = ()

    def value(self, key: str) -> str:
        return dict(self.values).get(key, "")


@dataclass
class UnitResult:
    code: str
    name: str
    group: str
    state: str
    exclusion_reason: str = ""
    checklist_status: str = ""
    item_points: dict[str, Decimal | None] = field(default_factory=dict)
    categories: dict[str, Decimal] = field(default_factory=dict)
    inspection_raw: Decimal = ZERO
    inspection_score: Decimal = ZERO
    own_index: Decimal | None = None
    sample: int = 0
    sufficient: bool = False
    index_used: Decimal = ZERO
    index_source: str = INDEX_NONE
    public_component: Decimal = ZERO
    bonus_raw: Decimal = ZERO
    bonus: Decimal = ZERO
    total: Decimal = ZERO
    veto_items: list[str] = field(default_factory=list)
    score_grade: str = ""
    grade: str = ""
    reasons: list[Reason] = field(default_factory=list)
    rank: int | None = None

    @property
    def vetoed(self) -> bool:
        return bool(self.veto_items)

    @property
    def ranked(self) -> bool:
        return self.state == RANKED


@dataclass(frozen=True)
class Quota:
    base: int  # ranked units of the group, vetoed included
    allowed: int  # how many may keep the top grade
    kept: int


@dataclass
class Ranking:
    settings: RankingSettings
    indicators: list[IndicatorRow]
    inspection_max: Decimal
    groups: dict[str, list[UnitResult]]  # group → ranked units in rank order
    not_ranked: list[UnitResult]  # excluded and unfinished units, by code
    quotas: dict[str, Quota]
    no_index: bool  # no unit reached the minimum sample: every public component is 0
    problems: list[str]  # what makes the figures impossible (a system max of 0 with 折算)

    @property
    def categories(self) -> list[IndicatorRow]:
        return [row for row in self.indicators if not row.parent_code]

    @property
    def items(self) -> list[IndicatorRow]:
        return [row for row in self.indicators if row.parent_code]

    @property
    def full_marks(self) -> Decimal:
        """What a unit can reach without bonus: the converted or the raw system max, plus W."""
        inspection = HUNDRED - self.settings.public_weight if self.settings.convert_score else self.inspection_max
        return inspection + self.settings.public_weight

    @property
    def full_marks_is_100(self) -> bool:
        return self.full_marks == HUNDRED

    @property
    def ranked(self) -> list[UnitResult]:
        return [unit for units in self.groups.values() for unit in units]

    @property
    def top_grade(self) -> str:
        return self.settings.grade_bands[0][0]

    @property
    def lowest_grade(self) -> str:
        return self.settings.grade_bands[-1][0]

    @property
    def commended(self) -> list[UnitResult]:
        """先进集体: final grade 优秀 (the top band)."""
        return [unit for unit in self.ranked if unit.grade == self.top_grade]

    @property
    def to_rectify(self) -> list[UnitResult]:
        """Told to rectify: graded 不合格 (the lowest band)."""
        return [unit for unit in self.ranked if unit.grade == self.lowest_grade]

    @property
    def below_sample(self) -> list[UnitResult]:
        """Ranked units whose public component did not come from their own sufficient index."""
        return [unit for unit in self.ranked if unit.index_source != INDEX_OWN]

    def unit(self, code: str) -> UnitResult | None:
        return next((unit for unit in [*self.ranked, *self.not_ranked] if unit.code == code), None)


def grade_for(total: Decimal, bands: Sequence[tuple[str, Decimal]]) -> str:
    """The first band whose lower bound the total reaches: 90.00 is 优秀 when 优秀 starts at 90."""
    for name, lower in bands:
        if total >= lower:
            return name
    return bands[-1][0]


def _mean(values: Iterable[Decimal]) -> Decimal | None:
    values = list(values)
    if not values:
        return None
    return round_half_up(Fraction(sum(values, ZERO)) / len(values))


def _score_unit(unit: UnitInput, indicators: Sequence[IndicatorRow], settings: RankingSettings,
                inspection_max: Decimal) -> UnitResult:
    rows = []
    for row in indicators:
        rows.append({"code": row.code, "parent_code": row.parent_code, "kind": row.kind,
                     "max_points": row.max_points, "per_occurrence": row.per_occurrence,
                     "value": unit.answers.get(row.code) if row.parent_code else None})
    checklist = scoring.score(rows)
    result = UnitResult(code=unit.code, name=unit.name, group=unit.group, state=unit.state,
                        exclusion_reason=unit.exclusion_reason, checklist_status=unit.checklist_status,
                        own_index=unit.own_index, sample=unit.sample, sufficient=unit.sufficient)
    for row in indicators:
        if row.parent_code:
            value = unit.answers.get(row.code)
            result.item_points[row.code] = scoring.item_points(row.kind, row.max_points, row.per_occurrence, value)
            if scoring.veto_triggered(row.kind, value):
                result.veto_items.append(row.code)
    result.categories = dict(checklist.categories)
    result.inspection_raw = checklist.inspection
    if settings.convert_score and inspection_max > 0:
        result.inspection_score = round_half_up(
            Fraction(checklist.inspection) * Fraction(HUNDRED - settings.public_weight) / Fraction(inspection_max))
    else:
        result.inspection_score = checklist.inspection
    result.bonus_raw = checklist.bonus
    result.bonus = min(checklist.bonus, settings.bonus_cap)
    if result.bonus < result.bonus_raw:
        result.reasons.append(Reason("bonus_capped", (("bonus", _text(result.bonus_raw)),
                                                      ("cap", _text(settings.bonus_cap)))))
    return result


def _apply_public_component(results: list[UnitResult], settings: RankingSettings) -> bool:
    """Sets every unit's index and public component; returns whether every public component is
    0 because no unit has an index to use (PRODUCT.md §5: the notification then says so)."""
    # The index is a fact of the period, whatever happens to the unit's checklist: every unit the
    # round covers counts in the means, excluded and unfinished ones included, so that excluding
    # a unit or approving another never moves a third unit's public component.
    counted = results
    sufficient = [unit for unit in counted if unit.sufficient and unit.own_index is not None]
    group_means = {group: _mean(unit.own_index for unit in sufficient if unit.group == group)
                   for group in {unit.group for unit in counted}}
    all_mean = _mean(unit.own_index for unit in sufficient)
    explain = settings.public_weight > 0  # with no weight the index changes nothing worth a word
    for unit in results:
        reason: Reason | None = None
        if unit.sufficient and unit.own_index is not None:
            unit.index_used, unit.index_source = unit.own_index, INDEX_OWN
        elif settings.below_sample == OWN and unit.own_index is not None:
            unit.index_used, unit.index_source = unit.own_index, INDEX_OWN_BELOW_SAMPLE
            reason = Reason(INDEX_OWN_BELOW_SAMPLE, (("sample", str(unit.sample)),))
        elif settings.below_sample == GROUP_MEAN and group_means.get(unit.group) is not None:
            mean = group_means[unit.group]
            assert mean is not None
            unit.index_used, unit.index_source = mean, INDEX_GROUP_MEAN
            reason = Reason(INDEX_GROUP_MEAN, (("sample", str(unit.sample)), ("index", _index_text(mean))))
        elif settings.below_sample == GROUP_MEAN and all_mean is not None:
            unit.index_used, unit.index_source = all_mean, INDEX_ALL_MEAN
            reason = Reason(INDEX_ALL_MEAN, (("sample", str(unit.sample)), ("index", _index_text(all_mean))))
        else:
            unit.index_used, unit.index_source = ZERO, INDEX_NONE
            reason = Reason("no_index", (("sample", str(unit.sample)),))
        if reason is not None and explain:
            unit.reasons.append(reason)
        unit.public_component = round_half_up(Fraction(unit.index_used) * Fraction(settings.public_weight) / 100)
    return bool(counted) and all(unit.index_source == INDEX_NONE for unit in counted)


def _rank(units: list[UnitResult]) -> list[UnitResult]:
    """Vetoed units after all others, then by total descending; equal totals share a rank."""
    ordered = sorted(units, key=lambda unit: (unit.vetoed, -unit.total, unit.code))
    previous: tuple[bool, Decimal] | None = None
    for position, unit in enumerate(ordered, start=1):
        key = (unit.vetoed, unit.total)
        if key != previous:
            unit.rank = position
            previous = key
        else:
            unit.rank = ordered[position - 2].rank
    return ordered


def _apply_quota(units: list[UnitResult], settings: RankingSettings) -> Quota | None:
    """The top grade, in rank order, for at most N % of the group; ties at the boundary fall
    together (PRODUCT.md §5: 比例不超过 is read as rounded down)."""
    if settings.excellent_quota is None:
        return None
    top, next_grade = settings.grade_bands[0][0], settings.grade_bands[1][0]
    allowed = settings.excellent_quota * len(units) // 100
    kept = 0
    full = False
    candidates = [unit for unit in units if unit.grade == top]
    for rank in sorted({unit.rank for unit in candidates if unit.rank is not None}):
        tied = [unit for unit in candidates if unit.rank == rank]
        if not full and kept + len(tied) <= allowed:
            kept += len(tied)
            continue
        full = True
        for unit in tied:
            unit.grade = next_grade
            unit.reasons.append(Reason("quota", (("quota", str(settings.excellent_quota)),
                                                 ("allowed", str(allowed)), ("from", top), ("to", next_grade))))
    return Quota(base=len(units), allowed=allowed, kept=kept)


def compile_ranking(indicators: Sequence[IndicatorRow], units: Sequence[UnitInput],
                    settings: RankingSettings) -> Ranking:
    """The whole ranking of a round from its indicator system, its units and its settings."""
    inspection_max = sum((row.max_points for row in indicators
                          if not row.parent_code and row.kind not in scoring.NOT_COUNTED_IN_INSPECTION), ZERO)
    problems = []
    if settings.convert_score and inspection_max <= 0:
        problems.append("convert_without_max")
    results = [_score_unit(unit, indicators, settings, inspection_max) for unit in units]
    no_index = _apply_public_component(results, settings)
    lowest = settings.grade_bands[-1][0]
    for unit in results:
        unit.total = (unit.inspection_score + unit.public_component + unit.bonus).quantize(TWO_PLACES)
        unit.score_grade = grade_for(unit.total, settings.grade_bands)
        unit.grade = lowest if unit.vetoed else unit.score_grade
        if unit.vetoed:
            unit.reasons.insert(0, Reason("veto", (("items", "、".join(unit.veto_items)),)))
    groups: dict[str, list[UnitResult]] = {}
    quotas: dict[str, Quota] = {}
    for group in sorted({unit.group for unit in results}, key=_group_order):
        ranked = _rank([unit for unit in results if unit.group == group and unit.state == RANKED])
        if not ranked:
            continue
        groups[group] = ranked
        quota = _apply_quota(ranked, settings)
        if quota is not None:
            quotas[group] = quota
    not_ranked = sorted((unit for unit in results if unit.state != RANKED), key=lambda unit: unit.code)
    for unit in not_ranked:
        unit.grade = ""
    return Ranking(settings=settings, indicators=list(indicators), inspection_max=inspection_max, groups=groups,
                   not_ranked=not_ranked, quotas=quotas, no_index=no_index, problems=problems)


def _group_order(group: str) -> tuple[int, str]:
    """旗县市区 before 市直单位, as the 通报 lists them."""
    return (0 if group == "county" else 1, group)


def _index_text(value: Decimal) -> str:
    return str(value.quantize(TWO_PLACES))


def _text(value: Decimal) -> str:
    return scoring.format_points(value) or "0"
