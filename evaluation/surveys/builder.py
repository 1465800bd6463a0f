"""The office builds a survey (issue 19): its settings, pages and questions, edited as forms and
applied to the definition, which `forms.store_definition` stores whole (and refuses changes that
would break stored responses)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from evaluation.core import clock
from evaluation.core.form_values import parse_decimal, parse_int
from evaluation.core.i18n import N_, _
from evaluation.surveys.definition import (
    KINDS,
    NAME_PATTERN,
    SCALE_POINTS,
    Condition,
    Option,
    Page,
    Question,
    SurveyForm,
    SurveySettings,
)

KIND_LABELS = {
    "single": N_("单选题"), "multiple": N_("多选题"), "scale": N_("量表题（1–5 分）"),
    "matrix": N_("矩阵题（多行 × 1–5 分）"), "number": N_("数字题"), "text": N_("填空题"),
}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def _local_input(moment: dt.datetime | None) -> str:
    return clock.local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _parse_local(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=clock.SHANGHAI)
    except ValueError:
        return None


@dataclass
class SettingsForm:
    code: str = ""
    title: str = ""
    introduction: str = ""
    opens_at: str = ""
    closes_at: str = ""
    by_invitation: bool = False
    department: str = ""
    public_results: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: SurveySettings) -> SettingsForm:
        return cls(code=settings.code, title=settings.title, introduction=settings.introduction,
                   opens_at=_local_input(settings.opens_at), closes_at=_local_input(settings.closes_at),
                   by_invitation=settings.by_invitation, department=settings.department_code or "",
                   public_results=settings.public_results)

    @classmethod
    def from_data(cls, data: dict[str, str]) -> SettingsForm:
        return cls(code=data.get("code", "").strip(), title=data.get("title", "").strip(),
                   introduction=data.get("introduction", "").strip(), opens_at=data.get("opens_at", ""),
                   closes_at=data.get("closes_at", ""), by_invitation=data.get("by_invitation") == "1",
                   department=data.get("department", "").strip(), public_results=data.get("public_results") == "1")

    def settings(self) -> SurveySettings | None:
        if not CODE_PATTERN.match(self.code):
            self.errors["code"] = _("代码用字母、数字、“-”或“_”，不超过 32 个字符，例如 2026-my。")
        if not self.title or len(self.title) > 200:
            self.errors["title"] = _("请填写标题（不超过 200 个字）。")
        if len(self.introduction) > 5000:
            self.errors["introduction"] = _("说明不能超过 5000 个字。")
        opens = _parse_local(self.opens_at) if self.opens_at else None
        closes = _parse_local(self.closes_at) if self.closes_at else None
        if self.opens_at and opens is None:
            self.errors["opens_at"] = _("请填写有效的日期和时间。")
        if self.closes_at and closes is None:
            self.errors["closes_at"] = _("请填写有效的日期和时间。")
        if opens and closes and closes <= opens:
            self.errors["closes_at"] = _("结束时间必须晚于开始时间。")
        if self.errors:
            return None
        return SurveySettings(code=self.code, title=self.title, introduction=self.introduction, opens_at=opens,
                              closes_at=closes, by_invitation=self.by_invitation,
                              department_code=self.department or None, public_results=self.public_results)


@dataclass
class QuestionForm:
    page: str = "0"
    kind: str = "single"
    name: str = ""
    label: str = ""
    hint: str = ""
    required: bool = False
    options: str = ""  # one per line: "name|label", or just a label
    min_picks: str = ""
    max_picks: str = ""
    minimum: str = ""
    maximum: str = ""
    integer: bool = False
    max_length: str = ""
    condition_question: str = ""
    condition_operator: str = "equals"
    condition_option: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, question: Question, page_index: int) -> QuestionForm:
        condition = question.condition
        return cls(page=str(page_index), kind=question.kind, name=question.name, label=question.label,
                   hint=question.hint, required=question.required,
                   options="\n".join(f"{option.name}|{option.label}" for option in question.options),
                   min_picks=str(question.min_picks or ""), max_picks=str(question.max_picks or ""),
                   minimum="" if question.minimum is None else str(question.minimum),
                   maximum="" if question.maximum is None else str(question.maximum), integer=question.integer,
                   max_length=str(question.max_length or ""),
                   condition_question=condition.question if condition else "",
                   condition_operator=condition.operator if condition else "equals",
                   condition_option=condition.option if condition else "")

    @classmethod
    def from_data(cls, data: dict[str, str]) -> QuestionForm:
        fields = {f.name for f in dataclasses.fields(cls)} - {"errors", "required", "integer"}
        form = cls(**{name: data.get(name, "").strip() for name in fields})
        form.required, form.integer = data.get("required") == "1", data.get("integer") == "1"
        form.condition_operator = form.condition_operator or "equals"
        return form

    def _options(self, kept: tuple[Option, ...]) -> tuple[Option, ...]:
        options: list[Option] = []
        taken = {option.name for option in kept}
        for line in self.options.splitlines():
            line = line.strip()
            if not line:
                continue
            name, _bar, label = line.partition("|")
            if not _bar:
                label, name = name, ""
            name, label = name.strip(), label.strip()
            if not name:
                number = len(options) + 1
                while f"o{number}" in taken:
                    number += 1
                name = f"o{number}"
            taken.add(name)
            if not NAME_PATTERN.match(name):
                self.errors["options"] = _("选项代码“{name}”无效：用字母、数字和下划线，以字母开头。").format(name=name)
            options.append(Option(name, label or name))
        if len({option.name for option in options}) != len(options):
            self.errors["options"] = _("有两个选项的代码相同。")
        return tuple(options)

    def question(self, survey: SurveyForm, editing: str | None = None) -> Question | None:
        """The question typed, checked against the rest of the survey, or None (see errors)."""
        if self.kind not in KINDS:
            self.errors["kind"] = _("请选择题型。")
        if not NAME_PATTERN.match(self.name):
            self.errors["name"] = _("问题代码用字母、数字和下划线，以字母开头，例如 q1。")
        elif self.name != editing and survey.question(self.name) is not None:
            self.errors["name"] = _("问题代码“{name}”已被使用。").format(name=self.name)
        if not self.label:
            self.errors["label"] = _("请填写题目。")
        old = survey.question(editing) if editing else None
        options = self._options(old.options if old else ()) if self.kind in ("single", "multiple", "matrix") else ()
        if self.kind in ("single", "multiple", "matrix") and not options and "options" not in self.errors:
            self.errors["options"] = _("请至少填写一个选项（矩阵题填写各行）。")
        numbers: dict[str, Any] = {}
        for name in ("min_picks", "max_picks", "max_length"):
            value = getattr(self, name)
            numbers[name] = parse_int(value) if value else None
            if value and (numbers[name] is None or numbers[name] < 1):
                self.errors[name] = _("请填写正整数。")
        for name in ("minimum", "maximum"):
            value = getattr(self, name)
            numbers[name] = parse_decimal(value) if value else None
            if value and numbers[name] is None:
                self.errors[name] = _("请填写数字。")
        if numbers["min_picks"] and numbers["max_picks"] and numbers["min_picks"] > numbers["max_picks"]:
            self.errors["max_picks"] = _("最多选择数不能少于最少选择数。")
        low, high = numbers["minimum"], numbers["maximum"]
        if low is not None and high is not None and low > high:
            self.errors["maximum"] = _("最大值不能小于最小值。")
        condition = self._condition(survey, editing)
        page_index = parse_int(self.page)
        if page_index is None or not 0 <= page_index < max(len(survey.pages), 1):
            self.errors["page"] = _("请选择页。")
        if self.errors:
            return None
        multiple, number, text = self.kind == "multiple", self.kind == "number", self.kind == "text"
        return Question(
            name=self.name, kind=self.kind, label=self.label, hint=self.hint, required=self.required,
            options=options, min_picks=numbers["min_picks"] if multiple else None,
            max_picks=numbers["max_picks"] if multiple else None, minimum=numbers["minimum"] if number else None,
            maximum=numbers["maximum"] if number else None, integer=self.integer if number else False,
            max_length=numbers["max_length"] if text else None, condition=condition,
            also=old.also if old else (),
        )

    def _condition(self, survey: SurveyForm, editing: str | None) -> Condition | None:
        if not self.condition_question:
            return None
        target = survey.question(self.condition_question)
        if target is None or target.kind not in ("single", "multiple", "scale") or target.name == editing:
            self.errors["condition_question"] = _("条件只能引用前面的单选、多选或量表题。")
            return None
        operator = "includes" if target.kind == "multiple" else "equals"
        choices = [str(point) for point in SCALE_POINTS] if target.kind == "scale" else list(target.option_names())
        if self.condition_option not in choices:
            self.errors["condition_option"] = _("“{question}”没有代码为“{option}”的选项，可选：{choices}。").format(
                question=target.label, option=self.condition_option, choices="、".join(choices))
            return None
        return Condition(target.name, operator, self.condition_option)


class BuildError(ValueError):
    """A change to the survey's layout that cannot be made, with the reason."""


