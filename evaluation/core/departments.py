"""Departments and the catalogue of information each publishes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evaluation.core import audit, cache, clock, spreadsheets
from evaluation.core.database import contains, write_in_chunks, write_transaction
from evaluation.core.i18n import N_, _
from evaluation.core.paging import Paging, page_of
from evaluation.core.tables import CatalogueItem, Department, DepartmentGroup

GROUP_LABELS = {DepartmentGroup.county.value: N_("旗县市区"), DepartmentGroup.municipal.value: N_("市直单位")}
# The spreadsheet layout (data/departments.csv) names groups in Chinese; the English keys
# are accepted too, so an exported file and a hand-written one both import.
_GROUP_BY_TEXT = {
    "旗县市区": DepartmentGroup.county.value,
    "市直单位": DepartmentGroup.municipal.value,
    "county": DepartmentGroup.county.value,
    "municipal": DepartmentGroup.municipal.value,
}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
IMPORT_COLUMNS = ("code", "name", "group")


class DepartmentError(ValueError):
    """A refusal with a message fit to show the user."""


@dataclass
class DepartmentForm:
    code: str = ""
    name: str = ""
    group: str = ""
    active: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self, *, new: bool) -> bool:
        self.code, self.name, self.group = self.code.strip(), self.name.strip(), self.group.strip()
        if new and not CODE_PATTERN.match(self.code):
            self.errors["code"] = _("代码只能包含字母、数字、下划线和连字符，1 到 32 个字符。")
        if not self.name:
            self.errors["name"] = _("请填写单位名称。")
        elif len(self.name) > 100:
            self.errors["name"] = _("单位名称不能超过 100 个字符。")
        if self.group not in GROUP_LABELS:
            self.errors["group"] = _("请选择分组：旗县市区或市直单位。")
        return not self.errors


async def directory(query: str = "") -> dict[str, list[dict[str, Any]]]:
    """Active departments by group, filtered by a search on name or code."""
    query = query.strip()
    return await _search(query) if query else await _everyone()


@dataclass
class Directory:
    """One page of the directory: its departments by group, how many match in each group, and
    where the page is in the whole list."""

    groups: dict[str, list[dict[str, Any]]]
    group_totals: dict[str, int]
    paging: Paging
    cut_from: Any  # the list it is a page of: the same object while the few seconds' copy lasts


async def directory_page(query: str = "", requested_page: Any = 1) -> Directory:
    """The directory (or a search in it) a page of ``PAGE_SIZE`` departments at a time, in the
    order of the whole list: by group, then code."""
    query = query.strip()
    matching = await directory(query)
    rows = [row for group_rows in matching.values() for row in group_rows]
    paging = page_of(len(rows), requested_page, "/", {"q": query})
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in GROUP_LABELS}
    for row in rows[paging.start:paging.start + paging.size]:
        groups[row["group"]].append(row)
    return Directory(groups, {key: len(group_rows) for key, group_rows in matching.items()}, paging, matching)


@cache.cached
async def _everyone() -> dict[str, list[dict[str, Any]]]:
    return await _search("")


async def _search(query: str) -> dict[str, list[dict[str, Any]]]:
    select = (
        Department.select(Department.code, Department.name, Department.group)
        .where(Department.active.eq(True))
        .order_by(Department.group)
        .order_by(Department.code)
    )
    if query:
        select = select.where(contains(Department.name, query) | contains(Department.code, query))
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in GROUP_LABELS}
    for row in await select:
        groups[row["group"]].append(row)
    return groups


@cache.cached
async def department_page(code: str) -> dict[str, Any] | None:
    department = await Department.select().where(Department.code == code).first()
    if not department:
        return None
    department["catalogue"] = (
        await CatalogueItem.select()
        .where(CatalogueItem.department == department["id"])
        .order_by(CatalogueItem.position)
        .order_by(CatalogueItem.id)
    )
    return department


async def all_departments() -> list[dict[str, Any]]:
    return await Department.select().order_by(Department.group).order_by(Department.code)


def _department_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "group": row["group"], "active": row["active"]}


async def create(actor: str, form: DepartmentForm) -> bool:
    if not form.validate(new=True):
        return False
    async with write_transaction():
        if await Department.exists().where(Department.code == form.code):
            form.errors["code"] = _("代码 {code} 已被使用。").format(code=form.code)
            return False
        await Department.insert(
            Department(code=form.code, name=form.name, group=form.group, active=True, created_at=clock.now())
        )
        await audit.record(
            actor, "department.create", f"department:{form.code}", new=_department_view(vars(form))
        )
    return True


async def update(actor: str, code: str, form: DepartmentForm) -> bool:
    if not form.validate(new=False):
        return False
    async with write_transaction():
        row = await Department.select().where(Department.code == code).first()
        if not row:
            raise DepartmentError(_("找不到该单位。"))
        await Department.update(
            {Department.name: form.name, Department.group: form.group, Department.active: form.active}
        ).where(Department.id == row["id"])
        old, new = _department_view(row), {"name": form.name, "group": form.group, "active": form.active}
        if old != new:
            await audit.record(actor, "department.update", f"department:{code}", old=old, new=new)
    return True


@dataclass
class CatalogueForm:
    title: str = ""
    description: str = ""
    url: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        self.title, self.description, self.url = self.title.strip(), self.description.strip(), self.url.strip()
        if not self.title:
            self.errors["title"] = _("请填写信息类别名称。")
        elif len(self.title) > 100:
            self.errors["title"] = _("信息类别名称不能超过 100 个字符。")
        if self.url and not re.match(r"^https?://\S+$", self.url):
            self.errors["url"] = _("链接必须以 http:// 或 https:// 开头。")
        elif len(self.url) > 500:
            self.errors["url"] = _("链接不能超过 500 个字符。")
        return not self.errors


async def add_catalogue_item(actor: str, code: str, form: CatalogueForm) -> bool:
    if not form.validate():
        return False
    async with write_transaction():
        department = await Department.select(Department.id).where(Department.code == code).first()
        if not department:
            raise DepartmentError(_("找不到该单位。"))
        last = await CatalogueItem.count().where(CatalogueItem.department == department["id"])
        await CatalogueItem.insert(
            CatalogueItem(
                department=department["id"],
                title=form.title,
                description=form.description,
                url=form.url,
                position=last + 1,
            )
        )
        await audit.record(
            actor,
            "catalogue.add",
            f"department:{code}",
            new={"title": form.title, "description": form.description, "url": form.url},
        )
    return True


async def remove_catalogue_item(actor: str, code: str, item_id: int) -> None:
    async with write_transaction():
        item = (
            await CatalogueItem.select()
            .where((CatalogueItem.id == item_id) & (CatalogueItem.department.code == code))
            .first()
        )
        if not item:
            raise DepartmentError(_("找不到该信息类别。"))
        await CatalogueItem.delete().where(CatalogueItem.id == item_id)
        await audit.record(
            actor,
            "catalogue.remove",
            f"department:{code}",
            old={"title": item["title"], "description": item["description"], "url": item["url"]},
        )


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV or xlsx file as (line number, {column: text}); line 1 is the header."""
    try:
        return spreadsheets.read_table(filename, content, IMPORT_COLUMNS)
    except spreadsheets.SpreadsheetError as refusal:
        raise DepartmentError(str(refusal)) from refusal


