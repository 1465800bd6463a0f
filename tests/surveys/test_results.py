"""The results of 政务公开满意度调查 (issue 19): SVG bars with their numbers as text, the matrix
as distributions, number summaries, free text only once approved; public only if the office
allows it."""

from __future__ import annotations

from typing import Any

from evaluation.core import clock
from evaluation.surveys.tables import Survey, SurveyResponse, SurveyText
from tests.conftest import Visitor, run, text_of

URL = "/surveys/2026-my/results"


def respond(survey_id: int, *rows: dict[str, Any]) -> None:
    async def insert() -> None:
        for number, answers in enumerate(rows):
            response = SurveyResponse(survey=survey_id, voter_id=f"v{number}", answers=answers, created_at=clock.now())
            await SurveyResponse.insert(response)
            if "advice" in answers:
                await SurveyText.insert(SurveyText(response=response.id, survey=survey_id, question="advice",
                                                   body=answers["advice"]))

    run(insert)


def test_results_show_counts_percentages_distributions_and_number_summaries(visitor: Visitor, survey: int) -> None:
    respond(survey,
            {"visited": "yes", "channels": ["web", "app"], "overall": 5, "aspects": {"timely": 5, "complete": 4},
             "age": "30"},
            {"visited": "yes", "channels": ["web"], "overall": 4, "aspects": {"timely": 3}, "age": "41"},
            {"visited": "no", "overall": 4, "age": "20", "advice": "=HYPERLINK(\"http://x\")"})
    page = visitor.get(URL)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "共收到答卷 3 份" in text
    assert "访问过 2 66.7%" in text and "没有访问过 1 33.3%" in text
    assert "政府网站 2 100.0%" in text and "政务新媒体 1 50.0%" in text
    assert '<rect class="fill" width="66.7"' in page.text
    assert "平均分：4.33" in text
    assert "及时性 0 (0.0%) 0 (0.0%) 1 (50.0%) 0 (0.0%) 1 (50.0%) 4.00" in text
    assert "人数 3 平均值 30.33 中位数 30.00 最小值 20 最大值 41" in text
    assert "HYPERLINK" not in text  # not moderated yet


def test_free_text_appears_once_the_office_approves_it(office: Visitor, survey: int) -> None:
    respond(survey, {"visited": "no", "overall": 3, "advice": "希望增加办事指南。"},
            {"visited": "no", "overall": 3, "advice": "广告"})
    texts = run(SurveyText.select(SurveyText.id, SurveyText.body).order_by(SurveyText.id))
    queue = office.get(f"/staff/surveys/{survey}/texts")
    assert "希望增加办事指南。" in queue.text and "待审核" in text_of(queue.text)
    office.post(f"/staff/surveys/{survey}/texts/{texts[0]['id']}/approved")
    office.post(f"/staff/surveys/{survey}/texts/{texts[1]['id']}/rejected")
    text = text_of(office.get(URL).text)
    assert "希望增加办事指南。" in text and "广告" not in text


def test_results_are_for_staff_only_unless_the_office_makes_them_public(new_visitor: Any, office: Visitor,
                                                                        survey: int) -> None:
    run(Survey.update({Survey.public_results: False}).where(Survey.id == survey))
    assert new_visitor().get(URL).status_code == 404
    page = office.get(URL)
    assert page.status_code == 200 and "结果未公开" in text_of(page.text)
