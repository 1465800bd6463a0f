"""The rankings' tables: units the office left out of a round's ranking, and published rankings.

A published ranking is a snapshot: one row per version, its figures in ``payload`` (canonical
JSON, see inspections/rankings/snapshots.py) and their SHA-256 in ``checksum``. The database
refuses to update or delete those rows (triggers made by the migration, on both engines).
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from evaluation.core.tables import Department
from evaluation.ratings.tables import EvaluationPeriod
from inspections.tables import InspectionRound


class RankingExclusion(Table, tablename="ranking_exclusion"):
    """A unit covered by a round that does not take part in its ranking (不参加排名), with the
    office's stated reason. It is listed, not ranked, and not counted in the 优秀 quota's base."""

    id = Serial(primary_key=True)
    round = ForeignKey(InspectionRound, null=False, on_delete=OnDelete.cascade, index=True)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict, index=True)
    reason = Text()
    excluded_by = Varchar(length=120)
    excluded_at = Timestamptz()
    # Unique on (round, department): index ranking_exclusion_once, made by the migration
    # (SQLite cannot add a constraint to a table, and Piccolo adds its Unique that way).


class RankingPublication(Table, tablename="ranking_publication"):
    """Version N of a round's published ranking (通报). Immutable: see the module docstring."""

    id = Serial(primary_key=True)
    round = ForeignKey(InspectionRound, null=False, on_delete=OnDelete.restrict, index=True)
    version = Integer()
    period = ForeignKey(EvaluationPeriod, null=True, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    reason = Text(default="")
    published_by = Varchar(length=120)
    published_at = Timestamptz()
    payload = Text()
    checksum = Varchar(length=64)
    # Unique on (round, version): index ranking_publication_version, made by the migration.
