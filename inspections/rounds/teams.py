"""Who inspects what in a round: the departments it covers (one checklist each), the teams of
inspectors, and which team each covered department is assigned to.

Coverage changes only while the round is a draft (checklists and their answers are made from it
when the round opens); teams, members and assignments may change while it is open too, so the
office can move a department to another team mid-round (PRODUCT.md §4). Audited under ``round:<code>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count

from evaluation.core import audit
from evaluation.core.database import write_transaction
from evaluation.core.departments import GROUP_LABELS
from evaluation.core.i18n import _
from evaluation.core.tables import Account, Department, Role
from inspections.rounds.rounds import Round, RoundError, RoundNotFound, find, round_row
from inspections.tables import (
    Checklist,
    ChecklistAnswer,
    Indicator,
    RoundStatus,
    Team,
    TeamMember,
)

MAX_TEAM_NAME = 50















# Teams and their members.
@dataclass
class TeamForm:
    name: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> bool:
        self.name = self.name.strip()
        if not self.name or len(self.name) > MAX_TEAM_NAME:
            self.errors["name"] = _("请填写考核组名称（不超过 50 个字）。")
        return not self.errors


async def _not_closed(code: str) -> dict[str, Any]:
    row = await round_row(code)
    if row["status"] == RoundStatus.closed.value:
        raise RoundError(_("考核批次已结束，考核组和分配不能再修改。"))
    return row


async def _team(row: dict[str, Any], team_id: int) -> dict[str, Any]:
    team = await Team.select().where((Team.id == team_id) & (Team.round == row["id"])).first()
    if team is None:
        raise RoundNotFound(_("找不到该考核组。"))
    return team


async def _name_taken(form: TeamForm, round_id: int, except_id: int | None = None) -> bool:
    query = Team.exists().where((Team.round == round_id) & (Team.name == form.name))
    if except_id is not None:
        query = query.where(Team.id != except_id)
    if await query:
        form.errors["name"] = _("本批次已有名为“{name}”的考核组。").format(name=form.name)
        return True
    return False


async def create_team(actor: str, code: str, form: TeamForm) -> int | None:
    """Returns the new team's id, or None when the form has errors."""
    if not form.validate():
        return None
    async with write_transaction():
        row = await _not_closed(code)
        if await _name_taken(form, row["id"]):
            return None
        inserted = await Team.insert(Team(round=row["id"], name=form.name)).returning(Team.id)
        await audit.record(actor, "team.create", f"round:{code}", new={"team": form.name})
    return inserted[0]["id"]


async def rename_team(actor: str, code: str, team_id: int, form: TeamForm) -> bool:
    if not form.validate():
        return False
    async with write_transaction():
        row = await _not_closed(code)
        team = await _team(row, team_id)
        if await _name_taken(form, row["id"], except_id=team_id):
            return False
        if team["name"] != form.name:
            await Team.update({Team.name: form.name}).where(Team.id == team_id)
            await audit.record(actor, "team.rename", f"round:{code}", old={"team": team["name"]},
                               new={"team": form.name})
    return True


async def delete_team(actor: str, code: str, team_id: int) -> None:
    """Only while the round is a draft; its departments go back to unassigned."""
    async with write_transaction():
        row = await round_row(code)
        if row["status"] != RoundStatus.draft.value:
            raise RoundError(_("考核批次已开始，考核组不能删除；可以把它的单位改派给其他考核组。"))
        team = await _team(row, team_id)
        members = [m["account.username"] for m in await TeamMember.select(TeamMember.account.username).where(
            TeamMember.team == team_id).order_by(TeamMember.account.username)]
        departments = [c["department.code"] for c in await Checklist.select(Checklist.department.code).where(
            Checklist.team == team_id).order_by(Checklist.department.code)]
        await Checklist.update({Checklist.team: None}).where(Checklist.team == team_id)
        await Team.delete().where(Team.id == team_id)
        await audit.record(actor, "team.delete", f"round:{code}",
                           old={"team": team["name"], "members": members, "departments": departments})


async def add_member(actor: str, code: str, team_id: int, account_id: int | None) -> None:
    async with write_transaction():
        row = await _not_closed(code)
        team = await _team(row, team_id)
        account = None
        if account_id is not None:
            account = await Account.select(Account.id, Account.username, Account.display_name).where(
                (Account.id == account_id) & (Account.role == Role.inspector.value) & Account.active.eq(True)).first()
        if account is None:
            raise RoundError(_("请选择一个启用的考核组成员账户。"))
        if await TeamMember.exists().where((TeamMember.team == team_id) & (TeamMember.account == account_id)):
            raise RoundError(_("{name} 已在{team}中。").format(name=account["display_name"] or account["username"],
                                                              team=team["name"]))
        await TeamMember.insert(TeamMember(team=team_id, account=account_id))
        await audit.record(actor, "team.member_add", f"round:{code}",
                           new={"team": team["name"], "member": account["username"]})


async def remove_member(actor: str, code: str, team_id: int, account_id: int) -> None:
    async with write_transaction():
        row = await _not_closed(code)
        team = await _team(row, team_id)
        member = await TeamMember.select(TeamMember.id, TeamMember.account.username).where(
            (TeamMember.team == team_id) & (TeamMember.account == account_id)).first()
        if member is None:
            raise RoundNotFound(_("该账户不在这个考核组中。"))
        await TeamMember.delete().where(TeamMember.id == member["id"])
        await audit.record(actor, "team.member_remove", f"round:{code}",
                           old={"team": team["name"], "member": member["account.username"]})


