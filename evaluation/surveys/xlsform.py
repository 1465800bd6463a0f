"""A survey in and out as XLSForm (PRODUCT.md §2; issue 19, "XLSForm in and out").

The subset read and written: sheets ``survey``, ``choices`` and ``settings``; ``select_one`` /
``select_multiple`` with list names, ``integer``, ``decimal``, ``text``, ``begin_group`` /
``end_group`` for pages; ``label``, ``hint``, ``required``; ``relevant`` written as
``${q} = 'x'`` and ``selected(${q}, 'x')``, joined by ``and`` / ``or`` as far as a condition can
hold them; ``constraint`` for number bounds, picks (``count-selected(.)``) and text length
(``string-length(.)``). A scale is a ``select_one`` of the points 1–5 with the appearance
``likert``; a matrix is a group with the appearance ``table-list`` whose rows are such
``select_one`` questions (the layout ODK Collect draws as a grid).

Anything outside the subset is named row by row and nothing is read: an import either gives the
whole survey or a list of reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook

from evaluation.core import spreadsheets
from evaluation.core.i18n import _
from evaluation.surveys.definition import (
    NAME_PATTERN,
    SCALE_POINTS,
    Condition,
    Option,
    Page,
    Question,
    SurveyForm,
    SurveySettings,
    problems,
)

SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "relevant", "constraint", "appearance")
CHOICES_COLUMNS = ("list_name", "name", "label")
# Read and ignored: they say how a form looks or what it is called in ODK, not what it asks.
IGNORED_SETTINGS = {"form_id", "id_string", "version", "instance_name", "style", "default_language"}
# Appearances that only change the drawing; any other appearance is refused, since it may change
# what is asked (e.g. ``search()``, ``quick``).
HARMLESS_APPEARANCES = {"", "field-list", "multiline", "minimal", "horizontal", "horizontal-compact",
                        "compact", "columns", "columns-pack", "no-buttons", "list-nolabel", "label"}
SCALE_APPEARANCE = "likert"
MATRIX_APPEARANCE = "table-list"
TRUE_WORDS = {"yes", "true", "true()", "1"}
FALSE_WORDS = {"", "no", "false", "false()", "0"}
SCALE_NAMES = tuple(str(point) for point in SCALE_POINTS)
MAX_NAME = 64  # names of questions, pages and options, as stored
MAX_TITLE = 200  # a survey's and a page's title, as stored


class XLSFormError(ValueError):
    """The reasons a file cannot be imported, each naming its sheet and row, in the user's language."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("\n".join(reasons))
        self.reasons = reasons


@dataclass
class _Row:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass
class _Reasons:
    items: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def survey(self, line: int, message: str) -> None:
        self.items.append(_("survey 表第 {line} 行：{message}").format(line=line, message=message))

    def choices(self, line: int, message: str) -> None:
        self.items.append(_("choices 表第 {line} 行：{message}").format(line=line, message=message))


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Imported:
    """A survey read from a file, and what the office should know about the reading."""

    form: SurveyForm
    notices: tuple[str, ...] = ()


def read_xlsform(filename: str, content: bytes, settings: SurveySettings) -> Imported:
    """The survey an uploaded XLSForm describes, under ``settings`` (code, times, …; the file's
    ``form_title`` wins over an empty title). Raises ``XLSFormError`` with every reason the file
    cannot be taken, or ``spreadsheets.SpreadsheetError`` for a file that is not a workbook."""
    sheets = {name.strip().lower(): rows for name, rows in spreadsheets.read_sheets(filename, content).items()}
    if "survey" not in sheets:
        raise XLSFormError([_("文件中没有 survey 表（XLSForm 的题目表）。")])
    reasons = _Reasons()
    survey_rows = _table(sheets["survey"])
    choice_rows = _table(sheets.get("choices", []))
    lists = _read_choices(choice_rows, reasons)
    title, introduction = _read_settings(_table(sheets.get("settings", [])))
    _check_columns(survey_rows, SURVEY_COLUMNS, reasons.survey)
    pages = _Builder(lists, reasons).read(survey_rows)
    form = SurveyForm(
        settings=replace(settings, title=title or settings.title or _file_stem(filename),
                         introduction=introduction or settings.introduction),
        pages=tuple(pages),
    )
    if len(form.settings.title) > MAX_TITLE:
        reasons.items.append(_("settings 表的 form_title 太长（上限 {n} 个字符）。").format(n=MAX_TITLE))
    if not reasons.items:
        if not form.questions():
            reasons.items.append(_("survey 表中没有题目。"))
        # What the builder refuses is refused here too (a condition on a later question, …).
        reasons.items.extend(_("问卷结构有误：{problem}").format(problem=problem) for problem in problems(form))
    if reasons.items:
        raise XLSFormError(reasons.items)
    return Imported(form, tuple(reasons.notices))


