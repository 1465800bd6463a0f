"""Piccolo's entry point: the engine (from DATABASE_URL) and the app registry."""

from piccolo.conf.apps import AppRegistry

from evaluation.core.database import create_engine
from settings import settings

DB = create_engine(settings.database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "evaluation.core.piccolo_app",
        "evaluation.ratings.piccolo_app",
        "evaluation.interviews.piccolo_app",
        "evaluation.surveys.piccolo_app",
        "inspections.piccolo_app",
        "inspections.rankings.piccolo_app",
        "inspections.annual_report.piccolo_app",
    ]
)