# Assignment of covered departments to teams.
async def _reassign(actor: str, row: dict[str, Any], checklist: dict[str, Any], team_id: int | None,
                    team_names: dict[int, str]) -> bool:
    if checklist["team"] == team_id:
        return False
    if team_id is None and row["status"] != RoundStatus.draft.value:
        raise RoundError(_("考核批次进行中，每个单位都必须有考核组。"))
    await Checklist.update({Checklist.team: team_id}).where(Checklist.id == checklist["id"])
    await audit.record(actor, "team.assign", f"round:{row['code']}",
                       old={"department": checklist["department.code"], "team": team_names.get(checklist["team"])},
                       new={"department": checklist["department.code"], "team": team_names.get(team_id)})
    return True


async def _assignment_state(row: dict[str, Any]) -> tuple[dict[int, str], dict[int, dict[str, Any]]]:
    team_names = {t["id"]: t["name"] for t in await Team.select(Team.id, Team.name).where(Team.round == row["id"])}
    checklists = {c["id"]: c for c in await Checklist.select(
        Checklist.id, Checklist.team, Checklist.department.code, Checklist.department.group).where(
        Checklist.round == row["id"])}
    return team_names, checklists


async def assign(actor: str, code: str, assignments: dict[int, int | None]) -> int:
    """Checklist id → team id (None: unassigned, only while the round is a draft). Moving a
    checklist to another team hands it over, answers and all. Returns how many changed."""
    async with write_transaction():
        row = await _not_closed(code)
        team_names, checklists = await _assignment_state(row)
        if any(checklist_id not in checklists for checklist_id in assignments):
            raise RoundNotFound(_("该单位不在本考核批次中。"))
        if any(team_id is not None and team_id not in team_names for team_id in assignments.values()):
            raise RoundError(_("请从列表中选择考核组。"))
        changed = 0
        for checklist_id, team_id in assignments.items():
            changed += await _reassign(actor, row, checklists[checklist_id], team_id, team_names)
    return changed


async def assign_group(actor: str, code: str, group: str, team_id: int | None) -> int:
    """Every still unassigned department of a group to one team."""
    if group not in GROUP_LABELS:
        raise RoundError(_("请选择单位分组。"))
    async with write_transaction():
        row = await _not_closed(code)
        team_names, checklists = await _assignment_state(row)
        if team_id not in team_names:
            raise RoundError(_("请从列表中选择考核组。"))
        changed = 0
        for checklist in checklists.values():
            if checklist["team"] is None and checklist["department.group"] == group:
                changed += await _reassign(actor, row, checklist, team_id, team_names)
    return changed


# The round page.
@dataclass(frozen=True)
class Member:
    id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class TeamView:
    id: int
    name: str
    members: list[Member]
    departments: int


@dataclass(frozen=True)
class ChecklistRow:
    id: int
    department_code: str
    department_name: str
    group: str
    team_id: int | None
    team_name: str | None
    status: str
    answered: int
    total: int


@dataclass(frozen=True)
class RoundPage:
    round: Round
    checklists: list[ChecklistRow]
    teams: list[TeamView]
    inspectors: list[Member]  # every active inspector, for adding to a team
    uncovered: list[dict[str, Any]]  # active departments not covered yet, for adding one by one
    items: int  # items per checklist

    @property
    def unassigned(self) -> int:
        return sum(1 for row in self.checklists if row.team_id is None)


async def teams_of(round_id: int) -> list[TeamView]:
    teams = await Team.select(Team.id, Team.name).where(Team.round == round_id).order_by(Team.name)
    members: dict[int, list[Member]] = {team["id"]: [] for team in teams}
    for row in await TeamMember.select(TeamMember.team, TeamMember.account, TeamMember.account.username,
                                       TeamMember.account.display_name).where(
            TeamMember.team.round == round_id).order_by(TeamMember.account.username):
        members[row["team"]].append(Member(row["account"], row["account.username"], row["account.display_name"]))
    assigned = {row["team"]: row["n"] for row in await Checklist.select(Checklist.team, Count(alias="n")).where(
        Checklist.round == round_id).group_by(Checklist.team)}
    return [TeamView(team["id"], team["name"], members[team["id"]], assigned.get(team["id"], 0)) for team in teams]


async def round_page(code: str) -> RoundPage | None:
    found = await find(code)
    if found is None or found.code != code:
        return None
    # Progress of every checklist in one grouped query: COUNT(value) counts the answered rows.
    progress = {row["checklist"]: row for row in await ChecklistAnswer.select(
        ChecklistAnswer.checklist, Count(alias="total"), Count(ChecklistAnswer.value, alias="answered"),
    ).where(ChecklistAnswer.checklist.round == found.id).group_by(ChecklistAnswer.checklist)}
    items = await Indicator.count().where((Indicator.system == found.system_id) & (Indicator.parent_code != ""))
    rows = []
    for row in await Checklist.select(
            Checklist.id, Checklist.team, Checklist.status, Checklist.department.code, Checklist.department.name,
            Checklist.department.group, Checklist.team.name).where(Checklist.round == found.id).order_by(
            Checklist.department.group).order_by(Checklist.department.code):
        done = progress.get(row["id"])
        rows.append(ChecklistRow(
            row["id"], row["department.code"], row["department.name"], row["department.group"], row["team"],
            row["team.name"], row["status"], done["answered"] if done else 0, done["total"] if done else items))
    covered = {row.department_code for row in rows}
    uncovered = [d for d in await Department.select(Department.code, Department.name, Department.group).where(
        Department.active.eq(True)).order_by(Department.group).order_by(Department.code) if d["code"] not in covered]
    inspectors = [Member(a["id"], a["username"], a["display_name"]) for a in await Account.select(
        Account.id, Account.username, Account.display_name).where(
        (Account.role == "inspector") & Account.active.eq(True)).order_by(Account.username)]
    return RoundPage(found, rows, await teams_of(found.id), inspectors, uncovered, items)
