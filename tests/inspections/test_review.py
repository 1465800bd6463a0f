"""Submit, office review (return, approve, reopen) and the lock approval puts on a checklist:
after approval every write route refuses and nothing changes, until the office reopens it with a
reason. 李强 is on 第一组 (集宁区), 孙伟 on 第二组 (丰镇市), 王敏 is the office, 赵立 the auditor."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import cli
from evaluation.core import clock
from evaluation.core.tables import Account, AuditEntry
from inspections.tables import AnswerSave, Checklist, ChecklistAnswer, ChecklistStatus, Evidence, InspectionRound
from tests.conftest import CSRF_FIELD, Visitor, run, text_of
from tests.inspections.conftest import Inspection

JINING = "150902"
FENGZHEN = "150981"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def checklist_url(inspection: Inspection, department: str = JINING) -> str:
    return f"/inspect/checklists/{inspection.checklists[department]}"


def answer_everything(inspection: Inspection, department: str = JINING, leave_out: tuple[str, ...] = ()) -> None:
    """Every item answered (0 is a valid answer of every kind), as the team's saves leave it."""

    async def answer() -> None:
        checklist_id = inspection.checklists[department]
        for code in inspection.items:
            if code in leave_out:
                continue
            await ChecklistAnswer.update(
                {ChecklistAnswer.value: Decimal("1") if code == "A1" else Decimal("0"), ChecklistAnswer.version: 1,
                 ChecklistAnswer.answered_at: clock.now()}
            ).where(ChecklistAnswer.id == inspection.answers[(department, code)])
        await Checklist.update({Checklist.status: ChecklistStatus.in_progress.value}).where(
            Checklist.id == checklist_id)

    run(answer)


def checklist_row(inspection: Inspection, department: str = JINING) -> dict[str, Any]:
    return run(Checklist.select().where(Checklist.id == inspection.checklists[department]).first())