def _file_stem(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return stem.rsplit(".", 1)[0] or stem


def _table(rows: list[list[str]]) -> list[_Row]:
    """Rows under a header, with their line numbers as the spreadsheet shows them; blank rows
    (a real form may start with two) are skipped."""
    if not rows:
        return []
    header = [column.strip().lower() for column in rows[0]]
    table = []
    for index, values in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in values):
            continue
        table.append(_Row(index, {header[i]: value for i, value in enumerate(values) if i < len(header) and header[i]}))
    return table


def _check_columns(rows: list[_Row], supported: Iterable[str], report: Any) -> None:
    supported = set(supported)
    for row in rows:
        for column, value in row.values.items():
            if value.strip() and column not in supported:
                report(row.line, _("不支持 {column} 列（值为“{value}”）。").format(column=column, value=value.strip()))


def _read_choices(rows: list[_Row], reasons: _Reasons) -> dict[str, list[Option]]:
    _check_columns(rows, CHOICES_COLUMNS, reasons.choices)
    lists: dict[str, list[Option]] = {}
    for row in rows:
        list_name, name, label = row.get("list_name"), row.get("name"), row.get("label")
        if not list_name or not name:
            reasons.choices(row.line, _("list_name 和 name 都必须填写。"))
            continue
        options = lists.setdefault(list_name, [])
        if len(name) > MAX_NAME:
            reasons.choices(row.line, _("选项名称 {name} 太长（上限 {n} 个字符）。").format(name=name, n=MAX_NAME))
            continue
        if any(option.name == name for option in options):
            reasons.choices(row.line, _("选项列表 {list} 中的选项 {name} 重复。").format(list=list_name, name=name))
            continue
        options.append(Option(name=name, label=label or name))
    return lists


def _read_settings(rows: list[_Row]) -> tuple[str, str]:
    if not rows:
        return "", ""
    first = rows[0]
    return first.get("form_title"), first.get("introduction")


@dataclass
class _Clause:
    """Part of a ``relevant``: the answer to ``question`` equals / includes one of ``options``."""

    question: str
    operator: str
    options: list[str]


