"""The audit trail, read by the office and auditors."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from evaluation.core import audit
from evaluation.core.web import audit_words, office_or_auditor, page

PAGE_SIZE = 50


@get("/staff/audit", guards=[office_or_auditor], name="audit")
async def audit_trail(request: Request, before: FromQuery[int | None] = None, target: FromQuery[str] = "") -> Template:
    entries = await audit.recent(PAGE_SIZE + 1, before_id=before, target=target.strip() or None)
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    return page("core/audit.html", entries=entries, more=more, target=target,
                words=await audit_words(request, entries),
                next_before=entries[-1]["id"] if entries and more else None)


ROUTES = [audit_trail]
