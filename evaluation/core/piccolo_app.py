import os

from piccolo.conf.apps import AppConfig

from evaluation.core.tables import (
    Account,
    AuditEntry,
    CalendarDay,
    CatalogueItem,
    Department,
    KnownAddress,
    RateCount,
    SignInFailure,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Department, CatalogueItem, Account, SignInFailure, KnownAddress, AuditEntry, CalendarDay,
                   RateCount],
    migration_dependencies=[],
    commands=[],
)
