"""The national 2021 format of the annual report (国办公开办函〔2021〕30号), read from
data/annual-report-template.csv: its six sections, its statistics tables and their rows and
columns, nested through ``parent_code``. The forms, the checks, the print page, the workbook and
the imports are all built from this one reading, so the layout is written down once.

- A section is a text section unless tables belong to it (T2a–T2d to S2, T3 to S3, T4 to S4).
- A cell of data is a leaf row × a leaf column. A flat table (T2a–T2d) names its rows in its first
  column (信息内容), which holds no data.
- A row or column labelled …总计 is the total of the other children of its parent, each counted by
  its own leaves: T3's （七）总计 = （一）…（六）, its 总计 column = the applicant columns, and each
  总计 of T4 = its four cells. The checks (checks.py) read these from here.
- The fee of T2d (its column says 万元) is an amount with decimals; every other cell is a count.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE_PATH = Path(__file__).resolve().parent / "data" / "annual-report-template.csv"
TOTAL_MARK = "总计"
AMOUNT_MARK = "万元"
_ORDINAL = re.compile(r"^(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d+\.)")


@dataclass
class Node:
    """A row or a column of a table (a caption is neither)."""

    code: str
    parent_code: str
    label: str
    order: int
    depth: int = 1
    children: list[Node] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def is_total(self) -> bool:
        return self.label.endswith(TOTAL_MARK)

    def leaves(self) -> list[Node]:
        return [self] if self.is_leaf else [leaf for child in self.children for leaf in child.leaves()]

    @property
    def short(self) -> str:
        """The ordinal a printed report refers to a row by (一、（七）、3.), or the whole label."""
        found = _ORDINAL.match(self.label)
        return found.group(1).rstrip("、") if found else self.label


@dataclass(frozen=True)
class HeaderCell:
    label: str
    colspan: int = 1
    rowspan: int = 1
    code: str = ""  # the column's code; "" for the corner over the row labels


@dataclass(frozen=True)
class LabelCell:
    node: Node
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class Total:
    """A 总计 and the leaves it adds up, on one axis ("row" or "column")."""

    axis: str
    total: Node
    parts: tuple[Node, ...]
    siblings: tuple[Node, ...]  # the total and what it adds up, as its parent lists them

    @property
    def range_text(self) -> str:
        """（一）至（六）: the first and the last of the things added up, as the format names them."""
        added = [node for node in self.siblings if node is not self.total]
        return f"{added[0].short}至{added[-1].short}" if len(added) > 1 else added[0].short


@dataclass
class Table:
    code: str
    section: str
    caption: str
    note: str
    rows: list[Node]  # top level, children nested
    columns: list[Node]

    @functools.cached_property
    def label_column(self) -> Node | None:
        """The first column of a flat table, which names the rows (信息内容)."""
        if all(column.is_leaf for column in self.columns) and len(self.columns) > 1:
            return self.columns[0]
        return None

    @functools.cached_property
    def data_rows(self) -> list[Node]:
        return [leaf for row in self.rows for leaf in row.leaves()]

    @functools.cached_property
    def data_columns(self) -> list[Node]:
        return [leaf for column in self.columns for leaf in column.leaves() if leaf is not self.label_column]

    @functools.cached_property
    def row_lines(self) -> list[Node]:
        """Every row, parents before their children: the lines of the form."""
        return _walk(self.rows)

    @functools.cached_property
    def row_by_code(self) -> dict[str, Node]:
        return {node.code: node for node in _walk(self.rows)}

    @functools.cached_property
    def column_by_code(self) -> dict[str, Node]:
        return {node.code: node for node in _walk(self.columns)}

    def cells(self) -> list[tuple[str, str]]:
        """(row, column) of every cell that holds a figure, row by row."""
        return [(row.code, column.code) for row in self.data_rows for column in self.data_columns]

    def is_cell(self, row: str, column: str) -> bool:
        return (row in self.row_by_code and self.row_by_code[row].is_leaf and column in self.column_by_code
                and self.column_by_code[column].is_leaf and self.column_by_code[column] is not self.label_column)

    def is_amount(self, column: str) -> bool:
        return AMOUNT_MARK in self.column_by_code[column].label

    @property
    def has_amounts(self) -> bool:
        return any(self.is_amount(column.code) for column in self.data_columns)

    @functools.cached_property
    def totals(self) -> list[Total]:
        found = []
        for axis, top in (("row", self.rows), ("column", self.columns)):
            for siblings in [top, *(node.children for node in _walk(top))]:
                for node in siblings:
                    if node.is_total and len(siblings) > 1:
                        parts = tuple(leaf for other in siblings if other is not node for leaf in other.leaves())
                        found.append(Total(axis, node, parts, tuple(siblings)))
        return found

    @property
    def row_label_width(self) -> int:
        """Columns of row labels in the printed table: the label column of a flat table, the depth
        of the nested rows otherwise, none for a table of one row (T4)."""
        if self.label_column is not None:
            return 1
        if len(self.data_rows) == 1:
            return 0
        return max(node.depth for node in _walk(self.rows))

    @functools.cached_property
    def header_depth(self) -> int:
        return max(node.depth for node in _walk(self.columns))

    def header_rows(self) -> list[list[HeaderCell]]:
        """The column headers as printed: a parent spans its leaves, a leaf spans down to the
        last header row; the corner over the row labels spans every header row."""
        depth = self.header_depth
        rows: list[list[HeaderCell]] = [[] for _ in range(depth)]
        if self.label_column is not None:
            rows[0].append(HeaderCell(self.label_column.label, 1, depth))
        elif self.row_label_width:
            rows[0].append(HeaderCell("", self.row_label_width, depth))
        for node in _walk(self.columns):
            if node is self.label_column:
                continue
            if node.is_leaf:
                rows[node.depth - 1].append(HeaderCell(node.label, 1, depth - node.depth + 1, node.code))
            else:
                rows[node.depth - 1].append(HeaderCell(node.label, len(node.leaves()), 1, node.code))
        return rows

    def label_cells(self, row: Node) -> list[LabelCell]:
        """The row-label cells printed on the line of a data row: an ancestor's label on the
        line of its first leaf, spanning down over all of its leaves; the row's own label
        spanning the label columns that are left."""
        width = self.row_label_width
        if not width:
            return []
        cells = []
        for ancestor in self.ancestors(row):
            if ancestor.leaves()[0] is row:
                cells.append(LabelCell(ancestor, 1, len(ancestor.leaves())))
        cells.append(LabelCell(row, width - row.depth + 1, 1))
        return cells

    def ancestors(self, node: Node, axis: str = "row") -> list[Node]:
        by_code = self.row_by_code if axis == "row" else self.column_by_code
        chain = []
        while node.parent_code:
            node = by_code[node.parent_code]
            chain.append(node)
        return list(reversed(chain))

    def headers_of(self, row: str, column: str) -> list[str]:
        """The codes of every heading over a cell, row side first: what names its field. A table
        without row labels (T4) is named by its caption instead ("caption")."""
        row_node, column_node = self.row_by_code[row], self.column_by_code[column]
        row_side = ["caption"]
        if self.row_label_width:
            row_side = [node.code for node in [*self.ancestors(row_node), row_node]]
        return [*row_side, *(node.code for node in self.ancestors(column_node, "column")), column]

    def column_title(self, code: str) -> str:
        """A column as a reader names it: 自然人, 法人或其他组织·商业企业, 行政诉讼·复议后起诉·总计
        (a heading over every column, such as 申请人情况, is left out)."""
        node = self.column_by_code[code]
        chain = [*self.ancestors(node, "column"), node]
        if len(self.columns) == 1 and len(chain) > 1:
            chain = chain[1:]
        return "·".join(part.label for part in chain)


@dataclass
class Section:
    code: str
    label: str
    order: int
    tables: list[Table]

    @property
    def is_text(self) -> bool:
        return not self.tables


@dataclass
class ReportFormat:
    sections: list[Section]

    @functools.cached_property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    @functools.cached_property
    def table_by_code(self) -> dict[str, Table]:
        return {table.code: table for table in self.tables}

    def section(self, code: str) -> Section | None:
        return next((section for section in self.sections if section.code == code), None)

    @property
    def text_sections(self) -> list[Section]:
        return [section for section in self.sections if section.is_text]

    @property
    def table_sections(self) -> list[Section]:
        return [section for section in self.sections if not section.is_text]

    def cells(self) -> list[tuple[str, str, str]]:
        """(table, row, column) of every figure of a report, in the order of the format."""
        return [(table.code, row, column) for table in self.tables for row, column in table.cells()]

    def is_amount(self, table: str, column: str) -> bool:
        return self.table_by_code[table].is_amount(column)


def _walk(nodes: list[Node]) -> list[Node]:
    """Every node, parents before their children, in the order of the format."""
    return [found for node in nodes for found in (node, *_walk(node.children))]


def _tree(rows: list[dict[str, str]]) -> list[Node]:
    nodes = {row["code"]: Node(row["code"], row["parent_code"], row["label"], int(row["order"])) for row in rows}
    top = []
    for node in sorted(nodes.values(), key=lambda node: node.order):
        if node.parent_code:
            nodes[node.parent_code].children.append(node)
        else:
            top.append(node)

    def set_depth(children: list[Node], depth: int) -> None:
        for child in children:
            child.depth = depth
            set_depth(child.children, depth + 1)

    set_depth(top, 1)
    return top


def _section_of(table_code: str) -> str:
    return "S" + re.sub(r"\D", "", table_code)


def read(path: Path = TEMPLATE_PATH) -> ReportFormat:
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    sections = [Section(row["code"], row["label"], int(row["order"]), [])
                for row in sorted((row for row in rows if row["axis"] == "section"), key=lambda row: int(row["order"]))]
    by_code = {section.code: section for section in sections}
    table_codes = list(dict.fromkeys(row["table"] for row in rows if row["axis"] != "section"))
    for code in table_codes:
        of_table = [row for row in rows if row["table"] == code]
        caption = next(row for row in of_table if row["axis"] == "caption")
        table = Table(code=code, section=_section_of(code), caption=caption["label"], note=caption["note"],
                      rows=_tree([row for row in of_table if row["axis"] == "row"]),
                      columns=_tree([row for row in of_table if row["axis"] == "column"]))
        by_code[table.section].tables.append(table)
    return ReportFormat(sections)


FORMAT = read()
