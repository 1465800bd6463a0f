"""Time as the product reads it: stored in UTC, shown in Asia/Shanghai (PRODUCT.md, Dates)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI)


def format_local(moment: datetime | None) -> str:
    """``2026-11-26 09:30:00 +08:00``: the offset is printed so an exported row is unambiguous."""
    if moment is None:
        return ""
    shown = local(moment)
    return shown.strftime("%Y-%m-%d %H:%M:%S ") + shown.strftime("%z")[:3] + ":" + shown.strftime("%z")[3:]