def audit_of(action: str) -> list[dict[str, Any]]:
    return run(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value else value


def signed_in_as(new_visitor: Callable[[], Visitor], username: str) -> Visitor:
    visitor = new_visitor()
    visitor.sign_in(username)
    return visitor


def post(visitor: Visitor, url: str, data: dict[str, str] | None = None) -> Any:
    return visitor.post(url, data or {}, follow_redirects=False)


def save(visitor: Visitor, inspection: Inspection, code: str, value: str, base_version: int,
         as_json: bool = True) -> Any:
    url = f"{checklist_url(inspection)}/items/{inspection.items[code]}"
    data = {"save_id": uuid.uuid4().hex, "base_version": str(base_version), "value": value, "note": "复核"}
    if as_json:
        return visitor.client.post(url, data=data,
                                   headers={"accept": "application/json", "x-csrftoken": visitor.csrf_token()})
    return visitor.post(url, data, follow_redirects=False)


def submitted(inspection: Inspection, new_visitor: Callable[[], Visitor]) -> Visitor:
    """集宁区 answered in full and submitted by 李强; returns 李强's browser."""
    answer_everything(inspection)
    liqiang = signed_in_as(new_visitor, "liqiang")
    response = post(liqiang, f"{checklist_url(inspection)}/submit")
    assert response.status_code == 303, text_of(response.text)
    return liqiang


def test_the_team_submits_a_complete_checklist(new_visitor, inspection):
    answer_everything(inspection)
    liqiang = signed_in_as(new_visitor, "liqiang")
    page = liqiang.get(checklist_url(inspection))
    assert "全部 19 项均已填写" in text_of(page.text)
    assert f'action="{checklist_url(inspection)}/submit"' in page.text

    response = post(liqiang, f"{checklist_url(inspection)}/submit")
    assert response.status_code == 303
    assert response.headers["location"] == f"{checklist_url(inspection)}?done=submitted#review"
    shown = text_of(liqiang.get(response.headers["location"]).text)
    assert "已提交，等待政务公开办审核。" in shown

    row = checklist_row(inspection)
    assert row["status"] == "submitted" and row["submitted_at"] is not None
    [entry] = audit_of("checklist.submit")
    assert entry["actor"] == "liqiang" and entry["target"] == f"checklist:{inspection.checklists[JINING]}"
    assert decoded(entry["old_value"]) == {"status": "in_progress"}
    assert decoded(entry["new_value"]) == {"status": "submitted"}
    # Submitted: the team's answers are locked until the office returns it.
    assert save(liqiang, inspection, "A2", "2", 1).status_code == 423


def test_an_incomplete_checklist_is_refused_with_the_unanswered_items_named(new_visitor, inspection):
    answer_everything(inspection, leave_out=("C8", "V1"))
    liqiang = signed_in_as(new_visitor, "liqiang")
    page = liqiang.get(checklist_url(inspection))
    assert "还有 2 项未填写，全部填写后才能提交审核。" in text_of(page.text)
    assert "提交审核 （还有 2 项未填写）" in text_of(page.text)
    assert 'aria-describedby="submit-hint" disabled' in page.text

    response = post(liqiang, f"{checklist_url(inspection)}/submit")
    assert response.status_code == 422
    assert "还有 2 项未填写（C8、V1），全部填写后才能提交。" in text_of(response.text)
    assert checklist_row(inspection)["status"] == "in_progress"
    assert audit_of("checklist.submit") == []


def test_only_a_member_of_the_team_submits(new_visitor, inspection):
    answer_everything(inspection)
    sunwei = signed_in_as(new_visitor, "sunwei")
    assert post(sunwei, f"{checklist_url(inspection)}/submit").status_code == 404  # not his team's: not found
    office = signed_in_as(new_visitor, "wangmin")
    refused = post(office, f"{checklist_url(inspection)}/submit")
    assert refused.status_code == 403
    assert "只有本考核组的成员可以提交这份考核清单。" in text_of(refused.text)
    assert checklist_row(inspection)["status"] == "in_progress"


def test_a_checklist_cannot_be_submitted_while_its_round_is_closed(new_visitor, inspection):
    answer_everything(inspection)
    run(InspectionRound.update({InspectionRound.status: "closed"}).where(InspectionRound.id == inspection.round_id))
    liqiang = signed_in_as(new_visitor, "liqiang")
    response = post(liqiang, f"{checklist_url(inspection)}/submit")
    assert response.status_code == 409 and "本考核批次未开放填写，不能提交。" in text_of(response.text)
    assert checklist_row(inspection)["status"] == "in_progress"


def test_the_office_returns_a_submitted_checklist_with_a_comment_and_the_team_edits_again(new_visitor, inspection):
    liqiang = submitted(inspection, new_visitor)
    office = signed_in_as(new_visitor, "wangmin")
    page = text_of(office.get(checklist_url(inspection)).text)
    assert "退回意见" in page and "退回修改" in page and "审核通过" in page

    empty = post(office, f"{checklist_url(inspection)}/return", {"comment": "  "})
    assert empty.status_code == 422
    assert "请填写退回意见，说明需要考核组修改什么。" in text_of(empty.text)
    assert checklist_row(inspection)["status"] == "submitted"

    comment = "C1 缺少任务清单逐项核查记录，\n请补充后重新提交。"
    response = post(office, f"{checklist_url(inspection)}/return", {"comment": comment})
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=returned#review")
    row = checklist_row(inspection)
    wangmin = run(Account.select(Account.id).where(Account.username == "wangmin").first())["id"]
    assert (row["status"], row["review_comment"], row["reviewed_by"]) == ("returned", comment.replace("\r\n", "\n"),
                                                                          wangmin)
    [entry] = audit_of("checklist.return")
    assert entry["actor"] == "wangmin"
    assert decoded(entry["old_value"]) == {"status": "submitted"}
    assert decoded(entry["new_value"]) == {"status": "returned", "comment": comment}

    # The team reads the comment, edits and submits again.
    page = text_of(liqiang.get(checklist_url(inspection)).text)
    assert "C1 缺少任务清单逐项核查记录" in page and "已退回" in page
    assert save(liqiang, inspection, "C1", "20", 1).status_code == 200
    assert post(liqiang, f"{checklist_url(inspection)}/submit").status_code == 303
    assert [decoded(e["old_value"]) for e in audit_of("checklist.submit")][-1] == {"status": "returned"}


def test_a_comment_typed_for_a_checklist_someone_else_approved_is_not_lost(new_visitor, inspection):
    submitted(inspection, new_visitor)
    first, second = signed_in_as(new_visitor, "wangmin"), signed_in_as(new_visitor, "wangmin")
    second.get(checklist_url(inspection))  # both clerks have the page open
    assert post(first, f"{checklist_url(inspection)}/approve").status_code == 303

    typed = "B3 照片不全，请补拍公开栏。"
    refused = post(second, f"{checklist_url(inspection)}/return", {"comment": typed})
    assert refused.status_code == 409
    assert "只有已提交的考核清单可以退回（现在：已通过）。" in text_of(refused.text)
    assert typed in refused.text  # kept in the page, to copy
    assert checklist_row(inspection)["status"] == "approved" and len(audit_of("checklist.return")) == 0


def test_two_clerks_approving_at_once_cannot_both_win(new_visitor, inspection):
    submitted(inspection, new_visitor)
    clerks = [signed_in_as(new_visitor, "wangmin") for _ in range(2)]
    for clerk in clerks:
        clerk.csrf_token()
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def approve(clerk: Visitor) -> None:
        barrier.wait()
        codes.append(post(clerk, f"{checklist_url(inspection)}/approve").status_code)

    threads = [threading.Thread(target=approve, args=(clerk,)) for clerk in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [303, 409]
    assert len(audit_of("checklist.approve")) == 1
    row = checklist_row(inspection)
    assert row["status"] == "approved" and row["reviewed_at"] is not None


def test_review_needs_the_office(new_visitor, inspection):
    submitted(inspection, new_visitor)
    for username in ("liqiang", "zhaoli"):
        visitor = signed_in_as(new_visitor, username)
        assert post(visitor, f"{checklist_url(inspection)}/approve").status_code == 403
        assert post(visitor, f"{checklist_url(inspection)}/return", {"comment": "不行"}).status_code == 403
        page = text_of(visitor.get(checklist_url(inspection)).text)
        assert "已提交" in page and "审核通过" not in page and "退回修改" not in page
    assert checklist_row(inspection)["status"] == "submitted"


def test_an_unsubmitted_checklist_cannot_be_approved_or_returned(new_visitor, inspection):
    answer_everything(inspection)
    office = signed_in_as(new_visitor, "wangmin")
    refused = post(office, f"{checklist_url(inspection)}/approve")
    assert refused.status_code == 409
    assert "只有已提交的考核清单可以审核通过（现在：填写中）。" in text_of(refused.text)
    assert post(office, f"{checklist_url(inspection)}/return", {"comment": "请修改"}).status_code == 409
    assert post(office, f"{checklist_url(inspection)}/reopen", {"reason": "更正"}).status_code == 409
    assert checklist_row(inspection)["status"] == "in_progress"


def _snapshot(inspection: Inspection) -> dict[str, Any]:
    async def take() -> dict[str, Any]:
        checklist_id = inspection.checklists[JINING]
        return {
            "checklist": await Checklist.select().where(Checklist.id == checklist_id).first(),
            "answers": await ChecklistAnswer.select().where(ChecklistAnswer.checklist == checklist_id)
            .order_by(ChecklistAnswer.id),
            "evidence": await Evidence.select().order_by(Evidence.id),
            "saves": await AnswerSave.count(),
            "audit": await AuditEntry.count(),
        }

    return run(take)


def _add_photo(inspection: Inspection, var_dir: Any) -> int:
    """A photo on A1, as an upload leaves it (row and file)."""
    from inspections.checklists import evidence

    directory = evidence.evidence_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "a1-photo.png").write_bytes(PNG)

    async def insert() -> int:
        rows = await Evidence.insert(Evidence(
            answer=inspection.answers[(JINING, "A1")], upload_id="upload-a1-0001", stored_name="a1-photo.png",
            content_type="image/png", size=len(PNG), original_name="会议记录.png", uploaded_at=clock.now(),
        )).returning(Evidence.id)
        return rows[0]["id"]

    return run(insert)


def test_after_approval_every_write_route_refuses_until_the_office_reopens_with_a_reason(
        new_visitor, inspection, var_dir, tmp_path, capsys):
    evidence_id = _add_photo(inspection, var_dir)
    liqiang = submitted(inspection, new_visitor)
    office = signed_in_as(new_visitor, "wangmin")
    assert post(office, f"{checklist_url(inspection)}/approve").status_code == 303
    approved = _snapshot(inspection)
    assert approved["checklist"]["status"] == "approved"
    page = text_of(office.get(checklist_url(inspection)).text)
    assert "重新打开的原因" in page and "审核通过" not in page.replace("已审核通过", "")

    # The team: saves (by script and as a plain form), photos, a second submission.
    locked = save(liqiang, inspection, "A2", "2", 1)
    assert locked.status_code == 423 and locked.json()["status"] == "locked"
    assert save(liqiang, inspection, "A2", "2", 1, as_json=False).status_code == 423
    photo_url = f"{checklist_url(inspection)}/items/{inspection.items['A1']}/photos"
    for headers in ({"accept": "application/json", "x-csrftoken": liqiang.csrf_token()}, {}):
        form = {CSRF_FIELD: liqiang.csrf_token(), "upload_id": uuid.uuid4().hex}
        uploaded = liqiang.client.post(photo_url, data=form, files={"photo": ("公开栏.png", PNG, "image/png")},
                                       headers=headers)
        assert uploaded.status_code == 423, uploaded.text
    assert post(liqiang, f"/inspect/evidence/{evidence_id}/delete").status_code == 423
    assert post(liqiang, f"{checklist_url(inspection)}/submit").status_code == 409
    # The office: return, approve again, and scores imported for 集宁区 from the web and the command line.
    assert post(office, f"{checklist_url(inspection)}/return", {"comment": "再看看"}).status_code == 409
    assert post(office, f"{checklist_url(inspection)}/approve").status_code == 409
    scores = f"unit_code,indicator_code,value\n{JINING},A2,2\n".encode()
    imported = office.client.post(f"/staff/rounds/{inspection.round_code}/scores",
                                  data={CSRF_FIELD: office.csrf_token()}, files={"file": ("评分.csv", scores)})
    assert imported.status_code == 422 and "集宁区（150902）的考核清单已审定，不能导入" in text_of(imported.text)
    scores_file = tmp_path / "评分.csv"
    scores_file.write_bytes(scores)
    assert cli.main(["scores", "import", inspection.round_code, str(scores_file)]) == 1
    assert "已审定，不能导入" in capsys.readouterr().err
    # Reopening needs a reason and the office.
    assert post(liqiang, f"{checklist_url(inspection)}/reopen", {"reason": "想改"}).status_code == 403
    no_reason = post(office, f"{checklist_url(inspection)}/reopen", {"reason": ""})
    assert no_reason.status_code == 422 and "请填写重新打开的原因。" in text_of(no_reason.text)

    assert _snapshot(inspection) == approved  # nothing changed, not even the audit trail

    reason = "市纪委通报集宁区 C6 项存在问题，需重新核查。"
    reopened = post(office, f"{checklist_url(inspection)}/reopen", {"reason": reason})
    assert reopened.status_code == 303 and reopened.headers["location"].endswith("?done=reopened#review")
    row = checklist_row(inspection)
    assert (row["status"], row["review_comment"]) == ("returned", reason)
    [entry] = audit_of("checklist.reopen")
    assert entry["actor"] == "wangmin"
    assert decoded(entry["old_value"]) == {"status": "approved"}
    assert decoded(entry["new_value"]) == {"status": "returned", "reason": reason}
    assert reason in text_of(liqiang.get(checklist_url(inspection)).text)
    assert save(liqiang, inspection, "C6", "20", 1).status_code == 200


def test_the_review_queue_lists_submitted_checklists_and_counts_each_round_by_status(new_visitor, inspection):
    submitted(inspection, new_visitor)
    for username in ("wangmin", "zhaoli"):
        visitor = signed_in_as(new_visitor, username)
        response = visitor.get("/staff/review")
        assert response.status_code == 200
        page = text_of(response.text)
        assert "待审核 1" in page and "集宁区 150902" in page and "第一组" in page
        assert f'href="{checklist_url(inspection)}#review"' in response.text
        assert "丰镇市" not in page  # not submitted
        assert "2026年度政务公开考核 2026-kh 截止 2026-12-31 1 0 1 0 0 2" in page
    inspector = signed_in_as(new_visitor, "liqiang")
    assert inspector.get("/staff/review").status_code == 403
