"""The office moderates comments at a clerk's speed: in place with htmx, several at once,
filtered by department and state, the pending count in the staff menu; and all of it works as
plain forms without JavaScript."""

from __future__ import annotations

import re

from evaluation.core import clock
from evaluation.core.tables import AuditEntry
from evaluation.ratings import periods
from evaluation.ratings.tables import Rating
from tests.conftest import CSRF_FIELD, run, text_of


def add_comments(department_id: int, comments: list[str], status: str = "pending") -> list[int]:
    async def insert() -> list[int]:
        period = await periods.find("2026-pj")
        start = await Rating.count()
        rows = await Rating.insert(*[
            Rating(period=period.id, department=department_id, channel="public", level="satisfied",
                   voter_id=f"m{start + i}", comment=text, comment_status=status, created_at=clock.now())
            for i, text in enumerate(comments)
        ]).returning(Rating.id)
        return [row["id"] for row in rows]

    return run(insert)


def statuses() -> dict[int, str]:
    return {row["id"]: row["comment_status"] for row in run(Rating.select(Rating.id, Rating.comment_status))}


def test_a_comment_decided_with_htmx_swaps_its_row_and_keeps_the_filter(office, departments, period):
    first, second = add_comments(departments["150902"], ["栏目更新很及时，谢谢。", "希望公开更多的办事指南和表格下载"])
    response = office.client.post(
        f"/staff/moderation/{first}/approve",
        data={CSRF_FIELD: office.csrf_token(), "department": "150902", "state": "pending", "next": str(second)},
        headers={"HX-Request": "true", "HX-Target": f"comment-{first}"})
    assert response.status_code == 200 and response.headers["vary"] == "HX-Request"
    row = response.text
    assert row.lstrip().startswith("<li") and "<html" not in row  # only the row, swapped in place
    assert f'id="comment-{first}"' in row and "data-focus-next" in row and "已通过" in text_of(row)
    # The other decision stays at hand, named for the comment it decides.
    assert 'aria-label="改为不通过：集宁区“栏目更新很及时，谢谢。”"' in row
    assert '<input type="hidden" name="department" value="150902">' in row
    assert statuses() == {first: "approved", second: "pending"}
    entry = run(AuditEntry.select().where(AuditEntry.action == "comment.approve").first())
    assert entry["actor"] == "wangmin" and entry["target"] == f"rating:{first}"


def test_without_javascript_a_decision_goes_back_to_the_filtered_queue_at_the_next_comment(office, departments,
                                                                                           period):
    first, second = add_comments(departments["150902"], ["广告内容", "办事指南很好"])
    response = office.post(f"/staff/moderation/{first}/reject",
                           {"department": "150902", "state": "pending", "next": str(second)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/moderation?department=150902&state=pending#comment-{second}"
    page = text_of(office.get(response.headers["location"].split("#")[0]).text)
    assert "广告内容" not in page and "办事指南很好" in page
    assert statuses()[first] == "rejected"


def test_every_button_names_the_comment_it_decides(office, departments, period):
    add_comments(departments["SZ03"], ["教育局的招生政策解读写得很清楚，家长一看就懂"])
    html = office.get("/staff/moderation").text
    # The department and the comment's first fifteen characters.
    assert 'aria-label="通过：乌兰察布市教育局“教育局的招生政策解读写得很清楚…”"' in html
    assert 'aria-label="不通过：乌兰察布市教育局“教育局的招生政策解读写得很清楚…”"' in html
    assert 'aria-label="选择：乌兰察布市教育局“教育局的招生政策解读写得很清楚…”"' in html


def test_several_comments_are_decided_together(office, departments, period):
    ids = add_comments(departments["150902"], ["一", "二", "三"])
    other = add_comments(departments["SZ03"], ["四"])[0]
    response = office.post("/staff/moderation", {"decision": "approve", "rating": [str(ids[0]), str(ids[2])],
                                                 "department": "", "state": "pending"}, follow_redirects=False)
    assert response.status_code == 303
    page = text_of(office.get(response.headers["location"]).text)
    assert "已通过 2 条留言。" in page
    assert statuses() == {ids[0]: "approved", ids[1]: "pending", ids[2]: "approved", other: "pending"}
    assert run(AuditEntry.count().where(AuditEntry.action == "comment.approve")) == 2

    nothing = office.post("/staff/moderation", {"decision": "reject", "department": "", "state": "pending"})
    assert nothing.status_code == 422 and "请先勾选要审核的留言" in text_of(nothing.text)
    office.post("/staff/moderation", {"decision": "reject", "rating": [str(ids[1]), str(other)]})
    assert statuses() == {ids[0]: "approved", ids[1]: "rejected", ids[2]: "approved", other: "rejected"}


def test_the_queue_filters_by_department_and_state(office, departments, period):
    add_comments(departments["150902"], ["集宁待审"])
    add_comments(departments["SZ03"], ["教育局待审"])
    add_comments(departments["SZ03"], ["教育局已通过"], status="approved")
    add_comments(departments["SZ03"], ["教育局未通过"], status="rejected")

    def shown(**query: str) -> str:
        return text_of(office.get("/staff/moderation", params=query).text)

    pending = shown()
    assert "集宁待审" in pending and "教育局待审" in pending and "教育局已通过" not in pending
    assert "共 2 条" in pending
    only_education = shown(department="SZ03")
    assert "教育局待审" in only_education and "集宁待审" not in only_education
    approved = shown(department="SZ03", state="approved")
    assert "教育局已通过" in approved and "教育局待审" not in approved and "改为不通过" in approved
    every = shown(state="all")
    assert all(text in every for text in ("集宁待审", "教育局待审", "教育局已通过", "教育局未通过"))
    assert "没有符合条件的留言" in shown(department="150981", state="rejected")
    # An unknown state is the pending queue, not an error.
    assert "集宁待审" in shown(state="<script>")


def test_the_staff_menu_shows_how_many_comments_wait(office, departments, period, new_visitor):
    ids = add_comments(departments["150902"], ["一", "二", "三"])
    nav = re.search(r'<nav class="staff-nav".*?</nav>', office.get("/staff").text, flags=re.S).group(0)
    assert "留言审核 3 （3 条待审核）" in text_of(nav)
    office.post(f"/staff/moderation/{ids[0]}/approve")
    assert "留言审核 2 （2 条待审核）" in text_of(office.get("/staff").text)
    auditor = new_visitor()
    auditor.sign_in("zhaoli")
    assert "条待审核" not in text_of(auditor.get("/staff").text)


def test_a_missing_comment_or_decision_is_not_found(office, departments, period):
    first = add_comments(departments["150902"], ["一"])[0]
    assert office.post(f"/staff/moderation/{first}/publish").status_code == 404
    assert office.post("/staff/moderation/999999/approve").status_code == 404
    assert statuses() == {first: "pending"}
