"""The office keeps the people (guests, hosts) and studios that interviews book."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from evaluation.core.web import current_account, office, office_or_auditor, page, see_other
from evaluation.interviews import resources
from evaluation.interviews.resources import PersonForm, StudioForm


async def _people_page(status_code: int = 200, person: PersonForm | None = None, studio: StudioForm | None = None,
                       saved: bool = False) -> Template:
    return page("interviews/resources.html", status_code=status_code, people=await resources.people(),
                studios=await resources.studios(), person=person or PersonForm(), studio=studio or StudioForm(),
                departments=await resources.departments(), saved=saved)


@get("/staff/interviews/people", guards=[office_or_auditor], name="interview-people")
async def people(saved: FromQuery[bool] = False) -> Template:
    return await _people_page(saved=saved)


@post("/staff/interviews/people", guards=[office], name="interview-person-add")
async def add_person(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = PersonForm(name=data.get("name", ""), title=data.get("title", ""), department=data.get("department", ""))
    if await resources.add_person(current_account(request).username, form):
        return see_other("/staff/interviews/people?saved=1")
    return await _people_page(status_code=422, person=form)


@post("/staff/interviews/people/{person_id:int}/active", guards=[office], name="interview-person-active")
async def person_active(request: Request, person_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Redirect:
    if not await resources.set_person_active(current_account(request).username, person_id, data.get("active") == "1"):
        raise NotFoundException()
    return see_other("/staff/interviews/people?saved=1")


@post("/staff/interviews/studios", guards=[office], name="interview-studio-add")
async def add_studio(request: Request, data: URLEncodedBody[dict[str, str]]) -> Template | Redirect:
    form = StudioForm(name=data.get("studio_name", ""), location=data.get("location", ""))
    if await resources.add_studio(current_account(request).username, form):
        return see_other("/staff/interviews/people?saved=1#studios")
    return await _people_page(status_code=422, studio=form)


ROUTES = [people, add_person, person_active, add_studio]
