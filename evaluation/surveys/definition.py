"""What a survey asks, independent of how it is stored.

The builder pages, the citizen's answering, the results and the XLSForm exchange all speak this
one shape; `load_definition` reads it from the tables and `store_definition` writes it back.
Everything here is frozen so that a definition read once can be passed around safely.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

KINDS = ("single", "multiple", "scale", "matrix", "number", "text")
OPERATORS = ("equals", "includes")

# The scale 1–5 and the matrix columns share these five points; a scale or matrix question
# carries no options of its own for them.
SCALE_POINTS = (1, 2, 3, 4, 5)

# Names are what a response, an XLSForm row and a condition refer to: short and stable.
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Option:
    """A choice of a single or multiple choice question, or a row of a matrix."""

    name: str
    label: str


@dataclass(frozen=True)
class Condition:
    """Show the question only when `question`'s answer equals / includes `option`."""

    question: str
    operator: str  # 'equals' (single, scale) or 'includes' (multiple)
    option: str
    # Further options of the same question: the condition holds for any of them (XLSForm's
    # `${a} = 'x' or ${a} = 'y'`). The builder pages edit `option` only.
    others: tuple[str, ...] = ()

    def options(self) -> tuple[str, ...]:
        return (self.option, *self.others)

    def holds(self, answers: dict[str, Any]) -> bool:
        answer = answers.get(self.question)
        if answer is None or answer == "" or answer == []:
            return False
        if isinstance(answer, list):
            return any(option in answer for option in self.options())
        return str(answer) in self.options()


@dataclass(frozen=True)
class Question:
    name: str
    kind: str  # one of KINDS
    label: str
    hint: str = ""
    required: bool = False
    # single, multiple: the choices; matrix: the rows (each answered on SCALE_POINTS).
    options: tuple[Option, ...] = ()
    min_picks: int | None = None  # multiple only
    max_picks: int | None = None  # multiple only
    minimum: Decimal | None = None  # number only
    maximum: Decimal | None = None  # number only
    integer: bool = False  # number only: whole numbers (XLSForm integer) or decimals
    max_length: int | None = None  # text only, in characters
    condition: Condition | None = None
    # Further conditions that must all hold too (XLSForm's `… and …`); imported, not edited here.
    also: tuple[Condition, ...] = ()

    def conditions(self) -> tuple[Condition, ...]:
        return ((self.condition,) if self.condition else ()) + self.also

    def shown(self, answers: dict[str, Any]) -> bool:
        """Whether the question is asked, given the answers so far (hidden ones count as unanswered)."""
        if self.condition is None and not self.also:
            return True  # most questions, and this runs for every question of every page sent
        return all(condition.holds(answers) for condition in self.conditions())

    def option_names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options)


@dataclass(frozen=True)
class Page:
    name: str
    title: str = ""
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class SurveySettings:
    code: str
    title: str
    introduction: str = ""
    opens_at: datetime.datetime | None = None  # aware datetimes
    closes_at: datetime.datetime | None = None
    by_invitation: bool = False
    department_code: str | None = None
    public_results: bool = False


@dataclass(frozen=True)
class SurveyForm:
    """Answers, as stored in a draft and a response, are a dict by question name: single → option
    name, multiple → list of option names, scale → int 1–5, matrix → {row name: int 1–5},
    number → the number as a decimal string, text → str. Unanswered questions are absent."""

    settings: SurveySettings
    pages: tuple[Page, ...] = field(default_factory=tuple)

    def questions(self) -> tuple[Question, ...]:
        return self._questions

    def question(self, name: str) -> Question | None:
        return self._by_name.get(name)

    # Worked out once per form: a cached form serves every submission, and a submission looks
    # its questions up by name many times (a frozen dataclass still takes cached_property).
    @functools.cached_property
    def _questions(self) -> tuple[Question, ...]:
        return tuple(question for page in self.pages for question in page.questions)

    @functools.cached_property
    def _by_name(self) -> dict[str, Question]:
        found: dict[str, Question] = {}
        for question in self._questions:
            found.setdefault(question.name, question)  # the first of a name, as before
        return found


def problems(form: SurveyForm) -> list[str]:
    """What makes a form unusable, in plain words (English; callers translate their own)."""
    found: list[str] = []
    seen: set[str] = set()
    for page in form.pages:
        for question in page.questions:
            if not NAME_PATTERN.match(question.name):
                found.append(f"question name {question.name!r} is not a valid name")
            if question.name in seen:
                found.append(f"question name {question.name!r} is used twice")
            seen.add(question.name)
            if question.kind not in KINDS:
                found.append(f"question {question.name!r} has unknown kind {question.kind!r}")
            if question.kind in ("single", "multiple", "matrix") and not question.options:
                found.append(f"question {question.name!r} has no options")
            names = question.option_names()
            if len(set(names)) != len(names):
                found.append(f"question {question.name!r} has an option name twice")
            for condition in question.conditions():
                target = form.question(condition.question)
                if target is None or condition.question not in seen or condition.question == question.name:
                    found.append(f"question {question.name!r} depends on a question that is not before it")
                elif condition.operator not in OPERATORS:
                    found.append(f"question {question.name!r} has unknown operator {condition.operator!r}")
                elif target.kind == "scale":
                    if not set(condition.options()) <= {str(point) for point in SCALE_POINTS}:
                        found.append(f"question {question.name!r} depends on a scale point that does not exist")
                elif target.kind not in ("single", "multiple") or not set(condition.options()) <= set(
                        target.option_names()):
                    found.append(f"question {question.name!r} depends on an option that does not exist")
    return found
