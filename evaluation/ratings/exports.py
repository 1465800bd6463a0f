"""Workbooks of an evaluation period for the office and the auditors (PRODUCT.md §1 and §5):
the results per department, and the approved comments with the departments' answers; and every
individual rating behind a ranking, as a CSV streamed in batches.

The data is read on the event loop; the workbook is built in a worker thread with openpyxl's
write-only mode (rows go straight to disk, not into a tree of cells) and streamed from there.
Labels are translated before the thread starts, since the interface language lives in a
context variable of the request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from decimal import Decimal
from typing import IO, Any

import anyio
from openpyxl import Workbook

from evaluation.core import clock, spreadsheets
from evaluation.core.departments import GROUP_LABELS
from evaluation.core.i18n import N_, _
from evaluation.core.spreadsheets import Download
from evaluation.core.tables import Department
from evaluation.ratings import ratings, reasons
from evaluation.ratings.completeness import counted_ratings
from evaluation.ratings.periods import Period
from evaluation.ratings.satisfaction import compute, is_sufficient
from evaluation.ratings.scale import CHANNEL_LABELS, CRITERION_LABELS, LEVEL_LABELS
from evaluation.ratings.tables import CommentStatus, Rating, RatingAnswer, RatingSource

SOURCE_LABELS = {RatingSource.web.value: N_("网上评议"), RatingSource.paper.value: N_("纸质问卷")}


def _labels(mapping: dict[str, str]) -> dict[str, str]:
    return {key: _(label) for key, label in mapping.items()}


async def _criteria_counts(period_id: int) -> dict[int, dict[str, dict[str, int]]]:
    """department → criterion → level → count. Tallies judge no criteria (shown, not weighted)."""
    result: dict[int, dict[str, dict[str, int]]] = {}
    for row in await Rating.select(Rating.department, Rating.criteria).where(
            (Rating.period == period_id) & counted_ratings()):
        criteria = row["criteria"]
        if isinstance(criteria, str):  # JSON arrives as text
            criteria = json.loads(criteria or "{}")
        for key, level in (criteria or {}).items():
            if key in CRITERION_LABELS and level in LEVEL_LABELS:
                levels = result.setdefault(row["department"], {}).setdefault(key, {})
                levels[level] = levels.get(level, 0) + 1
    return result


async def results_workbook(period: Period) -> Download:
    """One row per department: index, counts per level and per channel, and per criterion the
    count of each level (columns "及时性：非常满意" … "便民性：非常不满意")."""
    departments = await Department.select(
        Department.id, Department.code, Department.name, Department.group, Department.active
    ).order_by(Department.group).order_by(Department.code)
    counts = await ratings.counts(period.id)
    criteria = await _criteria_counts(period.id)
    levels, channels, groups = _labels(LEVEL_LABELS), _labels(CHANNEL_LABELS), _labels(GROUP_LABELS)
    insufficient = _("样本不足")
    rows = []
    # A department stopped since still shows if it was rated: every rating is accounted for.
    for department in departments:
        if not department["active"] and department["id"] not in counts:
            continue
        index = compute(counts.get(department["id"], {}), period.settings)
        by_criterion = criteria.get(department["id"], {})
        sufficient = is_sufficient(index, period.settings) and index.index is not None
        rows.append({
            "code": department["code"], "name": department["name"], "group_key": department["group"],
            "group": groups.get(department["group"], department["group"]),
            # The index column holds numbers only, so that it sorts and sums; 样本不足 has its own.
            "index": index.index if sufficient else None,
            "sample": "" if sufficient else insufficient,
            "total": index.total,
            "levels": [index.level_total(level) for level in LEVEL_LABELS],
            "channels": [index.channel_total(channel) for channel in CHANNEL_LABELS],
            "criteria": [by_criterion.get(key, {}).get(level, 0) for key in CRITERION_LABELS for level in LEVEL_LABELS],
        })
    rows = _ranked(rows)
    titles = [_("分组"), _("排名"), _("单位代码"), _("单位名称"), _("满意度指数"), _("样本情况"), _("评价总数"),
              *levels.values(), *channels.values(),
              *(_("{criterion}：{level}").format(criterion=_(CRITERION_LABELS[key]), level=levels[level])
                for key in CRITERION_LABELS for level in LEVEL_LABELS)]
    settings = _settings_rows(period)
    sheet_names = (_("评议结果"), _("评议设置"))
    file = await anyio.to_thread.run_sync(_build_results, sheet_names, titles, rows, settings)
    return Download(filename=f"{period.code}-{_('评议结果')}.xlsx", fallback=f"{period.code}-results.xlsx",
                    content=file)


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Within each group (in the order given), by index, highest first; equal indexes share a
    rank (1, 2, 2, 4) as in the rankings (PRODUCT.md §5). Below the sample: no rank, listed last."""
    ordered: list[dict[str, Any]] = []
    for group in dict.fromkeys(row["group_key"] for row in rows):
        members = [row for row in rows if row["group_key"] == group]
        ranked = sorted((row for row in members if row["index"] is not None), key=lambda row: -row["index"])
        for position, row in enumerate(ranked):
            same = position and ranked[position - 1]["index"] == row["index"]
            row["rank"] = ranked[position - 1]["rank"] if same else position + 1
        ordered += ranked + [{**row, "rank": None} for row in members if row["index"] is None]
    return ordered