def _replace_pages(survey: SurveyForm, pages: list[Page]) -> SurveyForm:
    changed = dataclasses.replace(survey, pages=tuple(pages))
    _check_order(changed)
    return changed


def _check_order(survey: SurveyForm) -> None:
    """A condition refers to a question asked before it."""
    seen: set[str] = set()
    for question in survey.questions():
        for condition in question.conditions():
            if condition.question not in seen:
                target = survey.question(condition.question)
                raise BuildError(_("“{label}”的显示条件引用了“{target}”，它必须排在前面。").format(
                    label=question.label, target=target.label if target else condition.question))
        seen.add(question.name)


def locate(survey: SurveyForm, name: str) -> tuple[int, int]:
    for page_index, page in enumerate(survey.pages):
        for position, question in enumerate(page.questions):
            if question.name == name:
                return page_index, position
    raise BuildError(_("没有这个问题。"))


def add_page(survey: SurveyForm, title: str) -> SurveyForm:
    taken = {page.name for page in survey.pages}
    number = len(survey.pages) + 1
    while f"p{number}" in taken:
        number += 1
    return dataclasses.replace(survey, pages=(*survey.pages, Page(f"p{number}", title.strip()[:200])))


def remove_page(survey: SurveyForm, page_index: int) -> SurveyForm:
    if not 0 <= page_index < len(survey.pages) or survey.pages[page_index].questions:
        raise BuildError(_("只能删除没有问题的页。"))
    if len(survey.pages) == 1:
        raise BuildError(_("问卷至少要有一页。"))
    return dataclasses.replace(survey, pages=tuple(p for i, p in enumerate(survey.pages) if i != page_index))


