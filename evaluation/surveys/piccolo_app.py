import os

from piccolo.conf.apps import AppConfig

from evaluation.surveys.tables import (
    Survey,
    SurveyCode,
    SurveyDraft,
    SurveyOption,
    SurveyPage,
    SurveyQuestion,
    SurveyResponse,
    SurveyText,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="surveys",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Survey, SurveyPage, SurveyQuestion, SurveyOption, SurveyCode, SurveyDraft, SurveyResponse,
                   SurveyText],
    migration_dependencies=["evaluation.core.piccolo_app"],
    commands=[],
)
