"""The audit chain keyed, and guarded by the database.

Earlier chains were hashed with plain SHA-256, which anyone with the database can recompute. An
existing chain is first checked as it was made (it must verify, or the migration stops and says
so), then chained again with HMAC-SHA256 under the key kept outside the database (settings.py:
PINGYI_AUDIT_KEY or ./var/audit_key). Then triggers refuse to update or delete a sealed row, and to
insert a row that already carries a seal.
"""

import hashlib
import hmac
import json
from datetime import UTC

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit chain keyed (HMAC) and sealed rows guarded by triggers"

GENESIS = "0" * 64
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_entry_sealed_no_update BEFORE UPDATE ON audit_entry WHEN OLD.seq IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'a sealed audit entry cannot be changed'); END",
    "CREATE TRIGGER audit_entry_sealed_no_delete BEFORE DELETE ON audit_entry WHEN OLD.seq IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'a sealed audit entry cannot be deleted'); END",
    "CREATE TRIGGER audit_entry_no_sealed_insert BEFORE INSERT ON audit_entry "
    "WHEN NEW.seq IS NOT NULL OR NEW.hash <> '' OR NEW.prev_hash <> '' "
    "BEGIN SELECT RAISE(ABORT, 'an audit entry is sealed by the sealer only'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    "  IF NEW.seq IS NOT NULL OR NEW.hash <> '' OR NEW.prev_hash <> '' THEN "
    "    RAISE EXCEPTION 'an audit entry is sealed by the sealer only' USING ERRCODE = 'restrict_violation'; "
    "  END IF; RETURN NEW; "
    "END IF; "
    "IF OLD.seq IS NOT NULL THEN "
    "  RAISE EXCEPTION 'a sealed audit entry cannot be changed or deleted' USING ERRCODE = 'restrict_violation'; "
    "END IF; "
    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
    "CREATE TRIGGER audit_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()",
]


class AuditEntry(Table, tablename="audit_entry", schema=None):
    pass


def _payload(row, seq, prev_hash):
    at = row["at"]
    if isinstance(at, str):
        from datetime import datetime

        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    text = json.dumps([seq, row["id"], at.astimezone(UTC).isoformat(timespec="microseconds"), row["actor"],
                       row["action"], row["target"], row["old_value"], row["new_value"], prev_hash],
                      ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def key_and_guard() -> None:
        from settings import settings

        key = settings.audit_key.encode("utf-8")
        rows = await AuditEntry.raw("SELECT * FROM audit_entry WHERE seq IS NOT NULL ORDER BY seq")
        prev_plain, prev_keyed = GENESIS, GENESIS
        for expected, row in enumerate(rows, start=1):
            plain = hashlib.sha256(_payload(row, row["seq"], prev_plain)).hexdigest()
            if row["seq"] != expected or row["prev_hash"] != prev_plain or row["hash"] != plain:
                raise RuntimeError(
                    f"the audit chain does not verify at row id {row['id']}: it is not chained again with the "
                    "key; find out what happened to it before migrating (nothing was changed)")
            keyed = hmac.new(key, _payload(row, row["seq"], prev_keyed), hashlib.sha256).hexdigest()
            await AuditEntry.raw("UPDATE audit_entry SET prev_hash = {}, hash = {} WHERE id = {}",
                                 prev_keyed, keyed, row["id"])
            prev_plain, prev_keyed = row["hash"], keyed
        engine = engine_finder()
        postgres = engine is not None and engine.engine_type == "postgres"
        for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
            await AuditEntry.raw(statement)

    manager.add_raw(key_and_guard)
    return manager
