"""The public side of 线上访谈: the calendar (a list and a month), the iCalendar feed, an
interview's page, its live updates and its transcript (printable, and as xlsx)."""

from __future__ import annotations

from litestar import MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from evaluation.core import clock, i18n, spreadsheets
from evaluation.core.web import PUBLIC, page
from evaluation.interviews import archive, calendar_feed, live, views
from evaluation.interviews.questions import QuestionForm

FEED_PATH = "/interviews/calendar.ics"


@get("/interviews", opt=PUBLIC, name="interviews")
async def calendar(view: FromQuery[str] = "list", month: FromQuery[str] = "") -> Template:
    if view == "month":
        shown = await views.month_view(views.parse_month(month, clock.local(clock.now()).date()))
        return page("interviews/calendar_month.html", month=shown, feed=FEED_PATH)
    return page("interviews/calendar.html", upcoming=await views.published(upcoming=True),
                past=await views.published(upcoming=False, limit=30), feed=FEED_PATH)


@get(FEED_PATH, opt=PUBLIC, name="interviews-feed")
async def feed(request: Request) -> Response:
    return Response(await calendar_feed.feed(str(request.base_url)), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="interviews.ics"',
                             "Cache-Control": "max-age=300"})


@get("/interviews/{code:str}", opt=PUBLIC, name="interview")
async def interview(code: FromPath[str], asked: FromQuery[bool] = False) -> Template:
    shown = await views.public_interview(code)
    if shown is None:
        raise NotFoundException()
    if shown.polls:
        live.versions.saw(code, shown.interview["live_version"])
    return page("interviews/interview.html", shown=shown, form=QuestionForm(), asked=asked)


LIVE_TEMPLATE = "interviews/_live.html"


@get("/interviews/{code:str}/live", opt=PUBLIC, name="interview-live")
async def live_updates(request: Request, code: FromPath[str], since: FromQuery[int] = -1) -> Response:
    """The open page's poll: 204 from memory when nothing changed, else the part of the page
    that changes with the version it shows, rendered once per version (see live.py)."""
    current = await live.versions.current(code)
    if since >= 0 and current == since:
        return Response(content=b"", status_code=204)
    language = i18n.active_language()

    async def render() -> str | None:
        shown = await views.public_interview(code)
        if shown is None:
            return None
        template = request.app.template_engine.get_template(LIVE_TEMPLATE)  # type: ignore[union-attr]
        html = template.render(shown=shown)
        if shown.polls:
            version = shown.interview["live_version"]
            live.versions.saw(code, version)
            live.keep_rendered(code, language, version, html)
        return html

    html = live.rendered_for(code, language, current) or await live.render_once(code, language, render)
    if html is None:
        raise NotFoundException()
    return Response(html, media_type=MediaType.HTML, headers={"Vary": "HX-Request"})


@get("/interviews/{code:str}/transcript", opt=PUBLIC, name="interview-transcript")
async def transcript(code: FromPath[str]) -> Template:
    found = await archive.transcript(code, staff=False)
    if found is None:
        raise NotFoundException()
    return page("interviews/transcript.html", transcript=found)


@get("/interviews/{code:str}/transcript.xlsx", opt=PUBLIC, name="interview-transcript-xlsx")
async def transcript_xlsx(code: FromPath[str]) -> Stream:
    return workbook_response(await archive.download(code, staff=False))


def workbook_response(download: archive.Download | None) -> Stream:
    if download is None:
        raise NotFoundException()
    return Stream(spreadsheets.chunks(download.file), media_type=spreadsheets.XLSX_MEDIA_TYPE,
                  headers={"Content-Disposition": spreadsheets.content_disposition(download.filename,
                                                                                   download.fallback),
                           "Cache-Control": "no-store"})


ROUTES = [calendar, feed, interview, live_updates, transcript, transcript_xlsx]
