"""What 线上访谈 adds to pages it does not own: the home page links the interviews page and names
the next interview."""

from __future__ import annotations

from typing import Any

from evaluation.core import cache
from evaluation.interviews import views


# Named apart from the other capabilities' home_section: cache.cached keys on the function's
# qualified name alone, so two functions of one name would share one entry.
@cache.cached
async def next_interview_section() -> dict[str, Any]:
    upcoming = await views.published(upcoming=True, limit=1)
    return {"next_interview": upcoming[0] if upcoming else None}
