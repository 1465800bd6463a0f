import os

from piccolo.conf.apps import AppConfig

from inspections.annual_report.tables import AnnualReport, ReportFigure, ReportText

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="annual_report",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[AnnualReport, ReportText, ReportFigure],
    migration_dependencies=["inspections.rankings.piccolo_app"],
    commands=[],
)