class _Builder:
    """Walks the survey sheet top to bottom: groups become pages (questions outside any group
    make pages of their own), a ``table-list`` group inside a page becomes a matrix."""

    def __init__(self, lists: dict[str, list[Option]], reasons: _Reasons) -> None:
        self.lists = lists
        self.reasons = reasons
        self.pages: list[Page] = []
        self.page: dict[str, Any] | None = None  # the page being read
        self.matrix: dict[str, Any] | None = None  # the matrix being read
        self.asked: dict[str, Question] = {}  # by name, for the conditions that follow
        self.page_names: set[str] = set()

    def read(self, rows: list[_Row]) -> list[Page]:
        for row in rows:
            self._row(row)
        if self.matrix is not None:
            self.reasons.survey(self.matrix["line"], _("begin_group 没有对应的 end_group。"))
        elif self.page is not None and self.page["group"]:
            self.reasons.survey(self.page["line"], _("begin_group 没有对应的 end_group。"))
        self._close_page()
        return self.pages

    def _row(self, row: _Row) -> None:
        kind = " ".join(row.get("type").split())
        if kind in ("begin_group", "begin group"):
            self._begin_group(row)
        elif kind in ("end_group", "end group"):
            self._end_group(row)
        elif kind.split(" ")[0] in ("select_one", "select_multiple", "integer", "decimal", "text"):
            self._question(row, kind)
        elif not kind:
            self.reasons.survey(row.line, _("type 列是空的。"))
        else:
            self.reasons.survey(row.line, _("不支持题型 {type}。").format(type=kind))

    def _appearance(self, row: _Row, allowed: set[str]) -> str:
        appearance = row.get("appearance").lower()
        if appearance not in allowed | HARMLESS_APPEARANCES:
            self.reasons.survey(row.line, _("不支持外观（appearance）{value}。").format(value=appearance))
        return appearance

    def _begin_group(self, row: _Row) -> None:
        name = row.get("name")
        appearance = self._appearance(row, {MATRIX_APPEARANCE})
        if self.matrix is not None:
            self.reasons.survey(row.line, _("矩阵题（table-list 分组）中不能再有分组。"))
            return
        if MATRIX_APPEARANCE in appearance:
            if self.page is None:
                self._open_page(row.line, "", "", "", group=False)
            self.matrix = {"line": row.line, "name": name, "label": row.get("label"), "hint": row.get("hint"),
                           "relevant": self._conditions(row), "rows": [], "required": []}
            self._required(row)
            return
        if self.page is not None and self.page["group"]:
            self.reasons.survey(row.line, _("页面（分组）中不能再有分组；矩阵题请用 table-list 外观。"))
            return
        self._close_page()
        self._open_page(row.line, name, row.get("label"), row.get("hint"), group=True,
                        conditions=self._conditions(row), required=self._required(row))

    def _end_group(self, row: _Row) -> None:
        if self.matrix is not None:
            self._close_matrix()
        elif self.page is not None and self.page["group"]:
            self._close_page()
        else:
            self.reasons.survey(row.line, _("end_group 没有对应的 begin_group。"))

    def _open_page(self, line: int, name: str, title: str, hint: str, group: bool,
                   conditions: list[_Clause] | None = None, required: bool = False) -> None:
        if not name:
            number = len(self.pages) + 1
            while f"page_{number}" in self.page_names:
                number += 1
            name = f"page_{number}"
        elif not NAME_PATTERN.match(name):
            self.reasons.survey(line, _("名称 {name} 无效：只能用字母、数字和下划线，且不以数字开头。").format(
                name=name))
        elif name in self.page_names:
            self.reasons.survey(line, _("页面名称 {name} 重复。").format(name=name))
        self.page_names.add(name)
        if len(title) > MAX_TITLE:
            self.reasons.survey(line, _("页面标题太长（上限 {n} 个字符）。").format(n=MAX_TITLE))
        self.page = {"line": line, "name": name, "title": title, "hint": hint, "group": group,
                     "conditions": conditions or [], "required": required, "questions": []}

    def _close_page(self) -> None:
        if self.page is None:
            return
        page, self.page = self.page, None
        self.pages.append(_page(page))

    def _close_matrix(self) -> None:
        matrix, self.matrix = self.matrix, None
        assert matrix is not None and self.page is not None
        if not matrix["rows"]:
            self.reasons.survey(matrix["line"], _("矩阵题没有行。"))
            return
        name = matrix["name"]
        if not NAME_PATTERN.match(name or ""):
            self.reasons.survey(matrix["line"], _(
                "名称 {name} 无效：只能用字母、数字和下划线，且不以数字开头。").format(name=name))
            return
        rows = tuple(Option(name=row_name.removeprefix(f"{name}_") or row_name, label=label)
                     for row_name, label in matrix["rows"])
        self._add(matrix["line"], Question(name=name, kind="matrix", label=matrix["label"], hint=matrix["hint"],
                                           required=all(matrix["required"]), options=rows),
                  matrix["relevant"])

    def _required(self, row: _Row) -> bool:
        value = row.get("required").lower()
        if value in TRUE_WORDS:
            return True
        if value not in FALSE_WORDS:
            self.reasons.survey(row.line, _("required 只能是 yes 或 no（不支持表达式“{value}”）。").format(value=value))
        return False

    def _question(self, row: _Row, kind: str) -> None:
        name, label = row.get("name"), row.get("label")
        required = self._required(row)
        # A matrix row's name is the matrix's name, "_", then the row's: only the row's part is
        # stored, and held to the length of a name.
        if self.matrix is not None:
            valid = bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)) and len(
                name.removeprefix(f"{self.matrix['name']}_")) <= MAX_NAME
        else:
            valid = bool(NAME_PATTERN.match(name))
        if not valid:
            self.reasons.survey(row.line, _("名称 {name} 无效：只能用字母、数字和下划线，且不以数字开头。").format(
                name=name or "—"))
            return
        if not label:
            self.reasons.survey(row.line, _("题目 {name} 没有 label。").format(name=name))
        words = kind.split(" ")
        if words[0] in ("select_one", "select_multiple"):
            if len(words) != 2:
                self.reasons.survey(row.line, _("不支持题型 {type}（应为“{base} 列表名”）。").format(
                    type=kind, base=words[0]))
                return
            options = self.lists.get(words[1])
            if not options:
                self.reasons.survey(row.line, _("choices 表中没有选项列表 {list}。").format(list=words[1]))
                return
        else:
            if len(words) != 1:
                self.reasons.survey(row.line, _("不支持题型 {type}。").format(type=kind))
                return
            options = []
        if self.matrix is not None:
            self._matrix_row(row, words, options, required)
            return
        appearance = self._appearance(row, {SCALE_APPEARANCE})
        constraint = row.get("constraint")
        fields: dict[str, Any] = {}
        if words[0] == "select_one":
            if SCALE_APPEARANCE in appearance and tuple(option.name for option in options) == SCALE_NAMES:
                fields = {"kind": "scale"}
            else:
                fields = {"kind": "single", "options": tuple(options)}
            if constraint:
                self._unsupported_constraint(row, constraint)
        elif words[0] == "select_multiple":
            fields = {"kind": "multiple", "options": tuple(options)}
            low, high = self._bounds(row, constraint, "count-selected", integer=True)
            fields.update(min_picks=_int(low), max_picks=_int(high))
        elif words[0] == "text":
            fields = {"kind": "text"}
            low, high = self._bounds(row, constraint, "string-length", integer=True)
            if low is not None:
                self._unsupported_constraint(row, constraint)
            fields["max_length"] = _int(high)
        else:
            integer = words[0] == "integer"
            low, high = self._bounds(row, constraint, "number", integer=integer)
            fields = {"kind": "number", "integer": integer, "minimum": low, "maximum": high}
        if self.page is None:
            self._open_page(row.line, "", "", "", group=False)
        self._add(row.line, Question(name=name, label=label, hint=row.get("hint"), required=required, **fields),
                  self._conditions(row))

    def _matrix_row(self, row: _Row, words: list[str], options: list[Option], required: bool) -> None:
        assert self.matrix is not None
        if words[0] != "select_one" or tuple(option.name for option in options) != SCALE_NAMES:
            self.reasons.survey(row.line, _("矩阵题（table-list 分组）的每一行都必须是 1–5 分的 select_one 题。"))
            return
        for column in ("relevant", "constraint"):
            if row.get(column):
                self.reasons.survey(row.line, _("矩阵题的行不能有自己的 {column}。").format(column=column))
        self.matrix["rows"].append((row.get("name"), row.get("label")))
        self.matrix["required"].append(required)

    def _unsupported_constraint(self, row: _Row, constraint: str) -> None:
        self.reasons.survey(row.line, _("不支持约束（constraint）“{value}”。").format(value=constraint))

    def _bounds(self, row: _Row, constraint: str, measure: str,
                integer: bool) -> tuple[Decimal | None, Decimal | None]:
        """Lower and upper bound of ``constraint``: ``. >= 1 and . <= 10`` (``${self}`` for ``.``
        too) for a number, ``count-selected(.) <= 3`` for picks, ``string-length(.) <= 200`` for
        text. A strict bound on whole numbers becomes the next whole number."""
        low: Decimal | None = None
        high: Decimal | None = None
        if not constraint:
            return low, high
        name = re.escape(row.get("name"))
        subject = {"number": rf"(?:\.|\$\{{{name}\}})",
                   "count-selected": r"count-selected\(\s*\.\s*\)",
                   "string-length": r"string-length\(\s*\.\s*\)"}[measure]
        pattern = re.compile(rf"^\s*{subject}\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
        for part in re.split(r"\s+and\s+", constraint.strip()):
            match = pattern.match(part)
            if not match:
                self._unsupported_constraint(row, constraint)
                return None, None
            operator, value = match.group(1), Decimal(match.group(2))
            if operator in (">", "<"):
                if not integer or value != value.to_integral_value():
                    self._unsupported_constraint(row, constraint)
                    return None, None
                value += 1 if operator == ">" else -1
            if operator.startswith(">"):
                low = value if low is None else max(low, value)
            else:
                high = value if high is None else min(high, value)
        return low, high

    def _conditions(self, row: _Row) -> list[_Clause]:
        relevant = row.get("relevant")
        if not relevant:
            return []
        try:
            clauses = _parse_relevant(relevant)
        except ValueError:
            self.reasons.survey(row.line, _(
                "不支持条件（relevant）“{value}”：只支持 ${{题}} = '选项' 和 selected(${{题}}, '选项')，"
                "可用 and 连接，同一题的几个选项可用 or 连接。").format(value=relevant))
            return []
        kept = []
        for clause in clauses:
            target = self.asked.get(clause.question)
            kind = target.kind if target else None
            if target is None:
                self.reasons.survey(row.line, _("条件引用的题目 {name} 不在本题之前。").format(name=clause.question))
                continue
            if kind in ("single", "scale"):
                clause.operator = "equals"  # selected() of a single answer is that answer
            elif kind == "multiple" and clause.operator == "equals":
                self.reasons.survey(row.line, _("多选题 {name} 的条件请写作 selected(${{{name}}}, '选项')。").format(
                    name=clause.question))
                continue
            elif kind != "multiple":
                self.reasons.survey(row.line, _("条件只能引用单选、多选或量表题，{name} 不是。").format(
                    name=clause.question))
                continue
            names = SCALE_NAMES if kind == "scale" else target.option_names()
            missing = [option for option in clause.options if option not in names]
            clause.options = [option for option in clause.options if option in names]
            if missing:
                # A real form may test an option its list lacks (pyxform takes it): that part can
                # never hold. It is left out, and the office is told.
                self.reasons.notices.append(_(
                    "survey 表第 {line} 行：条件中的选项 {options} 不在题目 {name} 的选项中，"
                    "永远不会成立，已去掉{rest}。"
                ).format(line=row.line, options="、".join(missing), name=clause.question,
                         rest=_("；该题将总是显示") if not clause.options and len(clauses) == 1 else ""))
            if clause.options:
                kept.append(clause)
        return kept

    def _add(self, line: int, question: Question, clauses: list[_Clause]) -> None:
        assert self.page is not None
        clauses = self.page["conditions"] + clauses
        if clauses:
            conditions = [Condition(question=clause.question, operator=clause.operator, option=clause.options[0],
                                    others=tuple(clause.options[1:])) for clause in clauses]
            question = replace(question, condition=conditions[0], also=tuple(conditions[1:]))
        if self.page["required"] and not question.required:
            question = replace(question, required=True)
        self.asked[question.name] = question
        self.page["questions"].append(question)


def _page(page: dict[str, Any]) -> Page:
    extra = {"hint": page["hint"]} if "hint" in Page.__dataclass_fields__ else {}
    questions = list(page["questions"])
    if page["hint"] and not extra and questions:
        # Without a page hint in the definition, it goes before the first question's own hint.
        first = questions[0]
        questions[0] = replace(first, hint="\n".join(part for part in (page["hint"], first.hint) if part))
    return Page(name=page["name"], title=page["title"], questions=tuple(questions), **extra)


def _int(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


# ``relevant``: atoms joined by and / or with parentheses, read into "all of (any of options)".
_TOKEN = re.compile(r"""\s*(?:
    (?P<selected>selected\(\s*\$\{(?P<s_name>[^}]+)\}\s*,\s*(?P<s_quote>['"])(?P<s_value>[^'"]*)(?P=s_quote)\s*\))
  | (?P<equals>\$\{(?P<e_name>[^}]+)\}\s*=\s*(?P<e_quote>['"])(?P<e_value>[^'"]*)(?P=e_quote))
  | (?P<word>and|or)(?![\w])
  | (?P<open>\()
  | (?P<close>\))
)""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position, text = 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(text[position:])
        position = match.end()
        if match.group("selected"):
            tokens.append(("atom", _Clause(match.group("s_name").strip(), "includes", [match.group("s_value")])))
        elif match.group("equals"):
            tokens.append(("atom", _Clause(match.group("e_name").strip(), "equals", [match.group("e_value")])))
        elif match.group("word"):
            tokens.append((match.group("word"), None))
        else:
            tokens.append((match.lastgroup or "", None))
        if not text[position:].strip():
            break
    return tokens


def _parse_relevant(text: str) -> list[_Clause]:
    """``a and (b or c)`` with b and c about one question -> [a, b|c]. Raises ValueError for
    anything a condition cannot hold."""
    tokens = _tokens(text)
    position = 0

    def peek() -> str | None:
        return tokens[position][0] if position < len(tokens) else None

    def take(kind: str) -> Any:
        nonlocal position
        if peek() != kind:
            raise ValueError(kind)
        position += 1
        return tokens[position - 1][1]

    def any_of() -> _Clause:  # primary ("or" primary)*, all about one question
        clause = primary()
        while peek() == "or":
            take("or")
            other = primary()
            if (other.question, other.operator) != (clause.question, clause.operator):
                raise ValueError("or across questions")
            clause = _Clause(clause.question, clause.operator, clause.options + other.options)
        return clause

    def primary() -> _Clause:
        if peek() == "open":
            take("open")
            clause = any_of()
            take("close")
            return clause
        return take("atom")

    def all_of() -> list[_Clause]:
        clauses = [any_of()]
        while peek() == "and":
            take("and")
            if peek() == "open":
                # "(a and b)" inside an "and" is still all of them.
                nonlocal position
                start = position
                try:
                    clauses.append(any_of())
                    continue
                except ValueError:
                    position = start
                take("open")
                clauses.extend(all_of())
                take("close")
            else:
                clauses.append(any_of())
        return clauses

    clauses = all_of()
    if position != len(tokens):
        raise ValueError("trailing")
    return clauses


# --------------------------------------------------------------------------- writing


def write_xlsform(form: SurveyForm) -> IO[bytes]:
    """The survey as an XLSForm workbook that ``read_xlsform`` reads back to the same survey and
    ODK's converter (pyxform) takes without errors."""
    survey_rows, choice_rows = _survey_and_choices(form)
    workbook = Workbook(write_only=True)
    for title, columns, rows in (("survey", SURVEY_COLUMNS, survey_rows), ("choices", CHOICES_COLUMNS, choice_rows),
                                 ("settings", ("form_title", "form_id", "introduction"),
                                  [{"form_title": form.settings.title, "form_id": _form_id(form.settings.code),
                                    "introduction": form.settings.introduction}])):
        sheet = workbook.create_sheet(title)
        spreadsheets.set_widths(sheet, [24 if column in ("type", "list_name") else 40 for column in columns])
        sheet.append(spreadsheets.header_row(sheet, columns))
        for row in rows:
            sheet.append([spreadsheets.text_cell(sheet, row.get(column, "")) for column in columns])
    return spreadsheets.save(workbook)


def _form_id(code: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", code)
    return cleaned if NAME_PATTERN.match(cleaned) else f"survey_{cleaned}"


def _survey_and_choices(form: SurveyForm) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    names = {question.name for question in form.questions()}
    scale_list = "scale"
    while scale_list in names:
        scale_list += "_"
    survey: list[dict[str, str]] = []
    choices: list[dict[str, str]] = []
    scale_used = False
    for page in form.pages:
        survey.append({"type": "begin_group", "name": page.name, "label": page.title,
                       "hint": getattr(page, "hint", "")})
        for question in page.questions:
            common = {"name": question.name, "label": question.label, "hint": question.hint,
                      "relevant": _relevant(question)}
            required = "yes" if question.required else ""
            if question.kind == "matrix":
                scale_used = True
                survey.append({**common, "type": "begin_group", "appearance": MATRIX_APPEARANCE})
                survey.extend({"type": f"select_one {scale_list}", "name": f"{question.name}_{row.name}",
                               "label": row.label, "required": required} for row in question.options)
                survey.append({"type": "end_group"})
                continue
            if question.kind == "scale":
                scale_used = True
                survey.append({**common, "type": f"select_one {scale_list}", "required": required,
                               "appearance": SCALE_APPEARANCE})
                continue
            row = {**common, "required": required}
            if question.kind in ("single", "multiple"):
                row["type"] = f"{'select_one' if question.kind == 'single' else 'select_multiple'} {question.name}"
                choices.extend({"list_name": question.name, "name": option.name, "label": option.label}
                               for option in question.options)
                row["constraint"] = _constraint("count-selected(.)", question.min_picks, question.max_picks)
            elif question.kind == "number":
                row["type"] = "integer" if question.integer else "decimal"
                row["constraint"] = _constraint(".", question.minimum, question.maximum)
            else:
                row["type"] = "text"
                row["constraint"] = _constraint("string-length(.)", None, question.max_length)
            survey.append(row)
        survey.append({"type": "end_group"})
    if scale_used:
        choices.extend({"list_name": scale_list, "name": name, "label": name} for name in SCALE_NAMES)
    return survey, choices


def _constraint(subject: str, low: Decimal | int | None, high: Decimal | int | None) -> str:
    parts = []
    if low is not None:
        parts.append(f"{subject} >= {_number(low)}")
    if high is not None:
        parts.append(f"{subject} <= {_number(high)}")
    return " and ".join(parts)


def _number(value: Decimal | int) -> str:
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _relevant(question: Question) -> str:
    parts = []
    for condition in question.conditions():
        options = condition.options()
        atoms = [f"selected(${{{condition.question}}}, '{option}')" if condition.operator == "includes"
                 else f"${{{condition.question}}} = '{option}'" for option in options]
        parts.append(atoms[0] if len(atoms) == 1 else "(" + " or ".join(atoms) + ")")
    return " and ".join(parts)
