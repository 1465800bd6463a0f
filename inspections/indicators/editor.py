"""The office's editor of an indicator system's rows: add, change and delete a category or an
item, each checked against the whole system as it would be after the change (the same rules as an
import: inspections/indicators/rules.py), refused while the system is frozen, and audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluation.core import audit
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from inspections.indicators.indicators import (
    IndicatorError,
    Item,
    SystemNotFound,
    audit_target,
    item_of,
    lock_unfrozen,
    ordered_rows,
    row_of,
    step_of,
)
from inspections.indicators.rules import (
    FIELDS,
    Row,
    check_fields,
    check_structure,
    row_values,
)
from inspections.tables import Indicator, IndicatorKind


@dataclass
class IndicatorForm:
    code: str = ""
    parent_code: str = ""
    title: str = ""
    max_points: str = ""
    kind: str = IndicatorKind.score.value
    scoring_rule: str = ""
    per_occurrence: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_category(self) -> bool:
        return not self.parent_code

    def values(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FIELDS}

    @classmethod
    def of(cls, item: Item) -> IndicatorForm:
        return cls(**item.values())


def _editor_problems(edited: Row, after: list[Row]) -> dict[str, str]:
    """The system's rules over the rows as they would be, as messages on the edited row's fields."""
    errors: dict[str, str] = {}
    category = edited.parent_code or edited.code
    for problem in check_structure(after):
        if problem.code == edited.code:
            errors.setdefault(problem.field, problem.message)
        elif problem.field == "max_points" and category in (problem.code, problem.category):
            errors.setdefault("max_points", problem.message)
        elif problem.field == "kind" and not edited.parent_code:
            errors.setdefault("kind", _("指标项 {code}：").format(code=problem.code) + problem.message)
    return errors


async def add_indicator(actor: str, system_id: int, form: IndicatorForm) -> bool:
    """A category (no parent) or an item under one, at the end of its category."""
    async with write_transaction():
        system = await lock_unfrozen(system_id)
        row, form.errors = check_fields(form.values(), step_of(system))
        if row is None:
            return False
        existing = await ordered_rows(Indicator.select().where(Indicator.system == system_id))
        if any(indicator["code"] == row.code for indicator in existing):
            form.errors["code"] = _("代码 {code} 已被使用").format(code=row.code)
            return False
        form.errors = _editor_problems(row, [row_of(item_of(i)) for i in existing] + [row])
        if form.errors:
            return False
        position = max((indicator["position"] for indicator in existing), default=-1) + 1
        await Indicator.insert(Indicator(
            system=system_id, code=row.code, parent_code=row.parent_code, title=row.title,
            max_points=row.max_points, kind=row.kind, scoring_rule=row.scoring_rule,
            per_occurrence=row.per_occurrence, position=position))
        await audit.record(actor, "indicator.create", audit_target(system["year"], system["code"]),
                           new=row_values(row))
    return True


async def update_indicator(actor: str, system_id: int, indicator_id: int, form: IndicatorForm) -> bool:
    """A category stays a category (its items follow a new code); an item may move to another
    category."""
    async with write_transaction():
        system = await lock_unfrozen(system_id)
        existing = [item_of(i) for i in await ordered_rows(Indicator.select().where(Indicator.system == system_id))]
        before = next((item for item in existing if item.id == indicator_id), None)
        if before is None:
            raise SystemNotFound(_("找不到该指标。"))
        if not before.parent_code:
            form.parent_code = ""
        elif not form.parent_code.strip():
            form.errors["parent_code"] = _("请选择所属类目")
            return False
        row, form.errors = check_fields(form.values(), step_of(system))
        if row is None:
            return False
        if any(item.code == row.code and item.id != indicator_id for item in existing):
            form.errors["code"] = _("代码 {code} 已被使用").format(code=row.code)
            return False
        after = []
        for item in existing:
            if item.id == indicator_id:
                after.append(row)
            else:
                other = row_of(item)
                if other.parent_code == before.code:
                    other.parent_code = row.code
                after.append(other)
        form.errors = _editor_problems(row, after)
        if form.errors:
            return False
        old, new = before.values(), row_values(row)
        changed = [key for key in FIELDS if old[key] != new[key]]
        if not changed:
            return True
        await Indicator.update({
            Indicator.code: row.code, Indicator.parent_code: row.parent_code, Indicator.title: row.title,
            Indicator.max_points: row.max_points, Indicator.kind: row.kind, Indicator.scoring_rule: row.scoring_rule,
            Indicator.per_occurrence: row.per_occurrence,
        }).where(Indicator.id == indicator_id)
        if before.code != row.code and not before.parent_code:
            await Indicator.update({Indicator.parent_code: row.code}).where(
                (Indicator.system == system_id) & (Indicator.parent_code == before.code))
        await audit.record(actor, "indicator.update", audit_target(system["year"], system["code"]),
                           old={"code": before.code, **{key: old[key] for key in changed}},
                           new={"code": row.code, **{key: new[key] for key in changed}})
    return True


async def delete_indicator(actor: str, system_id: int, indicator_id: int) -> None:
    """An item, or a category that has no items left."""
    async with write_transaction():
        system = await lock_unfrozen(system_id)
        row = await Indicator.select().where((Indicator.id == indicator_id) & (Indicator.system == system_id)).first()
        if row is None:
            raise SystemNotFound(_("找不到该指标。"))
        if not row["parent_code"] and await Indicator.exists().where(
                (Indicator.system == system_id) & (Indicator.parent_code == row["code"])):
            raise IndicatorError(_("类目 {code} 下还有指标项，请先删除或移走这些指标项。").format(code=row["code"]))
        await Indicator.delete().where(Indicator.id == indicator_id)
        await audit.record(actor, "indicator.delete", audit_target(system["year"], system["code"]),
                           old=item_of(row).values())
