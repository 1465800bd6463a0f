"""An indicator system as a spreadsheet, in the layout of inspections/data/indicators-sample.csv:
``year,code,parent_code,title,max_points,kind,scoring_rule,per_occurrence``, one row per category
or item, each category followed by its items. CSV and xlsx carry the same columns.

An import is all or nothing: a file with any problem is refused whole, every problem listed by
its line. Unlike the large imports (departments, ratings, scores) it is written in one transaction,
not in chunks: a system is one document (half of one would be a different system, and its audit
entry lists it whole), and it is small — a few dozen rows, at most ``MAX_ROWS`` — so the write lock
is held for milliseconds. A system is created for a new (year, code); an existing one is replaced only when asked
to and only while no round has opened with it (PRODUCT.md, Settled questions).

The point step is not a column: it is given with the import (0.5 when not given; a replaced
system keeps its own unless one is given), and the file's points are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from evaluation.core import audit, spreadsheets
from evaluation.core.database import write_transaction
from evaluation.core.i18n import _
from inspections.indicators import indicators
from inspections.indicators.indicators import IndicatorError, SystemForm, audit_target, step_of
from inspections.indicators.rules import (
    DEFAULT_STEP,
    FIELDS,
    Row,
    check_fields,
    check_structure,
    duplicate_codes,
    parse_step,
    points_text,
    row_values,
)
from inspections.tables import IndicatorSystem

COLUMNS = ("year", *FIELDS)
# A real system has a few dozen categories and items; a file of thousands is a mistake, and would
# hold every other writer while the system is written in its one transaction.
MAX_ROWS = 1_000
SAMPLE_FILE = Path(__file__).resolve().parents[1] / "data" / "indicators-sample.csv"
WIDTHS = (8, 10, 12, 40, 12, 10, 60, 16)


@dataclass
class ImportResult:
    system_id: int | None = None
    year: int = 0
    code: str = ""
    name: str = ""
    point_step: Decimal = DEFAULT_STEP
    replaced: bool = False
    categories: int = 0
    items: int = 0
    errors: list[str] = field(default_factory=list)


def read_file(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: text}) of a CSV or xlsx file; a file that is not this table is refused."""
    try:
        return spreadsheets.read_table(filename, content, COLUMNS)
    except spreadsheets.SpreadsheetError as refusal:
        raise IndicatorError(str(refusal)) from refusal


def validate_rows(lines: list[tuple[int, dict[str, str]]], year: int,
                  step: Decimal) -> tuple[list[Row], list[str]]:
    """The rows in file order, their points in ``step``, or every problem as "第 N 行：…；…" (the
    lines in order)."""
    problems: dict[int, list[str]] = {}
    rows: list[Row] = []
    for line, values in lines:
        found = []
        if not values["year"]:
            found.append(_("年份为空"))
        elif values["year"] != str(year):
            found.append(_("年份 {found} 与指定的年份 {year} 不一致").format(found=values["year"], year=year))
        row, errors = check_fields(values, step, line)
        found.extend(errors[key] for key in FIELDS if key in errors)
        if row is not None:
            rows.append(row)
        if found:
            problems[line] = found
    # A code repeated is found over every line, whatever else is wrong with its first one; the
    # other rules across rows are checked on the rows that are themselves valid.
    for problem in duplicate_codes([(line, (values["code"] or "").strip()) for line, values in lines]):
        problems.setdefault(problem.line, []).append(problem.message)
    for problem in check_structure(rows, duplicates=False):
        problems.setdefault(problem.line, []).append(problem.message)
    messages = [_("第 {line} 行：").format(line=line) + _("；").join(found) for line, found in sorted(problems.items())]
    if not lines:
        messages.append(_("文件中没有数据行。"))
    return rows, messages


def _counts(rows: list[Row]) -> tuple[int, int]:
    categories = sum(1 for row in rows if not row.parent_code)
    return categories, len(rows) - categories


