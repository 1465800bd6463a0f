"""The interviews' people and places, and helpers that schedule through the office's forms.

王海涛 (市教育局局长) and 刘芳 (基础教育科科长) are guests, 周明 and 郑洁 hosts; 一号演播室 and
二号演播室 the studios. Interviews are scheduled by 王敏 (office) through /staff/interviews/new."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from evaluation.core import clock
from evaluation.interviews import live, resources
from evaluation.interviews.resources import PersonForm, StudioForm
from evaluation.interviews.tables import Interview
from tests.conftest import Visitor, run


@pytest.fixture(autouse=True)
def _no_versions_in_memory() -> None:
    """Each test's database starts empty: so does this process's memory of interview versions."""
    live.versions.clear()


def day_from_today(days: int) -> str:
    return (clock.local(clock.now()).date() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def cast(people: dict[str, str]) -> dict[str, int]:
    async def make() -> dict[str, int]:
        ids = {}
        for name, title, department in (("王海涛", "市教育局局长", "SZ03"), ("刘芳", "基础教育科科长", "SZ03"),
                                        ("周明", "主持人", ""), ("郑洁", "主持人", "")):
            ids[name] = await resources.add_person("wangmin", PersonForm(name=name, title=title,
                                                                         department=department))
        for name in ("一号演播室", "二号演播室"):
            ids[name] = await resources.add_studio("wangmin", StudioForm(name=name, location="市政务服务中心"))
        return ids

    return run(make)


def interview_form(cast: dict[str, int], code: str, *, day: str | None = None, starts: str = "09:30",
                   ends: str = "11:00", guests: tuple[str, ...] = ("王海涛",), host: str = "周明",
                   studio: str | None = "一号演播室", topic: str | None = None,
                   department: str = "SZ03") -> dict[str, Any]:
    return {"code": code, "topic": topic or f"义务教育入学政策解读 {code}", "department": department,
            "host": str(cast[host]), "studio": str(cast[studio]) if studio else "",
            "guests": [str(cast[guest]) for guest in guests], "day": day or day_from_today(10),
            "starts": starts, "ends": ends, "link": "https://live.example.cn/1", "description": "介绍今年的入学政策。"}


def schedule(office: Visitor, cast: dict[str, int], code: str, **options: Any) -> Any:
    return office.post("/staff/interviews/new", interview_form(cast, code, **options), follow_redirects=False)


def scheduled(office: Visitor, cast: dict[str, int], code: str, *, publish: bool = False,
              status: str | None = None, **options: Any) -> None:
    """An interview scheduled (and published, and moved along to ``status``) through the forms."""
    response = schedule(office, cast, code, **options)
    assert response.status_code == 303, response.text
    if publish or status:
        response = office.post(f"/staff/interviews/{code}/publish", {"urgent": "1", "urgent_reason": "测试安排"},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
    steps = ["collecting", "live", "closed", "archived"]
    for step in steps[: steps.index(status) + 1] if status and status != "planned" else []:
        response = office.post(f"/staff/interviews/{code}/move", {"to": step}, follow_redirects=False)
        assert response.status_code == 303, response.text


def interview_row(code: str) -> dict[str, Any]:
    return run(Interview.select().where(Interview.code == code).first())
