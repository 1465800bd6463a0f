"""The invited panel: the office issues codes, panel members rate with them (PRODUCT.md §1)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
from typing import Any
from urllib.parse import unquote

import pytest
import segno
from openpyxl import load_workbook

from evaluation.core.tables import AuditEntry
from evaluation.ratings import panel, periods
from evaluation.ratings.routes import panel as panel_routes
from evaluation.ratings.tables import EvaluationPeriod, PanelBatch, PanelCode, Rating
from settings import settings
from tests.conftest import Visitor, open_period, run, text_of


@pytest.fixture
def public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployment's PINGYI_PUBLIC_URL."""
    chosen = dataclasses.replace(settings, public_url="https://pingyi.example.gov.cn", public_url_set=True)
    monkeypatch.setattr(panel_routes, "settings", chosen)


def issue(label: str = "人大代表", size: int = 1, period_code: str = "2026-pj") -> list[str]:
    """A batch made as the office would, its codes as printed on the slips."""

    async def make() -> list[str]:
        period = await periods.find(period_code)
        batch_id = await panel.create_batch("wangmin", period, label, size)
        return [panel.display(row["code"]) for row in await panel.codes(batch_id)]

    return run(make)


def code_id(shown: str) -> int:
    return run(PanelCode.select(PanelCode.id).where(PanelCode.code == shown.replace("-", "")).first())["id"]


def enter(visitor: Visitor, code: str) -> Any:
    return visitor.post("/panel", {"code": code}, follow_redirects=False)


def rate(visitor: Visitor, department: str, level: str = "satisfied") -> Any:
    visitor.get(f"/departments/{department}")
    return visitor.post(f"/departments/{department}/ratings", {"level": level})


# The office.


def test_the_office_issues_a_batch_of_codes_and_exports_them(office, period, public_url):
    response = office.post("/staff/panel", {"period": "2026-pj", "label": "人大代表", "size": "5"},
                           follow_redirects=False)
    assert response.status_code == 303
    listing = text_of(office.get(response.headers["location"]).text)
    assert "评议码已生成" in listing and "人大代表 5 0 王敏" in listing
    batch = run(PanelBatch.select().first())
    codes = run(PanelCode.select().where(PanelCode.batch == batch["id"]).order_by(PanelCode.serial))
    assert batch["size"] == 5 and len(codes) == 5
    entry = run(AuditEntry.select().where(AuditEntry.action == "panel.batch").first())
    assert entry["actor"] == "wangmin" and "人大代表" in entry["new_value"]

    export = office.get(f"/staff/panel/{batch['id']}/codes.xlsx")
    assert export.status_code == 200 and export.headers["cache-control"] == "no-store"
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = export.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "2026年度社会评议-人大代表-评议码.xlsx"
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [cell.value for cell in sheet[1]] == ["序号", "评议码", "代表类别", "评议期", "评议地址"]
    assert sheet.freeze_panes == "A2" and sheet.max_row == 6
    for row, code in zip(sheet.iter_rows(min_row=2), codes, strict=True):
        shown = panel.display(code["code"])
        assert row[0].value == code["serial"]
        assert row[1].value == shown and row[1].data_type == "s"
        assert row[2].value == "人大代表" and row[3].value == "2026年度社会评议"
        assert row[4].value == f"https://pingyi.example.gov.cn/panel?code={shown}"
    assert sheet.column_dimensions["B"].width >= 20


def test_the_print_sheet_has_one_slip_per_code_with_the_public_address_and_its_qr_code(office, period,
                                                                                          public_url):
    office.post("/staff/panel", {"period": "2026-pj", "label": "政协委员", "size": "5"})
    batch = run(PanelBatch.select().first())
    # Reached by an inner name at the office's desk: the slips still print the public address.
    sheet = office.get(f"/staff/panel/{batch['id']}/print", headers={"Host": "intranet-pc:8000"})
    assert sheet.status_code == 200 and sheet.text.count('class="slip"') == 5
    assert sheet.headers["cache-control"] == "no-store"
    text = text_of(sheet.text)
    for code in run(PanelCode.select()):
        shown = panel.display(code["code"])
        assert shown in text
        # The QR code is exactly that of the address with this code filled in.
        drawn = segno.make(f"https://pingyi.example.gov.cn/panel?code={shown}", error="m")
        assert drawn.svg_inline(omitsize=True, title=shown) in sheet.text
    assert "特邀评议代表（政协委员）" in text and "https://pingyi.example.gov.cn/panel" in text
    assert "intranet-pc" not in sheet.text and "PINGYI_PUBLIC_URL" not in text
    assert "<script>" not in sheet.text.split("</head>")[1]


