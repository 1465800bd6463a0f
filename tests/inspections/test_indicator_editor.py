"""The office builds a year's indicator system in the app (PRODUCT.md §4): categories and items,
totals kept current, every rule refused with a message in the form, frozen systems untouchable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from inspections.tables import Indicator, IndicatorSystem
from tests.conftest import run, text_of
from tests.inspections.conftest import add_sample_system

FROZEN = "该指标体系已被考核批次使用，已冻结，不能修改；可复制为新年度的指标体系"


def create_system(office, year="2026", code="", name=""):
    response = office.post("/staff/indicators", {"year": year, "code": code, "name": name}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("/")[-1].split("?")[0])


def add(office, system_id, code, title, max_points, kind="score", parent="", per_occurrence="", rule="", **kwargs):
    data = {"level": "item" if parent else "category", "code": code, "parent_code": parent, "title": title,
            "max_points": max_points, "kind": kind, "per_occurrence": per_occurrence, "scoring_rule": rule}
    return office.post(f"/staff/indicators/{system_id}/indicators", data, follow_redirects=False, **kwargs)


def indicators_of(system_id):
    return run(Indicator.select(Indicator.code, Indicator.parent_code, Indicator.max_points, Indicator.kind)
               .where(Indicator.system == system_id).order_by(Indicator.position))


def freeze(system_id):
    run(IndicatorSystem.update({IndicatorSystem.frozen_at: clock.now()}).where(IndicatorSystem.id == system_id))


def test_the_office_builds_a_system_and_sees_its_totals(office):
    system_id = create_system(office)
    system = run(IndicatorSystem.select().where(IndicatorSystem.id == system_id).first())
    assert (system["year"], system["code"], system["name"]) == (2026, "2026", "2026年度考核指标体系")

    assert add(office, system_id, "A", "组织保障", "6").status_code == 303
    assert add(office, system_id, "A1", "明确负责人", "2", parent="A", rule="有则2分").status_code == 303
    assert add(office, system_id, "A2", "信息公开目录", "3.5", kind="deduct", parent="A",
               per_occurrence="0.5").status_code == 303
    assert add(office, system_id, "J", "加分项", "5", kind="bonus").status_code == 303
    assert add(office, system_id, "J1", "受到表彰", "3", kind="bonus", parent="J").status_code == 303
    assert add(office, system_id, "V", "单项否决", "0", kind="veto").status_code == 303
    assert add(office, system_id, "V1", "瞒报", "0", kind="veto", parent="V").status_code == 303

    page = text_of(office.get(f"/staff/indicators/{system_id}").text)
    assert "考核总分 6" in page and "加分上限 5" in page and "3 / 4" in page
    assert "各项合计 5.5" in page and "有则2分" in page and "0.5" in page
    listing = text_of(office.get("/staff/indicators").text)
    assert "2026年度考核指标体系" in listing and "可编辑" in listing
    assert [row["code"] for row in indicators_of(system_id)] == ["A", "A1", "A2", "J", "J1", "V", "V1"]
    actions = run(AuditEntry.select(AuditEntry.action, AuditEntry.actor, AuditEntry.target).order_by(AuditEntry.id))
    assert actions[0] == {"action": "indicator_system.create", "actor": "wangmin",
                          "target": "indicator_system:2026:2026"}
    assert [entry["action"] for entry in actions[1:]] == ["indicator.create"] * 7


def test_the_sample_system_totals_100_and_shows_every_category(office):
    system_id, _ = run(add_sample_system())
    page = text_of(office.get(f"/staff/indicators/{system_id}").text)
    assert "考核总分 100" in page and "5 / 19" in page
    for text in ("组织保障", "各项合计 79", "信息公开目录和年度报告", "扣分", "单项否决", "加分"):
        assert text in page


def test_an_item_past_its_category_max_is_refused_with_the_message_in_the_form(office):
    system_id, _ = run(add_sample_system())
    response = add(office, system_id, "A4", "新增一项", "1", parent="A")
    assert response.status_code == 422
    assert "类目 A（组织保障）下各指标项分值合计 7，超过类目分值 6" in text_of(response.text)
    assert 'value="A4"' in response.text  # what was typed is kept
    assert run(Indicator.count().where(Indicator.code == "A4")) == 0
    # Raising an item's max past the category is refused the same way; lowering a category below its items too.
    a1 = run(Indicator.select(Indicator.id).where(Indicator.code == "A1").first())["id"]
    response = office.post(f"/staff/indicators/{system_id}/indicators/{a1}",
                           {"code": "A1", "parent_code": "A", "title": "明确负责人", "max_points": "2.5",
                            "kind": "score"})
    assert response.status_code == 422 and "超过类目分值 6" in text_of(response.text)
    a = run(Indicator.select(Indicator.id).where(Indicator.code == "A").first())["id"]
    response = office.post(f"/staff/indicators/{system_id}/indicators/{a}",
                           {"code": "A", "title": "组织保障", "max_points": "5", "kind": "score"})
    assert response.status_code == 422 and "各指标项分值合计 6，超过类目分值 5" in text_of(response.text)
    assert run(Indicator.select(Indicator.max_points).where(Indicator.id == a).first())["max_points"] == 6


@pytest.mark.parametrize(("fields", "message"), [
    ({"max_points": "1.3"}, "须为不小于 0 的数，且为 0.5 的整数倍"),
    ({"max_points": "-1"}, "须为不小于 0 的数，且为 0.5 的整数倍"),
    ({"max_points": "两分"}, "分值“两分”不是数字"),
    ({"kind": "extra"}, "类型“extra”不是 score、deduct、veto、bonus 之一"),
    ({"kind": "deduct"}, "扣分项（deduct）须填写每次扣分（per_occurrence）"),
    ({"per_occurrence": "1"}, "只有扣分项（deduct）填写每次扣分"),
    ({"code": "A1"}, "代码 A1 已被使用"),
    ({"code": "C 1"}, "代码“C 1”无效"),
    ({"title": ""}, "名称为空"),
    ({"parent": "A1"}, "上级 A1 本身是指标项：指标体系只有两级"),
    ({"parent": "Z"}, "上级代码 Z 不存在"),
    ({"kind": "bonus"}, "类目 C 的类型为 score，其下的指标项只能是 score、deduct"),
    ({"parent": "V", "kind": "veto", "max_points": "1"}, "单项否决（veto）的分值必须为 0"),
])
def test_each_rule_is_refused_with_a_clear_message(office, fields, message):
    system_id, _ = run(add_sample_system())
    run(Indicator.update({Indicator.max_points: Decimal(80)}).where(Indicator.code == "C"))  # room for one more
    values = {"code": "C11", "title": "新增一项", "max_points": "1", "parent": "C"} | fields
    response = add(office, system_id, **values)
    assert response.status_code == 422
    assert message in text_of(response.text)
    assert run(Indicator.count().where(Indicator.system == system_id)) == 24


def test_a_deduct_category_and_a_category_changed_to_another_kind_than_its_items_are_refused(office):
    system_id, _ = run(add_sample_system())
    response = add(office, system_id, "D", "扣分类目", "5", kind="deduct")
    assert response.status_code == 422 and "类目的类型只能是 score、bonus 或 veto" in text_of(response.text)
    j = run(Indicator.select(Indicator.id).where(Indicator.code == "J").first())["id"]
    response = office.post(f"/staff/indicators/{system_id}/indicators/{j}",
                           {"code": "J", "title": "加分项", "max_points": "5", "kind": "score"})
    assert response.status_code == 422 and "指标项 J1：" in text_of(response.text)


def test_htmx_edits_swap_the_systems_table_with_current_totals(office):
    system_id = create_system(office)
    headers = {"HX-Request": "true", "HX-Target": "indicator-system"}
    response = add(office, system_id, "A", "组织保障", "6", headers=headers)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<section id=\"indicator-system\"")
    assert "<html" not in response.text and "已添加 A。" in text_of(response.text)
    response = add(office, system_id, "A1", "明确负责人", "2", parent="A", headers=headers)
    assert "各项合计 2" in text_of(response.text) and "考核总分 6" in text_of(response.text)
    refused = add(office, system_id, "A2", "太多", "5", parent="A", headers=headers)
    assert refused.status_code == 422 and "<html" not in refused.text
    assert "超过类目分值 6" in text_of(refused.text)

    a1 = run(Indicator.select(Indicator.id).where(Indicator.code == "A1").first())["id"]
    editing = office.get(f"/staff/indicators/{system_id}?edit={a1}", headers=headers)
    assert 'id="edit-row"' in editing.text and "修改指标项 A1" in text_of(editing.text)
    saved = office.post(f"/staff/indicators/{system_id}/indicators/{a1}",
                        {"code": "A1", "parent_code": "A", "title": "明确负责人和承办科室", "max_points": "4",
                         "kind": "score", "scoring_rule": "有则4分"}, headers=headers)
    assert saved.status_code == 200 and "各项合计 4" in text_of(saved.text) and "有则4分" in saved.text
    deleted = office.post(f"/staff/indicators/{system_id}/indicators/{a1}/delete", headers=headers)
    assert deleted.status_code == 200 and "各项合计 0" in text_of(deleted.text)
    assert [row["code"] for row in indicators_of(system_id)] == ["A"]
    entries = run(AuditEntry.select().where(AuditEntry.action.is_in(["indicator.update", "indicator.delete"]))
                  .order_by(AuditEntry.id))
    assert [entry["action"] for entry in entries] == ["indicator.update", "indicator.delete"]
    assert '"max_points": "4"' in entries[0]["new_value"] and '"max_points": "2"' in entries[0]["old_value"]


def test_renaming_a_category_code_moves_its_items_and_a_category_with_items_is_not_deleted(office):
    system_id, ids = run(add_sample_system())
    response = office.post(f"/staff/indicators/{system_id}/indicators/{ids['A']}",
                           {"code": "ORG", "title": "组织保障", "max_points": "6", "kind": "score"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert run(Indicator.count().where(Indicator.parent_code == "ORG")) == 3
    response = office.post(f"/staff/indicators/{system_id}/indicators/{ids['A']}/delete")
    assert response.status_code == 422 and "类目 ORG 下还有指标项" in text_of(response.text)


def test_a_frozen_system_refuses_every_change(office):
    system_id, ids = run(add_sample_system())
    freeze(system_id)
    page = office.get(f"/staff/indicators/{system_id}")
    assert FROZEN in text_of(page.text) and "添加类目" not in page.text and "修改 A1" not in page.text
    assert "已冻结" in text_of(office.get("/staff/indicators").text)
    attempts = [
        add(office, system_id, "K", "新类目", "5"),
        office.post(f"/staff/indicators/{system_id}/indicators/{ids['A1']}",
                    {"code": "A1", "parent_code": "A", "title": "改", "max_points": "1", "kind": "score"}),
        office.post(f"/staff/indicators/{system_id}/indicators/{ids['A1']}/delete"),
        office.post(f"/staff/indicators/{system_id}", {"name": "改名"}),
    ]
    for response in attempts:
        assert response.status_code == 422 and FROZEN in text_of(response.text)
    assert run(Indicator.count().where(Indicator.system == system_id)) == 24
    assert run(AuditEntry.count()) == 0


def test_a_system_is_copied_for_next_year_unfrozen(office):
    system_id, _ = run(add_sample_system())
    freeze(system_id)
    page = office.get(f"/staff/indicators/{system_id}")
    assert 'value="2027"' in page.text  # the copy form proposes next year
    response = office.post(f"/staff/indicators/{system_id}/copy", {"year": "2027", "code": "", "name": ""},
                           follow_redirects=False)
    assert response.status_code == 303
    copy = run(IndicatorSystem.select().where(IndicatorSystem.year == 2027).first())
    assert (copy["code"], copy["name"], copy["frozen_at"]) == ("2027", "2027年度考核指标体系", None)
    assert indicators_of(copy["id"]) == indicators_of(system_id)
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.copy").first())
    assert entry["target"] == "indicator_system:2027:2027" and "indicator_system:2026:2026" in entry["old_value"]
    again = office.post(f"/staff/indicators/{system_id}/copy", {"year": "2027", "code": "2027", "name": ""})
    assert again.status_code == 422 and "已有 2027 年度代码为 2027 的指标体系" in text_of(again.text)


def test_a_duplicate_system_and_a_bad_year_are_refused_in_the_form(office):
    create_system(office)
    response = office.post("/staff/indicators", {"year": "2026", "code": "", "name": ""})
    assert response.status_code == 422 and "已有 2026 年度代码为 2026 的指标体系" in text_of(response.text)
    response = office.post("/staff/indicators", {"year": "明年", "code": "", "name": ""})
    assert response.status_code == 422 and "请填写年度" in text_of(response.text)
    assert run(IndicatorSystem.count()) == 1


def test_the_auditor_reads_but_cannot_change_and_an_inspector_is_refused(visitor, people, new_visitor):
    system_id, ids = run(add_sample_system())
    visitor.sign_in("zhaoli")
    page = visitor.get(f"/staff/indicators/{system_id}")
    assert page.status_code == 200 and "组织保障" in page.text
    assert "添加类目" not in page.text and "复制" not in text_of(page.text).replace("复制为新年度的指标体系", "")
    assert visitor.get(f"/staff/indicators/{system_id}/indicators.csv").status_code == 200
    assert visitor.get("/staff/indicators").status_code == 200
    assert add(visitor, system_id, "K", "新类目", "5").status_code == 403
    assert visitor.post(f"/staff/indicators/{system_id}/indicators/{ids['A1']}/delete").status_code == 403
    assert visitor.post("/staff/indicators", {"year": "2027"}).status_code == 403
    assert visitor.post(f"/staff/indicators/{system_id}/copy", {"year": "2027"}).status_code == 403

    inspector = new_visitor()
    inspector.sign_in("liqiang")
    for url in ("/staff/indicators", f"/staff/indicators/{system_id}", f"/staff/indicators/{system_id}/indicators.csv"):
        assert inspector.get(url).status_code == 403
    assert add(inspector, system_id, "K", "新类目", "5").status_code == 403
    assert run(Indicator.count().where(Indicator.system == system_id)) == 24


def step_of(system_id):
    return run(IndicatorSystem.select(IndicatorSystem.point_step).where(IndicatorSystem.id == system_id)
               .first())["point_step"]


def test_a_system_with_step_0_1_accepts_74_4_points_and_refuses_0_05(office):
    response = office.post("/staff/indicators", {"year": "2026", "code": "", "name": "", "point_step": "0.1"},
                           follow_redirects=False)
    assert response.status_code == 303
    system_id = int(response.headers["location"].split("/")[-1].split("?")[0])
    assert step_of(system_id) == Decimal("0.1")
    assert add(office, system_id, "A", "组织保障", "80").status_code == 303
    assert add(office, system_id, "A1", "明确负责人", "74.4", parent="A").status_code == 303
    assert add(office, system_id, "A2", "目录缺项", "5.6", kind="deduct", parent="A",
               per_occurrence="0.3").status_code == 303
    refused = add(office, system_id, "B", "政策解读", "0.05")
    assert refused.status_code == 422
    assert "分值 0.05 无效：须为不小于 0 的数，且为 0.1 的整数倍" in text_of(refused.text)
    assert [(row["code"], row["max_points"]) for row in indicators_of(system_id)] == [
        ("A", Decimal("80")), ("A1", Decimal("74.4")), ("A2", Decimal("5.6"))]
    page = text_of(office.get(f"/staff/indicators/{system_id}").text)
    assert "分值单位 0.1 分" in page and "74.4" in page and "0.1 的整数倍；单项否决填 0。" in page
    created = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.create").first())
    assert '"point_step": "0.1"' in created["new_value"]


def test_a_system_is_created_with_step_0_5_unless_another_is_chosen_and_a_bad_step_is_refused(office):
    system_id = create_system(office)
    assert step_of(system_id) == Decimal("0.5")
    response = office.post("/staff/indicators", {"year": "2027", "code": "", "name": "", "point_step": "0.25"})
    assert response.status_code == 422 and "分值单位“0.25”无效：只能是 0.5 或 0.1" in text_of(response.text)
    assert run(IndicatorSystem.count()) == 1


def test_points_of_0_25_are_refused_in_a_system_with_step_0_5(office):
    system_id, ids = run(add_sample_system())
    refused = add(office, system_id, "C11", "新增一项", "0.25", parent="C")
    assert refused.status_code == 422
    assert "分值 0.25 无效：须为不小于 0 的数，且为 0.5 的整数倍" in text_of(refused.text)
    assert "0.5 的整数倍；单项否决填 0。" in text_of(office.get(f"/staff/indicators/{system_id}").text)
    refused = office.post(f"/staff/indicators/{system_id}/indicators/{ids['C8']}",
                          {"code": "C8", "parent_code": "C", "title": "扣分项", "max_points": "2", "kind": "deduct",
                           "per_occurrence": "0.3"})
    assert refused.status_code == 422 and "分值 0.3 无效" in text_of(refused.text)
    assert run(Indicator.count().where(Indicator.system == system_id)) == 24
    assert run(Indicator.select(Indicator.per_occurrence).where(Indicator.id == ids["C8"]).first())[
        "per_occurrence"] == Decimal("1")


def test_switching_to_step_0_5_is_refused_while_a_point_of_1_3_exists(office):
    system_id = create_system(office)
    assert office.post(f"/staff/indicators/{system_id}", {"name": "2026年度考核指标体系", "point_step": "0.1"},
                       follow_redirects=False).status_code == 303
    assert step_of(system_id) == Decimal("0.1")
    assert add(office, system_id, "A", "组织保障", "6").status_code == 303
    assert add(office, system_id, "A1", "明确负责人", "1.3", parent="A").status_code == 303
    assert add(office, system_id, "A2", "目录缺项", "2", kind="deduct", parent="A",
               per_occurrence="0.3").status_code == 303

    refused = office.post(f"/staff/indicators/{system_id}", {"name": "2026年度考核指标（修订）", "point_step": "0.5"})
    assert refused.status_code == 422
    assert ("不能改为以 0.5 分为单位：以下指标的分值不是 0.5 的整数倍：A1（分值 1.3）、A2（每次扣分 0.3）。"
            "请先修改这些分值。") in text_of(refused.text)
    system = run(IndicatorSystem.select().where(IndicatorSystem.id == system_id).first())
    assert (system["point_step"], system["name"]) == (Decimal("0.1"), "2026年度考核指标体系")

    ids = {row["code"]: row["id"] for row in run(Indicator.select(Indicator.id, Indicator.code))}
    office.post(f"/staff/indicators/{system_id}/indicators/{ids['A1']}",
                {"code": "A1", "parent_code": "A", "title": "明确负责人", "max_points": "1.5", "kind": "score"})
    office.post(f"/staff/indicators/{system_id}/indicators/{ids['A2']}",
                {"code": "A2", "parent_code": "A", "title": "目录缺项", "max_points": "2", "kind": "deduct",
                 "per_occurrence": "0.5"})
    assert office.post(f"/staff/indicators/{system_id}", {"name": "2026年度考核指标体系", "point_step": "0.5"},
                       follow_redirects=False).status_code == 303
    assert step_of(system_id) == Decimal("0.5")
    updates = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.update").order_by(AuditEntry.id))
    assert [(entry["old_value"], entry["new_value"]) for entry in updates] == [
        ('{"point_step": "0.5"}', '{"point_step": "0.1"}'), ('{"point_step": "0.1"}', '{"point_step": "0.5"}')]


def test_a_frozen_system_cannot_change_its_step(office):
    system_id, _ = run(add_sample_system())
    freeze(system_id)
    page = office.get(f"/staff/indicators/{system_id}")
    assert "分值单位 0.5 分" in text_of(page.text) and 'name="point_step"' not in page.text
    refused = office.post(f"/staff/indicators/{system_id}", {"name": "2026年度政务公开考核指标", "point_step": "0.1"})
    assert refused.status_code == 422 and FROZEN in text_of(refused.text)
    assert step_of(system_id) == Decimal("0.5")
    assert run(AuditEntry.count()) == 0


def test_a_copy_keeps_the_systems_step(office):
    system_id = create_system(office)
    office.post(f"/staff/indicators/{system_id}", {"name": "2026年度考核指标体系", "point_step": "0.1"})
    add(office, system_id, "A", "组织保障", "80")
    add(office, system_id, "A1", "明确负责人", "74.4", parent="A")
    freeze(system_id)
    response = office.post(f"/staff/indicators/{system_id}/copy", {"year": "2027", "code": "", "name": ""},
                           follow_redirects=False)
    assert response.status_code == 303
    copy = run(IndicatorSystem.select().where(IndicatorSystem.year == 2027).first())
    assert (copy["point_step"], copy["frozen_at"]) == (Decimal("0.1"), None)
    assert indicators_of(copy["id"]) == indicators_of(system_id)
    assert "分值单位 0.1 分" in text_of(office.get(f"/staff/indicators/{copy['id']}").text)
    entry = run(AuditEntry.select().where(AuditEntry.action == "indicator_system.copy").first())
    assert '"point_step": "0.1"' in entry["new_value"]
