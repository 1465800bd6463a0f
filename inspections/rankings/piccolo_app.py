import os

from piccolo.conf.apps import AppConfig

from inspections.rankings.tables import RankingExclusion, RankingPublication

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="rankings",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[RankingExclusion, RankingPublication],
    migration_dependencies=["inspections.piccolo_app"],
    commands=[],
)
