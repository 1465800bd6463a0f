"""Indicator systems (考核指标体系, PRODUCT.md §4): a year's categories and their items, edited
by the office, copied to another year, and frozen once a round using them opens. Each system has
its point step (0.5 or 0.1): every point in it, and every answer given to it, is a multiple.

The rules a system obeys are in inspections/indicators/rules.py; files (CSV and xlsx, import and
export) in inspections/indicators/files.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import is_postgres, is_unique_violation, write_transaction
from evaluation.core.i18n import N_, _
from inspections.checklists.scoring import as_decimal
from inspections.indicators.rules import (
    DEFAULT_STEP,
    NOT_IN_INSPECTION,
    Row,
    off_step,
    parse_step,
    points_text,
)
from inspections.tables import Indicator, IndicatorKind, IndicatorSystem

SYSTEM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FROZEN_MESSAGE = N_("该指标体系已被考核批次使用，已冻结，不能修改；可复制为新年度的指标体系")


class IndicatorError(ValueError):
    """A refusal with a message fit to show the user."""


class SystemNotFound(IndicatorError):
    pass


class SystemFrozen(IndicatorError):
    def __init__(self) -> None:
        super().__init__(_(FROZEN_MESSAGE))


def default_code(year: int) -> str:
    return str(year)


def default_name(year: int) -> str:
    return f"{year}年度考核指标体系"


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    parent_code: str
    title: str
    max_points: Decimal
    kind: str
    scoring_rule: str
    per_occurrence: Decimal | None
    position: int

    def values(self) -> dict[str, str]:
        """The row as text, in the file's columns (without the year)."""
        return {"code": self.code, "parent_code": self.parent_code, "title": self.title,
                "max_points": points_text(self.max_points), "kind": self.kind, "scoring_rule": self.scoring_rule,
                "per_occurrence": points_text(self.per_occurrence)}


@dataclass
class Category:
    row: Item
    items: list[Item] = field(default_factory=list)

    @property
    def items_total(self) -> Decimal:
        return sum((item.max_points for item in self.items), Decimal(0))

    @property
    def over(self) -> bool:
        return self.items_total > self.row.max_points


@dataclass
class System:
    id: int
    year: int
    code: str
    name: str
    point_step: Decimal
    frozen_at: dt.datetime | None
    created_at: dt.datetime
    categories: list[Category] = field(default_factory=list)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def label(self) -> str:
        return f"{self.year}/{self.code}"

    @property
    def item_count(self) -> int:
        return sum(len(category.items) for category in self.categories)

    @property
    def inspection_max(self) -> Decimal:
        """The inspection score's maximum: the categories that are neither bonus nor veto."""
        return sum((c.row.max_points for c in self.categories if c.row.kind not in NOT_IN_INSPECTION), Decimal(0))

    @property
    def bonus_max(self) -> Decimal:
        return sum((c.row.max_points for c in self.categories if c.row.kind == IndicatorKind.bonus.value),
                   Decimal(0))

    def rows(self) -> list[Item]:
        """Every row in file order: each category followed by its items."""
        return [row for category in self.categories for row in (category.row, *category.items)]

    def find(self, indicator_id: int) -> Item | None:
        return next((row for row in self.rows() if row.id == indicator_id), None)


def item_of(row: dict[str, Any]) -> Item:
    per_occurrence = row["per_occurrence"]
    return Item(id=row["id"], code=row["code"], parent_code=row["parent_code"] or "", title=row["title"],
                max_points=Decimal(str(row["max_points"])), kind=row["kind"], scoring_rule=row["scoring_rule"] or "",
                per_occurrence=None if per_occurrence is None else Decimal(str(per_occurrence)),
                position=row["position"])


def _system(row: dict[str, Any], indicators: Iterable[dict[str, Any]]) -> System:
    system = System(id=row["id"], year=row["year"], code=row["code"], name=row["name"],
                    point_step=step_of(row), frozen_at=row["frozen_at"], created_at=row["created_at"])
    items = [item_of(indicator) for indicator in indicators]
    by_code = {}
    for item in items:
        if not item.parent_code:
            by_code[item.code] = Category(item)
            system.categories.append(by_code[item.code])
    for item in items:
        if item.parent_code and item.parent_code in by_code:
            by_code[item.parent_code].items.append(item)
    return system


