"""Scores entered in bulk from a spreadsheet, for teams that scored on paper (PRODUCT.md §4):
columns ``unit_code, indicator_code, value``; value = points for score and bonus items (in the
indicator system's point step), occurrences for deduct items, 1/0 for a veto.

A file is checked whole first: every problem is listed by row and nothing is written unless the
file is clean and every checklist it touches is still open. Each value is then written as a save
would write it (``record_answer``: new version, who and when, audited), the note left as it was;
a value equal to the one stored is left as it is, so the same file again changes nothing twice.

The values are written a checklist at a time: each transaction takes whole checklists, up to
``IMPORT_CHUNK_ROWS`` values (``write_in_chunks``), under their locks, with one audit entry naming
its part, its units and its values. A checklist therefore has either every value the file gives
it or none, and a team's save or submission waits for one part, not for 20,000 values. What is
complete is each checklist, not the file: should the database fail, or a team submit a checklist
between two parts, the import stops there, the checklists written stay written (each value valid
on its own, as a save from a tablet), and the page or the command says which units were written
and which were not; the same file again writes the rest. The import counts as done only when
the command or page says "已导入", and the audit trail's parts say how far it got.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.core import audit, spreadsheets
from evaluation.core.database import IMPORT_CHUNK_ROWS, is_postgres, write_in_chunks, write_transaction
from evaluation.core.i18n import _
from evaluation.core.tables import Department
from inspections.checklists import checklists
from inspections.checklists.checklists import AnswerError
from inspections.checklists.scoring import as_decimal
from inspections.rounds import rounds
from inspections.rounds.rounds import ROUND_STATUS_LABELS, Round
from inspections.tables import Checklist, ChecklistStatus, Indicator, RoundStatus

COLUMNS = ("unit_code", "indicator_code", "value")
MAX_ROWS = 20_000
_CLOSED = (ChecklistStatus.submitted.value, ChecklistStatus.approved.value)
log = logging.getLogger(__name__)


class ScoresImportError(ValueError):
    """A file or round refused as a whole (unreadable, wrong columns, round not open)."""


@dataclass(frozen=True)
class UnitCount:
    code: str
    name: str
    values: int


@dataclass
class ScoresResult:
    round_code: str = ""
    round_name: str = ""
    rows: int = 0
    units: list[UnitCount] = field(default_factory=list)  # values written, per unit, in file order
    unchanged: int = 0  # values equal to the ones stored, left as they were
    errors: list[str] = field(default_factory=list)  # the file refused whole: nothing was written
    # Set when the import stopped between two parts: why, and the units left unwritten; the
    # units above were written, whole.
    stopped: str = ""
    not_written: list[str] = field(default_factory=list)

    @property
    def values(self) -> int:
        return sum(unit.values for unit in self.units)

    def summary(self) -> str:
        per_unit = _("；").join(
            _("{name}（{code}）{n} 项").format(name=unit.name, code=unit.code, n=unit.values) for unit in self.units
        )
        summary = _("已导入 {n} 个分值：{units}。").format(n=self.values, units=per_unit)
        if self.unchanged:
            summary += _("另有 {n} 个分值与已保存的相同，未改动。").format(n=self.unchanged)
        return summary


@dataclass(frozen=True)
class _Line:
    line: int
    unit_code: str
    checklist_id: int
    answer_id: int
    value: Decimal


@dataclass
class _Lookups:
    departments: dict[str, dict[str, Any]]  # code → id, name
    checklists: dict[int, dict[str, Any]]  # department id → checklist id, status
    indicators: dict[str, dict[str, Any]]  # code → id, kind, max_points, parent_code
    answers: dict[tuple[int, int], int]  # (checklist, indicator) → answer id
    point_step: Decimal  # the round's indicator system's

    @classmethod
    async def load(cls, found: Round) -> _Lookups:
        departments = await Department.select(Department.id, Department.code, Department.name)
        checklist_rows = await Checklist.select(Checklist.id, Checklist.department, Checklist.status).where(
            Checklist.round == found.id
        )
        indicators = await Indicator.select(
            Indicator.id, Indicator.code, Indicator.kind, Indicator.max_points, Indicator.parent_code
        ).where(Indicator.system == found.system_id)
        answers = await Checklist.raw(
            "SELECT a.id, a.checklist, a.indicator FROM checklist_answer a JOIN checklist c ON c.id = a.checklist "
            "WHERE c.round = {}",
            found.id,
        ).run()
        return cls(
            departments={row["code"]: row for row in departments},
            checklists={row["department"]: row for row in checklist_rows},
            indicators={row["code"]: row for row in indicators},
            answers={(row["checklist"], row["indicator"]): row["id"] for row in answers},
            point_step=found.system_point_step,
        )


def closed_message(name: str, code: str, status: str) -> str:
    """Submitted and approved checklists are the team's and the office's word: a file never changes them."""
    if status == ChecklistStatus.approved.value:
        return _("{name}（{code}）的考核清单已审定，不能导入").format(name=name, code=code)
    return _("{name}（{code}）的考核清单已提交，不能导入").format(name=name, code=code)


def _check_line(line: int, row: dict[str, str], lookups: _Lookups, seen: dict[tuple[str, str], int],
                problems: list[str]) -> _Line | None:
    unit_code, indicator_code, value_text = (row.get(column, "") for column in COLUMNS)
    department = checklist = indicator = None
    if not unit_code:
        problems.append(_("unit_code 为空"))
    elif (department := lookups.departments.get(unit_code)) is None:
        problems.append(_("单位代码“{code}”不存在").format(code=unit_code))
    elif (checklist := lookups.checklists.get(department["id"])) is None:
        problems.append(_("{name}（{code}）不在本考核批次的范围内").format(name=department["name"], code=unit_code))
    elif checklist["status"] in _CLOSED:
        problems.append(closed_message(department["name"], unit_code, checklist["status"]))
    if not indicator_code:
        problems.append(_("indicator_code 为空"))
    elif (indicator := lookups.indicators.get(indicator_code)) is None:
        problems.append(_("指标代码“{code}”不在本批次的指标体系中").format(code=indicator_code))
    elif not indicator["parent_code"]:
        problems.append(_("“{code}”是类目，不能直接打分，请填写其下的指标代码").format(code=indicator_code))
        indicator = None
    value = None
    if indicator is not None:
        if not value_text:
            problems.append(_("value 为空（得分项填分数，扣分项填次数，单项否决填 1 或 0）"))
        else:
            try:
                value = checklists.parse_value(indicator["kind"], as_decimal(indicator["max_points"]),
                                               lookups.point_step, value_text)
            except AnswerError as refusal:
                problems.append(_("{code} 的 value“{value}”无效：{reason}").format(
                    code=indicator_code, value=value_text, reason=str(refusal).rstrip("。")))
    if department is not None and indicator is not None:
        key = (unit_code, indicator_code)
        if key in seen:
            problems.append(_("与第 {line} 行重复（同一单位和指标）").format(line=seen[key]))
        else:
            seen[key] = line
    if problems or checklist is None or indicator is None or value is None:
        return None
    answer_id = lookups.answers.get((checklist["id"], indicator["id"]))
    if answer_id is None:  # answers are made when the round opens; an open round has them all
        problems.append(_("考核清单中没有指标 {code}").format(code=indicator_code))
        return None
    return _Line(line, unit_code, checklist["id"], answer_id, value)


def validate(rows: spreadsheets.Rows, lookups: _Lookups) -> tuple[list[_Line], list[str]]:
    errors: list[str] = []
    valid: list[_Line] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        row = {column: spreadsheets.clean_text(text).strip() for column, text in row.items()}
        problems: list[str] = []
        checked = _check_line(line, row, lookups, seen, problems)
        if problems:
            errors.append(_("第 {line} 行：").format(line=line) + _("；").join(problems))
        elif checked is not None:
            valid.append(checked)
    if not rows:
        errors.append(_("文件中没有数据行。"))
    return valid, errors


def _require_open(found: Round) -> None:
    if found.status != RoundStatus.open.value:
        raise ScoresImportError(_("考核批次“{code}”{status}，只有进行中的批次可以导入分值。").format(
            code=found.code, status=_(ROUND_STATUS_LABELS.get(found.status, found.status))))


async def import_scores(actor: str, found: Round, filename: str, content: bytes,
                        account_id: int | None = None) -> ScoresResult:
    """All values or none. Raises ``ScoresImportError`` for a file that is not such a table or a
    round that is not open; otherwise returns the result, with ``errors`` (by row) if nothing was
    written."""
    _require_open(found)
    try:
        rows = spreadsheets.read_table(filename, content, COLUMNS)
    except spreadsheets.SpreadsheetError as refusal:
        raise ScoresImportError(str(refusal)) from refusal
    if len(rows) > MAX_ROWS:
        raise ScoresImportError(_("文件超过 {max} 行，请分成几个文件导入。").format(max=MAX_ROWS))
    result = ScoresResult(round_code=found.code, round_name=found.name, rows=len(rows))
    lookups = await _Lookups.load(found)
    valid, result.errors = validate(rows, lookups)
    if result.errors:
        return result
    names = {code: row["name"] for code, row in lookups.departments.items()}
    async with write_transaction():
        # Every checklist of the file, before anything is written: a file for a checklist
        # submitted meanwhile is refused whole, as a bad row is.
        if not await _still_open(found, valid, names, result):
            return result
    parts = _parts(valid)
    written: list[dict[str, int]] = []  # per part begun: values written per unit
    unchanged: list[int] = []

    async def write(chunk: Sequence[list[list[_Line]]]) -> None:
        (part,) = chunk
        lines = [line for checklist in part for line in checklist]
        written.append({})
        unchanged.append(0)
        refused: list[str] = []
        # One line per checklist: a checklist submitted meanwhile is named once, at its first line.
        if not await _still_open(found, [checklist[0] for checklist in part], names, ScoresResult(errors=refused)):
            raise _Stopped(_("；").join(refused))
        stored = await _stored([line.answer_id for line in lines])
        for line in lines:
            value, note = stored[line.answer_id]
            if value is not None and as_decimal(value) == line.value:
                unchanged[-1] += 1
                continue
            await checklists.record_answer(line.answer_id, line.value, note, actor, account_id)
            written[-1][line.unit_code] = written[-1].get(line.unit_code, 0) + 1
        await audit.record(actor, "scores.import", f"round:{found.code}", new={
            "filename": spreadsheets.clean_text(filename)[-200:], "part": f"{len(written)}/{len(parts)}",
            "values": sum(written[-1].values()), "units": written[-1]})

    # write_in_chunks commits a part before it begins the next: all parts begun but the last
    # one are written, and the last one too when nothing went wrong.
    committed = len(parts)
    try:
        await write_in_chunks(parts, write, size=1)
    except Exception as failure:
        committed = len(written) - 1
        if isinstance(failure, _Stopped):
            reason = str(failure)
        else:
            log.exception("the scores import of %s stopped after %d of %d parts", found.code, committed, len(parts))
            reason = _("数据库错误")
        result.stopped = _("导入在第 {part}/{parts} 部分停止（{reason}）。").format(
            part=committed + 1, parts=len(parts), reason=reason)
        done = {line.unit_code for part in parts[:committed] for checklist in part for line in checklist}
        result.not_written = [f"{names[code]}（{code}）" for code in dict.fromkeys(
            line.unit_code for line in valid) if code not in done]
    counts: dict[str, int] = {}
    for part in written[:committed]:
        for code, n in part.items():
            counts[code] = counts.get(code, 0) + n
    result.units = [UnitCount(code, names[code], n) for code, n in counts.items()]
    result.unchanged = sum(unchanged[:committed])
    return result


class _Stopped(Exception):
    """A part found one of its checklists submitted or approved since the file was checked."""


def _parts(valid: list[_Line]) -> list[list[list[_Line]]]:
    """The file's lines by checklist (in file order), packed into parts of at most
    ``IMPORT_CHUNK_ROWS`` values; a checklist is never split (one has at most a system's items)."""
    by_checklist: dict[int, list[_Line]] = {}
    for line in valid:
        by_checklist.setdefault(line.checklist_id, []).append(line)
    parts: list[list[list[_Line]]] = []
    size = IMPORT_CHUNK_ROWS
    for lines in by_checklist.values():
        if parts and size + len(lines) <= IMPORT_CHUNK_ROWS:
            parts[-1].append(lines)
            size += len(lines)
        else:
            parts.append([lines])
            size = len(lines)
    return parts


async def _still_open(found: Round, valid: list[_Line], names: dict[str, str], result: ScoresResult) -> bool:
    """The round and every checklist the file touches, read again under the write lock: a team may
    have submitted while the file was being checked. On PostgreSQL the checklist rows stay locked
    until the values are in, so a submit or an approval waits for the import, or the import for it."""
    ids = sorted({line.checklist_id for line in valid})
    placeholders = ", ".join("{}" for __ in ids)
    lock = ""
    if is_postgres():
        # Answers before checklists: the order a save and a submit lock them in, so none deadlocks.
        await Checklist.raw(
            f"SELECT id FROM checklist_answer WHERE checklist IN ({placeholders}) ORDER BY id FOR UPDATE", *ids
        ).run()
        lock = " FOR UPDATE OF c"
    rows = await Checklist.raw(
        "SELECT c.id, c.status, r.status AS round_status FROM checklist c JOIN inspection_round r ON r.id = c.round "
        f"WHERE c.id IN ({placeholders}) ORDER BY c.id{lock}",
        *ids,
    ).run()
    if any(row["round_status"] != RoundStatus.open.value for row in rows):
        result.errors.append(_("考核批次“{code}”已不在进行中。").format(code=found.code))
        return False
    status = {row["id"]: row["status"] for row in rows}
    for line in valid:
        if status[line.checklist_id] in _CLOSED:
            result.errors.append(_("第 {line} 行：").format(line=line.line)
                                 + closed_message(names[line.unit_code], line.unit_code, status[line.checklist_id]))
    return not result.errors


async def _stored(answer_ids: list[int]) -> dict[int, tuple[Any, str]]:
    """answer id → (value, note) as stored now, read in the part's transaction."""
    placeholders = ", ".join("{}" for __ in answer_ids)
    rows = await Checklist.raw(
        f"SELECT id, value, note FROM checklist_answer WHERE id IN ({placeholders})", *answer_ids).run()
    return {row["id"]: (row["value"], row["note"] or "") for row in rows}


async def import_for_command_line(actor: str, round_reference: str, filename: str, content: bytes) -> ScoresResult:
    """``pingyi scores import ROUND FILE``: ROUND is the round's code or numeric id."""
    found = await rounds.find(round_reference)
    if found is None:
        raise ScoresImportError(_("找不到考核批次“{round}”。").format(round=round_reference))
    return await import_scores(actor, found, filename, content)