def test_the_print_sheet_warns_while_the_public_address_is_not_set(office, period):
    office.post("/staff/panel", {"period": "2026-pj", "label": "政协委员", "size": "1"})
    batch = run(PanelBatch.select().first())
    text = text_of(office.get(f"/staff/panel/{batch['id']}/print").text)
    assert "PINGYI_PUBLIC_URL" in text and "testserver" not in text


def test_a_label_is_written_to_the_spreadsheet_as_text_not_a_formula(office, period):
    office.post("/staff/panel", {"period": "2026-pj", "label": "=HYPERLINK(\"x\")", "size": "1"})
    batch = run(PanelBatch.select().first())
    sheet = load_workbook(io.BytesIO(office.get(f"/staff/panel/{batch['id']}/codes.xlsx").content)).active
    assert sheet["C2"].value == "=HYPERLINK(\"x\")" and sheet["C2"].data_type == "s"


def test_a_batch_size_outside_1_to_2000_is_refused(office, period):
    for size in ("0", "2001", "五"):
        response = office.post("/staff/panel", {"period": "2026-pj", "label": "企业代表", "size": size})
        assert response.status_code == 422 and "每批数量必须在 1 到 2000 之间" in text_of(response.text)
    response = office.post("/staff/panel", {"period": "2026-pj", "label": " ", "size": "3"})
    assert response.status_code == 422 and "请填写代表类别" in text_of(response.text)
    assert run(PanelBatch.count()) == 0


def test_the_used_column_counts_codes_that_have_rated(office, new_visitor, period):
    office.post("/staff/panel", {"period": "2026-pj", "label": "服务对象", "size": "3"})
    first, _second, _third = (panel.display(row["code"]) for row in run(PanelCode.select().order_by(PanelCode.serial)))
    member = new_visitor()
    enter(member, first)
    rate(member, "150902")
    rate(member, "SZ03")
    assert "服务对象 3 1 王敏" in text_of(office.get("/staff/panel").text)


def test_only_the_office_issues_exports_and_prints_codes(visitor, new_visitor, people, period):
    issue(size=2)
    batch_id = run(PanelBatch.select().first())["id"]
    office_pages = ["/staff/panel", f"/staff/panel/{batch_id}/codes.xlsx", f"/staff/panel/{batch_id}/print"]
    for username in ("liqiang", "chenjing"):
        staff = new_visitor()
        staff.sign_in(username)
        for url in office_pages:
            assert staff.get(url).status_code == 403, (username, url)
        assert staff.post("/staff/panel", {"period": "2026-pj", "label": "人大代表", "size": "1"}).status_code == 403
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    listing = auditor.get("/staff/panel")
    assert listing.status_code == 200 and "人大代表" in text_of(listing.text)
    assert "生成评议码" not in text_of(listing.text) and "codes.xlsx" not in listing.text
    assert auditor.get(office_pages[1]).status_code == 403 and auditor.get(office_pages[2]).status_code == 403
    assert auditor.post("/staff/panel", {"period": "2026-pj", "label": "人大代表", "size": "1"}).status_code == 403
    assert visitor.get("/staff/panel", follow_redirects=False).headers["location"].startswith("/staff/login")
    assert run(PanelBatch.count()) == 1


# The panel member.