def step_of(row: dict[str, Any]) -> Decimal:
    """A system row's point step as a Decimal (SQLite hands NUMERIC back as a float)."""
    return as_decimal(row["point_step"]) or DEFAULT_STEP


def ordered_rows(query: Any) -> Any:
    return query.order_by(Indicator.position).order_by(Indicator.id)


async def all_systems() -> list[System]:
    """Every system, newest year first, each with its indicators (a handful of systems)."""
    rows = await IndicatorSystem.select().order_by(IndicatorSystem.year, ascending=False).order_by(
        IndicatorSystem.code)
    indicators: dict[int, list[dict[str, Any]]] = {}
    for indicator in await ordered_rows(Indicator.select()):
        indicators.setdefault(indicator["system"], []).append(indicator)
    return [_system(row, indicators.get(row["id"], [])) for row in rows]


async def get_system(system_id: int) -> System | None:
    row = await IndicatorSystem.select().where(IndicatorSystem.id == system_id).first()
    if row is None:
        return None
    return _system(row, await ordered_rows(Indicator.select().where(Indicator.system == system_id)))


async def find_system(year: int, code: str | None = None) -> System | None:
    """The system of (year, code); the code defaults to the year (PRODUCT.md, Settled questions)."""
    row = await IndicatorSystem.select(IndicatorSystem.id).where(
        (IndicatorSystem.year == year) & (IndicatorSystem.code == (code or default_code(year)))).first()
    return await get_system(row["id"]) if row else None


async def lock_unfrozen(system_id: int) -> dict[str, Any]:
    """The system's row, locked until the transaction ends so that a round opening at the same
    moment (which sets frozen_at) waits for this change or this change sees it frozen."""
    query = IndicatorSystem.select().where(IndicatorSystem.id == system_id)
    if is_postgres():
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise SystemNotFound(_("找不到该指标体系。"))
    if row["frozen_at"] is not None:
        raise SystemFrozen()
    return row


def audit_target(year: int, code: str) -> str:
    return f"indicator_system:{year}:{code}"


def row_of(item: Item) -> Row:
    return Row(item.position, item.code, item.parent_code, item.title, item.max_points, item.kind,
               item.scoring_rule, item.per_occurrence)


@dataclass
class SystemForm:
    """A new system (year, code, name, point step) or a copy's target (a copy keeps its source's
    step); code, name and step have defaults."""

    year: str = ""
    code: str = ""
    name: str = ""
    point_step: str = points_text(DEFAULT_STEP)
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        self.year, self.code, self.name = self.year.strip(), self.code.strip(), self.name.strip()
        if not self.year.isdigit() or not 2000 <= int(self.year) <= 2100:
            self.errors["year"] = _("请填写年度，例如 2026。")
            return False
        self.code = self.code or default_code(self.year_number)
        self.name = self.name or default_name(self.year_number)
        if not SYSTEM_CODE.match(self.code):
            self.errors["code"] = _("代码只能包含字母、数字、下划线和连字符，1 到 32 个字符。")
        if len(self.name) > 100:
            self.errors["name"] = _("名称不能超过 100 个字符。")
        problem = parse_step(self.point_step)[1]
        if problem:
            self.errors["point_step"] = problem
        return not self.errors

    @property
    def year_number(self) -> int:
        return int(self.year)

    @property
    def step(self) -> Decimal:
        return parse_step(self.point_step)[0] or DEFAULT_STEP


def _taken_message(year: int, code: str) -> str:
    return _("已有 {year} 年度代码为 {code} 的指标体系。").format(year=year, code=code)


async def insert_system(year: int, code: str, name: str, point_step: Decimal) -> int:
    """Inside a write transaction; IndicatorError when (year, code) is taken."""
    if await IndicatorSystem.exists().where((IndicatorSystem.year == year) & (IndicatorSystem.code == code)):
        raise IndicatorError(_taken_message(year, code))
    try:
        inserted = await IndicatorSystem.insert(IndicatorSystem(
            year=year, code=code, name=name, point_step=point_step, created_at=clock.now())
        ).returning(IndicatorSystem.id)
    except Exception as exc:
        if is_unique_violation(exc):  # created by someone else a moment ago
            raise IndicatorError(_taken_message(year, code)) from exc
        raise
    return inserted[0]["id"]