def put_question(survey: SurveyForm, question: Question, page_index: int, editing: str | None = None) -> SurveyForm:
    """Adds the question at the end of its page, or replaces the one being edited (moving it to
    another page when the page changed)."""
    pages = [list(page.questions) for page in survey.pages] or [[]]
    if editing is not None:
        old_page, position = locate(survey, editing)
        if old_page == page_index:
            pages[old_page][position] = question
        else:
            del pages[old_page][position]
            pages[page_index].append(question)
    else:
        pages[page_index].append(question)
    source = survey.pages or (Page("p1", ""),)
    return _replace_pages(survey, [dataclasses.replace(page, questions=tuple(questions))
                                   for page, questions in zip(source, pages, strict=True)])


def remove_question(survey: SurveyForm, name: str) -> SurveyForm:
    depending = [q.label for q in survey.questions() if any(c.question == name for c in q.conditions())]
    if depending:
        raise BuildError(_("“{labels}”的显示条件引用了这个问题，请先修改条件。").format(labels="、".join(depending)))
    page_index, position = locate(survey, name)
    pages = [list(page.questions) for page in survey.pages]
    del pages[page_index][position]
    return _replace_pages(survey, [dataclasses.replace(page, questions=tuple(questions))
                                   for page, questions in zip(survey.pages, pages, strict=True)])


def move_question(survey: SurveyForm, name: str, step: int) -> SurveyForm:
    """One place up (-1) or down (+1); past the top or bottom of its page, onto the page before or after."""
    page_index, position = locate(survey, name)
    pages = [list(page.questions) for page in survey.pages]
    question = pages[page_index].pop(position)
    target = position + step
    if 0 <= target <= len(pages[page_index]):
        pages[page_index].insert(target, question)
    elif step < 0 and page_index > 0:
        pages[page_index - 1].append(question)
    elif step > 0 and page_index + 1 < len(pages):
        pages[page_index + 1].insert(0, question)
    else:
        raise BuildError(_("已经在最前面或最后面了。"))
    return _replace_pages(survey, [dataclasses.replace(page, questions=tuple(questions))
                                   for page, questions in zip(survey.pages, pages, strict=True)])


def new_survey(settings: SurveySettings) -> SurveyForm:
    return SurveyForm(settings, (Page("p1", ""),))
