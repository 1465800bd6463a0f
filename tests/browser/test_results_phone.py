"""/results on the cheapest phone (360 CSS pixels): every name readable in at most two lines, every
link and control at least 44 px tall, nothing wider than the screen."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from evaluation.core import cache
from tests.browser.conftest import Visit
from tests.browser.test_rate_department import _close_period, _in_a_thread, _open_period

pytestmark = pytest.mark.parametrize("viewport_name", ["small phone"])


@pytest.fixture(scope="module")
def results_period(live_server: str) -> Iterator[None]:
    # The server keeps the open period in memory for a few seconds (evaluation/core/cache.py):
    # a period another module removed behind its back, or this one, must be forgotten first.
    time.sleep(cache.TTL_SECONDS + 1)
    had_reasons = _in_a_thread(_open_period)
    yield
    _in_a_thread(lambda: _close_period(remove_reasons=not had_reasons))
    time.sleep(cache.TTL_SECONDS + 1)


@pytest.mark.smoke
def test_results_on_a_small_phone_keep_names_readable_and_targets_large(tab: Visit, results_period: None) -> None:
    page = tab.page
    tab.goto("/results")
    tab.assert_fits_the_screen()
    names = page.locator("main tbody a")
    assert names.count() > 10
    # Two lines at most for every name: the distinct line tops of its text.
    lines = page.evaluate("""() => [...document.querySelectorAll('main tbody a')].map(a => {
        const range = document.createRange();
        range.selectNodeContents(a);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return [a.textContent.trim(), tops.size];
    })""")
    wrapped = [(name, n) for name, n in lines if n > 2]
    assert not wrapped, f"names wrapped past two lines: {wrapped[:5]}"
    # Every link and control in the page's content is a thumb's size.
    small = page.evaluate("""() => [...document.querySelectorAll(
        'main a, main button, main select, main input:not([type=hidden]), .site-header a')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim() || e.name, Math.round(e.getBoundingClientRect().height)])
        .filter(([, h]) => h < 44)""")
    assert not small, f"targets under 44 px: {small[:8]}"
    assert max(n for _name, n in lines) >= 1
