"""The brake on citizens' questions: at most PINGYI_QUESTIONS_PER_HOUR per client address and
interview per hour (PRODUCT.md, Settled questions: per-address limits are a brake, set high
enough for many people behind one carrier address).

Kept in this one place so that a limiter shared by every capability can replace it. It is
Litestar's middleware with the app's stores (app.py ``_stores``): counted in memory for one
worker, in files or Redis shared by several."""

from __future__ import annotations

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from settings import settings


def _per_address_and_interview(request: Request) -> str:
    return f"{get_remote_address(request)}:{request.url.path}"


async def _is_post(request: Request) -> bool:
    return request.method == "POST"


question_limit = RateLimitConfig(
    rate_limit=("hour", settings.questions_per_hour),
    store="rate_limit_questions",
    identifier_for_request=_per_address_and_interview,
    check_throttle_handler=_is_post,
)
