"""What 网上调查 adds to pages it does not own: the home page and a department's page link the
surveys open today."""

from __future__ import annotations

from typing import Any

from evaluation.core import clock
from evaluation.surveys.tables import Survey


async def _open_surveys(department_id: int | None = None) -> list[dict[str, Any]]:
    now = clock.now()
    where = (Survey.opens_at <= now) & ((Survey.closes_at > now) | Survey.closes_at.is_null())
    if department_id is not None:
        where &= Survey.department == department_id
    return await Survey.select(Survey.code, Survey.title, Survey.closes_at).where(where).order_by(Survey.closes_at)


async def home_section() -> dict[str, Any]:
    # Read through the cache (web.HomeSection): a survey that opens or closes shows so within
    # its few seconds; the survey's own page checks the time itself.
    surveys = await _open_surveys()
    return {"surveys": surveys} if surveys else {}


async def department_section(department_id: int) -> dict[str, Any]:
    """A survey bound to a department is shown on the department's page while it is open."""
    surveys = await _open_surveys(department_id)
    return {"surveys": surveys} if surveys else {}
