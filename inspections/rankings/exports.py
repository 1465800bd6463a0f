"""What the office, the auditors and the public download of a ranking: the workbook of the draft or
of a published version (inspections/rankings/workbook.py), and the individual ratings behind a
round's indexes as CSV (evaluation/ratings/exports.py)."""

from __future__ import annotations

from typing import Any

import anyio

from evaluation.core import spreadsheets
from evaluation.core.i18n import _
from evaluation.core.spreadsheets import Download
from evaluation.ratings import exports as rating_exports
from inspections.rankings import drafts, snapshots
from inspections.rankings.snapshots import DRAFT_VERSION, draft_document
from inspections.rankings.workbook import ranking_workbook
from inspections.rounds import coverage, rounds


async def _workbook(document: dict[str, Any], checksum: str | None = None) -> Download:
    # openpyxl works for seconds on a large round: not on the event loop. The worker thread
    # sees the request's interface language (anyio copies the context into it).
    file = await anyio.to_thread.run_sync(ranking_workbook, document, checksum)
    found, version = document["round"], document["version"]
    # Labels outside the f-strings: Babel does not extract a message from inside one.
    name = found["name"] + "-" + _("排名")
    if version == DRAFT_VERSION:
        return Download(filename=name + _("（草稿）") + ".xlsx", fallback=f"{found['code']}-ranking-draft.xlsx",
                        content=file)
    numbered = _("第{version}版").format(version=version)
    return Download(filename=f"{name}-{numbered}.xlsx", fallback=f"{found['code']}-ranking-v{version}.xlsx",
                    content=file)


async def draft_workbook(reference: str, actor: str) -> Download | None:
    """The workbook of a round's current draft; None when there is no such round."""
    draft = await drafts.draft_for(reference)
    if draft is None:
        return None
    return await _workbook(draft_document(draft, actor))


async def published_workbook(round_code: str, version: int | None = None) -> Download | None:
    """The workbook of a published version (the latest when ``version`` is None), from its stored
    document; None when the round has no such version."""
    publication = await snapshots.find(round_code, version)
    if publication is None:
        return None
    return await _workbook(publication.document, publication.checksum)


async def ratings_csv(reference: str) -> Download | None:
    """Every individual rating of the round's evaluation period for the units the round covers;
    only the header when the round has no period. None when there is no such round."""
    found = await rounds.find(reference)
    if found is None:
        return None
    covered = await coverage.covered_department_ids(found.id)
    return Download(filename=found.name + "-" + _("评议明细") + ".csv", fallback=f"{found.code}-ratings.csv",
                    content=rating_exports.ratings_csv(found.period_id, covered),
                    media_type=spreadsheets.CSV_MEDIA_TYPE)