def test_a_member_enters_a_code_and_rates_two_departments_in_the_panel_channel(visitor, period):
    code = issue("人大代表")[0]
    response = enter(visitor, code.lower().replace("-", " "))
    assert response.status_code == 303 and response.headers["location"] == "/panel"
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("panel="))
    assert f"panel={code.replace('-', '')};" in cookie
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    max_age = int(cookie.split("Max-Age=")[1].split(";")[0])
    assert 29 * 86400 < max_age <= 32 * 86400  # the period closes in 30 days

    page = text_of(visitor.get("/panel").text)
    assert "您正以特邀评议代表（人大代表）身份评价" in page and "已评价 0 / 4 个单位" in page
    assert "您正以特邀评议代表（人大代表）身份评价" in text_of(visitor.get("/departments/150902").text)
    assert "感谢您的评价" in text_of(rate(visitor, "150902").text)
    assert "感谢您的评价" in text_of(rate(visitor, "SZ03", "basic").text)

    saved = run(Rating.select().order_by(Rating.id))
    assert len(saved) == 2
    assert {row["channel"] for row in saved} == {"panel"}
    assert {row["panel_code"] for row in saved} == {code_id(code)}
    assert {row["voter_id"] for row in saved} == {None}
    assert "已评价 2 / 4 个单位" in text_of(visitor.get("/panel").text)


def test_the_same_code_rating_the_same_department_again_is_refused_kindly(visitor, new_visitor, period):
    code = issue()[0]
    enter(visitor, code)
    rate(visitor, "150902")
    again = rate(visitor, "150902", "very_satisfied")
    assert again.status_code == 200
    assert "您已在2026年度社会评议中评价过该单位" in text_of(again.text)
    assert "您已在2026年度社会评议中评价过该单位" in text_of(visitor.get("/departments/150902").text)
    # The code, not the browser, has rated: on another phone it is refused all the same.
    other_phone = new_visitor()
    enter(other_phone, code)
    assert "您已在2026年度社会评议中评价过该单位" in text_of(other_phone.get("/departments/150902").text)
    assert "您已在2026年度社会评议中评价过该单位" in text_of(rate(other_phone, "150902").text)
    assert run(Rating.count()) == 1
    assert run(Rating.select(Rating.level).first())["level"] == "satisfied"


def test_a_malformed_or_unknown_code_is_refused(visitor, period):
    issue()
    for typed in ("", "ABCD-1234", "ABCD-EFGH-JKMN-PQRS-TUVW", "ABCD-EFGH-JKMN-PQR0"):
        response = enter(visitor, typed)
        assert response.status_code == 422, typed
        assert "评议码是 16 位字母和数字（不含 0、O、1、I、L）" in text_of(response.text)
        assert "panel" not in response.cookies
    unknown = enter(visitor, "ABCD-EFGH-JKMN-PQRS")
    assert unknown.status_code == 422 and "评议码无效，请核对后重新输入" in text_of(unknown.text)
    assert rate(visitor, "150902").status_code == 200
    assert run(Rating.select(Rating.channel).first())["channel"] == "public"


def test_a_code_of_a_closed_or_future_period_is_refused(visitor, period):
    today = periods.today()
    open_period("2025-pj", opens=today - dt.timedelta(days=400), closes=today - dt.timedelta(days=1))
    open_period("2027-pj", opens=today + dt.timedelta(days=10), closes=today + dt.timedelta(days=40))
    closed, future = issue(period_code="2025-pj")[0], issue(period_code="2027-pj")[0]
    response = enter(visitor, closed)
    assert response.status_code == 422 and "该评议码所属的评议已结束" in text_of(response.text)
    response = enter(visitor, future)
    assert response.status_code == 422 and "该评议码所属的评议尚未开始" in text_of(response.text)
    assert (today + dt.timedelta(days=10)).isoformat() in text_of(response.text)
    assert "panel" not in visitor.client.cookies


def test_a_remembered_code_is_forgotten_once_its_period_has_ended(visitor, period):
    code = issue()[0]
    enter(visitor, code)
    yesterday = periods.today() - dt.timedelta(days=1)
    run(EvaluationPeriod.update({EvaluationPeriod.closes_on: yesterday}).where(EvaluationPeriod.code == "2026-pj"))
    page = visitor.get("/panel")
    assert "该评议码所属的评议已结束" in text_of(page.text)
    assert "panel" not in visitor.client.cookies


