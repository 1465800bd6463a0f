"""The units a round covers: one checklist per covered department, added and removed while the
round is a draft; and a round created from the command line with its coverage in one go."""

from __future__ import annotations

from typing import Any

from evaluation.core import audit
from evaluation.core.database import write_transaction
from evaluation.core.departments import GROUP_LABELS
from evaluation.core.form_values import parse_int
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from evaluation.ratings import periods
from inspections.indicators import indicators
from inspections.rounds.rounds import Round, RoundError, RoundNotFound, find, round_row
from inspections.rounds.settings import RoundForm, apply_settings_toml, create
from inspections.tables import (
    Checklist,
    ChecklistStatus,
    RoundStatus,
)


async def _draft(code: str) -> dict[str, Any]:
    row = await round_row(code)
    if row["status"] != RoundStatus.draft.value:
        raise RoundError(_("考核批次已开始，覆盖的单位不能再改变。"))
    return row


async def covered_department_ids(round_id: int) -> set[int]:
    """The departments a round covers: one checklist each."""
    return {r["department"] for r in await Checklist.select(Checklist.department).where(Checklist.round == round_id)}


async def _cover(actor: str, row: dict[str, Any], department_ids: list[tuple[int, str]]) -> int:
    covered = await covered_department_ids(row["id"])
    new = [(department_id, code) for department_id, code in department_ids if department_id not in covered]
    if new:
        await Checklist.insert(*[Checklist(round=row["id"], department=department_id,
                                           status=ChecklistStatus.not_started) for department_id, _code in new])
        await audit.record(actor, "round.cover", f"round:{row['code']}", new={"departments": [c for _i, c in new]})
    return len(new)


async def cover_group(actor: str, code: str, group: str) -> int:
    """Adds every active department of a group not yet covered. Returns how many were added."""
    if group not in GROUP_LABELS:
        raise RoundError(_("请选择单位分组。"))
    async with write_transaction():
        row = await _draft(code)
        departments = await Department.select(Department.id, Department.code).where(
            (Department.group == group) & Department.active.eq(True)).order_by(Department.code)
        return await _cover(actor, row, [(d["id"], d["code"]) for d in departments])


async def cover_departments(actor: str, code: str, department_codes: list[str]) -> int:
    codes = [c.strip() for c in department_codes if c.strip()]
    if not codes:
        raise RoundError(_("请选择要加入的单位。"))
    async with write_transaction():
        row = await _draft(code)
        found = {d["code"]: d["id"] for d in await Department.select(Department.id, Department.code).where(
            Department.code.is_in(codes) & Department.active.eq(True))}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise RoundError(_("找不到这些单位（或已停用）：{codes}。").format(codes=", ".join(unknown)), unknown)
        return await _cover(actor, row, [(found[c], c) for c in dict.fromkeys(codes)])


async def uncover(actor: str, code: str, department_code: str) -> None:
    async with write_transaction():
        row = await _draft(code)
        department = await Department.select(Department.id).where(Department.code == department_code).first()
        if department is None:
            raise RoundNotFound(_("找不到该单位。"))
        deleted = await Checklist.delete().where(
            (Checklist.round == row["id"]) & (Checklist.department == department["id"])).returning(Checklist.id)
        if deleted:
            await audit.record(actor, "round.uncover", f"round:{code}", old={"departments": [department_code]})


_CLI_FIELDS = {"code": "CODE", "name": "--name", "year": "--year", "system": "--system", "period": "--period",
               "deadline": "--deadline"}


async def create_from_cli(actor: str, code: str, name: str, year: str, deadline: str, system_code: str | None = None,
                          period: str | None = None, groups: list[str] | None = None,
                          department_codes: list[str] | None = None, settings_text: str | None = None) -> Round:
    """`pingyi round create`: the web form's rules, refusals joined into one line. The round and
    its coverage are made in one transaction: a refused department leaves no round behind."""
    form = RoundForm(code=code, name=name, year=year, deadline=deadline)
    if settings_text is not None:
        apply_settings_toml(form, settings_text)
    year_number = parse_int(year)
    code_of_system = system_code or (str(year_number) if year_number is not None else "")
    system = await indicators.find_system(year_number, code_of_system) if year_number is not None else None
    if year_number is not None and system is None:
        raise RoundError(_("找不到 {year} 年度、代码为 {code} 的考核指标体系。").format(year=year, code=code_of_system))
    form.system = str(system.id) if system else ""
    if period:
        found = await periods.find(period)
        if found is None:
            raise RoundError(_("找不到评议期 {period}。").format(period=period))
        form.period = str(found.id)
    for group in groups or []:
        if group not in GROUP_LABELS:
            raise RoundError(_("未知的单位分组 {group}（可用：{known}）。").format(
                group=group, known=", ".join(GROUP_LABELS)))
    async with write_transaction():
        if not await create(actor, form):
            raise RoundError("; ".join(f"{_CLI_FIELDS.get(key, key)}: {message}"
                                       for key, message in form.errors.items()))
        for group in groups or []:
            await cover_group(actor, form.code, group)
        if department_codes:
            await cover_departments(actor, form.code, department_codes)
    found_round = await find(form.code)
    assert found_round is not None
    return found_round
