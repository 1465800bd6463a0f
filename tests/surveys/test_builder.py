"""王敏 (office) builds a survey on its pages: settings, questions of every kind, reorder by
buttons, preview; once there are responses, removing what they answered is refused with the
reason; invitation codes issued, exported, printed and answered once each (issue 19)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from evaluation.core import clock
from evaluation.surveys import forms
from evaluation.surveys.tables import Survey, SurveyCode, SurveyResponse
from tests.conftest import Visitor, run, text_of
from tests.surveys.conftest import build, satisfaction_form

SETTINGS = {"code": "2026-ws", "title": "网站改版意见征集", "introduction": "欢迎提出意见。",
            "opens_at": "2026-01-01T08:00", "closes_at": "2030-12-31T18:00", "by_invitation": "0",
            "department": "", "public_results": "1"}


def question(**fields: Any) -> dict[str, Any]:
    return {"page": "0", "kind": "single", "required": "1", **fields}


def outline(survey_id: int) -> list[str]:
    return [q.name for q in run(forms.load_definition(survey_id)).questions()]


def test_the_office_builds_a_survey_with_every_kind_of_question(office: Visitor) -> None:
    created = office.post("/staff/surveys", SETTINGS, follow_redirects=False)
    assert created.status_code == 303
    survey_id = run(Survey.select(Survey.id).first())["id"]
    url = f"/staff/surveys/{survey_id}"
    for fields in (
        question(name="often", label="您多久访问一次网站？", options="daily|每天\nweekly|每周\n很少"),
        question(name="parts", kind="multiple", label="您常用哪些栏目？", options="news|新闻\npolicy|政策",
                 min_picks="1", max_picks="2", condition_question="often", condition_option="daily"),
        question(name="score", kind="scale", label="总体评分"),
        question(name="grid", kind="matrix", label="各项评价", options="speed|速度\nlooks|外观"),
        question(name="age", kind="number", label="年龄", minimum="16", maximum="100", integer="1", required=""),
        question(name="idea", kind="text", label="其他意见", max_length="300", required="", hint="选填"),
    ):
        assert office.post(url + "/questions", fields, follow_redirects=False).status_code == 303, fields
    definition = run(forms.load_definition(survey_id))
    assert [q.kind for q in definition.questions()] == ["single", "multiple", "scale", "matrix", "number", "text"]
    often = definition.question("often")
    assert [o.name for o in often.options] == ["daily", "weekly", "o3"]
    assert definition.question("parts").condition.operator == "includes" or \
        definition.question("parts").condition.option == "daily"
    page = text_of(office.get(url).text)
    assert "您多久访问一次网站？" in page and "条件：often = daily" in page
    preview = office.get(url + "/preview")
    assert preview.status_code == 200
    assert "您常用哪些栏目？" in preview.text and "条件：当“often”的回答为“daily”时显示" in text_of(preview.text)


def test_a_wrong_question_is_explained_and_keeps_what_was_typed(office: Visitor) -> None:
    survey_id = build()
    refused = office.post(f"/staff/surveys/{survey_id}/questions",
                          question(name="visited", label="", options="", condition_question="advice"))
    assert refused.status_code == 422
    text = text_of(refused.text)
    assert "问题代码“visited”已被使用" in text and "请填写题目" in text and "请至少填写一个选项" in text
    assert "条件只能引用前面的单选、多选或量表题" in text
    assert 'aria-describedby="new-name-error"' in refused.text


def test_questions_are_reordered_by_buttons_and_cross_pages(office: Visitor) -> None:
    survey_id = build()
    url = f"/staff/surveys/{survey_id}/questions"
    assert office.post(f"{url}/overall/move", {"direction": "down"}, follow_redirects=False).status_code == 303
    assert outline(survey_id)[2:4] == ["aspects", "overall"]
    office.post(f"{url}/aspects/move", {"direction": "up"})
    definition = run(forms.load_definition(survey_id))
    assert [q.name for q in definition.pages[0].questions] == ["visited", "channels", "aspects"]
    refused = office.post(f"{url}/visited/move", {"direction": "down"})
    assert refused.status_code == 422
    assert ("“您通过哪些渠道获取政府信息？”的显示条件引用了“您访问过政府信息公开专栏吗？”，它必须排在前面"
            in text_of(refused.text))


def test_once_responses_exist_removing_a_question_or_option_is_refused_with_the_reason(office: Visitor) -> None:
    survey_id = build()
    url = f"/staff/surveys/{survey_id}/questions"
    run(SurveyResponse.insert(SurveyResponse(survey=survey_id, voter_id="v", answers={"visited": "no"},
                                             created_at=clock.now())))
    refused = office.post(f"{url}/advice/delete")
    assert refused.status_code == 422
    assert "已有答卷回答了问题“您的建议”，不能删除它" in text_of(refused.text)
    assert "advice" in outline(survey_id)
    fewer = office.post(f"{url}/visited", question(name="visited", label="您看过公开专栏吗？", options="yes|看过"))
    assert fewer.status_code == 422
    assert "不能删除它（可以修改文字）" in text_of(fewer.text)
    relabelled = office.post(f"{url}/visited", question(name="visited", label="您看过公开专栏吗？",
                                                       options="yes|看过\nno|没看过"), follow_redirects=False)
    assert relabelled.status_code == 303
    assert run(forms.load_definition(survey_id)).question("visited").label == "您看过公开专栏吗？"


def test_invitation_codes_are_issued_exported_printed_and_answer_once_each(office: Visitor,
                                                                           new_visitor: Any) -> None:
    survey_id = build(satisfaction_form(by_invitation=True))
    assert office.post(f"/staff/surveys/{survey_id}/codes", {"size": "3"}, follow_redirects=False).status_code == 303
    codes = run(SurveyCode.select(SurveyCode.code).order_by(SurveyCode.serial))
    assert len(codes) == 3
    sheet = load_workbook(io.BytesIO(office.get(f"/staff/surveys/{survey_id}/codes.xlsx").content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    printed = [row[1] for row in rows]
    assert len(printed) == 3 and printed[0].replace("-", "") == codes[0]["code"]
    assert rows[0][4].endswith(f"/surveys/2026-my?invitation={printed[0]}")
    slips = office.get(f"/staff/surveys/{survey_id}/slips")
    assert printed[2] in slips.text and "/surveys/2026-my" in slips.text

    citizen = new_visitor()
    asked = citizen.get("/surveys/2026-my")
    assert "本调查凭邀请码参加" in text_of(asked.text)
    wrong = citizen.post("/surveys/2026-my/invitation", {"invitation": "AAAA-BBBB"})
    assert wrong.status_code == 422 and "邀请码不正确" in text_of(wrong.text)
    typed = printed[0].lower().replace("-", " ")  # forgiving, as typed on a phone
    assert citizen.post("/surveys/2026-my/invitation", {"invitation": typed},
                        follow_redirects=False).status_code == 303
    for page, fields in ((0, {"visited": "no"}), (1, {"overall": "5"}), (2, {"action": "submit"})):
        citizen.post("/surveys/2026-my", {"page": str(page), "shown": "visited,overall,aspects,age,advice",
                                          "action": "next", **fields})
    stored = run(SurveyResponse.select(SurveyResponse.code, SurveyResponse.voter_id))
    assert len(stored) == 1 and stored[0]["voter_id"] is None and stored[0]["code"] is not None
    again = new_visitor()  # the link of the workbook, opened on another phone
    assert "您已提交过这份问卷" in text_of(again.get(f"/surveys/2026-my?invitation={printed[0]}").text)
    assert "您已提交过这份问卷" in text_of(again.get("/surveys/2026-my").text)


def test_the_auditor_reads_the_builder_but_cannot_change_it(visitor: Visitor, people: dict[str, str]) -> None:
    survey_id = build()
    visitor.sign_in("zhaoli")
    page = visitor.get(f"/staff/surveys/{survey_id}")
    assert page.status_code == 200 and "添加问题" not in page.text
    assert visitor.post(f"/staff/surveys/{survey_id}/questions/advice/delete").status_code == 403
    assert "advice" in outline(survey_id)


def test_pages_are_added_and_only_an_empty_page_that_is_not_the_last_one_is_removed(office: Visitor) -> None:
    created = office.post("/staff/surveys", {**SETTINGS, "code": "empty"}, follow_redirects=False)
    survey_id = int(created.headers["location"].split("/")[3].split("?")[0])
    only = office.post(f"/staff/surveys/{survey_id}/pages/0/delete")
    assert only.status_code == 422 and "问卷至少要有一页" in text_of(only.text)
    assert "这份问卷还没有问题" in text_of(office.get("/surveys/empty").text)
    assert office.post("/surveys/empty", {"page": "0", "action": "submit"}).status_code == 422
    assert run(SurveyResponse.count()) == 0
    office.post(f"/staff/surveys/{survey_id}/pages", {"title": "第二部分"})
    assert len(run(forms.load_definition(survey_id)).pages) == 2
    office.post(f"/staff/surveys/{survey_id}/questions",
                question(page="1", name="q1", label="问题一", options="好\n差"))
    refused = office.post(f"/staff/surveys/{survey_id}/pages/1/delete")
    assert refused.status_code == 422 and "只能删除没有问题的页" in text_of(refused.text)
    assert office.post(f"/staff/surveys/{survey_id}/pages/0/delete", follow_redirects=False).status_code == 303
    assert [q.name for q in run(forms.load_definition(survey_id)).pages[0].questions] == ["q1"]
