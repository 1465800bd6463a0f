"""What 线上访谈 adds to pages it does not own: the home page links the interviews page and names
the next interview."""

from __future__ import annotations

from typing import Any

from evaluation.interviews import views


async def home_section() -> dict[str, Any]:
    upcoming = await views.published(upcoming=True, limit=1)
    return {"next_interview": upcoming[0] if upcoming else None}
