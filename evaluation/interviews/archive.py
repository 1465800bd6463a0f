"""The archive of an interview (PRODUCT.md §3): the transcript (question, answer, who answered,
when), the summary, and the same as an xlsx workbook and a printable page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from openpyxl import Workbook

from evaluation.core import clock, spreadsheets
from evaluation.core.i18n import N_, _
from evaluation.core.spreadsheets import number_cell, text_cell, time_cell
from evaluation.interviews import questions, views
from evaluation.interviews.tables import AnswerKind, Status


def answered_by(question: dict[str, Any], department: str) -> str:
    answer = question["answer"]
    if answer is None:
        return ""
    return answer["who"] or department


def kind_label(kind: str) -> str:
    return _("现场答复") if kind == AnswerKind.live.value else _("书面答复")


@dataclass
class Transcript:
    interview: dict[str, Any]
    questions: list[dict[str, Any]]

    @property
    def rows(self) -> list[dict[str, Any]]:
        department = self.interview["department.name"]
        return [{**row, "answered_by": answered_by(row, department),
                 "kind": kind_label(row["answer"]["kind"]) if row["answer"] else ""} for row in self.questions]


async def transcript(code: str, *, staff: bool) -> Transcript | None:
    """The public sees the transcript of a closed or archived interview; staff see it at any time."""
    interview = await views.find(code, public=not staff)
    if interview is None or (not staff and interview["code"] != code):
        return None
    if not staff and interview["status"] not in (Status.closed.value, Status.archived.value):
        return None
    return Transcript(interview=interview, questions=await questions.approved_with_answers(interview["id"]))


@dataclass
class Download:
    file: IO[bytes]
    filename: str
    fallback: str


HEADERS = (N_("序号"), N_("提问时间"), N_("提问人"), N_("问题"), N_("答复人"), N_("答复方式"), N_("答复时间"),
           N_("答复"))
WIDTHS = (6, 18, 12, 40, 24, 10, 18, 60)


def workbook(found: Transcript) -> IO[bytes]:
    interview = found.interview
    book = Workbook()
    sheet = book.active
    sheet.title = _("访谈实录")
    spreadsheets.set_widths(sheet, WIDTHS)
    spreadsheets.title_row(sheet, interview["topic"], len(HEADERS))
    facts = [
        (_("代码"), interview["code"]),
        (_("单位"), interview["department.name"]),
        (_("时间"), interview["time_span"] + " (+08:00)"),
        (_("嘉宾"), "、".join(guest["label"] for guest in interview["guests"])),
        (_("主持人"), interview["host_label"]),
        (_("状态"), interview["status_label"]),
        (_("摘要"), interview["summary"]),
    ]
    for label, value in facts:
        label_cell = text_cell(sheet, label)
        label_cell.font = spreadsheets.HEADER_FONT
        sheet.append([label_cell, text_cell(sheet, value, wrap=True)])
        sheet.merge_cells(start_row=sheet.max_row, start_column=2, end_row=sheet.max_row, end_column=len(HEADERS))
    sheet.append([])
    sheet.append(spreadsheets.header_row(sheet, [_(title) for title in HEADERS]))
    header_at = sheet.max_row
    sheet.freeze_panes = f"A{header_at + 1}"
    for index, row in enumerate(found.rows, start=1):
        answer = row["answer"]
        sheet.append([
            number_cell(sheet, index),
            time_cell(sheet, row["created_at"]),
            text_cell(sheet, row["display_name"] or _("匿名")),
            text_cell(sheet, row["body"], wrap=True),
            text_cell(sheet, row["answered_by"]),
            text_cell(sheet, row["kind"]),
            time_cell(sheet, answer["answered_at"]) if answer else None,
            text_cell(sheet, answer["body"] if answer else _("（尚未答复）"), wrap=True),
        ])
    spreadsheets.print_landscape(sheet, f"{header_at}:{header_at}")
    return spreadsheets.save(book)


async def download(code: str, *, staff: bool) -> Download | None:
    found = await transcript(code, staff=staff)
    if found is None:
        return None
    code = found.interview["code"]
    day = clock.local(found.interview["starts_at"]).date().isoformat()
    return Download(file=workbook(found), filename=f"线上访谈-{code}-{day}.xlsx", fallback=f"interview-{code}.xlsx")
