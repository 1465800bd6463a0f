from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-07T02:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "the imports made before chunked writing are complete"


class RatingImport(Table, tablename="rating_import", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ratings", description=DESCRIPTION)

    async def complete_earlier_imports() -> None:
        # Every import made before was written in one transaction: it is complete. (Raw steps run
        # before a migration's columns are added, hence a migration of its own.)
        await RatingImport.raw("UPDATE rating_import SET completed_at = created_at")

    manager.add_raw(complete_earlier_imports)
    return manager
