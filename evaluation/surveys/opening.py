"""A survey opened or closed at once, from its builder page or `pingyi survey open|close` (issue 19):
the times are changed in one place, so both ways refuse the same things and are audited alike."""

from __future__ import annotations

from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from evaluation.surveys.answering import window
from evaluation.surveys.tables import Survey


class OpeningRefused(ValueError):
    """The survey cannot be opened or closed now: the message says why."""


class SurveyNotFound(OpeningRefused):
    pass


def _shown(moment: Any) -> str:
    return clock.format_local(moment)[:16]


async def open_now(actor: str, survey_id: int) -> dict[str, Any]:
    """Takes answers from now on, until its closing time if it has one. A closing time already
    past is not cleared here: reopening a closed survey is a change of its settings, made there
    on purpose, since its page has told citizens when it closed."""
    async with write_transaction():
        survey = await _survey(survey_id)
        now = clock.now()
        if survey["closes_at"] is not None and survey["closes_at"] <= now:
            raise OpeningRefused(_("结束时间 {time} 已过，不能立即开放。要重新开放，请在设置中把结束时间改到以后。")
                                 .format(time=_shown(survey["closes_at"])))
        if window(survey, now).state == "open":
            raise OpeningRefused(_("本调查已在进行中，自 {time} 起接受答卷。").format(time=_shown(survey["opens_at"])))
        return await _set_times(actor, survey, {Survey.opens_at: now}, "survey.open")


async def close_now(actor: str, survey_id: int) -> dict[str, Any]:
    """Takes no more answers; its page says when it closed. A survey not open yet closes as well
    (opening and closing now), which calls off its planned opening."""
    async with write_transaction():
        survey = await _survey(survey_id)
        now = clock.now()
        if window(survey, now).state == "closed":
            raise OpeningRefused(_("本调查已于 {time} 结束。").format(time=_shown(survey["closes_at"])))
        opens_at = survey["opens_at"] if survey["opens_at"] and survey["opens_at"] <= now else now
        return await _set_times(actor, survey, {Survey.opens_at: opens_at, Survey.closes_at: now}, "survey.close")


async def _survey(survey_id: int) -> dict[str, Any]:
    survey = await Survey.select(Survey.id, Survey.code, Survey.title, Survey.opens_at, Survey.closes_at).where(
        Survey.id == survey_id).first()
    if survey is None:
        raise SurveyNotFound(_("没有这项调查。"))
    return survey


async def _set_times(actor: str, survey: dict[str, Any], values: dict[Any, Any], action: str) -> dict[str, Any]:
    """Call inside the transaction that read the survey."""
    await Survey.update(values).where(Survey.id == survey["id"])
    new = {column._meta.name: value for column, value in values.items()}
    await audit.record(actor, action, f"survey:{survey['code']}",
                       old={"opens_at": survey["opens_at"], "closes_at": survey["closes_at"]},
                       new={"opens_at": survey["opens_at"], "closes_at": survey["closes_at"], **new})
    return {**survey, **new}
