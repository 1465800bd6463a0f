"""The ranking workbook the office hands to the leadership (PRODUCT.md §5, "The office exports the
ranking as an xlsx workbook"), built from a snapshot document (inspections/rankings/snapshots.py),
published or the draft's:

- a sheet per group laid out like the 通报 table: title, two header rows, rank, unit, each
  category, inspection score, index, public component, bonus, total, grade and the reasons in
  words; then the units not ranked. A4 landscape, the header rows on every printed page;
- 检查项目得分: every item's points per ranked unit;
- 评议数据: the ratings behind each index, counted per unit × channel × level;
- 设置: the round's and the period's settings and the method, so every figure can be redone by hand.

Figures are number cells (the document's exact decimals, never text); whatever a person typed
(unit names, titles, band names, reasons) is a text cell that cannot run as a formula. The
workbook is a normal one, not write-only: merged titles and headers need the cells, and 300 units
× 120 items still build in seconds (bench/rankings.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from evaluation.core import clock
from evaluation.core.i18n import _
from evaluation.core.spreadsheets import (
    GRID,
    TEXT_ALIGNMENT,
    header_cell,
    header_row,
    number_cell,
    print_landscape,
    save,
    set_widths,
    text_cell,
    title_row,
)
from inspections.rankings.snapshots import DRAFT_VERSION
from inspections.rankings.texts import checklist_status_label, group_label, index_source_label, state_label
from inspections.rankings.views import RankingView

SCORE = "0.00"  # scores, indexes, components and totals: 2 places (PRODUCT.md §5)
POINTS = "General"  # item and category points as written: 6, 1.5
# Excel's own "good" and "bad" colours for the top and the lowest grade; quiet ones between.
TOP_GRADE_FILL = PatternFill("solid", fgColor="C6EFCE")
LOWEST_GRADE_FILL = PatternFill("solid", fgColor="FFC7CE")
MIDDLE_GRADE_FILLS = (PatternFill("solid", fgColor="DDEBF7"), PatternFill("solid", fgColor="FFEB9C"),
                      PatternFill("solid", fgColor="EDEDED"))
BOLD = Font(bold=True)
CENTERED = Alignment(horizontal="center", vertical="center")
HEADER_CENTERED = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_ROWS = (3, 4)  # under the title and the line that names the version
FIRST_UNIT_ROW = 5


def ranking_workbook(document: dict[str, Any], checksum: str | None = None) -> IO[bytes]:
    """The workbook of a ranking document; ``checksum`` is the published version's, printed on
    the settings sheet. Labels are in the active interface language."""
    view = RankingView(document)
    workbook = Workbook()
    workbook.remove(workbook.active)
    fills = grade_fills(view)
    not_ranked_by_group: dict[str, list[dict[str, Any]]] = {}
    for row in view.not_ranked:
        not_ranked_by_group.setdefault(row["group"], []).append(row)
    ranked = {group.code: group.units for group in view.groups}
    # 旗县市区 before 市直单位, as the 通报 lists them (compiling.py orders the groups alike).
    for group in sorted({*ranked, *not_ranked_by_group}, key=lambda code: (code != "county", code)):
        _group_sheet(workbook, view, group, ranked.get(group, []), not_ranked_by_group.get(group, []), fills)
    _items_sheet(workbook, view)
    _ratings_sheet(workbook, view)
    _settings_sheet(workbook, view, checksum)
    return save(workbook)


def grade_fills(view: RankingView) -> dict[str, PatternFill]:
    bands = [name for name, _lower in view.settings["grade_bands"]]
    fills = {name: MIDDLE_GRADE_FILLS[(position - 1) % len(MIDDLE_GRADE_FILLS)]
             for position, name in enumerate(bands)}
    fills[bands[-1]] = LOWEST_GRADE_FILL
    fills[bands[0]] = TOP_GRADE_FILL
    return fills


def title_of(document: dict[str, Any]) -> str:
    if document["version"] == DRAFT_VERSION:
        return document["title"] + _("（草稿）")
    return document["title"]


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None or text == "" else Decimal(text)


def _moment(document: dict[str, Any]) -> str:
    return clock.format_local(datetime.fromisoformat(document["published_at"]))


def _version_line(view: RankingView) -> str:
    document = view.document
    if document["version"] == DRAFT_VERSION:
        when = _("草稿，导出于 {time}，以发布的版本为准").format(time=_moment(document))
    else:
        when = _("第 {version} 版，发布于 {time}").format(version=document["version"], time=_moment(document))
    return _("{when}；满分 {points} 分（不含加分）").format(when=when, points=document["full_marks"])


def _group_sheet(workbook: Workbook, view: RankingView, group: str, units: list[dict[str, Any]],
                 not_ranked: list[dict[str, Any]], fills: dict[str, PatternFill]) -> None:
    sheet = workbook.create_sheet(group_label(group)[:31])
    settings = view.settings
    categories = view.scored_categories
    first_category = 3
    inspection = first_category + len(categories)  # the column of the inspection score
    width = inspection + 6  # index, public component, bonus, total, grade, reasons
    set_widths(sheet, [6, 24, *([10] * len(categories)), 11, 10, 11, 9, 10, 8, 44])

    title_row(sheet, title_of(view.document), width)
    sheet.append([text_cell(sheet, _version_line(view))])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet["A2"].alignment = CENTERED

    if settings["convert_score"]:
        subtotal = _("小计（折算为 {points} 分）").format(points=100 - Decimal(settings["public_weight"]))
    else:
        subtotal = _("小计（{points} 分）").format(points=view["system"]["inspection_max"])
    top = [_("名次"), _("单位"), _("检查得分"), *([None] * len(categories)), _("社会评议"), None,
           _("加分（上限 {points} 分）").format(points=settings["bonus_cap"]), _("总分"), _("等次"), _("说明")]
    under = [None, None,
             *(_("{title}（{points}分）").format(title=row["title"], points=row["max_points"]) for row in categories),
             subtotal, _("满意度指数"), _("社会评议得分（{points} 分）").format(points=settings["public_weight"]),
             None, None, None, None]
    for titles in (top, under):
        cells = [header_cell(sheet, title) for title in titles]
        for cell in cells:
            cell.border = GRID
            cell.alignment = HEADER_CENTERED
        sheet.append(cells)
    first, second = HEADER_ROWS
    sheet.row_dimensions[second].height = 48
    for column in (1, 2, *range(inspection + 3, width + 1)):
        sheet.merge_cells(start_row=first, start_column=column, end_row=second, end_column=column)
    if categories:
        sheet.merge_cells(start_row=first, start_column=first_category, end_row=first, end_column=inspection)
    sheet.merge_cells(start_row=first, start_column=inspection + 1, end_row=first, end_column=inspection + 2)
    sheet.freeze_panes = f"{get_column_letter(first_category)}{FIRST_UNIT_ROW}"
    print_landscape(sheet, f"{first}:{second}")

    for unit in units:
        grade = text_cell(sheet, unit["grade"])
        grade.fill = fills.get(unit["grade"], MIDDLE_GRADE_FILLS[-1])
        grade.alignment = CENTERED
        cells = [
            number_cell(sheet, unit["rank"]),
            text_cell(sheet, unit["name"]),
            *(number_cell(sheet, _decimal(unit["categories"].get(row["code"])), POINTS) for row in categories),
            number_cell(sheet, Decimal(unit["inspection_score"]), SCORE),
            number_cell(sheet, Decimal(unit["index_used"]), SCORE),
            number_cell(sheet, Decimal(unit["public_component"]), SCORE),
            number_cell(sheet, Decimal(unit["bonus"]), SCORE),
            number_cell(sheet, Decimal(unit["total"]), SCORE),
            grade,
            text_cell(sheet, _("；").join(view.reasons(unit)), wrap=True),
        ]
        cells[0].alignment = CENTERED
        for cell in cells:
            cell.border = GRID
        sheet.append(cells)

    notes = []
    if view["no_index"]:
        notes.append(_("没有单位的评议达到最低样本量，所有单位的社会评议得分计 0。"))
    if not view.full_marks_is_100:
        notes.append(_("检查得分满分与社会评议权重之和不是 100：本表满分为 {points} 分。").format(
            points=view["full_marks"]))
    for note in notes:
        sheet.append([])
        sheet.append([text_cell(sheet, note)])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width)
    if not_ranked:
        sheet.append([])
        heading = text_cell(sheet, _("未参加排名的单位"))
        heading.font = BOLD
        sheet.append([heading])
        for row in not_ranked:
            if row["state"] == "excluded":
                why = _("理由：{reason}").format(reason=row["reason"])
            else:
                why = _("检查表状态：{status}").format(status=checklist_status_label(row["checklist_status"]))
            sheet.append([text_cell(sheet, state_label(row["state"])), text_cell(sheet, row["name"]),
                          text_cell(sheet, why, wrap=True)])
            sheet.merge_cells(start_row=sheet.max_row, start_column=3, end_row=sheet.max_row, end_column=width)


def _items_sheet(workbook: Workbook, view: RankingView) -> None:
    sheet = workbook.create_sheet(_("检查项目得分"))
    fixed = [_("分组"), _("名次"), _("单位代码"), _("单位")]
    groups = [(category, view.items_of(category["code"])) for category in view.categories]
    groups = [(category, items) for category, items in groups if items]
    items = [item for _category, of_category in groups for item in of_category]
    set_widths(sheet, [10, 6, 10, 24, *([12] * len(items))])
    top: list[str | None] = list(fixed)
    for category, of_category in groups:
        top += [f"{category['code']} {category['title']}", *([None] * (len(of_category) - 1))]
    under: list[str | None] = [None] * len(fixed)
    under += [_("{title}（{points}分）").format(title=f"{item['code']} {item['title']}", points=item["max_points"])
              for item in items]
    sheet.append([header_cell(sheet, title) for title in top])
    sheet.append([header_cell(sheet, title) for title in under])
    sheet.row_dimensions[2].height = 75
    for column in range(1, len(fixed) + 1):
        sheet.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    column = len(fixed) + 1
    for _category, of_category in groups:
        if len(of_category) > 1:
            sheet.merge_cells(start_row=1, start_column=column, end_row=1, end_column=column + len(of_category) - 1)
        column += len(of_category)
    sheet.freeze_panes = "E3"
    codes = [item["code"] for item in items]
    for group in view.groups:
        for unit in group.units:
            points = unit["items"]
            # Plain values, not styled cells: a round of 300 units × 120 items is 36,000 of them.
            sheet.append([text_cell(sheet, group.label), unit["rank"], text_cell(sheet, unit["code"]),
                          text_cell(sheet, unit["name"]), *(_decimal(points.get(code)) for code in codes)])


def _ratings_sheet(workbook: Workbook, view: RankingView) -> None:
    sheet = workbook.create_sheet(_("评议数据"))
    titles = [_("单位代码"), _("单位"), _("渠道"), *(view.level_label(level) for level in view.levels), _("合计"),
              _("渠道平均分"), _("本单位指数"), _("样本量"), _("采用指数"), _("指数来源")]
    set_widths(sheet, [10, 24, 14, *([10] * len(view.levels)), 8, 11, 11, 8, 10, 22])
    sheet.append(header_row(sheet, titles))
    sheet.freeze_panes = "C2"
    every_channel = _("全部渠道")
    for unit in view.units:
        ratings = unit["ratings"]
        for channel in view.channels:
            counts = ratings.get(channel, {})
            sheet.append([text_cell(sheet, unit["code"]), text_cell(sheet, unit["name"]),
                          text_cell(sheet, view.channel_label(channel)),
                          *(counts.get(level, 0) for level in view.levels), sum(counts.values()),
                          number_cell(sheet, _decimal(unit["channel_means"].get(channel)), SCORE)])
        totals = [sum(ratings.get(channel, {}).get(level, 0) for channel in ratings) for level in view.levels]
        cells = [text_cell(sheet, unit["code"]), text_cell(sheet, unit["name"]), text_cell(sheet, every_channel),
                 *(number_cell(sheet, count) for count in totals), number_cell(sheet, sum(totals)), None,
                 number_cell(sheet, _decimal(unit["own_index"]), SCORE), number_cell(sheet, unit["sample"]),
                 number_cell(sheet, Decimal(unit["index_used"]), SCORE),
                 text_cell(sheet, index_source_label(unit["index_source"]))]
        for cell in cells:
            if cell is not None:
                cell.font = BOLD
        sheet.append(cells)


def _settings_rows(view: RankingView, checksum: str | None) -> list[tuple[str, Any]]:
    document, settings, period = view.document, view.settings, view["period"]
    draft = document["version"] == DRAFT_VERSION
    rows: list[tuple[str, Any]] = [
        (_("考核批次"), f"{document['round']['name']}（{document['round']['code']}）"),
        (_("标题"), title_of(document)),
        (_("版本"), _("草稿（未发布）") if draft else _("第 {version} 版").format(version=document["version"])),
        (_("导出时间") if draft else _("发布时间"), _moment(document)),
        (_("导出人") if draft else _("发布人"), document["published_by"]),
    ]
    if document["reason"]:
        rows.append((_("重新发布的理由"), document["reason"]))
    if checksum:
        rows.append((_("校验码（SHA-256）"), checksum))
    system = document["system"]
    rows += [
        (_("指标体系"), f"{system['name']}（{system['year']}/{system['code']}）"),
        (_("检查得分满分"), Decimal(system["inspection_max"])),
    ]
    if period is None:
        rows.append((_("评议期"), _("未指定评议期")))
    else:
        rows.append((_("评议期"), f"{period['name']}（{period['code']}）"))
        rows += [(_("{level}的分值").format(level=view.level_label(level)), _decimal(period["level_values"][level]))
                 for level in view.levels if level in period["level_values"]]
        rows += [(_("{channel}权重").format(channel=view.channel_label(channel)),
                  _decimal(period["channel_weights"][channel]))
                 for channel in view.channels if channel in period["channel_weights"]]
        rows.append((_("最低样本量"), period["min_sample"]))
    weight = Decimal(settings["public_weight"])
    rows.append((_("社会评议权重"), weight))
    if settings["convert_score"]:
        converted = _("是：检查得分 × {target} / {most}，四舍五入保留 2 位小数").format(
            target=100 - weight, most=system["inspection_max"])
        rows.append((_("折算"), converted))
    else:
        rows.append((_("折算"), _("否")))
    rows += [(_("样本不足时"), view.below_sample_rule), (_("加分上限"), Decimal(settings["bonus_cap"]))]
    bands = settings["grade_bands"]
    for position, (name, lower) in enumerate(bands):
        if position < len(bands) - 1:
            meaning = _("{points} 分及以上").format(points=lower)
        else:
            meaning = _("低于 {points} 分，或触发单项否决").format(points=bands[position - 1][1] if position else 0)
        rows.append((_("等次：{grade}").format(grade=name), meaning))
    quota = settings["excellent_quota"]
    if quota is None:
        rows.append((_("优秀名额"), _("不限")))
    else:
        rows.append((_("优秀名额"), _("不超过本组参加排名单位的 {quota}%（向下取整）").format(quota=quota)))
        for group in view.groups:
            if group.quota is not None:
                rows.append((_("{group}：名额").format(group=group.label),
                             _("参加排名 {base} 个，可评{grade} {allowed} 个，实评 {kept} 个").format(
                                 base=group.quota["base"], grade=view.top_grade, allowed=group.quota["allowed"],
                                 kept=group.quota["kept"])))
    rows.append((_("满分（不含加分）"), Decimal(document["full_marks"])))
    if document["no_index"]:
        rows.append((_("满意度指数"), _("没有单位的评议达到最低样本量，所有单位的社会评议得分计 0。")))
    rows.append((_("计算方法"), _(
        "总分 = 检查得分 + 社会评议得分 + 加分。检查得分为各类目得分之和，每个类目不超过其满分；"
        "社会评议得分 = 满意度指数 × 社会评议权重 / 100；加分不超过加分上限。满意度指数、社会评议得分"
        "和折算后的检查得分四舍五入保留 2 位小数，总分是三者之和。在每个分组内按总分排名，总分相同则名次相同，"
        "触发单项否决的单位等次为{lowest}，排在其他单位之后。").format(lowest=view.lowest_grade)))
    return rows


def _settings_sheet(workbook: Workbook, view: RankingView, checksum: str | None) -> None:
    sheet = workbook.create_sheet(_("设置"))
    set_widths(sheet, [26, 80])
    sheet.append(header_row(sheet, [_("项目"), _("内容")]))
    sheet.freeze_panes = "A2"
    for label, value in _settings_rows(view, checksum):
        if isinstance(value, Decimal | int):
            cell = number_cell(sheet, value, POINTS)
            cell.alignment = Alignment(horizontal="left")
        else:
            cell = text_cell(sheet, value, wrap=True)
        label_cell = text_cell(sheet, label)
        label_cell.alignment = TEXT_ALIGNMENT
        sheet.append([label_cell, cell])
    print_landscape(sheet)
