"""The scale of 社会评议 (PRODUCT.md §1): the five levels of the national 好差评 scale, the
criteria a rating may judge, the two channels, and their words. Not a table: the ratings' tables,
forms, results and every export read their labels from here."""

from __future__ import annotations

from enum import StrEnum

from evaluation.core.i18n import N_


class Level(StrEnum):
    """The five levels of the national 好差评 scale, best first."""

    very_satisfied = "very_satisfied"  # 非常满意
    satisfied = "satisfied"  # 满意
    basic = "basic"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意
    very_unsatisfied = "very_unsatisfied"  # 非常不满意


class Criterion(StrEnum):
    timeliness = "timeliness"  # 及时性
    completeness = "completeness"  # 完整性
    accuracy = "accuracy"  # 准确性
    usefulness = "usefulness"  # 实用性
    accessibility = "accessibility"  # 便民性


class Channel(StrEnum):
    public = "public"
    panel = "panel"


LEVEL_LABELS = {
    Level.very_satisfied.value: N_("非常满意"),
    Level.satisfied.value: N_("满意"),
    Level.basic.value: N_("基本满意"),
    Level.unsatisfied.value: N_("不满意"),
    Level.very_unsatisfied.value: N_("非常不满意"),
}
NEGATIVE_LEVELS = frozenset({Level.unsatisfied.value, Level.very_unsatisfied.value})
CRITERION_LABELS = {
    Criterion.timeliness.value: N_("及时性"),
    Criterion.completeness.value: N_("完整性"),
    Criterion.accuracy.value: N_("准确性"),
    Criterion.usefulness.value: N_("实用性"),
    Criterion.accessibility.value: N_("便民性"),
}
CHANNEL_LABELS = {Channel.public.value: N_("公众"), Channel.panel.value: N_("特邀评议代表")}
