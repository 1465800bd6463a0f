"""``pingyi demo``: a city's departments, their catalogues and staff accounts to try things with.

Loading is idempotent: a second run adds nothing and prints no passwords again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from evaluation.core import accounts, departments
from evaluation.core.accounts import AccountForm
from evaluation.core.departments import CatalogueForm
from evaluation.core.tables import Account, CatalogueItem, Role

DEPARTMENTS_CSV = Path(__file__).resolve().parent / "data" / "departments.csv"
ACTOR = "demo"

CATALOGUE = [
    ("机构职能", "单位的主要职责、内设机构和联系方式。"),
    ("领导信息", "领导班子成员姓名、职务和分工。"),
    ("规划计划", "中长期规划、年度工作计划和总结。"),
    ("财政预决算", "部门预算、决算和“三公”经费说明。"),
    ("政策文件", "本单位制发的规范性文件和政策解读。"),
    ("办事指南", "政务服务事项的办理条件、材料、流程和时限。"),
    ("重点领域信息", "教育、医疗、社会救助、生态环境等重点领域公开信息。"),
    ("政府信息公开年度报告", "历年政府信息公开工作年度报告。"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    department: str = ""


DEMO_ACCOUNTS = [
    DemoAccount("office", "王敏（政务公开办）", Role.office),
    DemoAccount("auditor", "赵立（审计）", Role.auditor),
    DemoAccount("inspector1", "李强（第一考核组）", Role.inspector),
    DemoAccount("inspector2", "张丽（第一考核组）", Role.inspector),
    DemoAccount("inspector3", "刘洋（第二考核组）", Role.inspector),
    DemoAccount("liaison-jining", "陈静（集宁区联络员）", Role.liaison, "150902"),
    DemoAccount("liaison-jiaoyu", "孙伟（市教育局联络员）", Role.liaison, "SZ03"),
]


def _catalogue_for(code: str) -> list[tuple[str, str]]:
    """Between five and eight items, the same for a department on every machine."""
    extra = int(hashlib.sha256(code.encode()).hexdigest(), 16) % 4
    return CATALOGUE[: 5 + extra]


async def load(passwords: dict[str, str] | None = None) -> dict[str, str]:
    """Returns the passwords of the accounts it created (none on a second run)."""
    result = await departments.import_departments(ACTOR, DEPARTMENTS_CSV.name, DEPARTMENTS_CSV.read_bytes())
    if result.errors:
        raise RuntimeError("; ".join(result.errors))
    for department in await departments.all_departments():
        if await CatalogueItem.exists().where(CatalogueItem.department == department["id"]):
            continue
        for title, description in _catalogue_for(department["code"]):
            await departments.add_catalogue_item(
                ACTOR, department["code"], CatalogueForm(title=title, description=description)
            )
    created: dict[str, str] = {}
    for demo in DEMO_ACCOUNTS:
        if await Account.exists().where(Account.username == demo.username):
            continue
        password = (passwords or {}).get(demo.username) or secrets.token_urlsafe(9)
        await accounts.create_account(
            ACTOR,
            AccountForm(
                username=demo.username,
                display_name=demo.display_name,
                role=demo.role.value,
                department_code=demo.department,
            ),
            password,
        )
        created[demo.username] = password
    return created
