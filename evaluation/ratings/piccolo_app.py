import os

from piccolo.conf.apps import AppConfig

from evaluation.ratings.tables import (
    AnswerCorrection,
    EvaluationPeriod,
    PanelBatch,
    PanelCode,
    Rating,
    RatingAnswer,
    RatingImport,
    RatingTally,
    ReasonChoice,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="ratings",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[EvaluationPeriod, ReasonChoice, PanelBatch, PanelCode, RatingImport, Rating, RatingAnswer,
                   RatingTally, AnswerCorrection],
    migration_dependencies=["evaluation.core.piccolo_app"],
    commands=[],
)
