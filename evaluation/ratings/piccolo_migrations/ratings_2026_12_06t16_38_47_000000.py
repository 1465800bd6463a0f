from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T16:38:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "one rating per voter and per panel code; a period's ratings counted from one index"

# Unique indexes rather than constraints: SQLite cannot ALTER TABLE … ADD CONSTRAINT. NULLs are
# distinct on both engines, so paper forms (no voter, no code) never clash (PRODUCT.md, Settled
# questions: one rating per browser is the database's job).
INDEXES = [
    "CREATE UNIQUE INDEX rating_one_per_voter ON rating (period, department, voter_id)",
    "CREATE UNIQUE INDEX rating_one_per_panel_code ON rating (period, department, panel_code)",
    # Serves every query by period and counts a period's ratings per department, channel and
    # level without reading the table (the satisfaction index, the rankings).
    "CREATE INDEX rating_counts ON rating (period, department, channel, level)",
]


class Rating(Table, tablename="rating", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ratings", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in INDEXES:
            await Rating.raw(statement)

    manager.add_raw(create_indexes)
    return manager
