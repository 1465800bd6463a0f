"""Paper forms and tallies entered by the office (PRODUCT.md §1 and Settled questions: "Rating
channels and imports").

Two layouts, told apart by the header row:

- a **tally** from a survey firm, ``unit_code,channel,level,count``: counts per department ×
  channel × level, stored as ``RatingTally`` rows; tallies have no reasons and need no answer;
- **paper forms**, ``unit_code,channel,level,reason,comment`` (optionally ``reason_text``,
  ``rated_on`` and one column per criterion, ``timeliness`` … ``accessibility``): one ``Rating``
  per line, ``source='paper'``. A form follows the web form's rules: a negative form needs a
  reason from the office's list (其他 with its text in ``reason_text``) and is answered by the
  department like any other; a comment waits for moderation like any other. ``rated_on`` keeps
  the date written on the form; the answer deadline still runs from the import, the day the
  department can first see the form.

Both count in the channel they name. A file is taken whole or not at all: every problem is
listed by line and nothing is stored until the file is clean.

Imports are counted once (PRODUCT.md, Settled questions): a file whose bytes are those of a file
already imported into the period, and not withdrawn, is refused, naming when and by whom. The
office withdraws an import with a reason: its ratings and counts are deleted in one transaction,
so they leave every count, index and list at once, and the import stays listed as withdrawn with
the reason (and the audit trail keeps what it held). Once a published ranking uses the period its
figures are frozen there, so withdrawing is refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from evaluation.core import audit, clock, import_leases, spreadsheets, working_days
from evaluation.core.database import write_in_chunks, write_transaction
from evaluation.core.i18n import N_, _
from evaluation.core.tables import Department
from evaluation.ratings import periods, reasons
from evaluation.ratings.periods import Period
from evaluation.ratings.ratings import MAX_COMMENT, MAX_REASON_TEXT
from evaluation.ratings.scale import CHANNEL_LABELS, CRITERION_LABELS, LEVEL_LABELS, NEGATIVE_LEVELS
from evaluation.ratings.tables import (
    CommentStatus,
    Rating,
    RatingAnswer,
    RatingImport,
    RatingSource,
    RatingTally,
)

TALLY = "tally"
FORMS = "forms"
KIND_LABELS = {TALLY: N_("汇总数据"), FORMS: N_("逐份问卷")}
TALLY_COLUMNS = ("unit_code", "channel", "level", "count")
FORM_COLUMNS = ("unit_code", "channel", "level", "reason", "comment")
MAX_ROWS = 50_000
MAX_COUNT = 1_000_000
MAX_FILENAME = 200  # RatingImport.filename is a Varchar(200)
log = logging.getLogger(__name__)

# The files may name channels and levels by key (in any case) or by their Chinese label.
_CHANNEL_BY_TEXT = {**{key: key for key in CHANNEL_LABELS}, **{label: key for key, label in CHANNEL_LABELS.items()}}
_LEVEL_BY_TEXT = {**{key: key for key in LEVEL_LABELS}, **{label: key for key, label in LEVEL_LABELS.items()}}


MAX_WITHDRAWAL_REASON = 500


class RatingImportError(ValueError):
    """A file refused as a whole (unreadable, wrong columns, imported already), or a withdrawal
    refused, with a message fit to show the user."""


# What may keep a period's imports from being withdrawn, registered by the capabilities that use
# a period's figures (the rankings: a published 通报). Each answers the reason, or "" when
# nothing does; ratings cannot import them (imports point one way).
PeriodLock = Callable[[int], Awaitable[str]]
_period_locks: list[PeriodLock] = []


def lock_withdrawals_with(check: PeriodLock) -> None:
    if check not in _period_locks:
        _period_locks.append(check)


@dataclass
class ImportResult:
    kind: str = ""
    rows: int = 0  # data lines of the file
    ratings: int = 0  # ratings they stand for: a tally line counts its count
    to_answer: int = 0  # negative paper forms the department must answer
    to_moderate: int = 0  # comments waiting for moderation
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.kind == TALLY:
            return _("已导入 {rows} 行汇总数据，共计 {ratings} 条评价。").format(rows=self.rows, ratings=self.ratings)
        return _("已导入 {rows} 份纸质问卷，其中 {answer} 份须由单位答复，{comments} 条留言待审核。").format(
            rows=self.rows, answer=self.to_answer, comments=self.to_moderate)


def layout_of(header: list[str]) -> str:
    """``tally`` or ``forms``, from the columns of the header row."""
    columns = set(header)
    is_tally = "count" in columns
    is_forms = bool({"reason", "comment"} & columns)
    if is_tally and not is_forms and set(TALLY_COLUMNS) <= columns:
        return TALLY
    if is_forms and not is_tally and set(FORM_COLUMNS) <= columns:
        return FORMS
    raise RatingImportError(
        _("无法识别文件格式：第一行必须是 unit_code,channel,level,count（汇总数据）"
          "或 unit_code,channel,level,reason,comment（逐份问卷）。")
    )


def _clean(text: str) -> str:
    """A control character in a cell is an artefact of the file, never part of what was written."""
    return spreadsheets.clean_text(text).strip()


@dataclass
class _Lookups:
    departments: dict[str, dict[str, Any]]  # code → row
    reasons: dict[str, dict[str, Any]]  # label → row, active reasons only

    @classmethod
    async def load(cls) -> _Lookups:
        departments = await Department.select(Department.id, Department.code, Department.active)
        return cls(
            departments={row["code"]: row for row in departments},
            reasons={row["label"]: row for row in await reasons.reasons(active_only=True)},
        )


def _common(row: dict[str, str], lookups: _Lookups, problems: list[str]) -> dict[str, Any]:
    code, channel_text, level_text = row["unit_code"], row["channel"], row["level"]
    department = lookups.departments.get(code)
    if not code:
        problems.append(_("单位代码为空"))
    elif department is None:
        problems.append(_("单位代码“{code}”不存在").format(code=code))
    elif not department["active"]:
        problems.append(_("单位“{code}”已停用").format(code=code))
    channel = _CHANNEL_BY_TEXT.get(channel_text.lower())
    if channel is None:
        problems.append(_("渠道“{channel}”不是 public（公众）或 panel（特邀评议代表）").format(channel=channel_text))
    level = _LEVEL_BY_TEXT.get(level_text.lower())
    if level is None:
        problems.append(_("评价等级“{level}”不是非常满意、满意、基本满意、不满意、非常不满意之一").format(level=level_text))
    return {"department": department["id"] if department else None, "channel": channel, "level": level}


def _tally_line(row: dict[str, str], lookups: _Lookups, problems: list[str]) -> dict[str, Any]:
    cleaned = _common(row, lookups, problems)
    count_text = row["count"]
    digits = count_text.isascii() and count_text.isdigit() and len(count_text) <= len(str(MAX_COUNT))
    count = int(count_text) if digits else 0
    if not 1 <= count <= MAX_COUNT:
        problems.append(_("数量“{count}”不是 1 到 {max} 之间的整数").format(count=count_text, max=MAX_COUNT))
    cleaned["count"] = count
    return cleaned


def _form_line(row: dict[str, str], lookups: _Lookups, problems: list[str]) -> dict[str, Any]:
    cleaned = _common(row, lookups, problems)
    reason_label, comment, reason_text = row["reason"], row["comment"], row.get("reason_text", "")
    reason = None
    # As on the web form: a reason is asked of a negative rating only, and ignored otherwise.
    if cleaned["level"] in NEGATIVE_LEVELS:
        reason = lookups.reasons.get(reason_label)
        if not reason_label:
            problems.append(_("“不满意”或“非常不满意”须填写原因"))
        elif reason is None:
            problems.append(_("原因“{reason}”不在原因列表中（可选：{choices}）").format(
                reason=reason_label, choices=_("、").join(lookups.reasons)))
        elif reason["requires_text"] and not reason_text:
            problems.append(_("原因为“{reason}”时须在 reason_text 列写明具体原因").format(reason=reason_label))
    else:
        reason_text = ""
    if len(reason_text) > MAX_REASON_TEXT:
        problems.append(_("原因说明超过 {max} 个字").format(max=MAX_REASON_TEXT))
    if len(comment) > MAX_COMMENT:
        problems.append(_("留言超过 {max} 个字").format(max=MAX_COMMENT))
    rated_on = _rated_on(row.get("rated_on", ""), problems)
    criteria = {}
    for key in CRITERION_LABELS:
        text = row.get(key, "")
        if not text:
            continue
        level = _LEVEL_BY_TEXT.get(text.lower())
        if level is None:
            problems.append(_("{criterion}“{level}”不是五个等级之一").format(
                criterion=_(CRITERION_LABELS[key]), level=text))
        else:
            criteria[key] = level
    cleaned.update(reason=reason["id"] if reason else None, reason_text=reason_text, comment=comment,
                   criteria=criteria, rated_on=rated_on)
    return cleaned


def _rated_on(text: str, problems: list[str]) -> date | None:
    """The date written on the form, YYYY-MM-DD (an xlsx date cell reads the same), or none."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        problems.append(_("填表日期“{day}”不是 YYYY-MM-DD 格式的日期").format(day=text))
    elif day > periods.today():
        problems.append(_("填表日期“{day}”晚于今天").format(day=text))
    return day


