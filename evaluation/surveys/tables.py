"""网上调查's tables: a survey, its pages, questions and options, invitation codes, the
citizens' unfinished answers (drafts) and their responses."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Numeric, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from evaluation.core.tables import Account, Department


class TextStatus(StrEnum):
    """Free text answers are public only once approved (PRODUCT.md §2: listed after moderation)."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Survey(Table):
    id = Serial(primary_key=True)
    code = Varchar(length=32, unique=True)
    title = Varchar(length=200)
    introduction = Text(default="")
    opens_at = Timestamptz(null=True, default=None)
    closes_at = Timestamptz(null=True, default=None)
    by_invitation = Boolean(default=False)
    department = ForeignKey(Department, null=True, on_delete=OnDelete.restrict, index=True)
    public_results = Boolean(default=False)
    created_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    created_at = Timestamptz()


class SurveyPage(Table, tablename="survey_page"):
    id = Serial(primary_key=True)
    survey = ForeignKey(Survey, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    name = Varchar(length=64)
    title = Varchar(length=200, default="")


class SurveyQuestion(Table, tablename="survey_question"):
    """One question; its kind and limits as in evaluation/surveys/definition.py."""

    id = Serial(primary_key=True)
    survey = ForeignKey(Survey, null=False, on_delete=OnDelete.cascade, index=True)
    page = ForeignKey(SurveyPage, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    name = Varchar(length=64)
    kind = Varchar(length=10)
    label = Text()
    hint = Text(default="")
    required = Boolean(default=False)
    min_picks = Integer(null=True, default=None)
    max_picks = Integer(null=True, default=None)
    minimum = Numeric(digits=(18, 6), null=True, default=None)
    maximum = Numeric(digits=(18, 6), null=True, default=None)
    integer = Boolean(default=False)
    max_length = Integer(null=True, default=None)
    condition_question = Varchar(length=64, null=True, default=None)
    condition_operator = Varchar(length=10, null=True, default=None)
    condition_option = Varchar(length=64, null=True, default=None)
    # The rest of an imported condition (definition.Condition.others, Question.also):
    # {"others": [option, …], "also": [[question, operator, option, [others…]], …]}.
    condition_more = JSON(default={})


class SurveyOption(Table, tablename="survey_option"):
    """A choice of a single/multiple choice question, or a row of a matrix."""

    id = Serial(primary_key=True)
    question = ForeignKey(SurveyQuestion, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    name = Varchar(length=64)
    label = Text()


class SurveyCode(Table, tablename="survey_code"):
    """An invitation code: answers its survey once."""

    id = Serial(primary_key=True)
    survey = ForeignKey(Survey, null=False, on_delete=OnDelete.restrict, index=True)
    serial = Integer()
    code = Varchar(length=32, unique=True)
    created_at = Timestamptz()


class SurveyDraft(Table, tablename="survey_draft"):
    """What a browser (or code) has answered so far, kept across pages and reloads until the
    response is submitted. Unique on (survey, respondent), made by the migration."""

    id = Serial(primary_key=True)
    survey = ForeignKey(Survey, null=False, on_delete=OnDelete.cascade, index=False)
    respondent = Varchar(length=80)
    answers = JSON(default={})
    page = Integer(default=0)
    updated_at = Timestamptz()


class SurveyResponse(Table, tablename="survey_response"):
    """One submitted response, all its answers in one row: stored whole or not at all.
    Unique on (survey, voter_id) and (survey, code), made by the migration."""

    id = Serial(primary_key=True)
    survey = ForeignKey(Survey, null=False, on_delete=OnDelete.restrict, index=False)
    voter_id = Varchar(length=64, null=True, default=None)
    code = ForeignKey(SurveyCode, null=True, on_delete=OnDelete.restrict, index=False)
    answers = JSON(default={})
    created_at = Timestamptz()


class SurveyText(Table, tablename="survey_text"):
    """A free text answer awaiting or past moderation; written in the response's transaction."""

    id = Serial(primary_key=True)
    response = ForeignKey(SurveyResponse, null=False, on_delete=OnDelete.cascade, index=True)
    survey = ForeignKey(Survey, null=False, on_delete=OnDelete.restrict, index=True)
    question = Varchar(length=64)
    body = Text()
    status = Varchar(length=10, choices=TextStatus, default=TextStatus.pending)
    moderated_by = ForeignKey(Account, null=True, on_delete=OnDelete.set_null, index=False)
    moderated_at = Timestamptz(null=True, default=None)
