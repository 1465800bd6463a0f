"""Scoring by hand-worked numbers on the sample indicator system (inspections/data/indicators-sample.csv)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inspections.checklists import scoring
from inspections.checklists.checklists import AnswerError, parse_value
from tests.inspections.conftest import sample_rows


def rows(values: dict[str, str | None] | None = None, fill_max: bool = True) -> list[dict[str, object]]:
    """The sample system's rows with values: every score item at its max unless told otherwise,
    deduct items at 0 occurrences, bonus items at 0, vetoes not triggered."""
    result = []
    for row in sample_rows():
        value: Decimal | None = None
        if row["parent_code"] and fill_max:
            value = {"score": Decimal(row["max_points"]), "deduct": Decimal("0"), "bonus": Decimal("0"),
                     "veto": Decimal("0")}[row["kind"]]
        if values and row["code"] in values:
            given = values[row["code"]]
            value = Decimal(given) if given is not None else None
        result.append({**row, "max_points": Decimal(row["max_points"]),
                       "per_occurrence": Decimal(row["per_occurrence"]) if row["per_occurrence"] else None,
                       "value": value})
    return result


def test_every_item_at_its_max_scores_100_inspection_points_and_no_bonus() -> None:
    score = scoring.score(rows())
    assert score.inspection == Decimal("100")
    assert score.bonus == 0
    assert score.veto is False
    assert (score.answered, score.total) == (19, 19)
    assert score.categories == {"A": 6, "B": 15, "C": 79, "J": 0, "V": 0}


def test_nothing_answered_scores_nothing() -> None:
    score = scoring.score(rows(fill_max=False))
    assert (score.inspection, score.bonus, score.veto, score.answered, score.total) == (0, 0, False, 0, 19)


def test_three_occurrences_of_one_point_leave_the_deduct_item_two_of_its_five() -> None:
    assert scoring.item_points("deduct", Decimal("5"), Decimal("1"), Decimal("3")) == Decimal("2")
    score = scoring.score(rows({"C8": "3"}))
    assert score.categories["C"] == Decimal("76")
    assert score.inspection == Decimal("97")


def test_a_deduct_item_never_goes_below_zero() -> None:
    assert scoring.item_points("deduct", Decimal("5"), Decimal("1"), Decimal("9")) == 0
    assert scoring.item_points("deduct", Decimal("5"), Decimal("2"), Decimal("2")) == 1


def test_half_points_add_up_exactly() -> None:
    score = scoring.score(rows({"A1": "1.5", "A3": "0.5", "B2": "2.5"}))
    assert score.categories["A"] == Decimal("4")
    assert score.categories["B"] == Decimal("14.5")
    assert score.inspection == Decimal("97.5")


def test_a_category_whose_items_sum_past_its_max_is_capped() -> None:
    # B3 at 6 and B1 at 6 and B2 at 3 make exactly 15; a system whose items sum past the
    # category (an older import) is capped all the same.
    data = rows()
    for row in data:
        if row["code"] == "B":
            row["max_points"] = Decimal("12")
    score = scoring.score(data)
    assert score.categories["B"] == Decimal("12")
    assert score.inspection == Decimal("97")
    assert scoring.category_points(Decimal("12"), [Decimal("6"), Decimal("6"), None, Decimal("3")]) == 12


def test_bonus_items_are_kept_apart_and_capped_by_their_category() -> None:
    score = scoring.score(rows({"J1": "3", "J2": "2"}))
    assert score.bonus == Decimal("5")
    assert score.inspection == Decimal("100")
    data = rows({"J1": "3", "J2": "2"})
    for row in data:
        if row["code"] == "J":
            row["max_points"] = Decimal("4")
    assert scoring.score(data).bonus == Decimal("4")


def test_a_triggered_veto_is_reported_but_costs_no_points() -> None:
    score = scoring.score(rows({"V1": "1"}))
    assert score.veto is True
    assert score.inspection == Decimal("100")
    assert scoring.score(rows({"V1": "0"})).veto is False
    assert scoring.score(rows({"V1": None})).veto is False


def test_points_are_written_without_trailing_zeros() -> None:
    assert scoring.format_points(Decimal("1.50")) == "1.5"
    assert scoring.format_points(Decimal("100.0")) == "100"
    assert scoring.format_points(Decimal("0.0")) == "0"
    assert scoring.format_points(None) is None
    assert scoring.as_decimal(1.5) == Decimal("1.5")


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [("score", "1.5", Decimal("1.5")), ("score", " 2 ", Decimal("2")), ("score", "", None), ("score", "0", 0),
     ("bonus", "2", Decimal("2")), ("deduct", "3", Decimal("3")), ("deduct", "0", 0), ("veto", "1", 1),
     ("veto", "0", 0), ("score", "1，5", Decimal("1.5"))],
)
def test_values_an_inspector_may_type(kind: str, text: str, expected: Decimal | None) -> None:
    assert parse_value(kind, Decimal("2"), Decimal("0.5"), text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [("score", "2.5", "得分须在 0 到 2 分之间，以 0.5 分为单位。"), ("score", "0.3", "得分须在 0 到 2 分之间"),
     ("score", "-1", "得分须在"), ("score", "abc", "得分须在"), ("score", "NaN", "得分须在"),
     ("score", "Infinity", "得分须在"), ("deduct", "1.5", "扣分次数须为 0 到 999 之间的整数"),
     ("deduct", "-1", "扣分次数"), ("deduct", "1000", "扣分次数"),
     ("veto", "sNaN", "单项否决"), ("veto", "2", "单项否决只能填 1（触发）或 0（未触发）"),
     ("veto", "yes", "单项否决")],
)
def test_values_refused_with_a_message_saying_what_is_allowed(kind: str, text: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message.replace("（", ".").replace("）", ".")):
        parse_value(kind, Decimal("2.0"), Decimal("0.5"), text)


def test_points_in_a_system_with_step_0_1_may_be_any_tenth() -> None:
    tenth = Decimal("0.1")
    assert parse_value("score", Decimal("80"), tenth, "74.4") == Decimal("74.4")
    assert parse_value("bonus", Decimal("3"), tenth, "2.3") == Decimal("2.3")
    with pytest.raises(AnswerError, match="得分须在 0 到 80 分之间，以 0.1 分为单位。"):
        parse_value("score", Decimal("80"), tenth, "74.45")
    with pytest.raises(AnswerError, match="以 0.5 分为单位"):
        parse_value("score", Decimal("80"), Decimal("0.5"), "74.4")