async def import_system(actor: str, year: int, code: str | None, name: str | None, filename: str, content: bytes,
                        replace: bool = False, point_step: str | None = None) -> ImportResult:
    """Creates the system (year, code) from a file, or with ``replace`` puts the file's indicators
    in place of an unfrozen one's. ``point_step`` ("0.5" or "0.1") sets the system's step; without
    it a new system gets 0.5 and a replaced one keeps its step. Row problems come back in
    ``errors`` (nothing stored); a file that cannot be read, a bad step, a taken (year, code)
    without ``replace`` and a frozen system raise IndicatorError."""
    form = SystemForm(year=str(year), code=code or "", name=name or "")
    if not form.validate():
        raise IndicatorError(" ".join(form.errors.values()))
    chosen, problem = parse_step(point_step) if point_step and point_step.strip() else (None, "")
    if problem:
        raise IndicatorError(problem)
    result = ImportResult(year=form.year_number, code=form.code)
    lines = read_file(filename, content)
    if len(lines) > MAX_ROWS:
        raise IndicatorError(
            _("文件超过 {max} 行：一个指标体系只有几十个类目和指标，请检查文件。").format(max=MAX_ROWS))
    target = audit_target(result.year, result.code)
    async with write_transaction():
        existing = await indicators.find_system(result.year, result.code)
        if existing is not None and not replace:
            raise IndicatorError(_(
                "已有 {year} 年度代码为 {code} 的指标体系；如要用该文件整体替换其指标，请勾选“替换”"
                "（命令行加 --replace）。").format(year=result.year, code=result.code))
        # Locked before the file is checked: the step it is checked against cannot change meanwhile.
        locked = await indicators.lock_unfrozen(existing.id) if existing is not None else None
        result.point_step = chosen or (step_of(locked) if locked is not None else DEFAULT_STEP)
        rows, result.errors = validate_rows(lines, result.year, result.point_step)
        if result.errors:
            return result
        result.categories, result.items = _counts(rows)
        step = points_text(result.point_step)
        if existing is None:
            result.name = form.name
            result.system_id = await indicators.insert_system(result.year, result.code, result.name,
                                                              result.point_step)
            await indicators.insert_rows(result.system_id, rows)
            await audit.record(actor, "indicator_system.import", target, new={
                "year": result.year, "code": result.code, "name": result.name, "point_step": step, "file": filename,
                "indicators": [row_values(row) for row in rows]})
            return result
        result.system_id, result.replaced = existing.id, True
        # The name given replaces the old one; without one the system keeps its name.
        result.name = name.strip() if name and name.strip() else existing.name
        await IndicatorSystem.update(
            {IndicatorSystem.name: result.name, IndicatorSystem.point_step: result.point_step}
        ).where(IndicatorSystem.id == existing.id)
        await indicators.replace_indicators(existing.id, rows)
        await audit.record(
            actor, "indicator_system.replace", target,
            old={"name": existing.name, "point_step": points_text(step_of(locked)),
                 "indicators": [item.values() for item in existing.rows()]},
            new={"name": result.name, "point_step": step, "file": filename,
                 "indicators": [row_values(row) for row in rows]})
    return result


def sample_for(year: int) -> bytes:
    """The sample system (its file is dated 2016) as a CSV of another year, for the demo."""
    _header, lines = spreadsheets.read_rows(SAMPLE_FILE.name, SAMPLE_FILE.read_bytes())
    return _csv([{**values, "year": str(year)} for _line, values in lines])


def _csv(rows: list[dict[str, str]], bom: bool = False) -> bytes:
    return spreadsheets.csv_bytes([COLUMNS, *([row.get(column, "") for column in COLUMNS] for row in rows)], bom=bom)


def export_rows(system: indicators.System) -> list[dict[str, str]]:
    return [{"year": str(system.year), **item.values()} for item in system.rows()]


def csv_bytes(system: indicators.System, bom: bool = True) -> bytes:
    """The sample's layout exactly; a file carries a BOM (Excel), standard output does not."""
    return _csv(export_rows(system), bom=bom)


def xlsx_file(system: indicators.System) -> IO[bytes]:
    """The same columns as the CSV. Text goes in as text cells (nothing typed becomes a formula);
    year and points as numbers, written as they read (6, 0.5)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(system.code[:31] or "indicators")
    spreadsheets.start_table(sheet, list(COLUMNS), WIDTHS)
    for item in system.rows():
        sheet.append([
            spreadsheets.number_cell(sheet, system.year, "0"),
            spreadsheets.text_cell(sheet, item.code),
            spreadsheets.text_cell(sheet, item.parent_code),
            spreadsheets.text_cell(sheet, item.title, wrap=True),
            _points_cell(sheet, item.max_points),
            spreadsheets.text_cell(sheet, item.kind),
            spreadsheets.text_cell(sheet, item.scoring_rule, wrap=True),
            _points_cell(sheet, item.per_occurrence) if item.per_occurrence is not None else None,
        ])
    return spreadsheets.save(workbook)


def _points_cell(sheet: Any, value: Decimal) -> WriteOnlyCell:
    number = int(value) if value == value.to_integral_value() else value
    return spreadsheets.number_cell(sheet, number, "General")


def xlsx_bytes(system: indicators.System) -> bytes:
    file = xlsx_file(system)
    try:
        return file.read()
    finally:
        file.close()


def export_filename(system: indicators.System, extension: str) -> tuple[str, str]:
    """(the name a browser saves, an ASCII fallback)."""
    return (f"{system.year}-{system.code}-{_('考核指标体系')}.{extension}",
            f"indicators-{system.year}-{system.code}.{extension}")