def _settings_rows(period: Period) -> list[tuple[str, Any]]:
    """The period's settings, so that every index in the workbook can be checked by hand."""
    settings = period.settings
    return [
        (_("评议期"), period.name),
        (_("代码"), period.code),
        (_("开始日期"), period.opens_on.isoformat()),
        (_("结束日期"), period.closes_on.isoformat()),
        *((_("{level}的分值").format(level=_(label)), settings.level_values[level])
          for level, label in LEVEL_LABELS.items()),
        *((_("{channel}权重").format(channel=_(label)), settings.channel_weights[channel])
          for channel, label in CHANNEL_LABELS.items()),
        (_("最低样本量"), settings.min_sample),
        (_("导出时间"), clock.format_local(clock.now())),
        (_("说明"), _("满意度指数只按总体评价计算，分项评价仅供参考；纸质问卷与汇总数据计入其所填渠道。")),
    ]


def _build_results(sheet_names: tuple[str, str], titles: list[str], rows: list[dict[str, Any]],
                   settings: list[tuple[str, Any]]) -> IO[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_names[0])
    # Printed for the leadership: A4 landscape, one page wide, the header on every page.
    spreadsheets.print_landscape(sheet, title_rows="1:1")
    levels_and_channels = len(LEVEL_LABELS) + len(CHANNEL_LABELS)
    widths = [10, 6, 12, 30, 11, 10, 9] + [10] * levels_and_channels
    spreadsheets.start_table(sheet, titles, widths + [17] * (len(titles) - len(widths)))
    for row in rows:
        sheet.append([
            spreadsheets.text_cell(sheet, row["group"]),
            spreadsheets.number_cell(sheet, row["rank"]),
            spreadsheets.text_cell(sheet, row["code"]),
            spreadsheets.text_cell(sheet, row["name"]),
            spreadsheets.number_cell(sheet, row["index"], "0.00"),
            spreadsheets.text_cell(sheet, row["sample"]),
            spreadsheets.number_cell(sheet, row["total"]),
            *(spreadsheets.number_cell(sheet, n) for n in row["levels"] + row["channels"] + row["criteria"]),
        ])
    about = workbook.create_sheet(sheet_names[1])
    spreadsheets.set_widths(about, [24, 60])
    for label, value in settings:
        if isinstance(value, Decimal | int):
            cell = spreadsheets.number_cell(about, value, "General")
        else:
            cell = spreadsheets.text_cell(about, value, wrap=True)
        about.append([spreadsheets.text_cell(about, label), cell])
    return spreadsheets.save(workbook)


async def comments_workbook(period: Period) -> Download:
    """Every approved comment of the period with its department, level, reason and date, and the
    department's answer and its date. Pending and rejected comments are not in it."""
    rows = await Rating.select(
        Rating.id, Rating.created_at, Rating.channel, Rating.source, Rating.level, Rating.reason_text,
        Rating.comment, Rating.department.code, Rating.department.name, Rating.reason.label,
    ).where(
        (Rating.period == period.id) & (Rating.comment_status == CommentStatus.approved.value) & counted_ratings()
    ).order_by(Rating.department.code).order_by(Rating.created_at).order_by(Rating.id)
    answers = {
        row["rating"]: row
        for row in await RatingAnswer.select(RatingAnswer.rating, RatingAnswer.body, RatingAnswer.answered_at).where(
            RatingAnswer.rating.period == period.id
        )
    }
    levels, channels = _labels(LEVEL_LABELS), _labels(CHANNEL_LABELS)
    sources = _labels(SOURCE_LABELS)
    table = [
        {
            "created_at": row["created_at"], "code": row["department.code"], "name": row["department.name"],
            "channel": channels.get(row["channel"], row["channel"]), "source": sources.get(row["source"], ""),
            "level": levels.get(row["level"], row["level"]), "reason": row["reason.label"] or "",
            "reason_text": row["reason_text"], "comment": row["comment"],
            "answer": answers[row["id"]]["body"] if row["id"] in answers else "",
            "answered_at": answers[row["id"]]["answered_at"] if row["id"] in answers else None,
        }
        for row in rows
    ]
    titles = [_("评价时间"), _("单位代码"), _("单位名称"), _("渠道"), _("来源"), _("总体评价"), _("原因"),
              _("原因说明"), _("留言"), _("单位答复"), _("答复时间")]
    file = await anyio.to_thread.run_sync(_build_comments, _("留言与答复"), titles, table)
    return Download(filename=f"{period.code}-{_('留言与答复')}.xlsx", fallback=f"{period.code}-comments.xlsx",
                    content=file)


