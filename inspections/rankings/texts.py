"""The words of a ranking: grade reasons, unit states and what blocks publication, in the reader's
language. Rankings keep codes (compiling.py, the published snapshot); these put them in words
when they are shown, so that a snapshot reads in Chinese and in English alike."""

from __future__ import annotations

from evaluation.core.departments import GROUP_LABELS
from evaluation.core.i18n import N_, _
from inspections.rankings.compiling import (
    EXCLUDED,
    INDEX_ALL_MEAN,
    INDEX_GROUP_MEAN,
    INDEX_NONE,
    INDEX_OWN,
    INDEX_OWN_BELOW_SAMPLE,
    UNFINISHED,
    Reason,
)
from inspections.tables import CHECKLIST_STATUS_LABELS

STATE_LABELS = {EXCLUDED: N_("不参加排名"), UNFINISHED: N_("未完成")}
INDEX_SOURCE_LABELS = {
    INDEX_OWN: N_("本单位指数"),
    INDEX_OWN_BELOW_SAMPLE: N_("本单位指数（样本不足）"),
    INDEX_GROUP_MEAN: N_("本组平均指数"),
    INDEX_ALL_MEAN: N_("全部单位平均指数"),
    INDEX_NONE: N_("无可采用的指数，计 0"),
}
BLOCKER_LABELS = {
    "no_units": N_("本批次没有覆盖任何单位。"),
    "unfinished": N_("还有单位的检查表未审核通过：每个单位须审核通过或标为不参加排名。"),
    "nothing_ranked": N_("没有可排名的单位。"),
    "no_period": N_("本批次设有社会评议权重，但没有指定评议期。"),
    "convert_without_max": N_("指标体系的检查满分为 0，无法折算。"),
}


def reason_text(reason: Reason) -> str:
    value = reason.value
    if reason.code == "veto":
        return _("单项否决：{items}").format(items=value("items"))
    if reason.code == "quota":
        return _("{from_grade}名额已满（不超过 {quota}%，本组 {allowed} 个），按名次降为{to_grade}").format(
            from_grade=value("from"), quota=value("quota"), allowed=value("allowed"), to_grade=value("to"))
    if reason.code == "group_mean":
        return _("样本不足（{sample} 条），采用本组平均指数 {index}").format(sample=value("sample"),
                                                                            index=value("index"))
    if reason.code == "all_mean":
        return _("样本不足（{sample} 条），本组无单位达到最低样本量，采用全部单位平均指数 {index}").format(
            sample=value("sample"), index=value("index"))
    if reason.code == "own_below_sample":
        return _("样本不足（{sample} 条），按本单位实际指数计").format(sample=value("sample"))
    if reason.code == "no_index":
        return _("样本不足（{sample} 条），无可采用的满意度指数，社会评议得分计 0").format(sample=value("sample"))
    if reason.code == "bonus_capped":
        return _("加分 {bonus} 超过上限，按 {cap} 计").format(bonus=value("bonus"), cap=value("cap"))
    return reason.code


def reasons_text(reasons: list[Reason]) -> str:
    return _("；").join(reason_text(reason) for reason in reasons)


def state_label(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else ""


def checklist_status_label(status: str) -> str:
    return _(CHECKLIST_STATUS_LABELS[status]) if status in CHECKLIST_STATUS_LABELS else status


def blocker_text(code: str) -> str:
    return _(BLOCKER_LABELS[code]) if code in BLOCKER_LABELS else code


def group_label(group: str) -> str:
    return _(GROUP_LABELS[group]) if group in GROUP_LABELS else group


def index_source_label(source: str) -> str:
    """Where the index a unit's public component uses came from."""
    return _(INDEX_SOURCE_LABELS[source]) if source in INDEX_SOURCE_LABELS else source