def test_leaving_the_panel_makes_the_next_rating_a_public_one(visitor, period):
    enter(visitor, issue()[0])
    response = visitor.post("/panel/exit")
    assert "您已退出评议代表身份" in text_of(response.text)
    assert "panel" not in visitor.client.cookies
    rate(visitor, "150902")
    saved = run(Rating.select().first())
    assert saved["channel"] == "public" and saved["panel_code"] is None and saved["voter_id"]


def test_guessing_codes_is_rate_limited_per_address(visitor, new_visitor, period):
    code = issue()[0]
    for _ in range(settings.panel_code_tries):
        assert enter(visitor, panel.new_code()).status_code == 422
    refused = enter(visitor, code)
    assert refused.status_code == 429 and "输错评议码的次数过多" in text_of(refused.text)
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    # The limit is per address, whatever the cookies: a fresh browser there waits too.
    assert enter(new_visitor(), code).status_code == 429


def test_a_guessed_code_in_a_cookie_counts_as_a_try_wherever_it_is_presented(visitor, new_visitor, period):
    code = issue()[0]
    guesser = new_visitor()
    for attempt in range(settings.panel_code_tries):
        # Presented on the panel's page and on a department's page alike (a GET, not a form).
        guesser.client.cookies.set("panel", panel.new_code())
        assert guesser.get("/panel" if attempt % 2 else "/departments/150902").status_code in (200, 422)
    guesser.client.cookies.set("panel", code)
    held = guesser.get("/panel")
    assert held.status_code == 429 and "输错评议码的次数过多" in text_of(held.text)
    # A rating sent with a code while the address is held back is refused, not counted as public.
    guesser.get("/departments/150902")
    refused = guesser.post("/departments/150902/ratings", {"level": "satisfied"})
    assert refused.status_code == 429 and run(Rating.count()) == 0


def test_typos_do_not_count_as_guesses_so_one_person_cannot_lock_out_a_meeting_room(visitor, new_visitor, period):
    """Codes have log2(31^16) ≈ 79 bits: only a well-formed wrong code could be a guess."""
    assert settings.panel_code_tries >= 100
    code = issue()[0]
    for typo in (code[:-1], code.replace(code[3], "0"), code + "A", "1" + code[1:]) * 60:
        assert enter(visitor, typo).status_code == 422
    assert enter(new_visitor(), code).status_code == 303


def test_members_entering_their_own_codes_from_one_address_are_not_limited(visitor, period):
    codes = issue(size=settings.panel_code_tries + 3)
    for code in codes:
        visitor.client.cookies.clear()  # the next member's phone, behind the same address
        assert enter(visitor, code).status_code == 303
    visitor.client.cookies.clear()
    assert enter(visitor, "ABCD-EFGH-JKMN-PQRS").status_code == 422


def test_twenty_concurrent_uses_of_one_code_store_one_rating(new_visitor, period):
    code = issue()[0]
    phones = [new_visitor() for _ in range(20)]
    for phone in phones:
        assert enter(phone, code).status_code == 303
        phone.get("/departments/150902")
        phone.csrf_token()
    start = threading.Barrier(len(phones))
    results: list[Any] = [None] * len(phones)

    def submit(index: int) -> None:
        phone = phones[index]
        token = phone.csrf_token()
        start.wait()
        results[index] = phone.client.post("/departments/150902/ratings",
                                           data={"level": "satisfied", "_csrf_token": token},
                                           headers={"HX-Request": "true", "HX-Target": "rating"})

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(len(phones))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [response.status_code for response in results] == [200] * 20
    thanked = sum("感谢您的评价" in text_of(response.text) for response in results)
    refused = sum("您已在2026年度社会评议中评价过该单位" in text_of(response.text) for response in results)
    assert (thanked, refused) == (1, 19)
    saved = run(Rating.select())
    assert len(saved) == 1 and saved[0]["channel"] == "panel" and saved[0]["panel_code"] == code_id(code)
