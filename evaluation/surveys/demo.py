"""Demo surveys: 政务公开满意度调查 open now (every kind of question and a condition, linked from
the home page) and last year's, closed, with a few hundred responses and their results."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from evaluation.core import audit, clock
from evaluation.surveys import forms
from evaluation.surveys.definition import Condition, Option, Page, Question, SurveyForm, SurveySettings
from evaluation.surveys.tables import Survey, SurveyResponse, SurveyText, TextStatus

ACTOR = "demo"
OPEN_CODE, CLOSED_CODE = "zwgk-2026", "zwgk-2025"
CLOSED_RESPONSES = 320
ADVICE = ["希望财政预决算公开得再详细一些。", "办事指南能不能配上流程图？", "网站搜索不好用，经常找不到文件。",
          "政策解读很有帮助，希望多一些。", "手机上看表格很吃力。", "建议公开信息按主题分类。"]


def _form(code: str, title: str, opens_at: dt.datetime, closes_at: dt.datetime) -> SurveyForm:
    sources = (Option("portal", "政府门户网站"), Option("wechat", "政务微信公众号"), Option("board", "公告栏"),
               Option("hotline", "12345 热线"))
    return SurveyForm(
        SurveySettings(code=code, title=title, opens_at=opens_at, closes_at=closes_at, public_results=True,
                       introduction="为了解市民对我市政府信息公开工作的评价，请花三分钟填写这份问卷。"
                                    "问卷匿名，结果将公开发布。"),
        (
            Page("p1", "获取政府信息", (
                Question("visited", "single", "过去一年，您查阅过政府信息公开专栏吗？", required=True,
                         options=(Option("yes", "查阅过"), Option("no", "没有查阅过"))),
                Question("sources", "multiple", "您通过哪些渠道获取政府信息？", hint="可选 1 至 3 项",
                         options=sources, min_picks=1, max_picks=3, required=True,
                         condition=Condition("visited", "equals", "yes")),
            )),
            Page("p2", "您的评价", (
                Question("overall", "scale", "您对我市政府信息公开工作的总体满意度", required=True),
                Question("aspects", "matrix", "请对以下方面打分", required=True,
                         options=(Option("timely", "及时性"), Option("complete", "完整性"),
                                  Option("accurate", "准确性"), Option("easy", "便民性"))),
            )),
            Page("p3", "关于您", (
                Question("age", "number", "您的年龄", minimum=Decimal(16), maximum=Decimal(100), integer=True),
                Question("advice", "text", "您对政府信息公开工作有什么建议？", max_length=500,
                         hint="请勿填写个人信息。"),
            )),
        ),
    )


async def load() -> bool:
    if await Survey.exists().where(Survey.code == OPEN_CODE):
        return False
    # From and to midnight in Beijing, as the office would set them.
    today = dt.datetime.combine(clock.local(clock.now()).date(), dt.time(), tzinfo=clock.SHANGHAI)
    await forms.store_definition(_form(OPEN_CODE, "2026年政务公开满意度调查", today - dt.timedelta(days=10),
                                       today + dt.timedelta(days=31)), ACTOR)
    closed = _form(CLOSED_CODE, "2025年政务公开满意度调查", today - dt.timedelta(days=120),
                   today - dt.timedelta(days=30))
    closed_id = await forms.store_definition(closed, ACTOR)
    await _responses(closed, closed_id, closed.settings.closes_at)
    await audit.record(ACTOR, "demo.surveys", "surveys", new={"surveys": 2, "responses": CLOSED_RESPONSES})
    return True


async def _responses(form: SurveyForm, survey_id: int, closed_at: dt.datetime) -> None:
    """A few hundred plausible responses (the same every time), some advice approved."""
    chance = random.Random(2025)
    rows, advice = [], []
    for number in range(CLOSED_RESPONSES):
        answers: dict[str, object] = {"visited": "yes" if chance.random() < 0.7 else "no"}
        if answers["visited"] == "yes":
            answers["sources"] = sorted(chance.sample(["portal", "wechat", "board", "hotline"], chance.randint(1, 3)))
        answers["overall"] = chance.choices([1, 2, 3, 4, 5], weights=[3, 7, 20, 40, 30])[0]
        answers["aspects"] = {row: chance.choices([1, 2, 3, 4, 5], weights=[3, 8, 25, 40, 24])[0]
                              for row in ("timely", "complete", "accurate", "easy")}
        if chance.random() < 0.8:
            answers["age"] = str(chance.randint(18, 75))
        if chance.random() < 0.15:
            answers["advice"] = chance.choice(ADVICE)
        rows.append(SurveyResponse(survey=survey_id, voter_id=f"demo-{number}", answers=answers,
                                   created_at=closed_at - dt.timedelta(minutes=chance.randint(60, 80_000))))
    for start in range(0, len(rows), 100):
        await SurveyResponse.insert(*rows[start : start + 100])
    for row in rows:
        body = row.answers.get("advice")
        if body:
            status = TextStatus.approved if len(advice) % 3 else TextStatus.pending
            advice.append(SurveyText(response=row.id, survey=survey_id, question="advice", body=body,
                                     status=status.value))
    if advice:
        await SurveyText.insert(*advice)
