from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T19:23:48:000000"
VERSION = "1.38.0"
DESCRIPTION = "one response per browser and per invitation code; one draft per respondent"

# Unique indexes rather than constraints: SQLite cannot ALTER TABLE … ADD CONSTRAINT. NULLs are
# distinct on both engines, so a response by code (no voter id) never clashes with one by browser
# (PRODUCT.md, Settled questions: one response per browser is the database's job, as for ratings).
INDEXES = [
    "CREATE UNIQUE INDEX survey_response_one_per_voter ON survey_response (survey, voter_id)",
    "CREATE UNIQUE INDEX survey_response_one_per_code ON survey_response (survey, code)",
    "CREATE UNIQUE INDEX survey_draft_one_per_respondent ON survey_draft (survey, respondent)",
    "CREATE UNIQUE INDEX survey_question_name ON survey_question (survey, name)",
]


class SurveyResponse(Table, tablename="survey_response", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="surveys", description=DESCRIPTION)

    async def create_indexes() -> None:
        for statement in INDEXES:
            await SurveyResponse.raw(statement)

    manager.add_raw(create_indexes)
    return manager
