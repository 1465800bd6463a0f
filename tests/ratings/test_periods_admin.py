"""The office sets up evaluation periods and their index settings, and keeps the list of
reasons for negative ratings; every change is audited, auditors only read."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from evaluation.ratings import periods
from evaluation.ratings.tables import EvaluationPeriod, Rating, ReasonChoice
from tests.conftest import open_period, reason_id, run, text_of


def period_data(**changes: str) -> dict[str, str]:
    data = {
        "code": "2027-pj", "name": "2027年度社会评议", "opens_on": "2027-01-01", "closes_on": "2027-12-31",
        "level_very_satisfied": "100", "level_satisfied": "80", "level_basic": "60", "level_unsatisfied": "30",
        "level_very_unsatisfied": "0", "public_weight": "0.4", "panel_weight": "0.6", "min_sample": "30",
        "answer_working_days": "5",
    }
    data.update(changes)
    return data


def offered_reasons(html: str) -> list[str]:
    """The reasons a citizen can pick on a department's rating form, in order."""
    select = re.search(r'<select id="reason".*?</select>', html, flags=re.S)
    assert select, "the rating form has no reason list"
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group(0))


def test_office_creates_a_period_and_it_is_listed_as_upcoming(office, departments):
    response = office.post("/staff/periods", period_data(), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/periods/2027-pj/edit?saved=1"
    text = text_of(office.get("/staff/periods").text)
    assert "2027-pj 2027年度社会评议 2027-01-01 2027-12-31 未开始" in text
    saved = run(EvaluationPeriod.select().where(EvaluationPeriod.code == "2027-pj").first())
    assert saved["min_sample"] == 30 and saved["answer_working_days"] == 5
    period = run(periods.find("2027-pj"))
    assert period.settings.level_values["basic"] == 60 and period.settings.channel_weights["panel"] == Decimal("0.6")
    entry = run(AuditEntry.select().where(AuditEntry.target == "period:2027-pj").first())
    assert entry["actor"] == "wangmin" and entry["action"] == "period.create"
    assert run(ReasonChoice.count()) == 5  # the usual reasons come with the first period


def test_the_new_period_form_starts_with_the_default_settings(office):
    html = office.get("/staff/periods/new").text
    for name, value in (("level_very_satisfied", "100"), ("level_satisfied", "80"), ("level_basic", "60"),
                        ("level_unsatisfied", "30"), ("level_very_unsatisfied", "0"), ("public_weight", "0.4"),
                        ("panel_weight", "0.6"), ("min_sample", "30"), ("answer_working_days", "5")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', html), name


def test_period_form_errors_are_shown_in_the_form_and_nothing_is_saved(office, departments):
    response = office.post("/staff/periods", period_data(
        opens_on="2027-12-31", closes_on="2027-01-01", public_weight="0.5", level_very_satisfied="120",
        min_sample="几十"))
    assert response.status_code == 422
    text = text_of(response.text)
    assert "结束日期不能早于开始日期" in text
    assert "公众与特邀评议代表的权重之和必须等于 1" in text
    assert "分值必须是 0 到 100 之间的数" in text
    assert "最低样本量必须是正整数" in text
    assert 'value="120"' in response.text and 'value="几十"' in response.text  # what was typed is kept
    assert run(EvaluationPeriod.count()) == 0 and run(AuditEntry.count()) == 0


def test_a_duplicate_code_is_refused_kindly(office, period):
    response = office.post("/staff/periods", period_data(code="2026-pj"))
    assert response.status_code == 422 and "代码 2026-pj 已被使用" in text_of(response.text)
    assert run(EvaluationPeriod.count()) == 1


def test_editing_the_index_settings_changes_the_published_index_and_is_audited(office, departments, period):
    run(Rating.insert(*[
        Rating(period=run(periods.find("2026-pj")).id, department=departments["150902"], channel="public",
               level="satisfied", voter_id=f"voter-{i}", created_at=clock.now())
        for i in range(10)
    ]))
    row = lambda: next(d for d in office.get("/open-data/2026-pj/results.json").json()["departments"]  # noqa: E731
                       if d["code"] == "150902")
    assert row()["index"] is None  # 10 ratings, below the default minimum sample of 30

    current = run(periods.find("2026-pj"))
    response = office.post("/staff/periods/2026-pj", period_data(
        code="ignored", name="2026年度社会评议（调整）", opens_on=current.opens_on.isoformat(),
        closes_on=current.closes_on.isoformat(), level_satisfied="90", public_weight="0.5", panel_weight="0.5",
        min_sample="10", answer_working_days="7"), follow_redirects=False)
    assert response.status_code == 303
    assert "已保存" in text_of(office.get(response.headers["location"]).text)

    assert row()["index"] == "90.00"
    changed = run(periods.find("2026-pj"))
    assert changed.code == "2026-pj" and changed.name == "2026年度社会评议（调整）"
    assert changed.settings.min_sample == 10 and changed.answer_working_days == 7
    entry = run(AuditEntry.select().where(AuditEntry.action == "period.update").first())
    assert entry["actor"] == "wangmin" and entry["target"] == "period:2026-pj"
    old, new = json.loads(entry["old_value"]), json.loads(entry["new_value"])
    assert (old["min_sample"], new["min_sample"]) == ("30", "10")
    assert (old["answer_working_days"], new["answer_working_days"]) == ("5", "7")
    assert new["level_values"]["satisfied"] == "90" and "80" in json.dumps(old["level_values"])


def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(office, period):
    current = run(periods.find("2026-pj"))
    response = office.post("/staff/periods/2026-pj", period_data(
        opens_on=current.opens_on.isoformat(), closes_on=current.closes_on.isoformat(), public_weight="0.7",
        panel_weight="0.6", answer_working_days="90"))
    assert response.status_code == 422
    text = text_of(response.text)
    assert "公众与特邀评议代表的权重之和必须等于 1" in text and "答复期限必须是 1 到 60 个工作日" in text
    assert 'value="0.7"' in response.text
    assert run(periods.find("2026-pj")).settings == current.settings
    assert not run(AuditEntry.exists().where(AuditEntry.action == "period.update"))


def test_the_list_tells_open_upcoming_and_closed_periods_apart(office, departments):
    today = periods.today()
    open_period("2025-pj", today - dt.timedelta(days=400), today - dt.timedelta(days=40))
    open_period("2026-pj")
    open_period("2027-pj", today + dt.timedelta(days=40), today + dt.timedelta(days=400))
    text = text_of(office.get("/staff/periods").text)
    assert re.search(r"2027-pj .*? 未开始 .*?2026-pj .*? 进行中 .*?2025-pj .*? 已结束", text)


def test_unknown_period_is_not_found(office):
    assert office.get("/staff/periods/nope/edit").status_code == 404
    assert office.post("/staff/periods/nope", period_data()).status_code == 404


def test_office_adds_a_reason_and_citizens_are_offered_it(office, period, new_visitor):
    response = office.post("/staff/reasons", {"label": "链接失效"}, follow_redirects=False)
    assert response.status_code == 303
    added = run(ReasonChoice.select().where(ReasonChoice.label == "链接失效").first())
    assert added["active"] and not added["requires_text"] and added["position"] == 6
    entry = run(AuditEntry.select().where(AuditEntry.action == "reasons.add").first())
    assert entry["actor"] == "wangmin" and entry["target"] == f"reason:{added['id']}"
    citizen = new_visitor()
    assert offered_reasons(citizen.get("/departments/150902").text) == [
        "信息未公开", "内容过时", "内容不完整", "难以查找", "其他", "链接失效"]


def test_a_deactivated_reason_is_no_longer_offered_but_old_ratings_keep_it(office, period, new_visitor):
    citizen = new_visitor()
    citizen.get("/departments/150902")
    citizen.post("/departments/150902/ratings", {"level": "unsatisfied", "reason": reason_id("难以查找")})
    hard_to_find = reason_id("难以查找")

    assert office.post(f"/staff/reasons/{hard_to_find}/deactivate", follow_redirects=False).status_code == 303
    assert "难以查找" not in offered_reasons(new_visitor().get("/departments/150902").text)
    late = new_visitor()
    late.get("/departments/150902")
    refused = late.post("/departments/150902/ratings", {"level": "unsatisfied", "reason": hard_to_find})
    assert refused.status_code == 422 and "请选择一个原因" in text_of(refused.text)
    assert run(Rating.select(Rating.reason.label).first())["reason.label"] == "难以查找"
    assert run(Rating.count()) == 1
    entry = run(AuditEntry.select().where(AuditEntry.action == "reasons.update").first())
    assert entry["target"] == f"reason:{hard_to_find}"
    assert json.loads(entry["old_value"]) == {"active": True} and json.loads(entry["new_value"]) == {"active": False}
    assert "已停用" in text_of(office.get("/staff/reasons").text)

    office.post(f"/staff/reasons/{hard_to_find}/activate")
    assert "难以查找" in offered_reasons(new_visitor().get("/departments/150902").text)


def test_office_renames_and_reorders_reasons(office, period, new_visitor):
    other = reason_id("其他")
    office.post(f"/staff/reasons/{reason_id('难以查找')}", {"label": "难以查找或检索"})
    office.post(f"/staff/reasons/{other}/move", {"direction": "up"})
    office.post(f"/staff/reasons/{other}/move", {"direction": "up"})
    office.post(f"/staff/reasons/{reason_id('信息未公开')}/move", {"direction": "up"})  # already first
    assert offered_reasons(new_visitor().get("/departments/150902").text) == [
        "信息未公开", "内容过时", "其他", "内容不完整", "难以查找或检索"]
    renamed = run(AuditEntry.select().where(AuditEntry.action == "reasons.update").first())
    assert json.loads(renamed["old_value"]) == {"label": "难以查找"}
    assert json.loads(renamed["new_value"]) == {"label": "难以查找或检索"}
    moves = run(AuditEntry.select().where(AuditEntry.target == f"reason:{other}"))
    assert [json.loads(m["new_value"]) for m in moves] == [{"position": 4}, {"position": 3}]


def test_reason_that_requires_text_is_kept_when_renamed(office, period):
    other = reason_id("其他")
    office.post(f"/staff/reasons/{other}", {"label": "其他原因", "requires_text": "on"})
    saved = run(ReasonChoice.select().where(ReasonChoice.id == int(other)).first())
    assert saved["label"] == "其他原因" and saved["requires_text"]


def test_reason_errors_are_shown_in_place(office, period):
    empty = office.post("/staff/reasons", {"label": "  "})
    assert empty.status_code == 422 and "请填写原因名称" in text_of(empty.text)
    duplicate = office.post(f"/staff/reasons/{reason_id('内容过时')}", {"label": "其他"})
    assert duplicate.status_code == 422 and "已有名为“其他”的原因" in text_of(duplicate.text)
    assert re.search(r'id="label-\d+" name="label" type="text" value="其他"[^>]*aria-invalid="true"', duplicate.text)
    assert run(ReasonChoice.count()) == 5
    assert not run(AuditEntry.exists().where(AuditEntry.action.is_in(["reasons.add", "reasons.update"])))


def test_the_last_active_reason_cannot_be_deactivated(office, period):
    labels = ["信息未公开", "内容过时", "内容不完整", "难以查找"]
    for label in labels:
        office.post(f"/staff/reasons/{reason_id(label)}/deactivate")
    response = office.post(f"/staff/reasons/{reason_id('其他')}/deactivate")
    assert response.status_code == 422 and "至少要保留一个启用的原因" in text_of(response.text)
    assert run(ReasonChoice.count().where(ReasonChoice.active.eq(True))) == 1


def test_auditor_reads_periods_and_reasons_but_cannot_change_them(visitor, people, period):
    visitor.sign_in("zhaoli")
    assert "2026-pj" in text_of(visitor.get("/staff/periods").text)
    edit = visitor.get("/staff/periods/2026-pj/edit")
    assert edit.status_code == 200 and "<fieldset disabled>" in edit.text
    assert "难以查找" in text_of(visitor.get("/staff/reasons").text)
    assert visitor.get("/staff/periods/new").status_code == 403
    assert visitor.post("/staff/periods", period_data()).status_code == 403
    assert visitor.post("/staff/periods/2026-pj", period_data(min_sample="1")).status_code == 403
    assert visitor.post("/staff/reasons", {"label": "链接失效"}).status_code == 403
    assert visitor.post(f"/staff/reasons/{reason_id('其他')}/deactivate").status_code == 403
    assert run(EvaluationPeriod.count()) == 1 and run(ReasonChoice.count()) == 5


@pytest.mark.parametrize("username", ["chenjing", "liqiang"])
def test_liaisons_and_inspectors_cannot_see_or_change_periods(visitor, people, period, username):
    visitor.sign_in(username)
    for url in ("/staff/periods", "/staff/periods/2026-pj/edit", "/staff/reasons"):
        assert visitor.get(url).status_code == 403
    assert visitor.post("/staff/periods", period_data()).status_code == 403
    assert visitor.post(f"/staff/reasons/{reason_id('其他')}/move", {"direction": "up"}).status_code == 403
    assert run(EvaluationPeriod.count()) == 1


def test_signed_out_visitors_are_sent_to_sign_in(visitor, period):
    response = visitor.get("/staff/periods", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_saving_the_form_unchanged_records_nothing_and_a_change_records_only_itself(office, period):
    form = periods.form_for(run(periods.find("2026-pj")))
    data = {"name": form.name, "opens_on": form.opens_on, "closes_on": form.closes_on,
            "public_weight": form.public_weight, "panel_weight": form.panel_weight, "min_sample": form.min_sample,
            "answer_working_days": form.answer_working_days,
            **{f"level_{level}": value for level, value in form.level_values.items()}}
    assert office.post("/staff/periods/2026-pj", data, follow_redirects=False).status_code == 303
    assert not run(AuditEntry.exists().where(AuditEntry.action == "period.update"))
    office.post("/staff/periods/2026-pj", {**data, "public_weight": "0.50", "panel_weight": "0.5"})
    entry = run(AuditEntry.select().where(AuditEntry.action == "period.update").first())
    assert json.loads(entry["old_value"]) == {"public_weight": "0.4", "panel_weight": "0.6"}
    assert json.loads(entry["new_value"]) == {"public_weight": "0.5", "panel_weight": "0.5"}


def test_reasons_have_an_english_name_shown_in_english_mode_falling_back_to_chinese(office, period, new_visitor):
    hard_to_find = reason_id("难以查找")
    response = office.post(f"/staff/reasons/{hard_to_find}",
                           {"label": "难以查找", "label_en": "  Difficult   to find "}, follow_redirects=False)
    assert response.status_code == 303
    office.post("/staff/reasons", {"label": "链接失效", "label_en": ""})
    assert run(ReasonChoice.select(ReasonChoice.label_en).where(ReasonChoice.id == int(hard_to_find)).first()
               )["label_en"] == "Difficult to find"
    entry = run(AuditEntry.select().where(AuditEntry.action == "reasons.update").first())
    assert json.loads(entry["new_value"]) == {"label_en": "Difficult to find"}

    citizen = new_visitor()
    assert offered_reasons(citizen.get("/departments/150902").text)[-2:] == ["其他", "链接失效"]
    citizen.get("/language/en")
    english = offered_reasons(citizen.get("/departments/150902").text)
    # The usual reasons come with their English names; one the office left without falls back.
    assert english == ["Not published", "Out of date", "Incomplete", "Difficult to find", "Other", "链接失效"]
    refused = citizen.post("/departments/150902/ratings", {"level": "unsatisfied", "reason": reason_id("其他")})
    assert refused.status_code == 422 and "“Other”" in text_of(refused.text)

    too_long = office.post(f"/staff/reasons/{hard_to_find}", {"label": "难以查找", "label_en": "x" * 51})
    assert too_long.status_code == 422 and "英文名称不能超过 50 个字符" in text_of(too_long.text)
    # The office's page shows and edits the English name beside the Chinese one.
    assert re.search(r'name="label_en" type="text" value="Difficult to find"', office.get("/staff/reasons").text)