def validate(kind: str, rows: spreadsheets.Rows, lookups: _Lookups) -> tuple[list[dict[str, Any]], list[str]]:
    errors: list[str] = []
    valid: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, row in rows:
        row = {column: _clean(value) for column, value in row.items()}
        problems: list[str] = []
        cleaned = (_tally_line if kind == TALLY else _form_line)(row, lookups, problems)
        if kind == TALLY and not problems:
            # Two lines for one cell of the tally are a mistake of the firm's, not a sum to guess.
            key = (cleaned["department"], cleaned["channel"], cleaned["level"])
            if key in seen:
                problems.append(_("与第 {line} 行重复（同一单位、渠道和等级）").format(line=seen[key]))
            else:
                seen[key] = line
        if problems:
            errors.append(_("第 {line} 行：").format(line=line) + _("；").join(problems))
        else:
            valid.append(cleaned)
    if not rows:
        errors.append(_("文件中没有数据行。"))
    return valid, errors


def _stored_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1][-MAX_FILENAME:]


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def _imported_before(period: Period, digest: str) -> dict[str, Any] | None:
    return await RatingImport.select(
        RatingImport.filename, RatingImport.created_at, RatingImport.entered_as,
        RatingImport.entered_by.display_name, RatingImport.entered_by.username,
    ).where((RatingImport.period == period.id) & (RatingImport.content_hash == digest)
            & RatingImport.withdrawn_at.is_null() & RatingImport.completed_at.is_not_null()
            ).order_by(RatingImport.id).first()


