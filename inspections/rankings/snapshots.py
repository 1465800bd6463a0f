"""Published rankings (通报): immutable, numbered snapshots with a checksum (PRODUCT.md §5,
Publishing).

Publishing freezes the draft of a round as version N: every figure, the settings, the method and
the reasons go into one JSON document, its **canonical serialization** is stored, and its SHA-256
is the checksum printed on the notification:

- UTF-8, object keys sorted, no insignificant white space (``separators=(",", ":")``), non-ASCII
  characters written as themselves (``ensure_ascii=False``);
- numbers are strings: scores, indexes, components, bonus and totals with exactly 2 decimals
  ("74.40"), item and category points as written by a person ("1.5", "6"), counts as integers;
- times in UTC, ISO 8601 with microseconds ("2026-12-06T08:00:00.000000+00:00").

The open-data JSON of a version is exactly the stored bytes, so anyone can check it:
``sha256sum ranking.json`` prints the checksum on the notification. The database refuses to
update or delete a snapshot row (triggers); ``verify`` recomputes every checksum and compares it
with the one the audit trail recorded when the version was published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import is_postgres, is_unique_violation, write_transaction
from evaluation.core.i18n import _
from inspections.checklists.scoring import format_points
from inspections.rankings import drafts
from inspections.rankings.compiling import TWO_PLACES, UnitResult
from inspections.rankings.drafts import Draft
from inspections.rankings.tables import RankingPublication
from inspections.rankings.texts import blocker_text
from inspections.rounds import rounds
from inspections.rounds.rounds import Round

FORMAT = "pingyi.ranking.v1"
DRAFT_VERSION = 0  # the office's draft, in the shape of a published version
MAX_REASON = 500
MAX_TITLE = 200


class PublishError(ValueError):
    """A refused publication, with a message fit to show the office; ``items`` lists what blocks it."""

    def __init__(self, message: str, items: list[str] | None = None) -> None:
        super().__init__(message)
        self.items = items or []


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def checksum(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def two_places(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(TWO_PLACES))


def _points(value: Decimal | None) -> str | None:
    return format_points(value)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _unit(unit: UnitResult, draft: Draft) -> dict[str, Any]:
    index = draft.indexes.get(unit.code)
    return {
        "rank": unit.rank,
        "code": unit.code,
        "name": unit.name,
        "categories": {code: _points(points) for code, points in unit.categories.items()},
        "items": {code: _points(points) for code, points in unit.item_points.items()},
        "inspection_raw": _points(unit.inspection_raw),
        "inspection_score": two_places(unit.inspection_score),
        "own_index": two_places(unit.own_index),
        "sample": unit.sample,
        "sufficient": unit.sufficient,
        "index_used": two_places(unit.index_used),
        "index_source": unit.index_source,
        "public_component": two_places(unit.public_component),
        "bonus_raw": _points(unit.bonus_raw),
        "bonus": two_places(unit.bonus),
        "total": two_places(unit.total),
        "vetoed": unit.vetoed,
        "veto_items": list(unit.veto_items),
        "score_grade": unit.score_grade,
        "grade": unit.grade,
        "reasons": [{"code": reason.code, "values": dict(reason.values)} for reason in unit.reasons],
        "ratings": {channel: dict(sorted(levels.items())) for channel, levels in sorted(index.counts.items())}
        if index else {},
        "channel_means": {channel: two_places(mean) for channel, mean in sorted(index.channel_means.items())}
        if index else {},
    }


def document(draft: Draft, *, version: int, title: str, reason: str, published_by: str,
             published_at: datetime) -> dict[str, Any]:
    """The snapshot of a draft as version ``version``: everything the notification, its workbook
    and its drill-down pages show, and nothing that can change afterwards."""
    found, ranking, period = draft.round, draft.ranking, draft.period
    settings = ranking.settings
    return {
        "format": FORMAT,
        "round": {"code": found.code, "name": found.name, "year": found.year},
        "version": version,
        "title": title,
        "reason": reason,
        "published_by": published_by,
        "published_at": _utc(published_at),
        "period": None if period is None else {
            "code": period.code, "name": period.name, "min_sample": period.settings.min_sample,
            "level_values": {level: _points(value) for level, value in period.settings.level_values.items()},
            "channel_weights": {channel: _points(weight)
                                for channel, weight in period.settings.channel_weights.items()},
        },
        "system": {"year": found.year, "code": found.system_code, "name": found.system_name,
                   "inspection_max": _points(ranking.inspection_max), "point_step": _points(found.system_point_step)},
        "settings": {
            "public_weight": _points(settings.public_weight),
            "convert_score": settings.convert_score,
            "below_sample": settings.below_sample,
            "bonus_cap": _points(settings.bonus_cap),
            "grade_bands": [[name, _points(lower)] for name, lower in settings.grade_bands],
            "excellent_quota": settings.excellent_quota,
        },
        "full_marks": _points(ranking.full_marks),
        "no_index": ranking.no_index,
        "indicators": [{"code": row.code, "parent_code": row.parent_code, "title": row.title, "kind": row.kind,
                        "max_points": _points(row.max_points)} for row in ranking.indicators],
        "groups": [
            {"group": group,
             "quota": None if group not in ranking.quotas else {
                 "base": ranking.quotas[group].base, "allowed": ranking.quotas[group].allowed,
                 "kept": ranking.quotas[group].kept},
             "units": [_unit(unit, draft) for unit in units]}
            for group, units in ranking.groups.items()
        ],
        "not_ranked": [{"code": unit.code, "name": unit.name, "group": unit.group, "state": unit.state,
                        "reason": unit.exclusion_reason, "checklist_status": unit.checklist_status}
                       for unit in ranking.not_ranked],
    }


def default_title(found: Round) -> str:
    return _("{name}结果通报").format(name=found.name)


def draft_document(draft: Draft, actor: str = "") -> dict[str, Any]:
    """The draft as version 0, made now (by ``actor`` when someone exports it): the office
    reviews and downloads exactly what publishing would freeze."""
    return document(draft, version=DRAFT_VERSION, title=default_title(draft.round), reason="", published_by=actor,
                    published_at=clock.now())


def _clean(text: str | None, most: int) -> str:
    return " ".join((text or "").split())[:most] if text else ""


async def _next_version(round_id: int) -> int:
    row = await RankingPublication.select(RankingPublication.version).where(
        RankingPublication.round == round_id).order_by(RankingPublication.version, ascending=False).first()
    return (row["version"] if row else 0) + 1


async def publish(actor: str, reference: str, reason: str | None = None, title: str | None = None) -> Publication:
    """Freezes the round's current draft as its next version. Version 1 may be published without
    a reason; every later version needs one, shown beside it on the notification."""
    reason = (reason or "").replace("\r\n", "\n").strip()
    if len(reason) > MAX_REASON:
        raise PublishError(_("发布理由不能超过 {most} 个字。").format(most=MAX_REASON))
    found = await rounds.find(reference)
    if found is None:
        raise PublishError(_("找不到考核批次 {round}。").format(round=reference))
    try:
        async with write_transaction():
            if is_postgres():
                # Every figure read below from one snapshot of the database, and one publisher at a time.
                await RankingPublication.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                await rounds.round_row(found.code)
            version = await _next_version(found.id)
            if version > 1 and not reason:
                raise PublishError(_("第 {version} 版须说明重新发布的理由。").format(version=version))
            draft = await drafts.draft_ranking(found)
            if draft.blockers:
                raise PublishError(_("还不能发布："), [blocker_text(code) for code in draft.blockers])
            now = clock.now()
            heading = _clean(title, MAX_TITLE) or default_title(found)
            payload = canonical(document(draft, version=version, title=heading, reason=reason, published_by=actor,
                                         published_at=now))
            digest = checksum(payload)
            await RankingPublication.insert(RankingPublication(
                round=found.id, version=version, period=found.period_id, title=heading, reason=reason,
                published_by=actor, published_at=now, payload=payload.decode("utf-8"), checksum=digest,
            ))
            await audit.record(actor, "ranking.publish", f"round:{found.code}",
                               new={"version": version, "checksum": digest, "reason": reason})
    except Exception as error:
        if is_unique_violation(error):
            raise PublishError(_("刚刚已有人发布了新版本，请刷新后再试。")) from error
        raise
    publication = await find(found.code, version)
    assert publication is not None
    return publication


@dataclass
class Publication:
    id: int
    round_code: str
    version: int
    title: str
    reason: str
    published_by: str
    published_at: datetime
    checksum: str
    payload: str
    superseded_by: Publication | None = None

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.payload)

    @property
    def payload_bytes(self) -> bytes:
        return self.payload.encode("utf-8")


_COLUMNS = (RankingPublication.id, RankingPublication.round.code.as_alias("round_code"), RankingPublication.version,
            RankingPublication.title, RankingPublication.reason, RankingPublication.published_by,
            RankingPublication.published_at, RankingPublication.checksum)


def _publication(row: dict[str, Any], payload: str = "") -> Publication:
    return Publication(id=row["id"], round_code=row["round_code"], version=row["version"], title=row["title"],
                       reason=row["reason"], published_by=row["published_by"], published_at=row["published_at"],
                       checksum=row["checksum"], payload=payload)


async def versions(round_code: str) -> list[Publication]:
    """Every published version of a round, newest first, each knowing what superseded it."""
    rows = await RankingPublication.select(*_COLUMNS).where(RankingPublication.round.code == round_code).order_by(
        RankingPublication.version, ascending=False)
    found = [_publication(row) for row in rows]
    for newer, older in zip(found, found[1:], strict=False):
        older.superseded_by = newer
    return found


async def find(round_code: str, version: int | None = None) -> Publication | None:
    """A published version with its figures (the latest when ``version`` is None)."""
    every = await versions(round_code)
    chosen = every[0] if every and version is None else next((p for p in every if p.version == version), None)
    if chosen is None:
        return None
    row = await RankingPublication.select(RankingPublication.payload).where(RankingPublication.id == chosen.id).first()
    chosen.payload = row["payload"]
    return chosen


async def latest_notices() -> list[Publication]:
    """The latest version of every published round, newest first: the public list of 通报."""
    rows = await RankingPublication.select(*_COLUMNS).order_by(RankingPublication.published_at, ascending=False)
    latest: dict[str, Publication] = {}
    for row in rows:
        publication = _publication(row)
        if publication.round_code not in latest or latest[publication.round_code].version < publication.version:
            latest[publication.round_code] = publication
    return sorted(latest.values(), key=lambda publication: publication.published_at, reverse=True)


async def period_in_use(period_id: int) -> str:
    """Why a period's rating imports can no longer be withdrawn: a published 通报 took its index
    (PRODUCT.md, Settled questions: "Imports are counted once"); "" when none has."""
    row = await RankingPublication.select(
        RankingPublication.round.code.as_alias("round_code"), RankingPublication.version,
        RankingPublication.published_at,
    ).where(RankingPublication.period == period_id).order_by(RankingPublication.published_at).first()
    if row is None:
        return ""
    return _("不能撤回：考核批次 {round} 已于 {at} 发布第 {version} 版通报，使用了本评议期的满意度指数；"
             "撤回会改变已发布的排名。").format(round=row["round_code"], version=row["version"],
                                              at=clock.format_local(row["published_at"])[:16])


async def published_round_ids() -> set[int]:
    rows = await RankingPublication.select(RankingPublication.round).distinct()
    return {row["round"] for row in rows}


@dataclass(frozen=True)
class Mismatch:
    round_code: str
    version: int
    problem: str


async def verify() -> tuple[int, list[Mismatch]]:
    """Recomputes every published checksum: the stored text must be canonical, hash to the stored
    checksum, name its own round and version, and match the checksum the audit trail recorded at
    publication. Returns (versions checked, the ones that differ)."""
    rows = await RankingPublication.select(RankingPublication.id, RankingPublication.round.code.as_alias("round_code"),
                                           RankingPublication.version, RankingPublication.payload,
                                           RankingPublication.checksum).order_by(RankingPublication.id)
    recorded = await _recorded_checksums()
    bad: list[Mismatch] = []
    for row in rows:
        code, version, text = row["round_code"], row["version"], row["payload"]
        try:
            parsed = json.loads(text)
        except ValueError:
            bad.append(Mismatch(code, version, "payload is not JSON"))
            continue
        payload = text.encode("utf-8")
        if canonical(parsed) != payload:
            bad.append(Mismatch(code, version, "payload is not in canonical form"))
        elif checksum(payload) != row["checksum"]:
            bad.append(Mismatch(code, version, "checksum differs from the payload"))
        elif parsed.get("version") != version or parsed.get("round", {}).get("code") != code:
            bad.append(Mismatch(code, version, "payload names another round or version"))
        elif recorded.get((code, version)) != row["checksum"]:
            bad.append(Mismatch(code, version, "checksum differs from the one recorded in the audit trail"))
    return len(rows), bad


async def _recorded_checksums() -> dict[tuple[str, int], str]:
    recorded = {}
    for target, value in await audit.recorded("ranking.publish"):
        recorded[(target.removeprefix("round:"), value.get("version"))] = value.get("checksum")
    return recorded

