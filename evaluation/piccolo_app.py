import os

from piccolo.conf.apps import AppConfig

from evaluation.tables import (
    Account,
    AuditEntry,
    CalendarDay,
    CatalogueItem,
    Department,
    EvaluationPeriod,
    PanelBatch,
    PanelCode,
    Rating,
    RatingAnswer,
    RatingImport,
    RatingTally,
    ReasonChoice,
    SignInFailure,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="evaluation",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Department,
        CatalogueItem,
        Account,
        SignInFailure,
        AuditEntry,
        EvaluationPeriod,
        ReasonChoice,
        PanelBatch,
        PanelCode,
        RatingImport,
        Rating,
        RatingAnswer,
        RatingTally,
        CalendarDay,
    ],
    migration_dependencies=[],
    commands=[],
)