def entered_by(row: dict[str, Any]) -> str:
    """Who entered an import, as the list shows it: the account's name, else the trail's actor."""
    return row.get("entered_by.display_name") or row.get("entered_by.username") or row.get("entered_as") or "—"


def _refuse_twice(period: Period, earlier: dict[str, Any]) -> RatingImportError:
    return RatingImportError(
        _("这个文件与 {at} 由 {who} 导入本评议期的“{filename}”完全相同，已拒绝，以免重复计数。"
          "如需更正，请先撤回那次导入。").format(
            at=clock.format_local(earlier["created_at"])[:16], who=entered_by(earlier),
            filename=earlier["filename"]))


async def import_ratings(actor: str, period: Period, filename: str, content: bytes,
                         account_id: int | None = None) -> ImportResult:
    """All lines or none. Raises ``RatingImportError`` for a file that is not a table of either
    layout, one imported into the period already, or an import interrupted while written (what
    had been written is then taken out again); otherwise returns the result, with ``errors`` (one
    per bad line) if nothing was stored.

    The whole file is checked first. It is then written ``IMPORT_CHUNK_ROWS`` rows per
    transaction (``write_in_chunks``), so that citizens' ratings take their turn between two
    chunks instead of waiting for 50,000 rows, and it is marked complete by the last transaction:
    until then its rows count nowhere (evaluation/ratings/completeness.py). An import left
    incomplete by a crash is cleaned up by the next import or when the server starts
    (``clean_up_interrupted``)."""
    digest = content_hash(content)
    await clean_up_interrupted()
    earlier = await _imported_before(period, digest)
    if earlier is not None:
        raise _refuse_twice(period, earlier)
    try:
        header, rows = spreadsheets.read_rows(filename, content)
    except spreadsheets.SpreadsheetError as refusal:
        raise RatingImportError(str(refusal)) from refusal
    result = ImportResult(kind=layout_of(header), rows=len(rows))
    if len(rows) > MAX_ROWS:
        raise RatingImportError(_("文件超过 {max} 行，请分成几个文件导入。").format(max=MAX_ROWS))
    valid, result.errors = validate(result.kind, rows, await _Lookups.load())
    if result.errors:
        return result
    now = clock.now()
    filename = _stored_name(filename)
    # Rows are made before any transaction (their batch is filled in as they are written): on
    # SQLite a transaction holds the one write lock, and citizens' ratings wait for it.
    if result.kind == TALLY:
        records: list[Any] = [
            RatingTally(period=period.id, department=line["department"], channel=line["channel"],
                        level=line["level"], rating_count=line["count"], import_batch=None)
            for line in valid
        ]
        result.ratings = sum(line["count"] for line in valid)
    else:
        # The department cannot answer a form before the office has entered it, so the
        # deadline counts from the entry, as a web rating's counts from its submission.
        due = await working_days.deadline_after(now, period.answer_working_days)
        records = [_paper_rating(period, line, due, now) for line in valid]
        result.ratings = len(valid)
        result.to_answer = sum(line["level"] in NEGATIVE_LEVELS for line in valid)
        result.to_moderate = sum(bool(line["comment"]) for line in valid)
    table = RatingTally if result.kind == TALLY else Rating
    async with import_leases.held() as lease:
        async with write_transaction():
            batch = (await RatingImport.insert(RatingImport(
                period=period.id, filename=filename, kind=result.kind, rows=len(valid), entered_by=account_id,
                entered_as=actor, created_at=now, content_hash=digest, completed_at=None, lease=lease,
            )).returning(RatingImport.id))[0]["id"]
        written = 0

        async def write(chunk: Sequence[Any]) -> None:
            nonlocal written
            for record in chunk:
                record.import_batch = batch
            await table.insert(*chunk)
            written += len(chunk)

        try:
            await write_in_chunks(records, write)
            await _complete(actor, period, batch, digest, filename, result)
        except RatingImportError:
            await _discard(actor, batch, "duplicate")
            raise
        except Exception as failure:
            log.exception("the import of %s into %s was interrupted after %d rows", filename, period.code, written)
            raise await _interrupted(actor, batch, written, len(records), failure) from failure
    return result


