from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T16:38:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys of exclusions and versions; published rankings refused to UPDATE and DELETE"

UNIQUE_INDEXES = {
    "ranking_exclusion_once": "ranking_exclusion (round, department)",
    "ranking_publication_version": "ranking_publication (round, version)",
}
# A published ranking is never changed or removed, whatever writes to the database: the rows are
# refused by the database itself (PRODUCT.md §5, Publishing).
SQLITE_TRIGGERS = [
    "CREATE TRIGGER ranking_publication_no_update BEFORE UPDATE ON ranking_publication "
    "BEGIN SELECT RAISE(ABORT, 'a published ranking cannot be changed'); END",
    "CREATE TRIGGER ranking_publication_no_delete BEFORE DELETE ON ranking_publication "
    "BEGIN SELECT RAISE(ABORT, 'a published ranking cannot be deleted'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION ranking_publication_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'a published ranking cannot be changed or deleted' USING ERRCODE = 'restrict_violation'; "
    "END $$",
    "CREATE TRIGGER ranking_publication_immutable BEFORE UPDATE OR DELETE ON ranking_publication "
    "FOR EACH ROW EXECUTE FUNCTION ranking_publication_refuse_change()",
]


class _Raw(Table, tablename="ranking_publication", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="rankings", description=DESCRIPTION)

    async def protect_publications() -> None:
        engine = engine_finder()
        postgres = engine is not None and engine.engine_type == "postgres"
        for name, columns in UNIQUE_INDEXES.items():
            await _Raw.raw(f"CREATE UNIQUE INDEX {name} ON {columns}")
        for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
            await _Raw.raw(statement)

    manager.add_raw(protect_publications)
    return manager