def validate_import(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[dict[str, str]], list[str]]:
    errors: list[str] = []
    seen: dict[str, int] = {}
    valid: list[dict[str, str]] = []
    for line, row in rows:
        code, name, group_text = row["code"], row["name"], row["group"]
        problems = []
        if not CODE_PATTERN.match(code):
            problems.append(_("代码“{code}”无效").format(code=code))
        elif code in seen:
            problems.append(_("代码 {code} 与第 {line} 行重复").format(code=code, line=seen[code]))
        if not name:
            problems.append(_("名称为空"))
        elif len(name) > 100:
            problems.append(_("名称超过 100 个字符"))
        group = _GROUP_BY_TEXT.get(group_text)
        if group is None:
            problems.append(_("分组“{group}”不是“旗县市区”或“市直单位”").format(group=group_text))
        if problems:
            errors.append(_("第 {line} 行：").format(line=line) + _("；").join(problems))
        else:
            seen[code] = line
            valid.append({"code": code, "name": name, "group": group or ""})
    if not rows:
        errors.append(_("文件中没有数据行。"))
    return valid, errors


async def import_departments(actor: str, filename: str, content: bytes) -> ImportResult:
    """A bad row refuses the whole file, every problem listed by line, before anything is written.
    A good file is then written 500 rows per transaction (``write_in_chunks``): a city's 20,000
    departments would otherwise hold every citizen's rating until the last row. Each chunk reads
    its departments again under the write lock, so running the same file twice changes nothing."""
    result = ImportResult()
    valid, result.errors = validate_import(read_rows(filename, content))
    if result.errors:
        return result

    async def write(chunk: Sequence[dict[str, str]]) -> None:
        existing = {row["code"]: row for row in await Department.select().where(
            Department.code.is_in([row["code"] for row in chunk]))}
        now = clock.now()
        created: list[Department] = []
        entries: list[tuple[str, str, Any, Any]] = []
        for row in chunk:
            before = existing.get(row["code"])
            target = f"department:{row['code']}"
            if before is None:
                created.append(Department(code=row["code"], name=row["name"], group=row["group"], active=True,
                                          created_at=now))
                entries.append(("department.create", target, None,
                                {"name": row["name"], "group": row["group"], "active": True}))
                result.created += 1
            elif (before["name"], before["group"]) != (row["name"], row["group"]):
                await Department.update({Department.name: row["name"], Department.group: row["group"]}).where(
                    Department.id == before["id"])
                entries.append(("department.update", target, _department_view(before),
                                {"name": row["name"], "group": row["group"], "active": before["active"]}))
                result.updated += 1
            else:
                result.unchanged += 1
        if created:
            await Department.insert(*created)
        await audit.record_many(actor, entries)

    await write_in_chunks(valid, write)
    return result
