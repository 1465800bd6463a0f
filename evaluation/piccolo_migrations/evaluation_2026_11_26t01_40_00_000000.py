from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T01:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one rating per voter and per panel code"


class Rating(Table, tablename="rating", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="evaluation", description=DESCRIPTION)

    async def unique_indexes() -> None:
        # One rating per voter and per panel code (PRODUCT.md, Settled questions). Unique
        # indexes rather than constraints: SQLite cannot ALTER TABLE … ADD CONSTRAINT.
        # NULLs are distinct on both engines, so paper forms (no voter, no code) never clash.
        await Rating.raw("CREATE UNIQUE INDEX rating_one_per_voter ON rating (period, department, voter_id)")
        await Rating.raw("CREATE UNIQUE INDEX rating_one_per_panel_code ON rating (period, department, panel_code)")
        await Rating.raw("CREATE INDEX rating_period_department_level ON rating (period, department, level)")

    async def drop_indexes() -> None:
        for name in ("rating_one_per_voter", "rating_one_per_panel_code", "rating_period_department_level"):
            await Rating.raw(f"DROP INDEX {name}")

    manager.add_raw(unique_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
