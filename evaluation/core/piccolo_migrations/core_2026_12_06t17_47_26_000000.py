from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T17:47:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "one row per account and address it signed in from"


class KnownAddress(Table, tablename="known_address", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def unique_address() -> None:
        await KnownAddress.raw("CREATE UNIQUE INDEX known_address_once ON known_address (account, address)")
        await KnownAddress.raw("CREATE INDEX sign_in_failure_name_time ON sign_in_failure (username, failed_at)")

    manager.add_raw(unique_address)
    return manager
