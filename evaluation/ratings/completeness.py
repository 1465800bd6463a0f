"""Paper forms and tallies count once their import is complete.

A large import is written in chunks, each a transaction of its own, so that citizens' ratings
go on meanwhile (evaluation/ratings/imports.py); its ``RatingImport`` is marked complete by the
last one. Until then — while it is written, or for good if it was interrupted — its rows are in
the tables but count nowhere: every query of ``Rating`` or ``RatingTally`` that counts, lists or
exports them adds the condition below (web ratings have no import and always count).
"""

from __future__ import annotations

from typing import Any

from evaluation.ratings.tables import Rating, RatingImport, RatingTally

# The same, for the few queries written as SQL.
INCOMPLETE_IMPORTS_SQL = "SELECT id FROM rating_import WHERE completed_at IS NULL"


def _incomplete_imports() -> Any:
    return RatingImport.select(RatingImport.id).where(RatingImport.completed_at.is_null())


def counted_ratings() -> Any:
    """Where-clause: the rating is a web rating or belongs to a complete import."""
    return Rating.import_batch.is_null() | Rating.import_batch.not_in(_incomplete_imports())


def counted_tallies() -> Any:
    """Where-clause: the tally belongs to a complete import."""
    return RatingTally.import_batch.not_in(_incomplete_imports())
