"""The surveys of the tests: 政务公开满意度调查 (code 2026-my), three pages, every kind of
question and a condition, built by 王敏 (office)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from evaluation.core import clock
from evaluation.surveys import forms
from evaluation.surveys.definition import Condition, Option, Page, Question, SurveyForm, SurveySettings
from tests.conftest import run


def satisfaction_form(code: str = "2026-my", *, by_invitation: bool = False, opens_days: int = -1,
                      closes_days: int = 10, department_code: str | None = None,
                      public_results: bool = True) -> SurveyForm:
    now = clock.now()
    return SurveyForm(
        SurveySettings(code=code, title="政务公开满意度调查", introduction="请花两分钟告诉我们您的看法。",
                       opens_at=now + dt.timedelta(days=opens_days), closes_at=now + dt.timedelta(days=closes_days),
                       by_invitation=by_invitation, department_code=department_code, public_results=public_results),
        (
            Page("about", "关于您", (
                Question("visited", "single", "您访问过政府信息公开专栏吗？", required=True,
                         options=(Option("yes", "访问过"), Option("no", "没有访问过"))),
                Question("channels", "multiple", "您通过哪些渠道获取政府信息？", hint="最多选两项",
                         options=(Option("web", "政府网站"), Option("app", "政务新媒体"), Option("paper", "公告栏")),
                         min_picks=1, max_picks=2, condition=Condition("visited", "equals", "yes")),
            )),
            Page("opinion", "您的评价", (
                Question("overall", "scale", "总体满意度", required=True),
                Question("aspects", "matrix", "各方面评价",
                         options=(Option("timely", "及时性"), Option("complete", "完整性"))),
            )),
            Page("more", "补充", (
                Question("age", "number", "您的年龄", minimum=Decimal(16), maximum=Decimal(100), integer=True),
                Question("advice", "text", "您的建议", max_length=200),
            )),
        ),
    )


def build(form: SurveyForm | None = None) -> int:
    return run(forms.store_definition(form or satisfaction_form(), "wangmin"))


@pytest.fixture
def survey(people: dict[str, str]) -> int:
    """政务公开满意度调查 open since yesterday, for ten more days, public results."""
    return build()
