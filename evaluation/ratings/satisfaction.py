"""The satisfaction index of a department in an evaluation period (PRODUCT.md §1).

Levels map to values (a setting of the period), values are averaged per channel, channel
means are mixed by the channel weights; a channel without ratings drops out and the other
weights are scaled to sum to 1. The exact value is rounded half up to 2 places once, and that
rounded index is what is shown, exported and used downstream. Arithmetic is exact (fractions),
never float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from evaluation.ratings.scale import Channel, Level

TWO_PLACES = Decimal("0.01")


def round_half_up(value: Fraction | Decimal) -> Decimal:
    """The one rounding rule of the platform: half up, to 2 places, applied once."""
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
        return exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndexSettings:
    level_values: Mapping[str, Decimal]
    channel_weights: Mapping[str, Decimal]
    min_sample: int


@dataclass
class DepartmentIndex:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # channel → level → count
    channel_means: dict[str, Decimal] = field(default_factory=dict)  # rounded, for display only
    index: Decimal | None = None
    exact: Fraction | None = None

    @property
    def total(self) -> int:
        return sum(sum(levels.values()) for levels in self.counts.values())

    def channel_total(self, channel: str) -> int:
        return sum(self.counts.get(channel, {}).values())

    def level_total(self, level: str) -> int:
        return sum(levels.get(level, 0) for levels in self.counts.values())


def compute(counts: Mapping[str, Mapping[str, int]], settings: IndexSettings) -> DepartmentIndex:
    result = DepartmentIndex(counts={channel: dict(levels) for channel, levels in counts.items()})
    weighted_sum = Fraction(0)
    weight_sum = Fraction(0)
    for channel in Channel:
        levels = counts.get(channel.value, {})
        n = sum(levels.values())
        if n == 0:
            continue
        mean = sum(
            (Fraction(settings.level_values[level.value]) * levels.get(level.value, 0) for level in Level),
            Fraction(0),
        ) / n
        result.channel_means[channel.value] = round_half_up(mean)
        weight = Fraction(settings.channel_weights[channel.value])
        weighted_sum += weight * mean
        weight_sum += weight
    if weight_sum > 0:
        result.exact = weighted_sum / weight_sum
        result.index = round_half_up(result.exact)
    return result


def is_sufficient(index: DepartmentIndex, settings: IndexSettings) -> bool:
    """Below the minimum sample, counted over all channels together, the index is not shown."""
    return index.total >= settings.min_sample
