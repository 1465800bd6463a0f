"""The ranking rules of PRODUCT.md §5, on the pure compiling step: a hand-worked round of eight
units, the edge rules one at a time, and properties over thousands of random rounds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspections.rankings.compiling import (
    EXCLUDED,
    RANKED,
    UNFINISHED,
    IndicatorRow,
    RankingSettings,
    UnitInput,
    compile_ranking,
    grade_for,
)

D = Decimal
DEFAULT_BANDS = [("优秀", D(90)), ("良好", D(80)), ("合格", D(60)), ("不合格", D(0))]

# A small system: A caps two 6-point items at 10 (imported data may do that), B holds a deduct
# item of 10 points at 2 per occurrence, J is the bonus (5), V the veto.
SYSTEM = [
    IndicatorRow("A", "", "组织保障", "score", D(10)),
    IndicatorRow("A1", "A", "负责人", "score", D(6)),
    IndicatorRow("A2", "A", "制度", "score", D(6)),
    IndicatorRow("B", "", "信息公开", "score", D(70)),
    IndicatorRow("B1", "B", "主动公开", "score", D(60)),
    IndicatorRow("B2", "B", "目录与年报", "deduct", D(10), D(2)),
    IndicatorRow("J", "", "加分项", "bonus", D(5)),
    IndicatorRow("J1", "J", "通报表彰", "bonus", D(3)),
    IndicatorRow("J2", "J", "创新", "bonus", D(2)),
    IndicatorRow("V", "", "单项否决", "veto", D(0)),
    IndicatorRow("V1", "V", "隐瞒应公开信息", "veto", D(0)),
]


def answers(a1, a2, b1, b2, j1=0, j2=0, v1=0) -> dict[str, Decimal]:
    return {"A1": D(a1), "A2": D(a2), "B1": D(b1), "B2": D(b2), "J1": D(j1), "J2": D(j2), "V1": D(v1)}


def unit(code: str, the_answers: dict[str, Decimal], index: str | None, sample: int, group: str = "county",
         state: str = RANKED, min_sample: int = 30) -> UnitInput:
    return UnitInput(code=code, name=f"单位{code}", group=group, state=state, answers=the_answers,
                     own_index=D(index) if index is not None else None, sample=sample,
                     sufficient=index is not None and sample >= min_sample)


def round_settings(**changes) -> RankingSettings:
    values = dict(public_weight=D(20), convert_score=False, below_sample="group_mean", bonus_cap=D(3),
                  grade_bands=DEFAULT_BANDS, excellent_quota=None)
    values.update(changes)
    return RankingSettings(**values)


def test_hand_worked_round_of_eight_units_with_veto_cap_quota_tie_and_a_bound():
    """W = 20 on an 80-point system (full marks 100), bonus capped at 3, at most 25 % 优秀,
    minimum sample 30.

    U1: A 6+6=12 → capped 10; B 58 + (10 − 0) = 68; inspection 78; index 90 → 18.00;
        bonus 3+2=5 → capped 3; total 99.00 → 优秀, kept (quota 25 % of 8 = 2).
    U2: A 6+5=11 → 10; B 55 + (10 − 2) = 63; 73; index 85 → 17.00; bonus 1; total 91.00.
    U3: A 5+5=10; B 56 + 8 = 64; 74; index 80 → 16.00; bonus 1; total 91.00: tied with U2 at
        rank 2. Keeping both would make 3 > 2 优秀, so both fall to 良好.
    U4: A 8; B 50 + (10 − 4) = 56; 64; index 80 with exactly 30 ratings → 16.00; total 80.00:
        on the 良好 bound, which belongs to 良好.
    U5: A 10; B 70; 80; index 95 → 19.00; bonus 3; total 102.00, but V1 is triggered: 不合格,
        ranked after every other unit.
    U6: A 10; B 62; 72; 10 ratings only: the group mean of the seven units that reached the
        sample, (90+85+80+80+95+60+20)/7 = 72.857… → 72.86; × 20/100 = 14.572 → 14.57; bonus 2;
        total 88.57 → 良好.
    U7: A 4; B 40 + max(0, 10 − 10) = 40; 44; index 60 → 12.00; total 56.00 → 不合格.
    U8: A 6; B 40 + 10 = 50; 56; index 20 → 4.00; total 60.00: on the 合格 bound → 合格.
    Ranks: U1 1, U2 2, U3 2, U6 4, U4 5, U8 6, U7 7, U5 8.
    """
    units = [
        unit("U1", answers(6, 6, 58, 0, j1=3, j2=2), "90.00", 40),
        unit("U2", answers(6, 5, 55, 1, j2=1), "85.00", 35),
        unit("U3", answers(5, 5, 56, 1, j2=1), "80.00", 31),
        unit("U4", answers(4, 4, 50, 2), "80.00", 30),
        unit("U5", answers(5, 5, 60, 0, j1=3, v1=1), "95.00", 50),
        unit("U6", answers(5, 5, 52, 0, j2=2), "50.00", 10),
        unit("U7", answers(2, 2, 40, 5), "60.00", 31),
        unit("U8", answers(3, 3, 40, 0), "20.00", 50),
    ]
    ranking = compile_ranking(SYSTEM, units, round_settings(excellent_quota=25))
    rows = {u.code: u for u in ranking.groups["county"]}
    assert [(u.code, u.rank) for u in ranking.groups["county"]] == [
        ("U1", 1), ("U2", 2), ("U3", 2), ("U6", 4), ("U4", 5), ("U8", 6), ("U7", 7), ("U5", 8)]
    expected = {  # inspection, public, bonus, total, grade
        "U1": ("78", "18.00", "3", "99.00", "优秀"),
        "U2": ("73", "17.00", "1", "91.00", "良好"),
        "U3": ("74", "16.00", "1", "91.00", "良好"),
        "U4": ("64", "16.00", "0", "80.00", "良好"),
        "U5": ("80", "19.00", "3", "102.00", "不合格"),
        "U6": ("72", "14.57", "2", "88.57", "良好"),
        "U7": ("44", "12.00", "0", "56.00", "不合格"),
        "U8": ("56", "4.00", "0", "60.00", "合格"),
    }
    for code, (inspection, public, bonus, total, grade) in expected.items():
        row = rows[code]
        assert (row.inspection_score, row.public_component, row.bonus, row.total, row.grade) == (
            D(inspection), D(public), D(bonus), D(total), grade), code
    assert rows["U1"].categories == {"A": D(10), "B": D(68), "J": D(5), "V": D(0)}
    assert rows["U6"].index_used == D("72.86")
    assert [r.code for r in rows["U2"].reasons] == ["quota"] and [r.code for r in rows["U3"].reasons] == ["quota"]
    assert [r.code for r in rows["U5"].reasons] == ["veto"] and rows["U5"].veto_items == ["V1"]
    assert [r.code for r in rows["U1"].reasons] == ["bonus_capped"]
    assert [r.code for r in rows["U6"].reasons] == ["group_mean"]
    assert ranking.quotas["county"].allowed == 2 and ranking.quotas["county"].kept == 1
    assert [u.code for u in ranking.commended] == ["U1"]
    assert sorted(u.code for u in ranking.to_rectify) == ["U5", "U7"]


def test_converted_inspection_score_is_rounded_half_up_once():
    # 78 of 80 points converted to 100 − 30 = 70 points: 78 × 70 / 80 = 68.25 exactly;
    # 77.5 × 70 / 80 = 67.8125 → 67.81; 77.9 … uses 0.1 steps: 77.9 × 70 / 80 = 68.1625 → 68.16.
    units = [unit("U1", answers(6, 6, 58, 0), "90.00", 40), unit("U2", answers(6, 6, 57.5, 0), "90.00", 40),
             unit("U3", answers(6, 6, "57.9", 0), "90.00", 40)]
    ranking = compile_ranking(SYSTEM, units, round_settings(public_weight=D(30), convert_score=True))
    scores = {u.code: u.inspection_score for u in ranking.ranked}
    assert scores == {"U1": D("68.25"), "U2": D("67.81"), "U3": D("68.16")}
    assert ranking.full_marks == D(100)
    assert all(u.public_component == D("27.00") for u in ranking.ranked)


def test_without_conversion_the_round_says_its_full_marks_are_not_100():
    ranking = compile_ranking(SYSTEM, [unit("U1", answers(6, 6, 58, 0), "90.00", 40)],
                              round_settings(public_weight=D(30)))
    assert ranking.full_marks == D(110) and not ranking.full_marks_is_100


def test_public_component_is_rounded_half_up():
    # 88.88 × 15 / 100 = 13.332 → 13.33; 88.90 × 15 / 100 = 13.335 → 13.34 (half up, not to even).
    units = [unit("U1", answers(0, 0, 0, 0), "88.88", 40), unit("U2", answers(0, 0, 0, 0), "88.90", 40)]
    ranking = compile_ranking(SYSTEM, units, round_settings(public_weight=D(15)))
    assert {u.code: u.public_component for u in ranking.ranked} == {"U1": D("13.33"), "U2": D("13.34")}


def test_below_sample_without_sufficient_units_in_the_group_uses_the_mean_of_all_units():
    units = [unit("C1", answers(0, 0, 0, 0), "70.00", 5, group="county"),
             unit("M1", answers(0, 0, 0, 0), "90.00", 40, group="municipal"),
             unit("M2", answers(0, 0, 0, 0), "81.00", 40, group="municipal")]
    ranking = compile_ranking(SYSTEM, units, round_settings())
    county = ranking.groups["county"][0]
    assert county.index_used == D("85.50") and county.index_source == "all_mean"
    assert county.public_component == D("17.10")


def test_when_no_unit_reaches_the_sample_every_public_component_is_zero_and_the_ranking_says_so():
    units = [unit("U1", answers(6, 6, 58, 0), "90.00", 5), unit("U2", answers(6, 6, 50, 0), None, 0)]
    ranking = compile_ranking(SYSTEM, units, round_settings())
    assert ranking.no_index
    assert all(u.public_component == 0 and u.index_source == "none" for u in ranking.ranked)


def test_the_own_index_rule_uses_a_units_index_below_the_sample():
    units = [unit("U1", answers(0, 0, 0, 0), "50.00", 5), unit("U2", answers(0, 0, 0, 0), "90.00", 40)]
    ranking = compile_ranking(SYSTEM, units, round_settings(below_sample="own"))
    below = next(u for u in ranking.ranked if u.code == "U1")
    assert below.index_used == D("50.00") and below.public_component == D("10.00")
    assert [r.code for r in below.reasons] == ["own_below_sample"]


def test_unfinished_and_excluded_units_are_not_ranked_and_not_in_the_quota_base():
    units = [unit("U1", answers(6, 6, 60, 0), "95.00", 40), unit("U2", answers(6, 6, 60, 0), "95.00", 40),
             unit("U3", answers(6, 6, 60, 0), "95.00", 40, state=EXCLUDED),
             unit("U4", answers(6, 6, 60, 0), "95.00", 40, state=UNFINISHED)]
    ranking = compile_ranking(SYSTEM, units, round_settings(excellent_quota=50))
    assert [u.code for u in ranking.ranked] == ["U1", "U2"]
    assert [(u.code, u.state) for u in ranking.not_ranked] == [("U3", EXCLUDED), ("U4", UNFINISHED)]
    # 50 % of 2 ranked units is 1: the two tied units both fall.
    assert ranking.quotas["county"].base == 2
    assert [u.grade for u in ranking.ranked] == ["良好", "良好"]


def test_a_three_band_scheme_lets_the_quota_fall_to_its_second_grade():
    bands = [("优秀", D(90)), ("合格", D(70)), ("不合格", D(0))]
    units = [unit("U1", answers(6, 6, 60, 0), "95.00", 40), unit("U2", answers(6, 6, 59, 0), "95.00", 40)]
    ranking = compile_ranking(SYSTEM, units, round_settings(grade_bands=bands, excellent_quota=50))
    assert [(u.code, u.grade) for u in ranking.ranked] == [("U1", "优秀"), ("U2", "合格")]


# Properties over random rounds.

STEP = D("0.5")


@st.composite
def random_rounds(draw):
    categories = []
    rows: list[IndicatorRow] = []
    for number in range(draw(st.integers(1, 3))):
        code = f"C{number}"
        maximum = D(draw(st.integers(1, 40)))
        categories.append(code)
        rows.append(IndicatorRow(code, "", code, "score", maximum))
        for item in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["score", "deduct"]))
            item_max = D(draw(st.integers(1, 30)))  # may exceed the category: the cap must hold
            rows.append(IndicatorRow(f"{code}.{item}", code, "", kind, item_max,
                                     D(draw(st.integers(1, 4))) if kind == "deduct" else None))
    if draw(st.booleans()):
        rows.append(IndicatorRow("J", "", "J", "bonus", D(draw(st.integers(0, 10)))))
        rows.append(IndicatorRow("J1", "J", "", "bonus", D(draw(st.integers(0, 10)))))
    if draw(st.booleans()):
        rows.append(IndicatorRow("V", "", "V", "veto", D(0)))
        rows.append(IndicatorRow("V1", "V", "", "veto", D(0)))
    units = []
    for number in range(draw(st.integers(1, 25))):
        values: dict[str, Decimal | None] = {}
        for row in rows:
            if not row.parent_code:
                continue
            if row.kind == "veto":
                values[row.code] = D(draw(st.sampled_from([0, 0, 0, 1])))
            elif row.kind == "deduct":
                values[row.code] = D(draw(st.integers(0, 12)))
            else:
                values[row.code] = draw(st.integers(0, int(row.max_points * 2))) * STEP
        index = draw(st.one_of(st.none(), st.integers(0, 10000).map(lambda n: D(n) / 100)))
        sample = draw(st.integers(0, 60))
        units.append(UnitInput(
            code=f"U{number:02d}", name="", group=draw(st.sampled_from(["county", "municipal"])),
            state=draw(st.sampled_from([RANKED, RANKED, RANKED, EXCLUDED, UNFINISHED])), answers=values,
            own_index=index, sample=sample, sufficient=index is not None and sample >= 30))
    bands = draw(st.sampled_from([
        DEFAULT_BANDS, [("优秀", D(90)), ("良好", D(70)), ("合格", D(60)), ("不合格", D(0))],
        [("优秀", D(90)), ("合格", D(70)), ("不合格", D(0))]]))
    settings_ = RankingSettings(
        public_weight=D(draw(st.integers(0, 40))), convert_score=draw(st.booleans()),
        below_sample=draw(st.sampled_from(["group_mean", "own"])), bonus_cap=D(draw(st.integers(0, 8))),
        grade_bands=bands, excellent_quota=draw(st.one_of(st.none(), st.integers(0, 100))))
    return rows, units, settings_


@settings(max_examples=2000, deadline=None)
@given(random_rounds())
def test_properties_of_every_random_round(drawn):
    rows, units, round_ = drawn
    ranking = compile_ranking(rows, units, round_)
    maxima = {row.code: row.max_points for row in rows if not row.parent_code}
    bonus_max = sum((row.max_points for row in rows if not row.parent_code and row.kind == "bonus"), D(0))
    lowest, top = round_.grade_bands[-1][0], round_.grade_bands[0][0]
    for ranked in ranking.groups.values():
        for result in ranked:
            # no category above its max
            assert all(points <= maxima[code] for code, points in result.categories.items())
            # bonus never above its caps
            assert result.bonus <= round_.bonus_cap and result.bonus <= bonus_max
            # every total the sum of its parts, with two places
            assert result.total == result.inspection_score + result.public_component + result.bonus
            assert result.total == result.total.quantize(D("0.01"))
            # veto always 不合格
            if result.vetoed:
                assert result.grade == lowest
        # vetoed after every non-vetoed unit
        seen_veto = False
        for result in ranked:
            seen_veto = seen_veto or result.vetoed
            assert result.vetoed or not seen_veto
        # ties share a rank and skip the next (1, 2, 2, 4)
        for position, result in enumerate(ranked):
            better = sum(1 for other in ranked if (other.vetoed, -other.total) < (result.vetoed, -result.total))
            assert result.rank == better + 1
            assert result.rank <= position + 1
        # 优秀 never above the quota
        if round_.excellent_quota is not None:
            allowed = round_.excellent_quota * len(ranked) // 100
            assert sum(1 for result in ranked if result.grade == top) <= allowed
    for result in ranking.not_ranked:
        assert result.state in (EXCLUDED, UNFINISHED) and result.rank is None


@pytest.mark.parametrize("total, grade", [("90.00", "优秀"), ("89.99", "良好"), ("80.00", "良好"),
                                          ("79.99", "合格"), ("60.00", "合格"), ("59.99", "不合格")])
def test_a_bound_belongs_to_the_higher_grade(total, grade):
    assert grade_for(D(total), DEFAULT_BANDS) == grade
