"""The satisfaction index, worked by hand (PRODUCT.md §1)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from evaluation.ratings.periods import DEFAULT_LEVEL_VALUES, DEFAULT_WEIGHTS
from evaluation.ratings.satisfaction import IndexSettings, compute, is_sufficient, round_half_up

SETTINGS = IndexSettings(level_values=DEFAULT_LEVEL_VALUES, channel_weights=DEFAULT_WEIGHTS, min_sample=30)


def test_index_of_a_hand_worked_example():
    # Public: 10 非常满意, 5 满意, 3 基本满意, 2 不满意 → (10·100 + 5·80 + 3·60 + 2·30) / 20 = 1640 / 20 = 82
    # Panel:  4 非常满意, 4 满意, 1 基本满意, 1 非常不满意 → (400 + 320 + 60 + 0) / 10 = 78
    # Mixed:  0.4 · 82 + 0.6 · 78 = 32.8 + 46.8 = 79.6 → 79.60 (30 ratings: exactly the minimum sample)
    counts = {
        "public": {"very_satisfied": 10, "satisfied": 5, "basic": 3, "unsatisfied": 2},
        "panel": {"very_satisfied": 4, "satisfied": 4, "basic": 1, "very_unsatisfied": 1},
    }
    index = compute(counts, SETTINGS)
    assert index.channel_means == {"public": Decimal("82.00"), "panel": Decimal("78.00")}
    assert index.index == Decimal("79.60")
    assert index.total == 30 and is_sufficient(index, SETTINGS)


def test_a_channel_without_ratings_drops_out_and_the_weights_are_rescaled():
    # Only the public channel: its weight 0.4 is scaled to 1, so the index is its mean.
    # (2·100 + 1·60) / 3 = 86.666… → 86.67
    index = compute({"public": {"very_satisfied": 2, "basic": 1}}, SETTINGS)
    assert index.index == Decimal("86.67")


def test_rounding_is_half_up_not_to_even():
    assert round_half_up(Fraction(80125, 1000)) == Decimal("80.13")  # banker's rounding would give 80.12
    assert round_half_up(Fraction(80135, 1000)) == Decimal("80.14")
    assert round_half_up(Fraction(80124999, 1000000)) == Decimal("80.12")


def test_channel_means_are_mixed_exactly_and_rounded_once():
    # Public {100, 80} → 90; panel {100, 100, 80} → 280/3 = 93.333…
    # Exact: 0.4 · 90 + 0.6 · 280/3 = 36 + 56 = 92 → 92.00.
    # (Mixing the rounded panel mean 93.33 would give 91.998 instead of the exact 92.)
    index = compute({"public": {"very_satisfied": 1, "satisfied": 1},
                     "panel": {"very_satisfied": 2, "satisfied": 1}}, SETTINGS)
    assert index.exact == Fraction(92)
    assert index.index == Decimal("92.00")


def test_below_the_minimum_sample_the_index_is_not_sufficient():
    index = compute({"public": {"very_satisfied": 29}}, SETTINGS)
    assert index.index == Decimal("100.00") and not is_sufficient(index, SETTINGS)


def test_no_ratings_no_index():
    assert compute({}, SETTINGS).index is None
