import os

from piccolo.conf.apps import AppConfig

from inspections.tables import (
    AnswerSave,
    Checklist,
    ChecklistAnswer,
    Evidence,
    Indicator,
    IndicatorSystem,
    InspectionRound,
    Team,
    TeamMember,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="inspections",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        IndicatorSystem,
        Indicator,
        InspectionRound,
        Team,
        TeamMember,
        Checklist,
        ChecklistAnswer,
        AnswerSave,
        Evidence,
    ],
    migration_dependencies=["evaluation.ratings.piccolo_app"],
    commands=[],
)
