from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Numeric
from piccolo.columns.indexes import IndexMethod
import decimal

ID = "2026-12-06T15:58:40:717126"
VERSION = "1.38.0"
DESCRIPTION = "point step of indicator systems (0.5 or 0.1)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="inspections", description=DESCRIPTION
    )

    # ADD COLUMN … DEFAULT 0.5 NOT NULL on both engines: the systems that exist get 0.5, the step
    # every system had before it became a setting.
    manager.add_column(
        table_class_name="IndicatorSystem",
        tablename="indicator_system",
        column_name="point_step",
        db_column_name="point_step",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0.5"),
            "digits": (3, 1),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
