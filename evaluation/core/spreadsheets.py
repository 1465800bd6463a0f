"""The spreadsheets the office exchanges with the platform: CSV and xlsx files it uploads
(departments, ratings), and xlsx workbooks it downloads.

Reading: an upload is checked for size before it is opened, CSV may be UTF-8 (with or without
BOM) or GB18030 as Excel writes it, and xlsx is parsed by openpyxl with defusedxml installed.
Writing: openpyxl turns any string beginning with ``=`` into a formula and raises on control
characters, so whatever a person typed is written through ``text_cell`` (STYLE.md, Known traps).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

import anyio
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import fromstring as xml_fromstring

from evaluation.core import clock
from evaluation.core.form_values import clean
from evaluation.core.i18n import _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# An xlsx file is a zip archive: a few megabytes can unpack into gigabytes of XML.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Litestar adds "; charset=utf-8" to a text type: every CSV is sent as "text/csv; charset=utf-8".
CSV_MEDIA_TYPE = "text/csv"
# Excel on a Chinese Windows PC reads a CSV without it in the ANSI code page (GBK): mojibake.
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32767  # Excel's limit on the characters of one cell
_CHUNK = 64 * 1024


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table, with a message fit to show the user."""


Rows = list[tuple[int, dict[str, str]]]


def read_rows(filename: str, content: bytes) -> tuple[list[str], Rows]:
    """The header (lower-cased column names) and the data rows of a CSV or xlsx file, each row as
    (line number, {column: text}); line 1 is the header, blank lines are skipped."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(_("文件太大（上限 5 MB）。"))
    name = filename.lower()
    if name.endswith(".xls") or content.startswith(_OLE_MAGIC):
        raise SpreadsheetError(_("不支持旧版 Excel（.xls）文件，请另存为 xlsx 或 CSV 后再上传。"))
    if name.endswith(".xlsx") or content.startswith(_ZIP_MAGIC):
        return _with_header(_xlsx_rows(content))
    return _with_header(_csv_rows(content))


def read_sheets(filename: str, content: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of an uploaded xlsx file by its name, each row as the text a person sees
    (checked like ``read_rows``; no header is taken off)."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise SpreadsheetError(_("文件太大（上限 5 MB）。"))
    if filename.lower().endswith(".xls") or content.startswith(_OLE_MAGIC):
        raise SpreadsheetError(_("不支持旧版 Excel（.xls）文件，请另存为 xlsx 或 CSV 后再上传。"))
    return _xlsx_sheets(content)


def read_table(filename: str, content: bytes, columns: tuple[str, ...] | list[str]) -> Rows:
    """The data rows of an uploaded table that must have ``columns`` (others are ignored)."""
    header, rows = read_rows(filename, content)
    missing = [column for column in columns if column not in header]
    if missing:
        raise SpreadsheetError(_("缺少列：{columns}。第一行必须是 {header}。").format(
            columns=", ".join(missing), header=",".join(columns)))
    return rows


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" in the ANSI code page, GBK; GB18030 is its superset.
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(_("无法识别文件编码，请保存为 UTF-8 编码的 CSV。")) from exc
    if "\x00" in text:
        # A NUL is never in a table a person saved as CSV: the file is binary, or UTF-16.
        raise SpreadsheetError(
            _("文件中含有空字符（NUL），不是 CSV 表格。请在 Excel 中另存为 xlsx 或 UTF-8 编码的 CSV。"))
    try:
        return [[_unquoted(value) for value in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise SpreadsheetError(_("无法读取该 CSV 文件，请检查文件格式。")) from exc


def _unquoted(value: str) -> str:
    """A cell as it was before ``csv_safe`` made it safe: a file the platform wrote reads back
    as it was written."""
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_STARTS else value


def _xlsx_rows(content: bytes) -> list[list[str]]:
    return next(iter(_xlsx_sheets(content, first_only=True).values()))


def _xlsx_sheets(content: bytes, first_only: bool = False) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SpreadsheetError(_("无法读取该 xlsx 文件，请检查文件是否损坏。")) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(_("xlsx 文件解压后过大，请分成几个文件上传。"))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheets = workbook.worksheets[:1] if first_only else workbook.worksheets
            for sheet in sheets:
                # LibreOffice may declare a sheet of 1,048,576 rows by 1,024 columns around a hundred
                # real rows; read-only openpyxl would pad every row out to that size.
                sheet.reset_dimensions()
            return {sheet.title: [[clean(cell_text(value)) for value in row]
                                  for row in sheet.iter_rows(values_only=True)]
                    for sheet in sheets}
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise SpreadsheetError(_("无法读取该 xlsx 文件，请检查文件是否损坏。")) from exc


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: Excel stores every number as a float, so a count of 12
    or a code of 150902 may arrive as 12.0; the time of midnight is left off a date."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _with_header(rows: list[list[str]]) -> tuple[list[str], Rows]:
    if not rows:
        raise SpreadsheetError(_("文件是空的。"))
    header = [column.strip().lower() for column in rows[0]]
    result = []
    for line, values in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in values):
            continue
        padded = values + [""] * (len(header) - len(values))
        result.append((line, {column: clean(padded[index]).strip() for index, column in enumerate(header) if column}))
    return header, result


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)
TEXT_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
TITLE_FONT = Font(bold=True, size=16)
TITLE_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def clean_text(value: Any) -> str:
    """Text as a cell can hold it: control characters removed (Excel's XML cannot carry them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))[:MAX_CELL_TEXT]


def csv_safe(value: Any) -> str:
    """A CSV field that a spreadsheet will not run: text starting like a formula (``=``, ``+``,
    ``-``, ``@``, tab, CR) gets a leading apostrophe, as OWASP advises; numbers such as ``-2.5``
    stay numbers."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_STARTS and not (text[:1] == "-" and _is_number(text)):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[Any]], bom: bool = True) -> str:
    """The one way the platform writes CSV (open data, downloads, the command line's files): every
    field through ``csv_safe``, lines ending in LF, a BOM first unless the text goes to standard
    output (a pipe, not a spreadsheet), line breaks inside a field as LF. Served with
    ``CSV_MEDIA_TYPE``."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    # With LF line ends the csv module quotes a field holding LF but not one holding a lone CR,
    # which a spreadsheet takes for the end of the row: CR is written as LF.
    csv.writer(out, lineterminator="\n").writerows(
        [_one_line_end(csv_safe(value)) for value in row] for row in rows)
    return out.getvalue()


def _one_line_end(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def csv_bytes(rows: Iterable[Iterable[Any]], bom: bool = True) -> bytes:
    return csv_text(rows, bom).encode("utf-8")


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except ArithmeticError:
        return False


def text_cell(sheet: Any, value: Any, wrap: bool = False) -> WriteOnlyCell:
    """A plain string cell for anything a person typed: never a formula (``=1+1``, ``@SUM(A1)``,
    ``+cmd``, ``-2+3`` stay literal text), and marked with a quote prefix so that Excel keeps it
    text when the cell is edited."""
    cell = WriteOnlyCell(sheet, value=clean_text(value))
    cell.data_type = "s"
    cell.quotePrefix = True
    if wrap:
        cell.alignment = TEXT_ALIGNMENT
    return cell


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BulkRows:
    """Rows of plain values written by the hundred thousand into a write-only sheet, each row
    straight as the sheet's XML: openpyxl makes, checks and writes a cell object per value, which
    is most of the time of a 100,000-row export (bench/README.md, "Surveys").

    A value is an int, a float or Decimal, a str (cleaned as ``text_cell`` cleans it; text a
    spreadsheet could read as a formula gets the quote prefix, the rest is already text), a naive
    or aware datetime (written as it reads in Asia/Shanghai, as ``time_cell``) or None (no cell).
    The XML is what openpyxl writes for the same values. Hooks two private methods of openpyxl's
    write-only sheet, which is pinned exactly for it (pyproject.toml)."""

    def __init__(self, sheet: Any, time_format: str = "yyyy-mm-dd hh:mm") -> None:
        self.sheet = sheet
        self.letters: list[str] = []
        # Style numbers registered once, as the first styled cell of each kind would.
        time_cell_ = WriteOnlyCell(sheet)
        time_cell_.number_format = time_format
        self.time_style = time_cell_.style_id
        self.quoted_style = text_cell(sheet, "").style_id
        self.epoch = sheet.parent.epoch
        sheet._get_writer()
        plain_cells, plain_row = sheet._values_to_row, sheet._writer.write_row

        def values_to_row(values: Any, row_index: int) -> Any:
            return values if isinstance(values, _Rendered) else plain_cells(values, row_index)

        def write_row(xf: Any, row: Any, row_index: int) -> None:
            if isinstance(row, _Rendered):
                xf.write(xml_fromstring(self._xml(row, row_index)))
            else:
                plain_row(xf, row, row_index)

        sheet._values_to_row, sheet._writer.write_row = values_to_row, write_row

    def append(self, values: list[Any]) -> None:
        self.sheet.append(_Rendered(values))

    def _xml(self, values: list[Any], row: int) -> str:
        letters = self.letters
        while len(letters) < len(values):
            letters.append(get_column_letter(len(letters) + 1))
        parts = [f'<row r="{row}">']
        for letter, value in zip(letters, values, strict=False):
            if value is None:
                continue
            if isinstance(value, str):
                text = clean_text(value)
                style = f' s="{self.quoted_style}"' if text.startswith(_FORMULA_START) else ""
                space = ' xml:space="preserve"' if text != text.strip() else ""
                parts.append(f'<c r="{letter}{row}"{style} t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{letter}{row}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                parts.append(f'<c r="{letter}{row}" t="n"><v>{value}</v></c>')
            elif isinstance(value, float | Decimal):
                number = f"{float(value):.16g}" if math.isfinite(value) else ""  # openpyxl's safe_string
                parts.append(f'<c r="{letter}{row}" t="n"><v>{number}</v></c>')
            elif isinstance(value, dt.datetime):
                moment = clock.local(value).replace(tzinfo=None) if value.tzinfo else value
                parts.append(f'<c r="{letter}{row}" s="{self.time_style}" t="n"><v>'
                             f'{to_excel(moment, self.epoch):.16g}</v></c>')
            else:
                raise TypeError(f"BulkRows cannot write {type(value).__name__}")
        parts.append("</row>")
        return "".join(parts)


class _Rendered(list):  # type: ignore[type-arg]
    """A row for ``BulkRows``: a list, so that the write-only sheet takes it."""


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def number_cell(sheet: Any, value: int | Decimal | None, number_format: str = "0") -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def time_cell(sheet: Any, moment: dt.datetime | None) -> WriteOnlyCell | None:
    """Excel has no time zones: the time is written as it reads in Asia/Shanghai."""
    if moment is None:
        return None
    cell = WriteOnlyCell(sheet, value=clock.local(moment).replace(tzinfo=None))
    cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def header_cell(sheet: Any, title: str | None) -> WriteOnlyCell:
    """A bold, shaded column title; None for the covered cells of a merged title (styled alike,
    so that the merged range is shaded and ruled all over)."""
    cell = text_cell(sheet, title) if title is not None else WriteOnlyCell(sheet)
    cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    return cell


def header_row(sheet: Any, titles: Iterable[str]) -> list[WriteOnlyCell]:
    return [header_cell(sheet, title) for title in titles]


def set_widths(sheet: Any, widths: Iterable[float]) -> None:
    """Column widths, in characters (a Chinese character counts about two). Must be set before
    the first row of a write-only sheet."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def start_table(sheet: Any, titles: list[str], widths: Iterable[float]) -> None:
    """Widths, a bold frozen header with a filter: the layout of every table the office downloads."""
    set_widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}1"
    sheet.append(header_row(sheet, titles))


def title_row(sheet: Any, title: str, columns: int) -> None:
    """A large title over the first ``columns`` columns of a new row (a normal, not write-only,
    sheet: merging needs the cells), as a printed table starts."""
    cell = text_cell(sheet, title)
    cell.font, cell.alignment = TITLE_FONT, TITLE_ALIGNMENT
    sheet.append([cell])
    row = sheet.max_row
    sheet.row_dimensions[row].height = 30
    if columns > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)


def print_landscape(sheet: Any, title_rows: str | None = None) -> None:
    """A4 landscape, as wide as one page and as long as it needs, page numbers at the foot;
    ``title_rows`` ("3:4") are printed again at the top of every page."""
    # The constants from the class: a write-only sheet lacks them (its page set-up works alike).
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = _("第 &P 页，共 &N 页")
    if title_rows:
        sheet.print_title_rows = title_rows


def save(workbook: Any) -> IO[bytes]:
    """The saved workbook in a temporary file (in memory while small), ready to stream."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by chunks())
    workbook.save(spool)
    spool.seek(0)
    return spool


async def chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(file.read, _CHUNK):
            yield chunk
    finally:
        file.close()


_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII name for old clients and the real (Chinese) name for all
    others (RFC 6266: a non-ASCII name needs ``filename*=UTF-8''…``). Characters no file system
    takes in a name (a period named "2025/26") become "_"."""
    cleaned = _UNSAFE_IN_FILENAME.sub("_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


@dataclass(frozen=True)
class Download:
    """A file the office downloads: its name in the interface language, an ASCII name for clients
    that do not read ``filename*``, and its content (a spooled file, bytes, or chunks as they are
    made); served by ``evaluation.core.web.download``."""

    filename: str
    fallback: str
    content: IO[bytes] | bytes | AsyncIterator[bytes]
    media_type: str = XLSX_MEDIA_TYPE
