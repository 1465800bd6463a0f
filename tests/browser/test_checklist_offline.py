"""An inspector on a tablet with no network for the whole visit: the checklists downloaded from the
list open offline (the list too), answers and photos wait in the browser, and everything goes out
exactly once from the list page when the network returns, conflicts shown as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from evaluation.core.tables import Account, AuditEntry
from inspections.tables import AnswerSave, ChecklistAnswer, Evidence, Team, TeamMember
from tests.browser.checklist_fixtures import (  # noqa: F401  (open_round is a fixture)
    answer_elsewhere,
    answers_on_server,
    evidence_on_server,
    in_a_thread,
    open_round,
)
from tests.browser.conftest import Visit
from tests.browser.test_checklist_tablet import card, tiny_png
from tests.conftest import PASSWORD
from tests.inspections.conftest import Inspection

pytestmark = pytest.mark.parametrize("viewport_name", ["tablet"])

JINING, FENGZHEN = "150902", "150981"


@pytest.fixture
def both_teams(open_round: Inspection) -> Iterator[Inspection]:  # noqa: F811
    """李强 is on both teams: 集宁区's (第一组) and 丰镇市's (第二组)."""

    async def join(leave: bool = False) -> None:
        account = await Account.select(Account.id).where(Account.username == "liqiang").first()
        team = await Team.select(Team.id).where((Team.round == open_round.round_id) & (Team.name == "第二组")).first()
        member = (TeamMember.team == team["id"]) & (TeamMember.account == account["id"])
        if leave:
            await TeamMember.delete().where(member)
        else:
            await TeamMember.insert(TeamMember(team=team["id"], account=account["id"]))

    in_a_thread(join)
    yield open_round
    in_a_thread(lambda: join(leave=True))


def counted(inspection: Inspection) -> dict[str, Any]:
    """Rows that a change sent twice would double: saves, audit entries, photos."""

    async def query() -> dict[str, Any]:
        checklists = list(inspection.checklists.values())
        answers = ChecklistAnswer.select(ChecklistAnswer.id).where(ChecklistAnswer.checklist.is_in(checklists))
        # Only these checklists' rows: a late request of an earlier test must not count here.
        ours = AuditEntry.target.like(f"checklist:{checklists[0]}:%")
        for checklist_id in checklists[1:]:
            ours |= AuditEntry.target.like(f"checklist:{checklist_id}:%")
        return {
            "saves": await AnswerSave.count().where(AnswerSave.answer.is_in(answers)),
            "answer_audit": await AuditEntry.count().where((AuditEntry.action == "checklist.answer") & ours),
            "photos": await Evidence.count().where(Evidence.answer.is_in(answers)),
            "photo_audit": await AuditEntry.count().where((AuditEntry.action == "checklist.photo") & ours),
        }

    return in_a_thread(query)


def sign_in(tab: Visit, path: str = "/inspect") -> Page:
    page = tab.page
    tab.goto(f"/staff/login?next={path}")
    page.get_by_label("用户名").fill("liqiang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(tab.url(path))
    return page


def row(page: Page, unit: str) -> Any:
    return page.locator("tr[data-checklist-id]").filter(has=page.get_by_role("link", name=unit))


def test_two_checklists_downloaded_are_filled_offline_and_arrive_once_when_the_network_returns(
        tablet: Visit, both_teams: Inspection) -> None:
    inspection = both_teams
    before = counted(inspection)
    page = sign_in(tablet)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    expect(row(page, "集宁区").locator(".offline-state")).to_have_text("未下载")
    page.get_by_role("button", name="全部下载以便离线使用").click()
    expect(page.locator("#download-status")).to_have_text("已下载 2 份检查表，断网时也能打开。")
    expect(row(page, "丰镇市").locator(".offline-state")).to_contain_text("已下载（")
    tablet.assert_fits_the_screen()

    # No network for the rest of the visit, and the list is opened again.
    tablet.go_offline()
    page.reload()
    kept = re.compile(r"离线副本：本页是 \d{4}-\d\d-\d\d \d\d:\d\d 保存的副本")
    expect(page.locator("#offline-copy")).to_contain_text(kept)

    page.get_by_role("link", name="集宁区").click()
    expect(page.locator("#offline-copy")).to_contain_text("离线副本")
    expect(page.locator("#checklist .item-card")).to_have_count(19)
    card(page, "A1").locator(".value-input").fill("2")
    card(page, "B1").locator(".value-input").fill("5.5")
    expect(card(page, "B1").locator(".item-state")).to_have_text("待同步")
    card(page, "B1").get_by_label("备注").fill("网站栏目齐全")  # a second change of B1, queued after the first
    card(page, "B3").locator(".photo-input").set_input_files(
        files=[{"name": "公开栏.png", "mimeType": "image/png", "buffer": tiny_png()}])
    expect(card(page, "B3").locator(".photo.pending")).to_contain_text("待上传")
    expect(page.locator("#sync-state")).to_have_text("3 项待同步")

    page.get_by_role("link", name="我的检查表").click()
    expect(row(page, "集宁区").locator(".pending-cell")).to_have_text("3 项待发送")
    expect(page.locator("#outbox-state")).to_contain_text("3 项检查表修改保存在本机，联网后自动发送")

    page.get_by_role("link", name="丰镇市").click()
    card(page, "C1").locator(".value-input").fill("20")
    card(page, "C2").get_by_role("button", name="加 0.5 分").click()
    card(page, "C3").locator(".photo-input").set_input_files(
        files=[{"name": "政府文件.png", "mimeType": "image/png", "buffer": tiny_png()}])
    expect(page.locator("#sync-state")).to_have_text("3 项待同步")
    page.get_by_role("link", name="我的检查表").click()
    expect(row(page, "丰镇市").locator(".pending-cell")).to_have_text("3 项待发送")
    assert counted(inspection) == before  # nothing has left the tablet

    # Meanwhile the other member of 第二组 saved C1 of 丰镇市: a conflict, as on the checklist page.
    answer_elsewhere(inspection, FENGZHEN, "C1", Decimal("18"), by="sunwei")

    tablet.go_online()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(row(page, "集宁区").locator(".pending-cell")).to_have_text("无", timeout=20_000)
    expect(row(page, "丰镇市").locator(".pending-cell")).to_have_text("1 项待发送（1 项冲突）", timeout=20_000)
    expect(page.locator("#outbox-state")).to_contain_text("1 项检查表修改与他人的修改冲突")

    # The conflict is the save API's answer, shown to the inspector on purpose, not a failing request.
    # (Counted from the page's response events, which a request under a service worker does not
    # always raise: the conflict itself is asserted on the page and in the database.)
    tablet.problems[:] = [problem for problem in tablet.problems if not problem.endswith("answered 409")]
    after = counted(inspection)
    # 集宁区: A1, B1 and B1's note, and a photo; 丰镇市: C2 and a photo, C1 waiting for a choice.
    assert after["saves"] - before["saves"] == 4
    assert after["answer_audit"] - before["answer_audit"] == 4
    assert after["photos"] - before["photos"] == 2
    assert after["photo_audit"] - before["photo_audit"] == 2
    jining = answers_on_server(inspection, JINING)
    assert jining["A1"] == (Decimal("2"), "") and jining["B1"] == (Decimal("5.5"), "网站栏目齐全")
    fengzhen = answers_on_server(inspection, FENGZHEN)
    assert fengzhen["C2"][0] == Decimal("0.5") and fengzhen["C1"][0] == Decimal("18")
    assert [photo["code"] for photo in evidence_on_server(inspection, JINING)] == ["B3"]
    assert [photo["code"] for photo in evidence_on_server(inspection, FENGZHEN)] == ["C3"]

    # The conflict is the inspector's to settle, on the checklist: both answers shown, theirs kept until chosen.
    page.get_by_role("link", name="丰镇市").click()
    box = card(page, "C1").get_by_role("alert")
    expect(box).to_contain_text("您的答案：20 分")
    expect(box).to_contain_text("孙伟 于")
    expect(box).to_contain_text("保存的答案：18 分")
    expect(card(page, "C3").locator(".photo img[src^='/inspect/evidence/']")).to_have_count(1)
    card(page, "C1").get_by_role("button", name="用我的").click()
    expect(page.locator("#sync-state")).to_have_text("已保存")
    assert answers_on_server(inspection, FENGZHEN)["C1"][0] == Decimal("20")
    assert counted(inspection)["saves"] - before["saves"] == 5
    assert page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':queue'))") == []
