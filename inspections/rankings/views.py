"""A ranking as the pages, the workbook and the open data read it: a snapshot document
(inspections/rankings/snapshots.py), published or the draft's own, with what each reader needs
picked out. The draft the office reviews and the 通报 the public reads are the same document,
so what is published is exactly what was reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluation.core import spreadsheets
from evaluation.core.i18n import _
from evaluation.ratings.scale import CHANNEL_LABELS, LEVEL_LABELS
from inspections.checklists.scoring import format_points
from inspections.rankings.compiling import INDEX_OWN, Reason
from inspections.rankings.texts import group_label, reason_text, state_label
from inspections.rounds.rounds import BELOW_SAMPLE_LABELS

# The columns of `pingyi ranking compile --csv` and of the open-data CSV, in this order.
CSV_COLUMNS = ("group", "rank", "unit_code", "unit_name", "inspection_score", "satisfaction_index",
               "public_component", "bonus", "total", "grade", "vetoed")


@dataclass(frozen=True)
class GroupView:
    code: str
    label: str
    units: list[dict[str, Any]]
    quota: dict[str, int] | None


class RankingView:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    @property
    def settings(self) -> dict[str, Any]:
        return self.document["settings"]

    @property
    def categories(self) -> list[dict[str, Any]]:
        return [row for row in self.document["indicators"] if not row["parent_code"]]

    @property
    def scored_categories(self) -> list[dict[str, Any]]:
        """The categories that make the inspection score (bonus and veto are shown apart)."""
        return [row for row in self.categories if row["kind"] not in ("bonus", "veto")]

    def items_of(self, category_code: str) -> list[dict[str, Any]]:
        return [row for row in self.document["indicators"] if row["parent_code"] == category_code]

    @property
    def items(self) -> list[dict[str, Any]]:
        return [row for row in self.document["indicators"] if row["parent_code"]]

    @property
    def groups(self) -> list[GroupView]:
        return [GroupView(group["group"], group_label(group["group"]), group["units"], group["quota"])
                for group in self.document["groups"]]

    @property
    def units(self) -> list[dict[str, Any]]:
        return [unit for group in self.document["groups"] for unit in group["units"]]

    def unit(self, code: str) -> dict[str, Any] | None:
        return next((unit for unit in self.units if unit["code"] == code), None)

    def group_of(self, code: str) -> str:
        return next((group["group"] for group in self.document["groups"]
                     if any(unit["code"] == code for unit in group["units"])), "")

    @property
    def top_grade(self) -> str:
        return self.settings["grade_bands"][0][0]

    @property
    def lowest_grade(self) -> str:
        return self.settings["grade_bands"][-1][0]

    @property
    def commended(self) -> list[dict[str, Any]]:
        return [unit for unit in self.units if unit["grade"] == self.top_grade]

    @property
    def to_rectify(self) -> list[dict[str, Any]]:
        return [unit for unit in self.units if unit["grade"] == self.lowest_grade]

    @property
    def below_sample(self) -> list[dict[str, Any]]:
        return [unit for unit in self.units if unit["index_source"] != INDEX_OWN]

    @property
    def not_ranked(self) -> list[dict[str, Any]]:
        return self.document["not_ranked"]

    @property
    def full_marks_is_100(self) -> bool:
        return Decimal(self.document["full_marks"]) == 100

    @property
    def conversion_target(self) -> str:
        """With 折算, the points the inspection score is converted to: 100 − W."""
        return format_points(Decimal(100) - Decimal(self.settings["public_weight"])) or "0"

    @property
    def below_sample_rule(self) -> str:
        return _(BELOW_SAMPLE_LABELS.get(self.settings["below_sample"], self.settings["below_sample"]))

    @staticmethod
    def reasons(unit: dict[str, Any]) -> list[str]:
        return [reason_text(Reason(reason["code"], tuple(reason["values"].items()))) for reason in unit["reasons"]]

    @staticmethod
    def state(row: dict[str, Any]) -> str:
        return state_label(row["state"])

    @staticmethod
    def level_label(level: str) -> str:
        return _(LEVEL_LABELS[level]) if level in LEVEL_LABELS else level

    @staticmethod
    def channel_label(channel: str) -> str:
        return _(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else channel

    @property
    def levels(self) -> list[str]:
        return list(LEVEL_LABELS)

    @property
    def channels(self) -> list[str]:
        return list(CHANNEL_LABELS)

    def csv_rows(self) -> list[dict[str, str]]:
        rows = []
        for group in self.document["groups"]:
            for unit in group["units"]:
                rows.append({
                    "group": group["group"], "rank": str(unit["rank"]), "unit_code": unit["code"],
                    "unit_name": unit["name"], "inspection_score": unit["inspection_score"],
                    "satisfaction_index": unit["index_used"], "public_component": unit["public_component"],
                    "bonus": unit["bonus"], "total": unit["total"], "grade": unit["grade"],
                    "vetoed": "yes" if unit["vetoed"] else "no",
                })
        return rows

    def csv_text(self, bom: bool = True) -> str:
        """One row per ranked unit in rank order within each group (旗县市区 first). Names cannot
        start a formula in a spreadsheet: they are unit names the office typed."""
        return spreadsheets.csv_text([CSV_COLUMNS, *([row[key] for key in CSV_COLUMNS] for row in self.csv_rows())],
                                     bom=bom)

