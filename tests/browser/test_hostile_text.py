"""Hostile text everywhere, then every page that shows it opened in Chromium: no script runs, no
dialog opens, no element or link the text tried to make exists.

The demo's data is loaded into a database of its own; then a citizen types the corpus into the
rating form and an interview question, and every human-readable text of every table — names,
titles, notes, comments, answers, reasons, report sections, the audit trail — gets it appended,
as a hand-edited database would have it (the database's guarding triggers are dropped first),
and the catalogue's and interviews' links become ``javascript:`` URLs. Then each page of the app's
route table (tests/security/test_route_matrix.py) is opened by someone who may see it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page

from settings import PROJECT_DIR
from tests.browser.checklist_fixtures import in_a_thread
from tests.conftest import PASSWORD
from tests.live_server import LiveServer
from tests.security.test_route_matrix import (
    ANONYMOUS,
    INSPECTOR_A,
    LIAISON_X,
    OFFICE,
    PEOPLE,
    ROUTES,
    _url,
)
from tests.security.world import demo_world

pytestmark = pytest.mark.browser

# Each vector sets a different value, so a failure says which one got through.
CORPUS = (
    '<script>window.__hostile=1</script>'
    '"><img src=x onerror="window.__hostile=2">'
    "'><svg onload=\"window.__hostile=3\"></svg>"
    '<iframe srcdoc="<script>parent.__hostile=4</script>"></iframe>'
    '</textarea></title><a href="javascript:window.__hostile=5">x</a>'
    "{{ 7*7 }}{% if 1 %}${7*7}"
)
JAVASCRIPT_URL = "javascript:window.__hostile=6"
NOT_PAGES = (".xlsx", ".csv", ".json", ".ics", ".yaml", ".yml")
PROBE = """() => ({
  ran: window.__hostile ?? null,
  handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => /^on/i.test(a.name)))
              .map(e => e.outerHTML.slice(0, 120)),
  scriptUrls: [...document.querySelectorAll('[href],[src],[action],[formaction]')]
              .filter(e => ['href', 'src', 'action', 'formaction'].some(
                 a => /^\\s*javascript:/i.test(e.getAttribute(a) || '')))
              .map(e => e.outerHTML.slice(0, 120)),
  inlineScripts: [...document.querySelectorAll('script:not([src])')].length,
  frames: document.querySelectorAll('iframe, object, embed').length,
  shown: document.body.innerText.includes('window.__hostile=1'),
})"""


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> None:
    done = subprocess.run([sys.executable, "cli.py", *args], cwd=PROJECT_DIR, env=env, input=stdin.encode(),
                          capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def _append_everywhere(database: Path) -> int:
    """The corpus appended to every text with Chinese in it (not codes, states or JSON); how many
    values were changed."""
    connection = sqlite3.connect(database)
    changed = 0
    try:
        for (trigger,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f'DROP TRIGGER "{trigger}"')
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'migration'")]
        for table in tables:
            for column in connection.execute(f'PRAGMA table_info("{table}")').fetchall():
                name, kind = column[1], column[2].upper()
                if "CHAR" not in kind and "TEXT" not in kind:
                    continue
                changed += connection.execute(
                    f'UPDATE "{table}" SET "{name}" = "{name}" || ? WHERE "{name}" GLOB ? '
                    f'AND substr("{name}", 1, 1) NOT IN (?, ?)', (CORPUS, "*[一-龥]*", "{", "[")).rowcount
        connection.execute("UPDATE catalogue_item SET url = ? WHERE id IN (SELECT id FROM catalogue_item LIMIT 20)",
                           (JAVASCRIPT_URL,))
        connection.execute("UPDATE interview SET link = ?", (JAVASCRIPT_URL,))
        connection.commit()
    finally:
        connection.close()
    return changed


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    var_dir = tmp_path_factory.mktemp("hostile")
    database = var_dir / "pingyi.sqlite"
    env = {**os.environ, "PINGYI_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{database}",
           "PINGYI_WORKERS": "1"}
    _cli(env, "migrate")
    _cli(env, "demo")
    for username in PEOPLE.values():
        _cli(env, "user", "password", "--username", username, "--password-stdin", stdin=PASSWORD + "\n")

    async def fetch(sql: str) -> list[dict[str, Any]]:
        connection = sqlite3.connect(database)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql).fetchall()]
        finally:
            connection.close()

    world = in_a_thread(lambda: demo_world(fetch))
    server = LiveServer(env=env, log_path=var_dir / "uvicorn.log")
    server.start()
    yield server, world
    server.stop()


def _tab(browser: Browser, base_url: str, dialogs: list[str], username: str | None = None) -> Page:
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1024, "height": 768})
    context.set_default_timeout(15_000)
    page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type} on {page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    if username:
        page.goto("/staff/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/staff")
    return page


def _type_like_a_citizen(page: Page, world: dict[str, str]) -> None:
    page.goto("/departments/" + world["x_code"])
    page.locator("#rating label.level").first.click()
    page.get_by_label("留言（可选，审核后公开）").fill(CORPUS[:500])
    page.locator("#rating").get_by_role("button").last.click()
    page.wait_for_load_state("networkidle")
    page.goto("/interviews/" + world["interview"])
    page.locator("#body").fill(CORPUS[:500])
    page.locator("#ask").get_by_role("button").last.click()
    page.wait_for_load_state("networkidle")


def _who_opens(allowed: frozenset[str]) -> str | None:
    for role in (ANONYMOUS, OFFICE, INSPECTOR_A, LIAISON_X):
        if role in allowed:
            return role
    return None


def test_hostile_text_typed_or_stored_anywhere_never_runs_on_any_page(
        browser: Browser, hostile_server: tuple[LiveServer, dict[str, str]]) -> None:
    server, world = hostile_server
    dialogs: list[str] = []
    citizen = _tab(browser, server.base_url, dialogs)
    _type_like_a_citizen(citizen, world)
    assert _append_everywhere(Path(server.env["DATABASE_URL"].removeprefix("sqlite:///"))) > 500
    tabs = {ANONYMOUS: citizen}
    for role in (OFFICE, INSPECTOR_A, LIAISON_X):
        tabs[role] = _tab(browser, server.base_url, dialogs, PEOPLE[role])

    problems: list[str] = []
    shown_on = 0
    for key, entry in sorted(ROUTES.items()):
        method, path = key.split(" ", 1)
        role = _who_opens(entry.allowed)
        if method != "GET" or role is None or path.endswith(NOT_PAGES) or path.startswith(
                ("/static", "/schema", "/healthz", "/language", "/staff/login")):
            continue
        url = _url(path, entry, world)
        page = tabs[role]
        response = page.goto(url)
        status = response.status if response else None
        if status is None or status >= 500:
            problems.append(f"{role}: {url} answered {status}")
            continue
        found = page.evaluate(PROBE)
        shown_on += found["shown"]
        for what in ("handlers", "scriptUrls"):
            if found[what]:
                problems.append(f"{role}: {url}: {what} made from the text: {found[what][:3]}")
        if found["ran"] is not None:
            problems.append(f"{role}: {url}: the text's script ran (vector {found['ran']})")
        if found["inlineScripts"] or found["frames"]:
            problems.append(f"{role}: {url}: {found['inlineScripts']} inline scripts, {found['frames']} frames")
    assert not dialogs, dialogs
    assert not problems, "\n".join(problems)
    # The corpus was there to be shown, as text, on many pages.
    assert shown_on >= 20, shown_on
    assert not server.error_lines(), server.log()
