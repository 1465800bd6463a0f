import os

from piccolo.conf.apps import AppConfig

from evaluation.interviews.tables import (
    Answer,
    Booking,
    Interview,
    InterviewGuest,
    InterviewSettings,
    Person,
    Question,
    Studio,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="interviews",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[InterviewSettings, Person, Studio, Interview, InterviewGuest, Booking, Question, Answer],
    migration_dependencies=["evaluation.core.piccolo_app"],
    commands=[],
)