async def _complete(actor: str, period: Period, batch: int, digest: str, filename: str, result: ImportResult) -> None:
    """The import's last transaction: from its commit on, its rows count everywhere at once."""
    async with write_transaction():
        # Checked again under the write lock: of two uploads of one file at once, one counts.
        earlier = await _imported_before(period, digest)
        if earlier is not None:
            raise _refuse_twice(period, earlier)
        await RatingImport.update({RatingImport.completed_at: clock.now()}).where(RatingImport.id == batch)
        await audit.record(actor, "ratings.import", f"period:{period.code}",
                           new={"filename": filename, "kind": result.kind, "rows": result.rows})


async def _interrupted(actor: str, batch: int, written: int, total: int, failure: Exception) -> RatingImportError:
    """What the office is told when the database failed between two chunks: the rows written so
    far are taken out again at once if the database lets us, else by the next clean-up; either
    way they never counted."""
    try:
        await _discard(actor, batch, "interrupted")
    except Exception:
        log.exception("the rows of interrupted import %d are left to the next clean-up", batch)
        return RatingImportError(_(
            "导入在写入 {written}/{total} 行后中断（数据库错误）：已写入的部分没有计入任何统计，"
            "将在下次导入或服务重启时清除。可以重新导入这个文件。").format(written=written, total=total))
    return RatingImportError(_(
        "导入在写入 {written}/{total} 行后中断（数据库错误）：已写入的部分已清除，没有计入任何统计。"
        "请重新导入这个文件。").format(written=written, total=total))


