"""A survey's responses for the office (PRODUCT.md §2; issue 19, "xlsx export"): a workbook with
a summary sheet, a raw sheet of one row per response and a codebook, and the raw rows as CSV for
statistics packages.

The raw columns come in a fixed order: response id, time, channel, then one column per question
in the survey's order — one 0/1 column per option for a multiple choice, one column per row for a
matrix. A question the respondent did not answer (or was not shown) is an empty cell. Values are
the option names; the codebook says what each name means.

Responses are read in batches by id and written through openpyxl's write-only mode in a worker
thread, batch by batch, so that 100,000 responses export in flat memory (the issue: three times
the row count where KoboToolbox's exports stop). Labels are translated before the thread starts,
since the interface language lives in a context variable of the request.
"""

from __future__ import annotations

import json
import statistics
from array import array
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import anyio
from openpyxl import Workbook

from evaluation.core import clock, spreadsheets
from evaluation.core.i18n import N_, _
from evaluation.core.spreadsheets import Download
from evaluation.surveys.definition import SCALE_POINTS, Question, SurveyForm
from evaluation.surveys.tables import SurveyResponse

BATCH = 2000
CHANNEL_LABELS = {"open": N_("公开"), "invitation": N_("邀请码")}
KIND_LABELS = {"single": N_("单选"), "multiple": N_("多选"), "scale": N_("量表 1–5"), "matrix": N_("矩阵"),
               "number": N_("数字"), "text": N_("文本")}
FIXED_COLUMNS = ("response_id", "submitted_at", "channel")


@dataclass(frozen=True)
class Column:
    """One raw column: its name, the question (and option or matrix row) it holds."""

    name: str
    question: Question
    option: str | None = None  # the option of a multiple choice's 0/1 column, or the matrix row


def columns(form: SurveyForm) -> list[Column]:
    """The raw sheet's question columns, in the fixed order."""
    result = []
    for question in form.questions():
        if question.kind in ("multiple", "matrix"):
            result.extend(Column(f"{question.name}/{option.name}", question, option.name)
                          for option in question.options)
        else:
            result.append(Column(question.name, question))
    return result


