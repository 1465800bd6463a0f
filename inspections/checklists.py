"""Checklists as inspectors fill them: who may see and change one, the page's state, and the
save of one item (idempotent by the page's save id, refused on a stale version).

Visibility (PRODUCT.md, Settled questions): office and auditor see every checklist; an inspector
sees only the checklists of teams they belong to (any other is "not found", never "forbidden");
liaisons see none. Only members of the checklist's team change answers, and only while the round
is open and the checklist is not started, in progress or returned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import weakref
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

from evaluation import audit, clock, i18n
from evaluation.accounts import SignedIn
from evaluation.database import is_postgres, is_unique_violation, write_transaction
from evaluation.i18n import N_, _
from evaluation.tables import Role
from inspections import scoring
from inspections.scoring import ChecklistScore, as_decimal, format_points
from inspections.tables import EDITABLE_STATUSES, Checklist, ChecklistStatus, RoundStatus

SAVE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_NOTE_LENGTH = 2000
MAX_OCCURRENCES = 999
EDITABLE = {status.value for status in EDITABLE_STATUSES}

STATUS_LABELS = {
    ChecklistStatus.not_started: N_("未开始"),
    ChecklistStatus.in_progress: N_("填写中"),
    ChecklistStatus.submitted: N_("已提交"),
    ChecklistStatus.returned: N_("已退回"),
    ChecklistStatus.approved: N_("已通过"),
}


class AnswerError(ValueError):
    """A value or note that cannot be saved, with a message fit to show the inspector."""


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    original_name: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class ItemState:
    indicator_id: int
    code: str
    title: str
    kind: str
    max_points: Decimal
    per_occurrence: Decimal | None
    scoring_rule: str
    answer_id: int | None  # None while the round is a draft (answers are made when it opens)
    value: Decimal | None
    note: str
    version: int
    answered: bool
    points: Decimal | None
    evidence: list[EvidenceFile] = field(default_factory=list)


@dataclass(frozen=True)
class CategoryState:
    code: str
    title: str
    kind: str
    max_points: Decimal
    points: Decimal
    items: list[ItemState] = field(default_factory=list)


@dataclass(frozen=True)
class ChecklistPage:
    id: int
    status: str
    round_code: str
    round_name: str
    round_status: str
    deadline: dt.date
    department_code: str
    department_name: str
    team_name: str
    review_comment: str
    editable: bool  # this account may change answers now
    is_member: bool  # this account belongs to the checklist's team
    categories: list[CategoryState]
    score: ChecklistScore


def may_see_every_checklist(account: SignedIn) -> bool:
    return account.may(Role.office, Role.auditor)


def is_editable(round_status: str, status: str, is_member: bool) -> bool:
    return is_member and round_status == RoundStatus.open.value and status in EDITABLE


def locked_message(round_status: str, status: str, is_member: bool) -> str:
    """Why a checklist cannot be changed now, in the words the inspector reads."""
    if not is_member:
        return _("只有本考核组的成员可以修改这份考核清单。")
    if round_status != RoundStatus.open.value:
        return _("本考核批次未开放填写，答案不能修改。")
    if status == ChecklistStatus.submitted.value:
        return _("这份考核清单已提交审核，答案不能修改。")
    if status == ChecklistStatus.approved.value:
        return _("这份考核清单已审核通过并锁定，答案不能修改。")
    return _("这份考核清单现在不能修改。")


# ---------------------------------------------------------------------------------------------
# Values


def parse_value(kind: str, max_points: Decimal, text: str) -> Decimal | None:
    """The value an inspector typed, checked against the item's kind; "" means unanswered."""
    text = (text or "").strip().replace("，", ".").replace("．", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is not None and not value.is_finite():
        value = None  # NaN and Infinity compare oddly (sNaN raises): refuse them like any other text
    if kind == "veto":
        if value is None or value not in (0, 1):
            raise AnswerError(_("单项否决只能填 1（触发）或 0（未触发）。"))
        return Decimal(int(value))
    if kind == "deduct":
        if value is None or value != value.to_integral_value() or not (
            0 <= value <= MAX_OCCURRENCES
        ):
            raise AnswerError(_("扣分次数须为 0 到 {most} 之间的整数。").format(most=MAX_OCCURRENCES))
        return Decimal(int(value))
    if value is None or not (0 <= value <= max_points) or (value * 2) % 1 != 0:
        raise AnswerError(
            _("得分须在 0 到 {most} 分之间，以 0.5 分为单位。").format(most=format_points(as_decimal(max_points)))
        )
    return value.quantize(Decimal("0.1"))


def parse_note(text: str | None) -> str:
    note = (text or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise AnswerError(_("备注不能超过 {most} 个字。").format(most=MAX_NOTE_LENGTH))
    return note


def _value_text(value: Any) -> str | None:
    return format_points(as_decimal(value))


# ---------------------------------------------------------------------------------------------
# The page


async def checklist_for(account: SignedIn, checklist_id: int) -> ChecklistPage | None:
    """Everything the checklist page shows, in three queries; None when this account may not see it."""
    if not account.may(Role.office, Role.auditor, Role.inspector):
        return None
    rows = await Checklist.raw(
        """
        SELECT c.id, c.status, c.review_comment, r.code AS round_code, r.name AS round_name,
               r.status AS round_status, r.deadline, r.system, d.code AS department_code,
               d.name AS department_name, t.name AS team_name,
               EXISTS (SELECT 1 FROM team_member m WHERE m.team = c.team AND m.account = {}) AS is_member
        FROM checklist c
        JOIN inspection_round r ON r.id = c.round
        JOIN department d ON d.id = c.department
        LEFT JOIN team t ON t.id = c.team
        WHERE c.id = {}
        """,
        account.id,
        checklist_id,
    ).run()
    if not rows:
        return None
    head = rows[0]
    is_member = bool(head["is_member"])
    if not (is_member or may_see_every_checklist(account)):
        return None
    indicators = await Checklist.raw(
        """
        SELECT i.id AS indicator_id, i.code, i.parent_code, i.title, i.kind, i.max_points, i.per_occurrence,
               i.scoring_rule, a.id AS answer_id, a.value, a.note, a.version
        FROM indicator i
        LEFT JOIN checklist_answer a ON a.indicator = i.id AND a.checklist = {}
        WHERE i.system = {}
        ORDER BY i.position, i.id
        """,
        checklist_id,
        head["system"],
    ).run()
    evidence_rows = await Checklist.raw(
        """
        SELECT e.id, e.answer, e.original_name, e.content_type, e.size
        FROM evidence e JOIN checklist_answer a ON a.id = e.answer
        WHERE a.checklist = {}
        ORDER BY e.uploaded_at, e.id
        """,
        checklist_id,
    ).run()
    evidence: dict[int, list[EvidenceFile]] = {}
    for row in evidence_rows:
        evidence.setdefault(row["answer"], []).append(
            EvidenceFile(id=row["id"], original_name=row["original_name"], content_type=row["content_type"],
                         size=row["size"], url=f"/inspect/evidence/{row['id']}")
        )
    score = scoring.score(indicators)
    categories: list[CategoryState] = []
    items_of: dict[str, list[ItemState]] = {}
    for row in indicators:
        if not row["parent_code"]:
            items: list[ItemState] = []
            items_of[row["code"]] = items
            categories.append(
                CategoryState(code=row["code"], title=row["title"], kind=row["kind"],
                              max_points=as_decimal(row["max_points"]),
                              points=score.categories.get(row["code"], scoring.ZERO), items=items)
            )
            continue
        value = as_decimal(row["value"])
        max_points = as_decimal(row["max_points"])
        per_occurrence = as_decimal(row["per_occurrence"])
        item = ItemState(
            indicator_id=row["indicator_id"], code=row["code"], title=row["title"], kind=row["kind"],
            max_points=max_points, per_occurrence=per_occurrence, scoring_rule=row["scoring_rule"],
            answer_id=row["answer_id"], value=value, note=row["note"] or "", version=row["version"] or 0,
            answered=value is not None, points=scoring.item_points(row["kind"], max_points, per_occurrence, value),
            evidence=evidence.get(row["answer_id"], []),
        )
        # Items list after their category (position order); an orphan would be a broken import.
        items_of.setdefault(row["parent_code"], []).append(item)
    return ChecklistPage(
        id=head["id"], status=head["status"], round_code=head["round_code"], round_name=head["round_name"],
        round_status=head["round_status"], deadline=head["deadline"], department_code=head["department_code"],
        department_name=head["department_name"], team_name=head["team_name"] or "",
        review_comment=head["review_comment"] or "",
        editable=is_editable(head["round_status"], head["status"], is_member), is_member=is_member,
        categories=categories, score=score,
    )


@dataclass(frozen=True)
class MyChecklist:
    id: int
    status: str
    round_code: str
    round_name: str
    deadline: dt.date
    department_code: str
    department_name: str
    team_name: str
    answered: int
    total: int


async def my_checklists(account: SignedIn) -> list[MyChecklist]:
    """The checklists of the account's teams in open rounds, nearest deadline first."""
    rows = await Checklist.raw(
        """
        SELECT c.id, c.status, r.code AS round_code, r.name AS round_name, r.deadline,
               d.code AS department_code, d.name AS department_name, t.name AS team_name,
               (SELECT COUNT(*) FROM checklist_answer a WHERE a.checklist = c.id AND a.value IS NOT NULL) AS answered,
               (SELECT COUNT(*) FROM checklist_answer a WHERE a.checklist = c.id) AS total
        FROM checklist c
        JOIN team t ON t.id = c.team
        JOIN team_member m ON m.team = t.id AND m.account = {}
        JOIN inspection_round r ON r.id = c.round
        JOIN department d ON d.id = c.department
        WHERE r.status = {}
        ORDER BY r.deadline, r.code, d.code
        """,
        account.id,
        RoundStatus.open.value,
    ).run()
    return [MyChecklist(**row) for row in rows]


# ---------------------------------------------------------------------------------------------
# Saving


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    """A statement inside the current transaction. On SQLite it goes straight to the
    transaction's connection: Piccolo spends five thread hand-offs per statement there (a
    pragma, execute, fetch, close), which is most of a save's time. Placeholders are ``{}``."""
    engine = engine_finder()
    transaction = engine.current_transaction.get() if isinstance(engine, SQLiteEngine) else None
    if transaction is None:
        return await Checklist.raw(query, *args).run()
    connection = transaction.connection
    connection.row_factory = dict_factory
    return list(await connection.execute_fetchall(query.replace("{}", "?"), args))


async def _write_answer(
    answer_id: int, checklist_id: int, checklist_status: str, indicator_code: str, old_value: Any, old_note: str,
    old_version: int, value: Decimal | None, note: str, actor: str, account_id: int | None, guarded: bool = False,
) -> int | None:
    """The writes of one save, given the row as read under the lock. Returns the new version, or
    None when ``guarded`` and the checklist stopped being editable meanwhile."""
    version = old_version + 1
    update = (
        "UPDATE checklist_answer SET value = {}, note = {}, version = {}, answered_at = {}, answered_by = {} "
        "WHERE id = {}"
    )
    args: list[Any] = [value, note, version, clock.now(), account_id, answer_id]
    if guarded:
        # A statement of its own sees what committed while this one waited for the row lock
        # (PostgreSQL): a checklist submitted or a round closed in the meantime refuses the save.
        update += (
            " AND EXISTS (SELECT 1 FROM checklist c JOIN inspection_round r ON r.id = c.round"
            " WHERE c.id = {} AND r.status = {} AND c.status IN ({}, {}, {})) RETURNING id"
        )
        args += [checklist_id, RoundStatus.open.value, *sorted(EDITABLE)]
    updated = await _sql(update, *args)
    if guarded and not updated:
        return None
    if checklist_status == ChecklistStatus.not_started.value:
        await _sql(
            "UPDATE checklist SET status = {} WHERE id = {} AND status = {}",
            ChecklistStatus.in_progress.value, checklist_id, ChecklistStatus.not_started.value,
        )
    await audit.record(
        actor, "checklist.answer", f"checklist:{checklist_id}:{indicator_code}",
        {"value": _value_text(old_value), "note": old_note or ""},
        {"value": _value_text(value), "note": note},
    )
    return version


async def record_answer(answer_id: int, value: Decimal | None, note: str, actor: str, account_id: int | None) -> int:
    """Stores one answer (call inside ``write_transaction``): value, note, version + 1, who and when,
    an audit row, and a not-started checklist becomes in progress. Checks nothing else."""
    rows = await _sql(
        """
        SELECT a.checklist, a.value, a.note, a.version, c.status, i.code
        FROM checklist_answer a JOIN checklist c ON c.id = a.checklist JOIN indicator i ON i.id = a.indicator
        WHERE a.id = {}
        """,
        answer_id,
    )
    row = rows[0]
    version = await _write_answer(answer_id, row["checklist"], row["status"], row["code"], row["value"],
                                  row["note"], row["version"], value, note, actor, account_id)
    assert version is not None
    return version


@dataclass(frozen=True)
class SaveOutcome:
    """The answer to one save: ``status`` is saved | conflict | locked | invalid; ``body`` is the
    JSON the page gets; ``indicator_code`` names the item card (#item-CODE)."""

    status: str
    body: dict[str, Any]
    indicator_code: str = ""

    @property
    def http_status(self) -> int:
        return {"saved": 200, "conflict": 409, "locked": 423, "invalid": 422}[self.status]


_SAVE_CONTEXT = """
    SELECT a.id AS answer_id, a.value, a.note, a.version, a.answered_at, c.id AS checklist_id, c.status,
           r.status AS round_status, r.system, i.code, i.kind, i.max_points, i.per_occurrence,
           acc.display_name, acc.username,
           EXISTS (SELECT 1 FROM team_member m WHERE m.team = c.team AND m.account = {}) AS is_member,
           s.version AS saved_version
    FROM checklist_answer a
    JOIN checklist c ON c.id = a.checklist
    JOIN inspection_round r ON r.id = c.round
    JOIN indicator i ON i.id = a.indicator
    LEFT JOIN account acc ON acc.id = a.answered_by
    LEFT JOIN answer_save s ON s.save_id = {} AND s.answer = a.id
    WHERE a.checklist = {} AND a.indicator = {}
"""


async def _progress(checklist_id: int, system_id: int) -> ChecklistScore:
    rows = await _sql(
        """
        SELECT i.code, i.parent_code, i.kind, i.max_points, i.per_occurrence, a.value
        FROM indicator i LEFT JOIN checklist_answer a ON a.indicator = i.id AND a.checklist = {}
        WHERE i.system = {}
        """,
        checklist_id,
        system_id,
    )
    return scoring.score(rows)


def _saved_body(row: dict[str, Any], version: int, value: Any, note: str, score: ChecklistScore,
                replayed: bool) -> dict[str, Any]:
    value = as_decimal(value)
    points = scoring.item_points(row["kind"], as_decimal(row["max_points"]), as_decimal(row["per_occurrence"]), value)
    return {
        "status": "saved", "version": version, "value": format_points(value), "note": note or "",
        "points": format_points(points), "answered": score.answered, "total": score.total,
        "inspection": format_points(score.inspection), "bonus": format_points(score.bonus), "veto": score.veto,
        "replayed": replayed,
    }


def _conflict_body(row: dict[str, Any]) -> dict[str, Any]:
    at = row["answered_at"]
    return {
        "status": "conflict", "version": row["version"], "value": _value_text(row["value"]),
        "note": row["note"] or "", "by": row["display_name"] or row["username"] or "",
        "at": clock.local(at).strftime("%Y-%m-%d %H:%M") if at else "",
    }


def _visible(account: SignedIn, row: dict[str, Any]) -> bool:
    return bool(row["is_member"]) or may_see_every_checklist(account)


async def _replay(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str) -> SaveOutcome | None:
    """The first result of a save id already stored (the row as it is now stands in for the
    answer as it was then: a later save by the same page carries a new id)."""
    rows = await _sql(_SAVE_CONTEXT, account.id, save_id, checklist_id, indicator_id)
    if not rows or not _visible(account, rows[0]) or rows[0]["saved_version"] is None:
        return None
    row = rows[0]
    score = await _progress(checklist_id, row["system"])
    return SaveOutcome("saved", _saved_body(row, row["saved_version"], row["value"], row["note"], score, True),
                       row["code"])


async def save(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str, base_version: Any,
               value_text: str, note: str) -> SaveOutcome | None:
    """One save from the checklist page; None when the checklist (or item) is not visible → 404.

    In one transaction: a known save id is answered with its first result and writes nothing;
    otherwise the answer row is locked (PostgreSQL ``FOR UPDATE``; SQLite's immediate transaction
    already admits one writer), then refused when the checklist is locked, the page's version is
    stale (the current answer and who gave it are returned) or the value is invalid."""
    if not account.may(Role.office, Role.auditor, Role.inspector):
        return None
    args = (account, checklist_id, indicator_id, save_id, base_version, value_text, note)
    try:
        if is_postgres():
            async with write_transaction():
                return await _save(*args, postgres=True)
        return await _SaveQueue.of_this_loop().run(args)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        # The same save id was stored by a transaction that ran alongside this one: its result stands.
        replay = await _replay(account, checklist_id, indicator_id, save_id)
        if replay is None:
            raise
        return replay


GROUP_MAX_SAVES = 32


@dataclass
class _Waiting:
    args: tuple[Any, ...]
    language: str
    answer: asyncio.Future[SaveOutcome | None]


class _SaveQueue:
    """SQLite admits one writer at a time and syncs the file at every commit (a few ms). Saves
    of this process therefore queue here in order (instead of polling for the write lock with
    growing sleeps), and the saves that arrived while one transaction committed run together in
    the next one, each in a savepoint of its own, with one sync for all. Every save reads and
    writes on that transaction's connection, so each sees the ones before it exactly as if it
    ran alone; each caller is answered only after the commit."""

    _queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SaveQueue] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.waiting: list[_Waiting] = []
        self.committer: asyncio.Task[None] | None = None

    @classmethod
    def of_this_loop(cls) -> _SaveQueue:
        loop = asyncio.get_running_loop()
        queue = cls._queues.get(loop)
        if queue is None:
            queue = cls._queues[loop] = cls()
        return queue

    async def run(self, args: tuple[Any, ...]) -> SaveOutcome | None:
        waiting = _Waiting(args, i18n.active_language(), asyncio.get_running_loop().create_future())
        self.waiting.append(waiting)
        if self.committer is None or self.committer.done():
            # A task of its own: a caller that goes away must not take the others' saves with it.
            self.committer = asyncio.create_task(self._commit_while_waiting())
        return await waiting.answer

    async def _commit_while_waiting(self) -> None:
        while self.waiting:
            group = self.waiting[:GROUP_MAX_SAVES]
            del self.waiting[:GROUP_MAX_SAVES]
            await self._commit(group)

    async def _commit(self, group: list[_Waiting]) -> None:
        outcomes: list[tuple[_Waiting, BaseException | None, SaveOutcome | None]] = []
        try:
            async with write_transaction():
                for waiting in group:
                    if waiting.answer.done():
                        continue  # its caller went away before its turn: nothing written
                    i18n.activate(waiting.language)  # its messages in its own language
                    await _sql("SAVEPOINT one_save")
                    try:
                        outcome = await _save(*waiting.args, postgres=False)
                    except Exception as error:
                        await _sql("ROLLBACK TO one_save")
                        await _sql("RELEASE one_save")
                        outcomes.append((waiting, error, None))
                    else:
                        await _sql("RELEASE one_save")
                        outcomes.append((waiting, None, outcome))
        except BaseException as failure:  # cancellation too: no caller may wait for ever
            # Nothing of the group is stored: every save of it is told so.
            for waiting in group:
                if not waiting.answer.done():
                    waiting.answer.set_exception(
                        failure if isinstance(failure, Exception) else RuntimeError("the save was interrupted")
                    )
            if not isinstance(failure, Exception):
                raise
            return
        for waiting, error, outcome in outcomes:
            if not waiting.answer.done():
                if error is not None:
                    waiting.answer.set_exception(error)
                else:
                    waiting.answer.set_result(outcome)


async def _save(account: SignedIn, checklist_id: int, indicator_id: int, save_id: str, base_version: Any,
                value_text: str, note: str, postgres: bool) -> SaveOutcome | None:
    """The save itself, inside the caller's transaction."""
    lock = " FOR UPDATE OF a" if postgres else ""
    rows = await _sql(_SAVE_CONTEXT + lock, account.id, save_id, checklist_id, indicator_id)
    if not rows or not _visible(account, rows[0]):
        return None
    row = rows[0]
    code = row["code"]
    if not SAVE_ID.fullmatch(save_id or ""):
        return SaveOutcome("invalid", {"status": "invalid", "message": _("保存编号无效，请刷新页面后重试。")}, code)
    if row["saved_version"] is None and row["version"] != _int_or_none(base_version) and postgres:
        # Under the row lock a transaction sees rows committed after it began only by
        # asking again: the save id may have been stored by the writer it waited for.
        again = await _sql("SELECT version FROM answer_save WHERE save_id = {} AND answer = {}",
                                    save_id, row["answer_id"])
        if again:
            row = {**row, "saved_version": again[0]["version"]}
    if row["saved_version"] is not None:
        score = await _progress(checklist_id, row["system"])
        return SaveOutcome("saved", _saved_body(row, row["saved_version"], row["value"], row["note"], score, True),
                           code)
    is_member = bool(row["is_member"])
    if not is_editable(row["round_status"], row["status"], is_member):
        message = locked_message(row["round_status"], row["status"], is_member)
        return SaveOutcome("locked", {"status": "locked", "message": message}, code)
    base = _int_or_none(base_version)
    if base is None:
        return SaveOutcome("invalid", {"status": "invalid", "message": _("版本号无效，请刷新页面后重试。")}, code)
    if base != row["version"]:
        # Read again: on PostgreSQL the joined account is as it was before the lock was granted.
        current = await _sql(
            "SELECT a.value, a.note, a.version, a.answered_at, acc.display_name, acc.username"
            " FROM checklist_answer a LEFT JOIN account acc ON acc.id = a.answered_by WHERE a.id = {}",
            row["answer_id"],
        )
        return SaveOutcome("conflict", _conflict_body(current[0]), code)
    try:
        value = parse_value(row["kind"], as_decimal(row["max_points"]), value_text)
        clean_note = parse_note(note)
    except AnswerError as error:
        return SaveOutcome("invalid", {"status": "invalid", "message": str(error)}, code)
    version = await _write_answer(
        row["answer_id"], checklist_id, row["status"], code, row["value"], row["note"], row["version"],
        value, clean_note, account.username, account.id, guarded=True,
    )
    if version is None:
        message = _("这份考核清单刚刚被提交或锁定，答案不能修改。")
        return SaveOutcome("locked", {"status": "locked", "message": message}, code)
    await _sql(
        "INSERT INTO answer_save (save_id, answer, version, saved_by, saved_at) VALUES ({}, {}, {}, {}, {})",
        save_id, row["answer_id"], version, account.id, clock.now(),
    )
    score = await _progress(checklist_id, row["system"])
    return SaveOutcome("saved", _saved_body(row, version, value, clean_note, score, False), code)


def _int_or_none(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None