async def clean_up_interrupted() -> int:
    """Removes the rows of every import whose writing process is gone before it completed (the
    server or the command was killed, the machine stopped), audited; returns how many imports.
    Run before each import and when the server starts. An import still being written holds its
    lease (evaluation/core/import_leases.py) and is left alone."""
    cleaned = 0
    incomplete = await RatingImport.select(RatingImport.id, RatingImport.lease).where(
        RatingImport.completed_at.is_null())
    for row in incomplete:
        if await _discard("pingyi", row["id"], "interrupted", lease=row["lease"]):
            cleaned += 1
    return cleaned


async def _discard(actor: str, batch: int, why: str, lease: str | None = None) -> bool:
    """Deletes an incomplete import and its rows, audited; False if it is complete after all, or
    (given its ``lease``) still being written. Its rows count nowhere, so they go in chunks, the
    import's row last, with the audit entry."""
    if lease is not None:
        async with write_transaction():
            # Looked at under the write lock and before reading the row again: an import completes
            # before its writer lets go of the lease, so a free lease and no completion mean the
            # writer died and never will complete it.
            if not await import_leases.abandoned(lease):
                return False
    found = await RatingImport.select(
        RatingImport.id, RatingImport.kind, RatingImport.filename, RatingImport.rows, RatingImport.period.code,
        RatingImport.completed_at, RatingImport.entered_as, RatingImport.created_at,
    ).where(RatingImport.id == batch).first()
    if found is None or found["completed_at"] is not None:
        return False
    table = RatingTally if found["kind"] == TALLY else Rating
    ids = [row["id"] for row in await table.select(table.id).where(table.import_batch == batch)]

    async def delete(chunk: Sequence[int]) -> None:
        if table is Rating:
            # Nobody answered or corrected these (they were never shown), but nothing is left
            # pointing at them whatever happened.
            placeholders = ", ".join("{}" for __ in chunk)
            await RatingAnswer.raw("DELETE FROM answer_correction WHERE answer IN (SELECT id FROM rating_answer"
                                   f" WHERE rating IN ({placeholders}))", *chunk)
            await RatingAnswer.raw(f"DELETE FROM rating_answer WHERE rating IN ({placeholders})", *chunk)
        await table.delete().where(table.id.is_in(list(chunk)))

    await write_in_chunks(ids, delete)
    async with write_transaction():
        incomplete = (RatingImport.id == batch) & RatingImport.completed_at.is_null()
        deleted = await RatingImport.exists().where(incomplete)
        if deleted:
            await RatingImport.delete().where(incomplete)
            await audit.record(actor, f"ratings.import.{why}", f"period:{found['period.code']}", old={
                "import": batch, "filename": found["filename"], "kind": found["kind"], "rows": found["rows"],
                "written": len(ids), "entered_as": found["entered_as"],
                "started": clock.format_local(found["created_at"])})
    return deleted


def _paper_rating(period: Period, line: dict[str, Any], due: Any, now: Any) -> Rating:
    negative = line["level"] in NEGATIVE_LEVELS
    return Rating(
        period=period.id, department=line["department"], channel=line["channel"],
        source=RatingSource.paper.value, voter_id=None, panel_code=None, level=line["level"],
        criteria=line["criteria"], reason=line["reason"] if negative else None,
        reason_text=line["reason_text"], comment=line["comment"], rated_on=line["rated_on"],
        comment_status=CommentStatus.pending.value if line["comment"] else CommentStatus.none.value,
        answer_due=due if negative else None, created_at=now,
    )


