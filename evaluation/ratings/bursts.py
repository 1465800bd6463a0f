"""Bursts of public ratings: what the office looks at when ballot stuffing is suspected.

No addresses are stored with ratings (citizens' privacy), so the signal is the hourly count of
online public ratings per department; an hour above the per-address limit stands out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from evaluation.core import clock
from evaluation.ratings.scale import Channel
from evaluation.ratings.tables import Rating, RatingSource

WINDOW_HOURS = 48


@dataclass(frozen=True)
class Burst:
    hour: datetime  # the hour's start, Asia/Shanghai
    department_code: str
    department_name: str
    count: int
    flagged: bool


async def hourly_counts(threshold: int, hours: int = WINDOW_HOURS) -> list[Burst]:
    """Department × hour counts of the last ``hours``, busiest first."""
    since = clock.now() - timedelta(hours=hours)
    rows: list[dict[str, Any]] = await Rating.select(
        Rating.created_at, Rating.department.code, Rating.department.name
    ).where(
        (Rating.created_at >= since)
        & (Rating.channel == Channel.public.value)
        & (Rating.source == RatingSource.web.value)
    )
    names: dict[str, str] = {}
    counts: Counter[tuple[datetime, str]] = Counter()
    for row in rows:
        hour = clock.local(row["created_at"]).replace(minute=0, second=0, microsecond=0)
        counts[(hour, row["department.code"])] += 1
        names[row["department.code"]] = row["department.name"]
    bursts = [Burst(hour, code, names[code], count, count > threshold) for (hour, code), count in counts.items()]
    return sorted(bursts, key=lambda burst: (-burst.count, burst.hour))
