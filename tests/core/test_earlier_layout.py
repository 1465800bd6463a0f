"""A demo database made by the first landed version (one Piccolo app "evaluation" for the core and
the ratings, its audit chain hashed with plain SHA-256) is taken over by `pingyi migrate`, kept
whole; one this version cannot recognise is refused with the reason, unchanged."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from piccolo_conf import APP_REGISTRY
from settings import PROJECT_DIR

LEGACY = Path(__file__).resolve().parent / "data" / "legacy-2026-11-26.sql"


def pingyi(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PINGYI_VAR_DIR": str(var_dir), "DATABASE_URL": f"sqlite:///{var_dir / 'pingyi.sqlite'}"}
    return subprocess.run([sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))", *args],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)


def legacy_database(var_dir: Path) -> sqlite3.Connection:
    var_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(var_dir / "pingyi.sqlite")
    db.executescript(LEGACY.read_text(encoding="utf-8"))
    return db


def test_the_first_landings_demo_database_is_taken_over_and_kept_whole(tmp_path):
    db = legacy_database(tmp_path)
    departments = db.execute("SELECT COUNT(*) FROM department").fetchone()[0]
    refused = pingyi(tmp_path, "serve", "--port", "0")
    assert refused.returncode == 1 and "pingyi migrate" in refused.stderr  # nothing served half-migrated

    migrated = pingyi(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "已接管较早版本创建的数据库" in migrated.stdout
    assert db.execute("SELECT COUNT(*) FROM department").fetchone()[0] == departments == 47
    assert db.execute("SELECT point_step FROM indicator_system").fetchone()[0] == 0.5
    assert db.execute("SELECT COUNT(*) FROM ranking_publication").fetchone()[0] == 0
    applied = {row[0] for row in db.execute("SELECT DISTINCT app_name FROM migration")}
    assert applied == set(APP_REGISTRY.app_configs)  # every app of today, the later ones from scratch
    # The chain is keyed now, and verifies with the key kept outside the database.
    verified = pingyi(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "intact: 40 rows" in verified.stdout, verified.stderr
    assert pingyi(tmp_path, "migrate").returncode == 0  # and again: nothing left to do


def test_a_chain_altered_before_the_migration_stops_it_with_the_row_named(tmp_path):
    db = legacy_database(tmp_path)
    db.execute("UPDATE audit_entry SET actor = 'someone-else' WHERE id = 12")
    db.commit()
    migrated = pingyi(tmp_path, "migrate")
    assert migrated.returncode == 1 and "row id 12" in migrated.stderr
    assert db.execute("SELECT actor FROM audit_entry WHERE id = 12").fetchone()[0] == "someone-else"
    triggers = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'")
    assert triggers.fetchone()[0] == 0


def test_a_database_in_an_unknown_state_is_refused_unchanged(tmp_path):
    db = legacy_database(tmp_path)
    db.execute("DELETE FROM migration WHERE name = '2026-11-26T04:20:00:000000'")
    db.commit()
    before = db.execute("SELECT app_name, name FROM migration ORDER BY id").fetchall()
    migrated = pingyi(tmp_path, "migrate")
    assert migrated.returncode == 1 and "较早的版本" in migrated.stderr and migrated.stderr.count("\n") == 1
    assert db.execute("SELECT app_name, name FROM migration ORDER BY id").fetchall() == before