async def import_for_command_line(actor: str, period_reference: str, filename: str, content: bytes) -> ImportResult:
    """``pingyi ratings import PERIOD FILE``: PERIOD is the period's code or numeric id."""
    period = await periods.find(period_reference)
    if period is None:
        raise RatingImportError(_("找不到评议期“{period}”。").format(period=period_reference))
    return await import_ratings(actor, period, filename, content)


async def recent_imports(period_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """What the office has entered, newest first: so a file sent twice is noticed."""
    query = RatingImport.select(
        RatingImport.id, RatingImport.filename, RatingImport.kind, RatingImport.rows, RatingImport.created_at,
        RatingImport.period.code, RatingImport.period.name, RatingImport.entered_by.display_name,
        RatingImport.entered_by.username, RatingImport.entered_as, RatingImport.withdrawn_at,
        RatingImport.withdrawn_by, RatingImport.withdrawal_reason, RatingImport.completed_at,
    ).order_by(RatingImport.id, ascending=False).limit(limit)
    if period_id is not None:
        query = query.where(RatingImport.period == period_id)
    return await query


async def withdraw(actor: str, import_id: int, reason: str) -> dict[str, Any]:
    """Take an import's ratings out of every count at once, keeping the import listed as
    withdrawn with the reason. Refused with the reason when a published ranking uses the period."""
    reason = _clean(reason)
    if not reason:
        raise RatingImportError(_("请写明撤回的原因。"))
    if len(reason) > MAX_WITHDRAWAL_REASON:
        raise RatingImportError(_("撤回原因不能超过 {max} 个字。").format(max=MAX_WITHDRAWAL_REASON))
    async with write_transaction():
        batch = await RatingImport.select(
            RatingImport.id, RatingImport.period, RatingImport.period.code, RatingImport.filename,
            RatingImport.kind, RatingImport.rows, RatingImport.withdrawn_at, RatingImport.completed_at,
        ).where(RatingImport.id == import_id).first()
        if batch is None:
            raise RatingImportError(_("找不到这次导入。"))
        if batch["completed_at"] is None:
            raise RatingImportError(_("这次导入尚未完成，它的数据没有计入任何统计，无需撤回。"))
        if batch["withdrawn_at"] is not None:
            raise RatingImportError(_("这次导入已经撤回。"))
        for check in _period_locks:
            locked = await check(batch["period"])
            if locked:
                raise RatingImportError(locked)
        if batch["kind"] == TALLY:
            removed = sum(row["rating_count"] for row in await RatingTally.select(RatingTally.rating_count).where(
                RatingTally.import_batch == import_id))
            await RatingTally.delete().where(RatingTally.import_batch == import_id)
        else:
            removed = await Rating.count().where(Rating.import_batch == import_id)
            # Answers go with their ratings (not left to ON DELETE CASCADE, which SQLite applies
            # only with its foreign_keys pragma on).
            await RatingAnswer.raw("DELETE FROM answer_correction WHERE answer IN (SELECT id FROM rating_answer"
                                   " WHERE rating IN (SELECT id FROM rating WHERE import_batch = {}))", import_id)
            await RatingAnswer.raw("DELETE FROM rating_answer WHERE rating IN (SELECT id FROM rating"
                                   " WHERE import_batch = {})", import_id)
            await Rating.delete().where(Rating.import_batch == import_id)
        now = clock.now()
        await RatingImport.update({RatingImport.withdrawn_at: now, RatingImport.withdrawn_by: actor,
                                   RatingImport.withdrawal_reason: reason}).where(RatingImport.id == import_id)
        await audit.record(actor, "ratings.import.withdraw", f"period:{batch['period.code']}",
                           old={"import": import_id, "filename": batch["filename"], "kind": batch["kind"],
                                "rows": batch["rows"], "ratings": removed},
                           new={"withdrawn": True, "reason": reason})
    return {**batch, "ratings": removed, "reason": reason}
