from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T16:38:49:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys of indicator systems, indicators, team members, checklists and answers"

# Unique indexes rather than constraints: SQLite cannot ALTER TABLE … ADD CONSTRAINT.
UNIQUE_INDEXES = {
    "indicator_system_year_code": "indicator_system (year, code)",
    "indicator_code": "indicator (system, code)",
    "team_member_once": "team_member (team, account)",
    "checklist_round_department": "checklist (round, department)",
    "checklist_answer_item": "checklist_answer (checklist, indicator)",
}


class IndicatorSystem(Table, tablename="indicator_system", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inspections", description=DESCRIPTION)

    async def create_indexes() -> None:
        for name, columns in UNIQUE_INDEXES.items():
            await IndicatorSystem.raw(f"CREATE UNIQUE INDEX {name} ON {columns}")

    manager.add_raw(create_indexes)
    return manager