def _build_comments(sheet_name: str, titles: list[str], table: list[dict[str, Any]]) -> IO[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    spreadsheets.start_table(sheet, titles, [17, 12, 24, 14, 10, 12, 14, 24, 50, 50, 17])
    text = spreadsheets.text_cell
    for row in table:
        sheet.append([
            spreadsheets.time_cell(sheet, row["created_at"]),
            text(sheet, row["code"]), text(sheet, row["name"]), text(sheet, row["channel"]),
            text(sheet, row["source"]), text(sheet, row["level"]), text(sheet, row["reason"]),
            text(sheet, row["reason_text"], wrap=True), text(sheet, row["comment"], wrap=True),
            text(sheet, row["answer"], wrap=True), spreadsheets.time_cell(sheet, row["answered_at"]),
        ])
    return spreadsheets.save(workbook)


async def overdue_workbook(groups: list[dict[str, Any]]) -> Download:
    """The overdue answers (criticism.overdue_by_department) as one row per rating, for chasing
    the departments: who answers for each, since when it is due, and the rating's address."""
    levels = _labels(LEVEL_LABELS)
    now = clock.now()
    table = [
        {"code": group["code"], "name": group["name"], "liaisons": _("、").join(group["liaisons"]) or _("未指定联络员"),
         "rating": row["id"], "level": levels.get(row["level"], row["level"]),
         "reason": reasons.shown_label(row["reason.label"], row["reason.label_en"]),
         "created_at": row["created_at"], "answer_due": row["answer_due"],
         "days": (now - row["answer_due"]).days}
        for group in groups for row in group["ratings"]
    ]
    titles = [_("单位代码"), _("单位名称"), _("联络员"), _("评价编号"), _("总体评价"), _("原因"), _("评价时间"),
              _("答复期限"), _("已逾期（天）")]
    file = await anyio.to_thread.run_sync(_build_overdue, _("逾期未答复"), titles, table)
    stamp = clock.local(now).strftime("%Y%m%d")
    return Download(filename=f"{_('逾期未答复')}-{stamp}.xlsx", fallback=f"overdue-{stamp}.xlsx", content=file)


def _build_overdue(sheet_name: str, titles: list[str], table: list[dict[str, Any]]) -> IO[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    spreadsheets.print_landscape(sheet, title_rows="1:1")
    spreadsheets.start_table(sheet, titles, [12, 26, 28, 10, 12, 16, 17, 17, 12])
    text = spreadsheets.text_cell
    for row in table:
        sheet.append([
            text(sheet, row["code"]), text(sheet, row["name"]), text(sheet, row["liaisons"], wrap=True),
            spreadsheets.number_cell(sheet, row["rating"]), text(sheet, row["level"]), text(sheet, row["reason"]),
            spreadsheets.time_cell(sheet, row["created_at"]), spreadsheets.time_cell(sheet, row["answer_due"]),
            spreadsheets.number_cell(sheet, row["days"]),
        ])
    return spreadsheets.save(workbook)


RATINGS_CSV_COLUMNS = ("unit_code", "unit_name", "channel", "source", "level", "reason", "reason_text",
                       "comment_status", "created_at")
RATINGS_BATCH = 2000


async def ratings_csv(period_id: int | None, department_ids: Collection[int]) -> AsyncIterator[bytes]:
    """Every individual rating of a period for the given departments, as stored: UTF-8 with a
    BOM (Excel reads Chinese CSV as ANSI without it), times in +08:00, codes rather than labels.
    Read in batches by id, so a period of a million ratings is never in memory at once. Never the
    voter id or the panel code; the comment stays with its moderation (only its status is here);
    tallies are counts, not ratings, and are in the ranking workbook instead. Whatever a person
    typed cannot run as a formula when the file is opened in a spreadsheet."""
    yield spreadsheets.csv_bytes([RATINGS_CSV_COLUMNS])
    if period_id is None or not department_ids:
        return
    chosen = sorted(department_ids)
    after = 0
    while True:
        rows = await Rating.select(
            Rating.id, Rating.department.code, Rating.department.name, Rating.channel, Rating.source, Rating.level,
            Rating.reason.label, Rating.reason_text, Rating.comment_status, Rating.created_at,
        ).where(
            (Rating.period == period_id) & Rating.department.is_in(chosen) & (Rating.id > after) & counted_ratings()
        ).order_by(Rating.id).limit(RATINGS_BATCH)
        if not rows:
            return
        yield spreadsheets.csv_bytes(bom=False, rows=[
            [row["department.code"], row["department.name"], row["channel"], row["source"], row["level"],
             row["reason.label"] or "", row["reason_text"], row["comment_status"],
             clock.format_local(row["created_at"])] for row in rows])
        after = rows[-1]["id"]
