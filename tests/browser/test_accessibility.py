"""axe-core finds no serious or critical accessibility problem on the public pages.

axe is vendored (tests/browser/vendor, MPL-2.0) so the check runs offline. It is injected as
a script tag, which the app's Content-Security-Policy (script-src 'self') would refuse, so
these pages are opened with the policy bypassed; the other browser tests keep it and fail
on anything it refuses.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import BROWSER_DIR, Visit

AXE = BROWSER_DIR / "vendor" / "axe-4.14.1.min.js"
BLOCKING = ("serious", "critical")


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'], ensure_ascii=False)}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


@pytest.fixture
def axe_tab(open_tab) -> Visit:
    return open_tab(bypass_csp=True)


@pytest.mark.parametrize("path", ["/", "/departments/150902", "/staff/login"], ids=["home", "department", "sign-in"])
def test_no_serious_accessibility_violations(axe_tab: Visit, path: str) -> None:
    axe_tab.goto(path)
    axe_tab.page.add_script_tag(path=str(AXE))
    results = axe_tab.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING]
    assert not blocking, f"axe-core {results['testEngine']['version']} on {path}:\n{_describe(blocking)}"
