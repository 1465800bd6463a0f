"""The brake on citizens' questions: at most PINGYI_QUESTIONS_PER_HOUR per client address and
interview per hour (PRODUCT.md, Settled questions: per-address limits are a brake, set high
enough for many people behind one carrier address), counted by the platform's one brake
(evaluation/core/limits.py)."""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.core import limits
from evaluation.core.i18n import _
from settings import settings

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Braked:
    message: str
    retry_after: int


async def question_brake(address: str, interview_code: str) -> Braked | None:
    """None while this address may ask about this interview; else what to tell the citizen."""
    hit = await limits.hit("question", f"{address}:{interview_code}", settings.questions_per_hour, WINDOW_SECONDS)
    if hit.allowed:
        return None
    minutes = -(-hit.retry_after // 60)
    message = _("这个网络地址提问太频繁，请 {minutes} 分钟后再提交。您填写的内容仍在下方。")
    return Braked(message.format(minutes=minutes), hit.retry_after)
