"""What 社会评议 adds to pages it does not own: the home page names the period open today."""

from __future__ import annotations

from typing import Any

from evaluation.ratings import periods


async def home_section() -> dict[str, Any]:
    period = await periods.current_period()
    return {"period": period} if period else {}
