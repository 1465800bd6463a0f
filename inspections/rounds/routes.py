"""The office sets up inspection rounds: settings, covered departments, teams and their
assignment, then opens and closes them. Auditors read every page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core.departments import GROUP_LABELS
from evaluation.core.form_values import parse_int
from evaluation.core.web import current_account, office, office_or_auditor, page, see_other
from evaluation.ratings import periods
from inspections.rounds import coverage, rounds, teams
from inspections.rounds import settings as round_settings
from inspections.rounds.rounds import (
    BELOW_SAMPLE_LABELS,
    CHECKLIST_STATUS_LABELS,
    ROUND_STATUS_LABELS,
    RoundError,
    RoundNotFound,
)
from inspections.rounds.settings import RoundForm
from inspections.rounds.teams import TeamForm


def _form_from(data: dict[str, str], code: str = "") -> RoundForm:
    return RoundForm(
        code=data.get("code", code), name=data.get("name", ""), year=data.get("year", ""),
        system=data.get("system", ""), period=data.get("period", ""), deadline=data.get("deadline", ""),
        public_weight=data.get("public_weight", ""), convert_score=data.get("convert_score") == "on",
        below_sample=data.get("below_sample", ""), bonus_cap=data.get("bonus_cap", ""),
        grade_bands=data.get("grade_bands", ""), excellent_quota=data.get("excellent_quota", ""),
    )


async def _form_page(form: RoundForm, new: bool, status_code: int = 200, **context: object) -> Template:
    return page("inspections/round_form.html", status_code=status_code, form=form, new=new,
                systems=await rounds.systems(), periods=await periods.all_periods(),
                below_sample_labels=BELOW_SAMPLE_LABELS, status_labels=ROUND_STATUS_LABELS, **context)


@get("/staff/rounds", guards=[office_or_auditor], name="rounds-admin")
async def list_rounds() -> Template:
    return page("inspections/rounds.html", rows=await rounds.all_rounds(), status_labels=ROUND_STATUS_LABELS,
                checklist_labels=CHECKLIST_STATUS_LABELS)


@get("/staff/rounds/new", guards=[office], name="round-new")
async def new_round() -> Template:
    return await _form_page(RoundForm(), new=True)


@post("/staff/rounds", guards=[office], name="round-create")
async def create_round(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data)
    if await round_settings.create(current_account(request).username, form):
        return see_other(f"/staff/rounds/{form.code}?saved=1")
    return await _form_page(form, new=True, status_code=422)


async def _round_page(code: str, status_code: int = 200, error: str = "", error_items: list[str] | None = None,
                      new_team: TeamForm | None = None, rename: tuple[int, TeamForm] | None = None,
                      saved: bool = False) -> Template:
    found = await teams.round_page(code)
    if found is None:
        raise NotFoundException()
    return page("inspections/round.html", status_code=status_code, view=found, round=found.round,
                status_labels=ROUND_STATUS_LABELS, checklist_labels=CHECKLIST_STATUS_LABELS,
                group_labels=GROUP_LABELS, below_sample_labels=BELOW_SAMPLE_LABELS, error=error,
                error_items=error_items or [], new_team=new_team or TeamForm(), rename=rename, saved=saved)


@get("/staff/rounds/{code:str}", guards=[office_or_auditor], name="round-page")
async def show_round(code: FromPath[str], saved: FromQuery[bool] = False) -> Template:
    return await _round_page(code, saved=saved)


async def _settings_page(code: str, form: RoundForm | None = None, status_code: int = 200) -> Template:
    found = await rounds.find(code)
    if found is None or found.code != code:
        raise NotFoundException()
    return await _form_page(form or round_settings.form_for(found), new=False, status_code=status_code, round=found)


@get("/staff/rounds/{code:str}/edit", guards=[office_or_auditor], name="round-edit")
async def edit_round(code: FromPath[str]) -> Template:
    return await _settings_page(code)


@post("/staff/rounds/{code:str}", guards=[office], name="round-update")
async def update_round(request: Request, code: FromPath[str],
                       data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = _form_from(data, code)
    try:
        if await round_settings.update(current_account(request).username, code, form):
            return see_other(f"/staff/rounds/{code}?saved=1")
    except RoundNotFound as exc:
        raise NotFoundException() from exc
    except RoundError as refusal:
        form.errors["round"] = str(refusal)
    return await _settings_page(code, form=form, status_code=422)


async def _act(request: Request, code: str, work: Callable[[str], Awaitable[object]],
               anchor: str = "") -> Template | Redirect:
    """Runs one change; a refusal re-renders the round page with the message (422)."""
    try:
        await work(current_account(request).username)
    except RoundNotFound as exc:
        raise NotFoundException() from exc
    except RoundError as refusal:
        return await _round_page(code, status_code=422, error=str(refusal), error_items=refusal.items)
    return see_other(f"/staff/rounds/{code}?saved=1{anchor}")


@post("/staff/rounds/{code:str}/departments", guards=[office], name="round-cover")
async def cover(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    group, department = data.get("group", ""), data.get("department", "")

    async def work(actor: str) -> None:
        if group:
            await coverage.cover_group(actor, code, group)
        else:
            await coverage.cover_departments(actor, code, [department])

    return await _act(request, code, work, "#coverage")


@post("/staff/rounds/{code:str}/departments/{department_code:str}/remove", guards=[office], name="round-uncover")
async def uncover(request: Request, code: FromPath[str], department_code: FromPath[str]) -> Template | Redirect:
    return await _act(request, code, lambda actor: coverage.uncover(actor, code, department_code), "#coverage")


def _team_id(text: str | None) -> int | None:
    return parse_int(text) if text and text.isdigit() else None


@post("/staff/rounds/{code:str}/assignments", guards=[office], name="round-assign")
async def assign(request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    # One select per covered department, named team-<checklist id>; "" = unassigned.
    assignments = {int(key.removeprefix("team-")): _team_id(value) for key, value in data.items()
                   if key.startswith("team-") and key.removeprefix("team-").isdigit()}
    return await _act(request, code, lambda actor: teams.assign(actor, code, assignments), "#coverage")


@post("/staff/rounds/{code:str}/assignments/group", guards=[office], name="round-assign-group")
async def assign_group(request: Request, code: FromPath[str],
                       data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    group, team_id = data.get("group", ""), _team_id(data.get("team"))
    return await _act(request, code, lambda actor: teams.assign_group(actor, code, group, team_id), "#coverage")


@post("/staff/rounds/{code:str}/teams", guards=[office], name="team-create")
async def create_team(request: Request, code: FromPath[str],
                      data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = TeamForm(name=data.get("name", ""))
    try:
        team_id = await teams.create_team(current_account(request).username, code, form)
    except RoundNotFound as exc:
        raise NotFoundException() from exc
    except RoundError as refusal:
        return await _round_page(code, status_code=422, error=str(refusal), new_team=form)
    if team_id is None:
        return await _round_page(code, status_code=422, new_team=form)
    return see_other(f"/staff/rounds/{code}?saved=1#team-{team_id}")


@post("/staff/rounds/{code:str}/teams/{team_id:int}", guards=[office], name="team-rename")
async def rename_team(request: Request, code: FromPath[str], team_id: FromPath[int],
                      data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = TeamForm(name=data.get("name", ""))
    try:
        renamed = await teams.rename_team(current_account(request).username, code, team_id, form)
    except RoundNotFound as exc:
        raise NotFoundException() from exc
    except RoundError as refusal:
        return await _round_page(code, status_code=422, error=str(refusal))
    if not renamed:
        return await _round_page(code, status_code=422, rename=(team_id, form))
    return see_other(f"/staff/rounds/{code}?saved=1#team-{team_id}")


@post("/staff/rounds/{code:str}/teams/{team_id:int}/delete", guards=[office], name="team-delete")
async def delete_team(request: Request, code: FromPath[str], team_id: FromPath[int]) -> Template | Redirect:
    return await _act(request, code, lambda actor: teams.delete_team(actor, code, team_id), "#teams")


@post("/staff/rounds/{code:str}/teams/{team_id:int}/members", guards=[office], name="team-member-add")
async def add_member(request: Request, code: FromPath[str], team_id: FromPath[int],
                     data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    account_id = _team_id(data.get("account"))
    return await _act(request, code, lambda actor: teams.add_member(actor, code, team_id, account_id),
                      f"#team-{team_id}")


@post("/staff/rounds/{code:str}/teams/{team_id:int}/members/{account_id:int}/remove", guards=[office],
      name="team-member-remove")
async def remove_member(request: Request, code: FromPath[str], team_id: FromPath[int],
                        account_id: FromPath[int]) -> Template | Redirect:
    return await _act(request, code, lambda actor: teams.remove_member(actor, code, team_id, account_id),
                      f"#team-{team_id}")


@post("/staff/rounds/{code:str}/open", guards=[office], name="round-open")
async def open_round(request: Request, code: FromPath[str]) -> Template | Redirect:
    return await _act(request, code, lambda actor: rounds.open_round(actor, code))


@post("/staff/rounds/{code:str}/close", guards=[office], name="round-close")
async def close_round(request: Request, code: FromPath[str]) -> Template | Redirect:
    return await _act(request, code, lambda actor: rounds.close_round(actor, code))


ROUTES = [list_rounds, new_round, create_round, show_round, edit_round, update_round, cover, uncover, assign,
          assign_group, create_team, rename_team, delete_team, add_member, remove_member, open_round, close_round]
