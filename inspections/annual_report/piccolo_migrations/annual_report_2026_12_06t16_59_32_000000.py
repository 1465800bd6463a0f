from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T16:59:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "one report per year and unit, one row per section and cell; a submitted report's texts and figures refused to change"

# The city's own report has no department: COALESCE makes it one key like any other (a NULL
# would never collide with another NULL in a unique index).
UNIQUE_INDEXES = {
    "annual_report_once": "annual_report (year, COALESCE(department, 0))",
    "report_text_once": "report_text (report, section)",
    "report_figure_cell": "report_figure (report, table_code, row_code, column_code)",
}
LOCKED_TABLES = ("report_text", "report_figure")
# A submitted report is locked whatever writes to the database (the office returns it first).
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_locked_{event.lower()} BEFORE {event} ON {table} "
    f"WHEN (SELECT status FROM annual_report WHERE id = {row}.report) = 'submitted' "
    "BEGIN SELECT RAISE(ABORT, 'a submitted annual report cannot be changed'); END"
    for table in LOCKED_TABLES
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION annual_report_refuse_locked() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE target integer; "
    "BEGIN "
    "IF TG_OP = 'INSERT' THEN target := NEW.report; ELSE target := OLD.report; END IF; "
    "IF EXISTS (SELECT 1 FROM annual_report WHERE id = target AND status = 'submitted') THEN "
    "RAISE EXCEPTION 'a submitted annual report cannot be changed' USING ERRCODE = 'restrict_violation'; "
    "END IF; "
    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
    "RETURN NEW; "
    "END $$",
    *(f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
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
