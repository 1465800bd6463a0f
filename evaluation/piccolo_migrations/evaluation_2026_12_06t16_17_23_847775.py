from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey
from piccolo.table import Table

ID = "2026-12-06T16:17:23:847775"
VERSION = "1.38.0"
DESCRIPTION = "ratings counted per period from one covering index"


class Rating(Table, tablename="rating", schema=None):
    pass


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="evaluation", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Rating",
        tablename="rating",
        column_name="period",
        db_column_name="period",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    async def covering_index() -> None:
        # It replaces (period, department, level), which lacked the channel the index is mixed by.
        await Rating.raw("DROP INDEX rating_period_department_level")
        await Rating.raw("CREATE INDEX rating_counts ON rating (period, department, channel, level)")

    manager.add_raw(covering_index)
    return manager
