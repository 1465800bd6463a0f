"""What 网上调查 adds to pages it does not own: the home page links the surveys open today."""

from __future__ import annotations

from typing import Any

from evaluation.core import clock
from evaluation.surveys.tables import Survey


async def home_section() -> dict[str, Any]:
    now = clock.now()
    surveys = await Survey.select(Survey.code, Survey.title, Survey.closes_at).where(
        (Survey.opens_at <= now) & ((Survey.closes_at > now) | Survey.closes_at.is_null())
    ).order_by(Survey.closes_at)
    return {"surveys": surveys} if surveys else {}
