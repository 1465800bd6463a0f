from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T16:59:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "one report per year and unit, one row per section and cell; a submitted report's texts and cells refused to change"

# The city's own report has no department: COALESCE makes it one key like any other (a NULL
# would never collide with another NULL in a unique index).
UNIQUE_INDEXES = {
    "annual_report_once": "annual_report (year, COALESCE(department, 0))",
    "report_text_once": "report_text (report, section)",
    "report_figure_cell": "report_figure (report, table_code, row_code, column_code)",
}
LOCKED_TABLES = ("report_text", "report_figure")
# A submitted report is locked whatever writes to the database (the office returns it first): its
# texts and cells are neither updated nor deleted. Inserts need no trigger: a submitted report has
# every cell and every text section (submitting writes the missing cells as 0 and needs every
# section), so any new row collides with the unique indexes above; and a restore (pingyi restore)
# inserts a submitted report's rows after the report itself.
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_locked_{event.lower()} BEFORE {event} ON {table} "
    "WHEN (SELECT status FROM annual_report WHERE id = OLD.report) = 'submitted' "
    "BEGIN SELECT RAISE(ABORT, 'a submitted annual report cannot be changed'); END"
    for table in LOCKED_TABLES
    for event in ("UPDATE", "DELETE")
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION annual_report_refuse_locked() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF EXISTS (SELECT 1 FROM annual_report WHERE id = OLD.report AND status = 'submitted') THEN "
    "RAISE EXCEPTION 'a submitted annual report cannot be changed' USING ERRCODE = 'restrict_violation'; "
    "END IF; "
    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
    "RETURN NEW; "
    "END $$",
    *(f"CREATE TRIGGER {table}_locked BEFORE UPDATE OR DELETE ON {table} "
      "FOR EACH ROW EXECUTE FUNCTION annual_report_refuse_locked()" for table in LOCKED_TABLES),
]


class _Raw(Table, tablename="annual_report", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="annual_report", description=DESCRIPTION)

    async def keys_and_locks() -> None:
        engine = engine_finder()
        postgres = engine is not None and engine.engine_type == "postgres"
        for name, columns in UNIQUE_INDEXES.items():
            await _Raw.raw(f"CREATE UNIQUE INDEX {name} ON {columns}")
        for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
            await _Raw.raw(statement)

    manager.add_raw(keys_and_locks)
    return manager
