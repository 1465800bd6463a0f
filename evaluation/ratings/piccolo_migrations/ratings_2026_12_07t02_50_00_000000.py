from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T02:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "an import counts once complete: imports written in chunks"


COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ratings", description=DESCRIPTION)

    manager.add_column(
        table_class_name="RatingImport",
        tablename="rating_import",
        column_name="completed_at",
        db_column_name="completed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={"default": None, "null": True, **COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="RatingImport",
        tablename="rating_import",
        column_name="lease",
        db_column_name="lease",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 32, "default": "", "null": False, **COMMON},
        schema=None,
    )

    return manager