def raw_values(answers: dict[str, Any], table: list[Column]) -> list[Any]:
    """A response's question columns: option names, 0/1, points, Decimals and text; None when
    unanswered."""
    values: list[Any] = []
    for column in table:
        answer = answers.get(column.question.name)
        kind = column.question.kind
        if answer is None or answer == "" or answer == [] or answer == {}:
            values.append(None)
        elif kind == "multiple":
            values.append(1 if column.option in answer else 0)
        elif kind == "matrix":
            point = answer.get(column.option) if isinstance(answer, dict) else None
            values.append(int(point) if point not in (None, "") else None)
        elif kind == "scale":
            values.append(int(answer))
        elif kind == "number":
            values.append(_decimal(answer))
        else:
            values.append(str(answer))
    return values


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _answers(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # JSON arrives as text
        return json.loads(value or "{}")
    return value or {}


async def _batches(survey_id: int) -> AsyncIterator[list[dict[str, Any]]]:
    after = 0
    while True:
        rows = await SurveyResponse.select(
            SurveyResponse.id, SurveyResponse.created_at, SurveyResponse.code, SurveyResponse.answers,
        ).where((SurveyResponse.survey == survey_id) & (SurveyResponse.id > after)).order_by(
            SurveyResponse.id).limit(BATCH)
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _fixed(row: dict[str, Any]) -> tuple[int, Any, str]:
    return row["id"], row["created_at"], "invitation" if row["code"] is not None else "open"


@dataclass
class Tally:
    """What the summary sheet needs, gathered batch by batch: counts per option (or per point of a
    matrix row) and the numbers of each number question (8 bytes each, for the median)."""

    responses: int = 0
    answered: dict[str, int] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    numbers: dict[str, array] = field(default_factory=dict)
    sums: dict[str, Decimal] = field(default_factory=dict)
    lows: dict[str, Decimal] = field(default_factory=dict)
    highs: dict[str, Decimal] = field(default_factory=dict)

    def add(self, form: SurveyForm, answers: dict[str, Any]) -> None:
        self.responses += 1
        for question in form.questions():
            answer = answers.get(question.name)
            if answer is None or answer == "" or answer == [] or answer == {}:
                continue
            name = question.name
            self.answered[name] = self.answered.get(name, 0) + 1
            if question.kind == "multiple":
                for option in answer:
                    self._count(name, str(option))
            elif question.kind == "matrix" and isinstance(answer, dict):
                for row, point in answer.items():
                    self._count(f"{name}/{row}", str(point))
                    self.answered[f"{name}/{row}"] = self.answered.get(f"{name}/{row}", 0) + 1
            elif question.kind in ("single", "scale"):
                self._count(name, str(answer))
            elif question.kind == "number":
                number = _decimal(answer)
                if number is None:
                    continue
                self.numbers.setdefault(name, array("d")).append(float(number))
                self.sums[name] = self.sums.get(name, Decimal(0)) + number
                self.lows[name] = min(self.lows.get(name, number), number)
                self.highs[name] = max(self.highs.get(name, number), number)

    def _count(self, key: str, option: str) -> None:
        self.counts[(key, option)] = self.counts.get((key, option), 0) + 1


@dataclass(frozen=True)
class Words:
    """Every label of the workbook, translated on the event loop."""

    sheets: tuple[str, str, str]
    fixed_titles: tuple[str, ...]
    channels: dict[str, str]
    kinds: dict[str, str]
    summary_titles: tuple[str, ...]
    codebook_titles: tuple[str, ...]
    about: list[tuple[str, str]]
    n: str
    mean: str
    median: str
    low: str
    high: str
    answered: str
    total: str
    selected: tuple[str, str]


def _words(form: SurveyForm) -> Words:
    return Words(
        sheets=(_("汇总"), _("原始数据"), _("编码表")),
        fixed_titles=FIXED_COLUMNS,
        channels={key: _(label) for key, label in CHANNEL_LABELS.items()},
        kinds={key: _(label) for key, label in KIND_LABELS.items()},
        summary_titles=(_("题目"), _("选项"), _("人数"), _("百分比")),
        codebook_titles=(_("列名"), _("题目"), _("题型"), _("取值"), _("含义")),
        about=[(_("调查"), form.settings.title), (_("代码"), form.settings.code),
               (_("导出时间"), clock.format_local(clock.now())),
               (_("说明"), _("百分比以回答了该题的人数为分母；未回答或未显示的题在原始数据中为空。"))],
        n=_("人数"), mean=_("平均值"), median=_("中位数"), low=_("最小值"), high=_("最大值"),
        answered=_("回答人数"), total=_("答卷总数"), selected=(_("选中"), _("未选")),
    )


class _Writer:
    """The workbook being written, one batch of raw rows at a time (in a worker thread)."""

    def __init__(self, form: SurveyForm, words: Words) -> None:
        self.form, self.words = form, words
        self.table = columns(form)
        self.workbook = Workbook(write_only=True)
        # Sheets appear in the order they are made; each write-only sheet keeps its own file, so
        # the summary can be written last and still come first.
        self.summary = self.workbook.create_sheet(words.sheets[0])
        self.raw = self.workbook.create_sheet(words.sheets[1])
        self.codebook = self.workbook.create_sheet(words.sheets[2])
        titles = [*words.fixed_titles, *(column.name for column in self.table)]
        spreadsheets.start_table(self.raw, titles, [10, 18, 10] + [14] * len(self.table))
        self.rows = spreadsheets.BulkRows(self.raw)
        self.tally = Tally()

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            answers = _answers(row["answers"])
            self.tally.add(self.form, answers)
            response_id, created_at, channel = _fixed(row)
            # Plain values written at bulk speed; text that could run as a formula is quoted.
            self.rows.append([response_id, created_at, self.words.channels[channel],
                              *raw_values(answers, self.table)])

    def finish(self) -> IO[bytes]:
        self._summary()
        self._codebook()
        return spreadsheets.save(self.workbook)

    def _summary(self) -> None:
        sheet, words, tally = self.summary, self.words, self.tally
        spreadsheets.set_widths(sheet, [40, 30, 10, 10])
        for label, value in words.about:
            sheet.append([spreadsheets.text_cell(sheet, label), spreadsheets.text_cell(sheet, value)])
        sheet.append([spreadsheets.text_cell(sheet, words.total), None,
                      spreadsheets.number_cell(sheet, tally.responses)])
        sheet.append([])
        sheet.append(spreadsheets.header_row(sheet, words.summary_titles))
        for question in self.form.questions():
            answered = tally.answered.get(question.name, 0)
            sheet.append([spreadsheets.text_cell(sheet, question.label, wrap=True),
                          spreadsheets.text_cell(sheet, words.answered), spreadsheets.number_cell(sheet, answered)])
            for option, key, base in self._lines(question):
                count = tally.counts.get(key, 0)
                sheet.append([None, spreadsheets.text_cell(sheet, option), spreadsheets.number_cell(sheet, count),
                              _percent_cell(sheet, count, base)])
            if question.kind == "number" and question.name in tally.numbers:
                values = tally.numbers[question.name]
                n = len(values)
                for label, value in ((words.n, Decimal(n)),
                                     (words.mean, (tally.sums[question.name] / n).quantize(Decimal("0.01"))),
                                     (words.median, Decimal(str(statistics.median(values)))),
                                     (words.low, tally.lows[question.name]),
                                     (words.high, tally.highs[question.name])):
                    sheet.append([None, spreadsheets.text_cell(sheet, label),
                                  spreadsheets.number_cell(sheet, value, "General")])

    def _lines(self, question: Question) -> list[tuple[str, tuple[str, str], int]]:
        answered = self.tally.answered.get(question.name, 0)
        if question.kind in ("single", "multiple"):
            return [(option.label, (question.name, option.name), answered) for option in question.options]
        if question.kind == "scale":
            return [(str(point), (question.name, str(point)), answered) for point in SCALE_POINTS]
        if question.kind == "matrix":
            # Each row's percentages are of the people who answered that row.
            return [(f"{row.label}：{point}", (f"{question.name}/{row.name}", str(point)),
                     self.tally.answered.get(f"{question.name}/{row.name}", 0))
                    for row in question.options for point in SCALE_POINTS]
        return []

    def _codebook(self) -> None:
        sheet, words = self.codebook, self.words
        spreadsheets.start_table(sheet, list(words.codebook_titles), [24, 40, 10, 12, 30])
        for column in self.table:
            question = column.question
            label = question.label
            if column.option is not None:
                option = next(o for o in question.options if o.name == column.option)
                label = f"{question.label}：{option.label}"
            kind = words.kinds.get(question.kind, question.kind)
            lines: list[tuple[str, str]]
            if question.kind == "single":
                lines = [(option.name, option.label) for option in question.options]
            elif question.kind == "multiple":
                lines = [("1", words.selected[0]), ("0", words.selected[1])]
            elif question.kind in ("scale", "matrix"):
                lines = [(str(point), "") for point in SCALE_POINTS]
            else:
                lines = [("", "")]
            for index, (value, meaning) in enumerate(lines):
                first = index == 0
                sheet.append([spreadsheets.text_cell(sheet, column.name if first else ""),
                              spreadsheets.text_cell(sheet, label if first else "", wrap=True),
                              spreadsheets.text_cell(sheet, kind if first else ""),
                              spreadsheets.text_cell(sheet, value), spreadsheets.text_cell(sheet, meaning)])


def _percent_cell(sheet: Any, count: int, base: int) -> Any:
    if not base:
        return None
    return spreadsheets.number_cell(sheet, (Decimal(count) / base).quantize(Decimal("0.0001")), "0.0%")


async def responses_workbook(form: SurveyForm, survey_id: int) -> Download:
    """The responses of a survey as xlsx: summary, raw data, codebook."""
    writer = _Writer(form, _words(form))
    async for rows in _batches(survey_id):
        await anyio.to_thread.run_sync(writer.write, rows)
    file = await anyio.to_thread.run_sync(writer.finish)
    code = form.settings.code
    return Download(filename=f"{code}-{_('调查答卷')}.xlsx", fallback=f"{code}-responses.xlsx", content=file)


async def responses_csv(form: SurveyForm, survey_id: int) -> AsyncIterator[bytes]:
    """The raw sheet as CSV (UTF-8 with a BOM, the codes of channels, times in +08:00), streamed
    batch by batch; no field can run as a formula when opened in a spreadsheet."""
    table = columns(form)
    yield spreadsheets.csv_bytes([[*FIXED_COLUMNS, *(column.name for column in table)]])
    async for rows in _batches(survey_id):
        lines = []
        for row in rows:
            response_id, created_at, channel = _fixed(row)
            values = raw_values(_answers(row["answers"]), table)
            lines.append([response_id, clock.format_local(created_at), channel,
                          *("" if value is None else value for value in values)])
        yield spreadsheets.csv_bytes(lines, bom=False)


def responses_csv_download(form: SurveyForm, survey_id: int) -> Download:
    code = form.settings.code
    return Download(filename=f"{code}-{_('调查答卷')}.csv", fallback=f"{code}-responses.csv",
                    content=responses_csv(form, survey_id), media_type=spreadsheets.CSV_MEDIA_TYPE)
