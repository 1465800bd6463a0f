"""Browser tests: Debian's Chromium, driven by Playwright, against the app served by uvicorn.

The browser tests share one server on a free port, started on a freshly emptied and seeded
database and stopped when the last browser test is done, so the HTTP tests that run in the
same session find the database (and no server writing to it) as they expect.

On the PostgreSQL run only the smoke subset runs: tests marked ``smoke``, at the phone
viewport. ``PINGYI_BROWSER_SMOKE=1`` asks for that subset on any engine, ``=0`` for
everything on any engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from evaluation.core import demo, departments
from evaluation.core.departments import CatalogueForm
from evaluation.core.tables import Role
from settings import PROJECT_DIR
from tests.conftest import add_account, empty_database, run
from tests.live_server import Network, answers, free_port

BROWSER_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
SERVER_START_SECONDS = 30

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1280}
SMALL_PHONE = {"width": 360, "height": 740}  # the cheapest phones; asked for by name only
VIEWPORTS = {"phone": PHONE, "tablet": TABLET}
# The office's desk: asked for by name (``parametrize("viewport_name", ["desk"])``), never by default.
DESK = {"width": 1366, "height": 768}
SIZES = {**VIEWPORTS, "desk": DESK, "small phone": SMALL_PHONE}

OFFICE_USERNAME = "wangmin"
OFFICE_NAME = "王敏"
# Departments whose pages the tests open carry a catalogue; the rest of the city has none.
CATALOGUED = ("150902", "SZ03")
LINKED_ITEM_URL = "https://www.wulanchabu.gov.cn/"


def _smoke_only() -> bool:
    raw = os.environ.get("PINGYI_BROWSER_SMOKE", "").strip().lower()
    if raw:
        return raw in {"1", "true", "yes", "on"}
    return bool(os.environ.get("PINGYI_TEST_DATABASE_URL"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "smoke: browser tests that also run on the PostgreSQL run (phone viewport)")


@pytest.hookimpl(tryfirst=True)  # before -m selects on the browser marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test; on a smoke run, only the smoke subset runs."""
    smoke_only = _smoke_only()
    why = "browser smoke run (PostgreSQL, or PINGYI_BROWSER_SMOKE=1): "
    for item in items:
        if BROWSER_DIR not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not smoke_only:
            continue
        callspec = getattr(item, "callspec", None)
        viewport = callspec.params.get("viewport_name") if callspec else None
        if item.get_closest_marker("smoke") is None:
            item.add_marker(pytest.mark.skip(reason=why + "tests marked smoke only"))
        elif viewport not in (None, "phone", "small phone"):
            item.add_marker(pytest.mark.skip(reason=why + "phone viewport only"))


