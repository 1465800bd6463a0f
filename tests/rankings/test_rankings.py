"""The office's draft ranking, exclusions, publishing the 通报, its immutability and its public
pages, through HTTP on a real database.

Round 2026-kh covers 集宁区 (李强's team) and 丰镇市 (孙伟's team); the period 2026-pj gives
集宁区 40 ratings and 丰镇市 10 (below the minimum sample of 30)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from evaluation.ratings import periods
from evaluation.ratings.tables import RatingImport, RatingTally
from inspections.rankings.tables import RankingPublication
from inspections.tables import Checklist, ChecklistAnswer, ChecklistStatus, InspectionRound
from tests.conftest import add_ratings, run, text_of
from tests.inspections.conftest import Inspection

# 集宁区 loses 2 points on C6 and has 1 occurrence on C8 (1 point): 100 − 3 = 97 of 100; 丰镇市
# gets half of C1 (12.5 of 25): 87.5. J1 = 3 bonus for 集宁区.
FULL = {"C6": Decimal("23"), "C8": Decimal("1"), "J1": Decimal("3")}
FENGZHEN = {"C1": Decimal("12.5")}


def fill(inspection: Inspection, department: str, overrides: dict[str, Decimal], approve: bool = True,
         veto: bool = False) -> None:
    """Every item answered (full points, no deductions, no veto, unless overridden)."""

    async def write() -> None:
        rows = await ChecklistAnswer.select(ChecklistAnswer.id, ChecklistAnswer.indicator.code,
                                            ChecklistAnswer.indicator.kind, ChecklistAnswer.indicator.max_points
                                            ).where(ChecklistAnswer.checklist == inspection.checklists[department])
        for row in rows:
            code, kind = row["indicator.code"], row["indicator.kind"]
            value = overrides.get(code)
            if value is None:
                value = Decimal(0) if kind in ("deduct", "veto") else Decimal(str(row["indicator.max_points"]))
            if kind == "veto" and veto:
                value = Decimal(1)
            if kind == "bonus" and code not in overrides:
                value = Decimal(0)
            await ChecklistAnswer.update({ChecklistAnswer.value: value, ChecklistAnswer.version: 1}).where(
                ChecklistAnswer.id == row["id"])
        status = ChecklistStatus.approved if approve else ChecklistStatus.submitted
        await Checklist.update({Checklist.status: status}).where(Checklist.id == inspection.checklists[department])

    run(write)


def use_period(convert: bool = True) -> None:
    async def link() -> None:
        period = await periods.find("2026-pj")
        await InspectionRound.update({InspectionRound.period: period.id, InspectionRound.convert_score: convert}
                                     ).where(InspectionRound.code == "2026-kh")

    run(link)


@pytest.fixture
def ranked(inspection: Inspection, departments: dict[str, int], period: None) -> Inspection:
    """Both checklists approved; 集宁区 40 ratings (index 85), 丰镇市 10 (below the sample)."""
    use_period()
    add_ratings(departments["150902"], "public", "very_satisfied", 20)
    add_ratings(departments["150902"], "public", "basic", 20)
    add_ratings(departments["150981"], "public", "satisfied", 10)
    fill(inspection, "150902", FULL)
    fill(inspection, "150981", FENGZHEN)
    return inspection


def publications() -> list[dict]:
    return run(RankingPublication.select().order_by(RankingPublication.version))


def test_the_office_sees_the_draft_recomputed_from_current_data(office, ranked):
    page = text_of(office.get("/staff/rounds/2026-kh/ranking").text)
    # 集宁区: 97 × 80 / 100 = 77.60; index (20×100 + 20×60)/40 = 80 → 16.00; bonus 3 → 96.60 优秀.
    # 丰镇市: 87.5 × 0.8 = 70.00; group mean 80.00 → 16.00; total 86.00 良好.
    assert "1 集宁区 6 15 76 77.60 16.00 3.00 96.60 优秀" in page
    assert "2 丰镇市 6 15 66.5 70.00 16.00 0.00 86.00 良好 样本不足（10 条），采用本组平均指数 80.00" in page
    fill(ranked, "150981", {"C1": Decimal("25")})
    page = text_of(office.get("/staff/rounds/2026-kh/ranking").text)
    assert "丰镇市 6 15 79 80.00 16.00 0.00 96.00 优秀" in page


def test_a_unit_without_an_approved_checklist_is_unfinished_and_blocks_publication(office, inspection, period):
    use_period()
    fill(inspection, "150902", FULL)
    fill(inspection, "150981", FENGZHEN, approve=False)
    page = text_of(office.get("/staff/rounds/2026-kh/ranking").text)
    assert "还有单位的检查表未审核通过" in page and "丰镇市 150981 · 已提交" in page
    response = office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    assert response.status_code == 422 and "还不能发布" in response.text
    assert publications() == []


def test_excluding_a_unit_needs_a_reason_takes_it_out_of_the_ranking_and_is_audited(office, inspection, period):
    use_period()
    fill(inspection, "150902", FULL)
    refused = office.post("/staff/rounds/2026-kh/ranking/exclusions", {"unit": "150981", "reason": " "})
    assert refused.status_code == 422 and "请说明该单位不参加排名的理由" in refused.text
    response = office.post("/staff/rounds/2026-kh/ranking/exclusions",
                           {"unit": "150981", "reason": "机构改革，年内撤并"}, follow_redirects=False)
    assert response.status_code == 303
    page = text_of(office.get("/staff/rounds/2026-kh/ranking").text)
    assert "丰镇市 150981 不参加排名 机构改革，年内撤并" in page and "还不能发布" not in page
    entry = run(AuditEntry.select().where(AuditEntry.action == "ranking.exclude").first())
    assert entry["actor"] == "wangmin" and "机构改革" in entry["new_value"]
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    notice = text_of(office.get("/rankings/2026-kh/1").text)
    assert "丰镇市：不参加排名（机构改革，年内撤并）" in notice


def test_publishing_freezes_version_1_and_nothing_later_changes_it(office, ranked, departments):
    response = office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/rankings/2026-kh/1")
    before = office.get("/rankings/2026-kh/1").text
    published = publications()[0]
    assert published["checksum"] == hashlib.sha256(published["payload"].encode("utf-8")).hexdigest()
    # New scores, new ratings, other settings: the draft moves, version 1 does not.
    fill(ranked, "150981", {"C1": Decimal("25")})
    add_ratings(departments["150902"], "public", "very_unsatisfied", 30)
    run(InspectionRound.update({InspectionRound.public_weight: Decimal("30")}).where(
        InspectionRound.code == "2026-kh"))
    assert office.get("/rankings/2026-kh/1").text == before
    assert "96.60" in text_of(before)
    assert "当前数据算出的排名与该版不同" in office.get("/staff/rounds/2026-kh/ranking").text


def test_the_open_data_json_is_the_checksummed_bytes_and_the_csv_has_the_agreed_columns(visitor, office, ranked):
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    json_response = visitor.get("/open-data/rankings/2026-kh/1/ranking.json")
    notice = visitor.get("/rankings/2026-kh/1").text
    assert hashlib.sha256(json_response.content).hexdigest() in notice
    assert json_response.json()["groups"][0]["units"][0]["total"] == "96.60"
    csv_response = visitor.get("/open-data/rankings/2026-kh/1/ranking.csv")
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ("group,rank,unit_code,unit_name,inspection_score,satisfaction_index,public_component,"
                        "bonus,total,grade,vetoed")
    assert lines[1:] == ["county,1,150902,集宁区,77.60,80.00,16.00,3.00,96.60,优秀,no",
                         "county,2,150981,丰镇市,70.00,80.00,16.00,0.00,86.00,良好,no"]
    assert visitor.get("/open-data/rankings/2026-kh/2/ranking.json").status_code == 404


def test_republishing_needs_a_reason_and_the_first_version_says_it_was_superseded(visitor, office, ranked):
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    refused = office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    assert refused.status_code == 422 and "第 2 版须说明重新发布的理由" in refused.text
    fill(ranked, "150981", {"C1": Decimal("25")})
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": "更正丰镇市 C1 的得分"})
    assert [row["version"] for row in publications()] == [1, 2]
    first = text_of(visitor.get("/rankings/2026-kh/1").text)
    assert "本版已被第 2 版取代" in first and "理由：更正丰镇市 C1 的得分" in first
    latest = text_of(visitor.get("/rankings/2026-kh").text)
    assert "第 2 版" in latest and "已被第" not in latest.split("全部版本")[0]
    assert "96.00" in latest
    assert "2026年度政务公开考核结果通报" in text_of(visitor.get("/rankings").text)
    assert "/rankings/2026-kh" in visitor.get("/").text


def test_the_database_refuses_to_update_or_delete_a_published_version(office, ranked):
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    with pytest.raises(Exception, match="cannot be changed"):
        run(RankingPublication.raw("UPDATE ranking_publication SET payload = '{}'"))
    with pytest.raises(Exception, match="cannot be (deleted|changed)"):
        run(RankingPublication.raw("DELETE FROM ranking_publication"))
    assert len(publications()) == 1


def test_only_the_office_publishes_and_excludes(new_visitor, office, people, ranked):
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    assert auditor.get("/staff/rounds/2026-kh/ranking").status_code == 200
    assert auditor.post("/staff/rounds/2026-kh/ranking/publish", {"reason": ""}).status_code == 403
    assert auditor.post("/staff/rounds/2026-kh/ranking/exclusions", {"unit": "150981", "reason": "x"}
                        ).status_code == 403
    inspector = new_visitor()
    inspector.sign_in("liqiang")
    assert inspector.get("/staff/rounds/2026-kh/ranking").status_code == 403
    anonymous = new_visitor()
    assert anonymous.get("/staff/rounds/2026-kh/ranking", follow_redirects=False).status_code == 303
    assert publications() == []


def test_the_drill_down_goes_from_the_total_to_each_item_and_the_ratings(visitor, office, ranked, new_visitor):
    run(ChecklistAnswer.update({ChecklistAnswer.note: "财政资金栏目缺第三季度数据"}).where(
        ChecklistAnswer.id == ranked.answers[("150902", "C6")]))
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    public = text_of(new_visitor().get("/rankings/2026-kh/1/units/150902").text)
    assert "满意度指数 80.00 × 20 ÷ 100 = 16.00" in public
    assert "原始得分 97 × 80 ÷ 100 = 77.60" in public
    assert "C6 重点领域信息公开 25 23" in public
    assert "公众 20 0 20 0 0 80.00" in public  # counts per level, the channel's mean
    assert "财政资金栏目缺第三季度数据" not in public  # the inspector's notes are for staff
    staff = text_of(office.get("/rankings/2026-kh/1/units/150902").text)
    assert "财政资金栏目缺第三季度数据" in staff and "查看逐条评议" in staff
    draft = office.get("/staff/rounds/2026-kh/ranking/units/150902").text
    assert f"/staff/audit?target=checklist:{ranked.checklists['150902']}:C6" in draft
    ratings = text_of(office.get("/staff/rounds/2026-kh/ranking/units/150902/ratings").text)
    assert "共 40 条" in ratings and ratings.count("非常满意") >= 20
    assert visitor.get("/rankings/2026-kh/1/units/999999").status_code == 404


def test_the_ratings_behind_an_index_are_for_the_office_only(new_visitor, people, ranked):
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    assert auditor.get("/staff/rounds/2026-kh/ranking/units/150902/ratings").status_code == 403


def test_a_vetoed_unit_is_graded_as_failing_and_listed_to_rectify(office, inspection, period, departments):
    use_period()
    add_ratings(departments["150902"], "public", "very_satisfied", 40)
    fill(inspection, "150902", FULL, veto=True)
    fill(inspection, "150981", FENGZHEN)
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    notice = text_of(office.get("/rankings/2026-kh/1").text)
    assert "1 丰镇市" in notice and "2 集宁区" in notice
    assert "集宁区（单项否决：V1）" in notice.split("须限期整改：")[1]



def test_an_import_into_a_period_a_published_ranking_uses_cannot_be_withdrawn(office, ranked):
    tally = "unit_code,channel,level,count\n150981,public,satisfied,20\n"
    response = office.post("/staff/ratings/import", {"period": "2026-pj"}, files={"file": ("汇总.csv", tally.encode())})
    assert response.status_code == 200, text_of(response.text)
    batch = run(RatingImport.select(RatingImport.id).first())["id"]
    office.post("/staff/rounds/2026-kh/ranking/publish", {"title": "", "reason": ""})
    published_at = publications()[0]["published_at"]

    refused = office.post(f"/staff/ratings/imports/{batch}/withdraw", {"reason": "重复", "period": "2026-pj"})
    assert refused.status_code == 422
    assert (f"不能撤回：考核批次 2026-kh 已于 {clock.format_local(published_at)[:16]} 发布第 1 版通报，"
            "使用了本评议期的满意度指数；撤回会改变已发布的排名。") in text_of(refused.text)
    assert run(RatingTally.count()) == 1
    assert run(RatingImport.select(RatingImport.withdrawn_at).first())["withdrawn_at"] is None
    assert run(AuditEntry.count().where(AuditEntry.action == "ratings.import.withdraw")) == 0