async def insert_rows(system_id: int, rows: Iterable[Row]) -> None:
    for position, row in enumerate(rows):
        await Indicator.insert(Indicator(
            system=system_id, code=row.code, parent_code=row.parent_code, title=row.title,
            max_points=row.max_points, kind=row.kind, scoring_rule=row.scoring_rule,
            per_occurrence=row.per_occurrence, position=position))


async def create_system(actor: str, form: SystemForm) -> int | None:
    """An empty system; None when the form has errors (in ``form.errors``)."""
    if not form.validate():
        return None
    try:
        async with write_transaction():
            system_id = await insert_system(form.year_number, form.code, form.name, form.step)
            await audit.record(actor, "indicator_system.create", audit_target(form.year_number, form.code),
                               new={"year": form.year_number, "code": form.code, "name": form.name,
                                    "point_step": points_text(form.step)})
    except IndicatorError as refusal:
        form.errors["code"] = str(refusal)
        return None
    return system_id


@dataclass
class SettingsForm:
    """What the office may change in an unfrozen system: its name and its point step (year and
    code name the system everywhere and do not change). An empty step keeps the current one."""

    name: str = ""
    point_step: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, system: System) -> SettingsForm:
        return cls(name=system.name, point_step=points_text(system.point_step))


async def update_system(actor: str, system_id: int, form: SettingsForm) -> bool:
    """Changes the name and the step; False with ``form.errors`` when refused. A step that the
    points already in the system are not multiples of is refused, naming those rows."""
    name = form.name.strip()
    if not name or len(name) > 100:
        form.errors["name"] = _("请填写名称（不超过 100 个字符）。")
    step, problem = parse_step(form.point_step) if form.point_step.strip() else (None, "")
    if problem:
        form.errors["point_step"] = problem
    if form.errors:
        return False
    async with write_transaction():
        row = await lock_unfrozen(system_id)
        current = step_of(row)
        step = step or current
        if step != current:
            existing = await ordered_rows(Indicator.select().where(Indicator.system == system_id))
            rows = [row_of(item_of(i)) for i in existing]
            off = off_step(rows, step)
            if off:
                form.errors["point_step"] = _(
                    "不能改为以 {step} 分为单位：以下指标的分值不是 {step} 的整数倍：{rows}。请先修改这些分值。"
                ).format(step=points_text(step), rows="、".join(off))
                return False
        old = {"name": row["name"], "point_step": points_text(current)}
        new = {"name": name, "point_step": points_text(step)}
        changed = [key for key in old if old[key] != new[key]]
        if changed:
            await IndicatorSystem.update({IndicatorSystem.name: name, IndicatorSystem.point_step: step}).where(
                IndicatorSystem.id == system_id)
            await audit.record(actor, "indicator_system.update", audit_target(row["year"], row["code"]),
                               old={key: old[key] for key in changed}, new={key: new[key] for key in changed})
    return True


async def copy_system(actor: str, system_id: int, form: SystemForm) -> int | None:
    """A new, unfrozen system for another year (or code) with the same indicators."""
    if not form.validate():
        return None
    source = await get_system(system_id)
    if source is None:
        raise SystemNotFound(_("找不到该指标体系。"))
    rows = [row_of(item) for item in source.rows()]
    try:
        async with write_transaction():
            new_id = await insert_system(form.year_number, form.code, form.name, source.point_step)
            await insert_rows(new_id, rows)
            await audit.record(actor, "indicator_system.copy", audit_target(form.year_number, form.code),
                               old={"from": audit_target(source.year, source.code)},
                               new={"year": form.year_number, "code": form.code, "name": form.name,
                                    "point_step": points_text(source.point_step), "indicators": len(rows)})
    except IndicatorError as refusal:
        form.errors["code"] = str(refusal)
        return None
    return new_id


async def replace_indicators(system_id: int, rows: list[Row]) -> None:
    """Inside a write transaction, the system already locked and found unfrozen."""
    await Indicator.delete().where(Indicator.system == system_id)
    await insert_rows(system_id, rows)