# ---------------------------------------------------------------- Chromium
#
# While Playwright's sync API is started it keeps an event loop running in the main thread,
# and the HTTP tests' ``run()`` (asyncio.run) cannot work under a running loop. So Playwright
# and its Chromium live while the browser tests run (package scope), not the whole session
# as pytest-playwright's own fixtures would have it.


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args: dict[str, Any], browser_type: BrowserType) -> Callable[..., Browser]:
    def launch(**options: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **options})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    """One Chromium for all the browser tests; each test opens its own contexts in it."""
    chromium = launch_browser()
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """A citizen of the city: a Chinese browser in China's time zone (Playwright's default
    would be an American one)."""
    return {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


# ---------------------------------------------------------------- the live server


async def _seed() -> None:
    await empty_database()
    csv = demo.DEPARTMENTS_CSV
    result = await departments.import_departments("test", csv.name, csv.read_bytes())
    assert not result.errors, result.errors
    for code in CATALOGUED:
        for index, (title, description) in enumerate(demo.CATALOGUE):
            url = LINKED_ITEM_URL if index == 0 else ""
            form = CatalogueForm(title=title, description=description, url=url)
            assert await departments.add_catalogue_item("test", code, form), form.errors
    await add_account(OFFICE_USERNAME, Role.office, OFFICE_NAME)


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn on a free port, over the test database (seeded afresh)."""
    # Playwright's sync API keeps an event loop running in this thread: seed from another.
    with ThreadPoolExecutor(max_workers=1) as seeder:
        seeder.submit(run, _seed).result()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("live-server") / "uvicorn.log"
    command = [
        sys.executable, "-m", "uvicorn", "app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=PROJECT_DIR, env=dict(os.environ), stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not answers(f"{base_url}/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start (exit status {server.poll()}):\n"
                            + log_path.read_text(errors="replace"))
            time.sleep(0.1)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---------------------------------------------------------------- pages


@pytest.fixture(params=list(VIEWPORTS))
def viewport_name(request: pytest.FixtureRequest) -> str:
    return request.param


@dataclass
class Visit:
    """A browser tab on the live server, and what went wrong in it that a user would not see."""

    page: Page
    base_url: str
    problems: list[str] = field(default_factory=list)
    network: Network | None = None

    def go_offline(self) -> None:
        """No network, as on site: the browser's offline mode (``navigator.onLine``, the
        ``offline`` event) and, when the tab was opened through a ``network``, that network cut,
        so that no request at all reaches the server."""
        self.page.context.set_offline(True)
        if self.network is not None:
            self.network.cut()

    def go_online(self) -> None:
        if self.network is not None:
            self.network.join()
        self.page.context.set_offline(False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        return response

    def assert_fits_the_screen(self) -> None:
        """Nothing makes the reader scroll sideways (a phone is 390 CSS pixels wide)."""
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.page.url} is {overflow}px wider than the screen"


@pytest.fixture
def open_tab(new_context: Callable[..., BrowserContext], live_server: str,
             viewport_name: str) -> Iterator[Callable[..., Visit]]:
    """``open_tab(network=None, **context_options)``: a new browser (own cookies) at the test's
    viewport, talking to the live server directly or through ``network`` (which a test can cut).

    Console errors (a script failing, a resource refused by the Content-Security-Policy),
    uncaught page errors and a style sheet, script or htmx request answered with an error
    status fail the test.
    """
    visits: list[Visit] = []

    def open_one(network: Network | None = None, **options: Any) -> Visit:
        phone = viewport_name in ("phone", "small phone")
        base_url = network.url if network is not None else live_server
        # Requests of a page under a service worker escape Playwright's routes and, now and
        # then, its response events: service workers only in tabs made for them (``tablet``),
        # whose network is cut for real rather than by a route.
        options.setdefault("service_workers", "allow" if network is not None else "block")
        context = new_context(viewport=SIZES[viewport_name], is_mobile=phone, has_touch=phone,
                              base_url=base_url, **options)
        context.set_default_timeout(10_000)
        visit = Visit(context.new_page(), base_url, network=network)

        def on_console(message: ConsoleMessage) -> None:
            # An error status is the server's answer, not the page failing: pages answer 422 on
            # purpose, and the browser asks for /favicon.ico on its own. Sub-resources are
            # checked below, from their responses.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                visit.problems.append(f"console error on {visit.page.url}: {message.text}")

        def on_response(response: Response) -> None:
            if response.status >= 400 and response.request.resource_type != "document":
                visit.problems.append(f"{response.request.resource_type} {response.url} answered {response.status}")

        def on_page_error(error: Error) -> None:
            visit.problems.append(f"uncaught error on {visit.page.url}: {error}")

        visit.page.on("console", on_console)
        visit.page.on("response", on_response)
        visit.page.on("pageerror", on_page_error)
        visits.append(visit)
        return visit

    yield open_one
    problems = [problem for visit in visits for problem in visit.problems]
    assert not problems, "\n".join(problems)


@pytest.fixture
def tab(open_tab: Callable[..., Visit]) -> Visit:
    return open_tab()


@pytest.fixture
def network(live_server: str) -> Iterator[Network]:
    """A network between the browser and the live server that the test can cut: for pages that
    must work offline, where the browser's offline mode alone lets some requests through (those
    a service worker passes on)."""
    relay = Network(live_server)
    yield relay
    relay.cut()


@pytest.fixture
def tablet(open_tab: Callable[..., Visit], network: Network) -> Visit:
    """A tab whose network the test can cut (``go_offline()``, ``go_online()``), with the
    inspector's service worker: for the pages that must work offline."""
    return open_tab(network=network)

