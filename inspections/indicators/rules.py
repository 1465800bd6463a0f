"""The rules every indicator system obeys (PRODUCT.md §4 and Settled questions): two levels,
points in the system's step (0.5 or 0.1), a veto worth 0, a deduct item with its per-occurrence
deduction, items of the category's kind, and items whose maxima fit within their category's max.

They are checked over the whole list of rows: the editor checks the system as it would be after
the change, an import checks the file, so both refuse the same things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from evaluation.core.i18n import N_, _
from inspections.tables import IndicatorKind

KIND_LABELS = {
    IndicatorKind.score.value: N_("评分"),
    IndicatorKind.deduct.value: N_("扣分"),
    IndicatorKind.veto.value: N_("单项否决"),
    IndicatorKind.bonus.value: N_("加分"),
}
# A category's kind says how it counts (bonus and veto categories are outside the inspection
# score, PRODUCT.md §4); its items must count the same way.
ITEM_KINDS_BY_CATEGORY = {
    IndicatorKind.score.value: (IndicatorKind.score.value, IndicatorKind.deduct.value),
    IndicatorKind.bonus.value: (IndicatorKind.bonus.value,),
    IndicatorKind.veto.value: (IndicatorKind.veto.value,),
}
NOT_IN_INSPECTION = (IndicatorKind.bonus.value, IndicatorKind.veto.value)
# The point steps a system may have (PRODUCT.md, Settled questions): 0.5 by default, or 0.1.
DEFAULT_STEP = Decimal("0.5")
STEPS = (DEFAULT_STEP, Decimal("0.1"))
MAX_POINTS = Decimal("1000")
MAX_TITLE = 200
MAX_RULE = 2000
INDICATOR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
FIELDS = ("code", "parent_code", "title", "max_points", "kind", "scoring_rule", "per_occurrence")


def points_text(value: Decimal | None) -> str:
    """Points as a person writes them: 6 (not 6.0), 0.5, 1.5; empty for none."""
    if value is None:
        return ""
    value = Decimal(str(value))
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")


def parse_step(text: str | None) -> tuple[Decimal | None, str]:
    """A point step chosen by a person: (0.5 or 0.1, "") or (None, the reason it is refused)."""
    text = (text or "").strip()
    try:
        step = Decimal(text)
    except InvalidOperation:
        step = None
    if step is None or step not in STEPS:
        return None, _("分值单位“{text}”无效：只能是 0.5 或 0.1").format(text=text)
    return next(allowed for allowed in STEPS if allowed == step), ""


def parse_points(text: str, step: Decimal) -> tuple[Decimal | None, str]:
    """Points typed by a person, in the system's step: (value, "") or (None, the reason it is refused)."""
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, _("分值“{text}”不是数字").format(text=text)
    if not value.is_finite():
        return None, _("分值“{text}”不是数字").format(text=text)
    if value < 0 or value % step != 0:
        return None, _("分值 {text} 无效：须为不小于 0 的数，且为 {step} 的整数倍（如 2 或 1.5）").format(
            text=text, step=points_text(step))
    if value > MAX_POINTS:
        return None, _("分值不能超过 {max}").format(max=points_text(MAX_POINTS))
    return value, ""


@dataclass
class Row:
    """One indicator as it would be stored: from a file's line or from the editor."""

    line: int
    code: str
    parent_code: str
    title: str
    max_points: Decimal
    kind: str
    scoring_rule: str
    per_occurrence: Decimal | None


def check_fields(values: dict[str, str], step: Decimal, line: int = 0) -> tuple[Row | None, dict[str, str]]:
    """One row's own rules, its points in the system's step. Returns the row, or the problems by field."""
    values = {key: (values.get(key) or "").strip() for key in FIELDS}
    errors: dict[str, str] = {}
    if not values["code"]:
        errors["code"] = _("代码为空")
    elif not INDICATOR_CODE.match(values["code"]):
        errors["code"] = _("代码“{code}”无效：只能包含字母、数字、点、下划线和连字符，1 到 32 个字符").format(
            code=values["code"])
    if values["parent_code"] and values["parent_code"] == values["code"]:
        errors["parent_code"] = _("上级代码不能是自己")
    if not values["title"]:
        errors["title"] = _("名称为空")
    elif len(values["title"]) > MAX_TITLE:
        errors["title"] = _("名称不能超过 {n} 个字符").format(n=MAX_TITLE)
    kind = values["kind"]
    if kind not in KIND_LABELS:
        errors["kind"] = _("类型“{kind}”不是 score、deduct、veto、bonus 之一").format(kind=kind)
    max_points, problem = parse_points(values["max_points"], step) if values["max_points"] else (None, _("分值为空"))
    if problem:
        errors["max_points"] = problem
    elif kind == IndicatorKind.veto.value and max_points != 0:
        errors["max_points"] = _("单项否决（veto）的分值必须为 0")
    per_occurrence = None
    if not values["parent_code"] and kind == IndicatorKind.deduct.value:
        errors["kind"] = _("类目的类型只能是 score、bonus 或 veto；扣分项（deduct）须放在类目之下")
    elif kind == IndicatorKind.deduct.value:
        if not values["per_occurrence"]:
            errors["per_occurrence"] = _("扣分项（deduct）须填写每次扣分（per_occurrence）")
        else:
            per_occurrence, problem = parse_points(values["per_occurrence"], step)
            if problem or per_occurrence == 0:
                errors["per_occurrence"] = problem or _("每次扣分须大于 0")
    elif values["per_occurrence"] and kind in KIND_LABELS:
        errors["per_occurrence"] = _("只有扣分项（deduct）填写每次扣分")
    if len(values["scoring_rule"]) > MAX_RULE:
        errors["scoring_rule"] = _("评分标准不能超过 {n} 个字符").format(n=MAX_RULE)
    if errors:
        return None, errors
    assert max_points is not None
    return Row(line, values["code"], values["parent_code"], values["title"], max_points, kind,
               values["scoring_rule"], per_occurrence), {}


