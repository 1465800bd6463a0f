"""The ``pingyi`` command: accounts, imports, audit verification, backup and restore."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import cli
from evaluation.core.backup import all_tables
from evaluation.core.tables import Account, AuditEntry, Department
from settings import settings
from tests.conftest import empty_database, run
from tests.core.test_audit import Tampering


def pingyi(*args: str, stdin: str = "") -> int:
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(list(args))
    finally:
        sys.stdin = old_stdin


def test_user_create_reads_the_password_from_stdin_and_is_audited_as_cli(departments, capsys):
    assert pingyi("user", "create", "--username", "chenjing", "--role", "liaison", "--department", "150902",
                  "--password-stdin", stdin="liaison-password\n") == 0
    assert "chenjing" in capsys.readouterr().out
    account = run(Account.select().where(Account.username == "chenjing").first())
    assert account["role"] == "liaison" and account["department"] == departments["150902"]
    entry = run(AuditEntry.select().where(AuditEntry.target == "account:chenjing").first())
    assert entry["actor"].startswith("cli:")


def test_bad_input_is_one_line_on_stderr_and_a_non_zero_exit(departments, capsys):
    assert pingyi("user", "create", "--username", "x", "--role", "liaison", "--department", "NOPE",
                  "--password-stdin", stdin="long-enough\n") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "找不到代码为 NOPE 的单位" in err
    assert pingyi("user", "create", "--username", "x", "--role", "inspector", "--password-stdin", stdin="short\n") == 1
    assert "密码至少需要 8 个字符" in capsys.readouterr().err


def test_departments_import_reports_bad_rows_and_imports_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,group\nSZ01,市政府办公室,市直单位\nSZ02,,市直单位\n", encoding="utf-8")
    assert pingyi("departments", "import", str(bad)) == 1
    captured = capsys.readouterr()
    assert "第 3 行" in captured.err and "未导入任何数据" in captured.err
    assert run(Department.count()) == 0
    good = Path(__file__).resolve().parents[2] / "evaluation" / "core" / "data" / "departments.csv"
    assert pingyi("departments", "import", str(good)) == 0
    assert run(Department.count()) == 47
    assert pingyi("departments", "import", str(tmp_path / "missing.csv")) == 1


def test_audit_verify_exits_non_zero_on_tampering(departments, capsys):
    pingyi("user", "create", "--username", "a1", "--role", "auditor", "--password-stdin", stdin="long-enough\n")
    pingyi("user", "create", "--username", "a2", "--role", "auditor", "--password-stdin", stdin="long-enough\n")
    assert pingyi("audit", "verify") == 0
    assert "intact: 2 rows" in capsys.readouterr().out
    Tampering("UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2").apply()
    assert pingyi("audit", "verify") == 1
    assert "row id" in capsys.readouterr().err


def _all_rows() -> dict[str, list[dict]]:
    async def read() -> dict[str, list[dict]]:
        return {
            table._meta.tablename: await table.select().order_by(table._meta.primary_key)
            for table in all_tables()
        }

    return run(read)


def test_backup_then_restore_into_an_empty_database_gives_back_every_row_and_file(people, tmp_path, capsys):
    from evaluation.core import demo

    run(demo.load)
    photo = settings.uploads_dir / "checklists" / "evidence.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 photo bytes")
    before = _all_rows()
    archive = tmp_path / "pingyi-backup.tar.gz"
    assert pingyi("backup", str(archive)) == 0
    assert "files" in capsys.readouterr().out

    refused = pingyi("restore", str(archive))
    assert refused == 1 and "not empty" in capsys.readouterr().err

    run(empty_database)
    photo.unlink()
    assert pingyi("restore", str(archive)) == 0
    assert _all_rows() == before
    assert photo.read_bytes() == b"\xff\xd8\xff\xe0 photo bytes"
    # Restored rows keep their ids, and new rows continue after them.
    assert pingyi("user", "create", "--username", "after", "--role", "auditor", "--password-stdin",
                  stdin="long-enough\n") == 0


def test_restore_refuses_what_is_not_a_backup(tmp_path, capsys):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    assert pingyi("restore", str(junk)) == 1
    assert "not a Pingyi backup" in capsys.readouterr().err


def test_the_installed_console_script_runs_and_fails_without_a_traceback():
    script = Path(sys.executable).with_name("pingyi")
    result = subprocess.run([str(script), "user", "create", "--username", "x", "--role", "mayor"],
                            capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "invalid choice" in result.stderr
