"""The inspector's pages with no network: the service worker that keeps them (static/sw.js) and
the notice it shows for a page never kept."""

from __future__ import annotations

from litestar import get
from litestar.response import Response, Template

from evaluation.core.web import PUBLIC, page
from inspections.checklists.routes.checklists import inspector
from settings import PROJECT_DIR

SERVICE_WORKER = PROJECT_DIR / "static" / "sw.js"


@get("/inspect/sw.js", opt=PUBLIC, name="service-worker", include_in_schema=False)
async def service_worker() -> Response[bytes]:
    # Served under /inspect, not /static, so that its scope may be /inspect (the list and the
    # checklists); the browser checks it for changes on each visit (no-cache). Open to anyone,
    # as every static script is: the browser checks it also when the session has expired, and
    # a redirect to the sign-in page there is an error in the tablet's console and no update.
    return Response(SERVICE_WORKER.read_bytes(), media_type="text/javascript",
                    headers={"Service-Worker-Allowed": "/inspect", "Cache-Control": "no-cache"})


@get("/inspect/offline", guards=[inspector], name="offline-notice")
async def offline_notice() -> Template:
    return page("inspections/offline.html")


ROUTES = [service_worker, offline_notice]