@dataclass
class Problem:
    line: int
    code: str  # the row it is about
    field: str
    message: str
    category: str = ""  # the category whose total it is about (a category past its max)


def duplicate_codes(lines: list[tuple[int, str]]) -> list[Problem]:
    """Every (line, code) whose code an earlier line already has, whatever else is wrong with
    either line: a file's rows are checked for this before their own fields are trusted."""
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, code in lines:
        if not code:
            continue
        if code in first_line:
            problems.append(Problem(line, code, "code", _("代码 {code} 与第 {line} 行重复").format(
                code=code, line=first_line[code])))
        else:
            first_line[code] = line
    return problems


def check_structure(rows: list[Row], duplicates: bool = True) -> list[Problem]:
    """The rules across rows: codes unique (unless ``duplicates`` is False, when the caller has
    checked them over more rows), two levels, items under a category of their kind, and each
    category's items' maxima within the category's max (PRODUCT.md §4). A category past its max
    is reported on the line of the item that takes its running total past it, in row order."""
    problems = duplicate_codes([(row.line, row.code) for row in rows]) if duplicates else []
    by_code: dict[str, Row] = {}
    for row in rows:
        by_code.setdefault(row.code, row)
    totals: dict[str, Decimal] = {}
    pushed_past: dict[str, Row] = {}
    for row in rows:
        if not row.parent_code:
            continue
        parent = by_code.get(row.parent_code)
        if parent is None:
            problems.append(Problem(row.line, row.code, "parent_code", _("上级代码 {parent} 不存在").format(
                parent=row.parent_code)))
        elif parent.parent_code:
            problems.append(Problem(row.line, row.code, "parent_code", _(
                "上级 {parent} 本身是指标项：指标体系只有两级，指标项只能放在类目之下").format(parent=parent.code)))
        else:
            allowed = ITEM_KINDS_BY_CATEGORY.get(parent.kind, ())
            if parent.kind in ITEM_KINDS_BY_CATEGORY and row.kind not in allowed:
                problems.append(Problem(row.line, row.code, "kind", _(
                    "类目 {parent} 的类型为 {category}，其下的指标项只能是 {allowed}").format(
                        parent=parent.code, category=parent.kind, allowed="、".join(allowed))))
            totals[parent.code] = totals.get(parent.code, Decimal(0)) + row.max_points
            if totals[parent.code] > parent.max_points and parent.code not in pushed_past:
                pushed_past[parent.code] = row
    for code, item in pushed_past.items():
        category = by_code[code]
        problems.append(Problem(item.line, item.code, "max_points", _(
            "类目 {code}（{title}）下各指标项分值合计 {total}，超过类目分值 {max}").format(
                code=code, title=category.title, total=points_text(totals[code]),
                max=points_text(category.max_points)), category=code))
    return sorted(problems, key=lambda problem: problem.line)


def off_step(rows: list[Row], step: Decimal) -> list[str]:
    """The rows whose points are not multiples of ``step``, named as the office reads them
    ("C1（分值 1.3）", "C8（每次扣分 0.3）"): what keeps a system from taking that step."""
    found = []
    for row in rows:
        if row.max_points % step != 0:
            found.append(_("{code}（分值 {points}）").format(code=row.code, points=points_text(row.max_points)))
        if row.per_occurrence is not None and row.per_occurrence % step != 0:
            found.append(_("{code}（每次扣分 {points}）").format(code=row.code, points=points_text(row.per_occurrence)))
    return found


def row_values(row: Row) -> dict[str, str]:
    return {"code": row.code, "parent_code": row.parent_code, "title": row.title,
            "max_points": points_text(row.max_points), "kind": row.kind, "scoring_rule": row.scoring_rule,
            "per_occurrence": points_text(row.per_occurrence)}
