"""People (guests and hosts) and studios: records of their own, reused by many interviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import is_unique_violation, write_transaction
from evaluation.core.departments import directory
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from evaluation.interviews.tables import Person, Studio


async def people(active_only: bool = False) -> list[dict[str, Any]]:
    query = Person.select(Person.id, Person.name, Person.title, Person.active, Person.department.name,
                          Person.department.code)
    if active_only:
        query = query.where(Person.active.eq(True))
    return await query.order_by(Person.name)


async def studios(active_only: bool = False) -> list[dict[str, Any]]:
    query = Studio.select()
    if active_only:
        query = query.where(Studio.active.eq(True))
    return await query.order_by(Studio.name)


def person_label(row: dict[str, Any]) -> str:
    """"张伟（市教育局局长）": how a guest is named on every page."""
    return f"{row['name']}（{row['title']}）" if row.get("title") else row["name"]


@dataclass
class PersonForm:
    name: str = ""
    title: str = ""
    department: str = ""  # a department code, or empty
    errors: dict[str, str] = field(default_factory=dict)
    department_id: int | None = None

    async def validate(self) -> bool:
        self.name, self.title, self.department = self.name.strip(), self.title.strip(), self.department.strip()
        if not self.name or len(self.name) > 50:
            self.errors["name"] = _("请填写姓名（不超过 50 个字符）。")
        if len(self.title) > 100:
            self.errors["title"] = _("职务不能超过 100 个字符。")
        if self.department:
            row = await Department.select(Department.id).where(Department.code == self.department).first()
            if row is None:
                self.errors["department"] = _("请选择单位。")
            else:
                self.department_id = row["id"]
        return not self.errors


async def add_person(actor: str, form: PersonForm) -> int | None:
    if not await form.validate():
        return None
    async with write_transaction():
        rows = await Person.insert(Person(name=form.name, title=form.title, department=form.department_id,
                                          created_at=clock.now())).returning(Person.id)
        await audit.record(actor, "interview.person.add", f"person:{rows[0]['id']}",
                           new={"name": form.name, "title": form.title, "department": form.department})
    return rows[0]["id"]


async def set_person_active(actor: str, person_id: int, active: bool) -> bool:
    async with write_transaction():
        row = await Person.select(Person.active).where(Person.id == person_id).first()
        if row is None:
            return False
        if row["active"] != active:
            await Person.update({Person.active: active}).where(Person.id == person_id)
            await audit.record(actor, "interview.person.active", f"person:{person_id}", old=row["active"], new=active)
    return True


@dataclass
class StudioForm:
    name: str = ""
    location: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        self.name, self.location = self.name.strip(), self.location.strip()
        if not self.name or len(self.name) > 100:
            self.errors["name"] = _("请填写演播室名称（不超过 100 个字符）。")
        if len(self.location) > 200:
            self.errors["location"] = _("地点不能超过 200 个字符。")
        return not self.errors


async def add_studio(actor: str, form: StudioForm) -> int | None:
    if not form.validate():
        return None
    try:
        async with write_transaction():
            rows = await Studio.insert(Studio(name=form.name, location=form.location,
                                              created_at=clock.now())).returning(Studio.id)
            await audit.record(actor, "interview.studio.add", f"studio:{rows[0]['id']}",
                               new={"name": form.name, "location": form.location})
    except Exception as error:
        if is_unique_violation(error):
            form.errors["name"] = _("已有同名的演播室。")
            return None
        raise
    return rows[0]["id"]


async def departments() -> list[dict[str, Any]]:
    """The active departments, as the forms offer them (旗县市区 first, by code)."""
    groups = await directory()
    return [row for rows in groups.values() for row in rows]
