"""A survey's definition is stored and read back whole; once responses exist, what they answered
cannot be removed (issue 19)."""

from __future__ import annotations

import dataclasses

import pytest

from evaluation.core import clock
from evaluation.surveys import forms
from evaluation.surveys.definition import Condition, Page, SurveyForm, problems
from evaluation.surveys.tables import SurveyResponse
from tests.conftest import run
from tests.surveys.conftest import build, satisfaction_form


def test_a_stored_survey_reads_back_as_it_was_built(people: dict[str, str]) -> None:
    form = satisfaction_form()
    survey_id = build(form)
    assert problems(form) == []
    assert run(forms.load_definition(survey_id)) == form
    assert run(forms.find_survey("2026-my"))["id"] == survey_id
    assert run(forms.find_survey(str(survey_id)))["code"] == "2026-my"


def test_conditions_with_several_options_and_further_conditions_survive_storage(people: dict[str, str]) -> None:
    form = satisfaction_form()
    channels = form.pages[0].questions[1]
    changed = dataclasses.replace(channels, condition=Condition("visited", "equals", "yes", ("no",)),
                                  also=(Condition("visited", "equals", "yes"),))
    form = dataclasses.replace(form, pages=(Page("about", "关于您", (form.pages[0].questions[0], changed)),
                                            *form.pages[1:]))
    assert run(forms.load_definition(build(form))) == form


def _without(form: SurveyForm, name: str) -> SurveyForm:
    return dataclasses.replace(form, pages=tuple(
        dataclasses.replace(page, questions=tuple(q for q in page.questions if q.name != name)) for page in form.pages))


def _answered(survey_id: int) -> None:
    run(SurveyResponse.insert(SurveyResponse(survey=survey_id, voter_id="v1", answers={"visited": "yes"},
                                             created_at=clock.now())))


def test_removing_a_question_is_refused_with_the_reason_once_responses_exist(people: dict[str, str]) -> None:
    survey_id = build()
    run(forms.store_definition(_without(satisfaction_form(), "advice"), "wangmin", survey_id))  # no responses yet
    _answered(survey_id)
    with pytest.raises(forms.DefinitionRefused, match="您的年龄"):
        run(forms.store_definition(_without(satisfaction_form(), "age"), "wangmin", survey_id))
    assert run(forms.load_definition(survey_id)).question("age") is not None


def test_removing_an_option_is_refused_but_relabelling_it_is_fine(people: dict[str, str]) -> None:
    survey_id = build()
    _answered(survey_id)
    form = satisfaction_form()
    visited = form.pages[0].questions[0]
    relabelled = dataclasses.replace(visited, options=(dataclasses.replace(visited.options[0], label="看过"),
                                                       visited.options[1]))
    pages = (dataclasses.replace(form.pages[0], questions=(relabelled, form.pages[0].questions[1])), *form.pages[1:])
    run(forms.store_definition(dataclasses.replace(form, pages=pages), "wangmin", survey_id))
    assert run(forms.load_definition(survey_id)).question("visited").options[0].label == "看过"
    fewer = dataclasses.replace(visited, options=visited.options[:1])
    pages = (dataclasses.replace(form.pages[0], questions=(fewer, form.pages[0].questions[1])), *form.pages[1:])
    with pytest.raises(forms.DefinitionRefused, match="没有访问过"):
        run(forms.store_definition(dataclasses.replace(form, pages=pages), "wangmin", survey_id))


def test_a_taken_code_is_refused(people: dict[str, str]) -> None:
    build()
    with pytest.raises(forms.DefinitionRefused, match="2026-my"):
        build()
