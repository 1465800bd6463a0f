from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T17:12:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "no person or studio booked twice at overlapping times; a guest once per interview"

# PRODUCT.md §3: the same guest, host or studio can never be booked twice at overlapping times.
# The database itself refuses it, so two staff saving at the same moment cannot both succeed.
# Times are half-open, [start, end): an interview may begin when the previous one ends.
# PostgreSQL: exclusion constraints over tstzrange (btree_gist gives the = on integers).
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE interview_booking ADD CONSTRAINT interview_booking_one_resource "
    "CHECK ((person IS NULL) <> (studio IS NULL))",
    "ALTER TABLE interview_booking ADD CONSTRAINT interview_booking_ends_after_start CHECK (ends_at > starts_at)",
    "ALTER TABLE interview_booking ADD CONSTRAINT interview_booking_person_free "
    "EXCLUDE USING gist (person WITH =, tstzrange(starts_at, ends_at) WITH &&)",
    "ALTER TABLE interview_booking ADD CONSTRAINT interview_booking_studio_free "
    "EXCLUDE USING gist (studio WITH =, tstzrange(starts_at, ends_at) WITH &&)",
]
# SQLite cannot add a constraint to a table; triggers do the same. Its writers are serialized
# (one write transaction at a time), so a check made inside the writing statement cannot race.
_CLASH = (
    "SELECT RAISE(ABORT, 'interview_booking_clash') WHERE EXISTS (SELECT 1 FROM interview_booking AS b "
    "WHERE b.id IS NOT NEW.id AND ((NEW.person IS NOT NULL AND b.person = NEW.person) "
    "OR (NEW.studio IS NOT NULL AND b.studio = NEW.studio)) "
    "AND julianday(b.starts_at) < julianday(NEW.ends_at) AND julianday(NEW.starts_at) < julianday(b.ends_at));"
)
_SHAPE = (
    "SELECT RAISE(ABORT, 'interview_booking_shape') WHERE (NEW.person IS NULL) = (NEW.studio IS NULL) "
    "OR julianday(NEW.ends_at) <= julianday(NEW.starts_at);"
)
SQLITE = [
    f"CREATE TRIGGER interview_booking_free_insert BEFORE INSERT ON interview_booking BEGIN {_SHAPE} {_CLASH} END",
    f"CREATE TRIGGER interview_booking_free_update BEFORE UPDATE ON interview_booking BEGIN {_SHAPE} {_CLASH} END",
]
BOTH = [
    "CREATE UNIQUE INDEX interview_guest_once ON interview_guest (interview, person)",
    "CREATE INDEX interview_booking_person_time ON interview_booking (person, starts_at)",
    "CREATE INDEX interview_booking_studio_time ON interview_booking (studio, starts_at)",
    "CREATE INDEX interview_question_by_status ON interview_question (interview, status, created_at)",
]


class _Raw(Table, tablename="interview_booking", schema=None):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="interviews", description=DESCRIPTION)

    async def constrain() -> None:
        engine = engine_finder()
        postgres = engine is not None and engine.engine_type == "postgres"
        for statement in (POSTGRES if postgres else SQLITE) + BOTH:
            await _Raw.raw(statement)

    manager.add_raw(constrain)
    return manager
