from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T17:41:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one count per brake, key and window (the ON CONFLICT of every hit names it)"


class RateCount(Table, tablename="rate_count", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def unique_window() -> None:
        await RateCount.raw("CREATE UNIQUE INDEX rate_count_window ON rate_count (name, key, window_start)")

    manager.add_raw(unique_window)
    return manager
