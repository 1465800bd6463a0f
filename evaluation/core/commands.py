"""The core's commands: staff accounts, departments, the audit trail, backups."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from evaluation.core.console import (
    CommandError,
    Parser,
    actor,
    existing_file,
    refuse_bad_rows,
    run,
)


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("密码 Password: ")
    if first != getpass.getpass("再输入一次 Again: "):
        raise CommandError("两次输入的密码不一致 (passwords differ)")
    return first


def user_create(args: argparse.Namespace) -> None:
    from evaluation.core import accounts

    password = read_password(args)
    form = accounts.AccountForm(
        username=args.username, display_name=args.name or "", role=args.role, department_code=args.department or ""
    )
    try:
        run(lambda: accounts.create_account(actor(), form, password))
    except accounts.AccountError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已创建账户 created: {args.username} ({args.role})")


def user_password(args: argparse.Namespace) -> None:
    from evaluation.core import accounts

    password = read_password(args)
    try:
        run(lambda: accounts.set_password(actor(), args.username, password))
    except accounts.AccountError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已重设密码，该账户的其他登录均已退出 password set, other sessions ended: {args.username}")


def user_unlock(args: argparse.Namespace) -> None:
    from evaluation.core import accounts

    failures = run(lambda: accounts.unlock(actor(), args.username))
    print(f"已解除登录锁定 unlocked: {args.username} ({failures} 次失败记录已清除 failures cleared)")


def departments_import(args: argparse.Namespace) -> None:
    from evaluation.core import departments

    path = existing_file(args.file)
    try:
        result = run(lambda: departments.import_departments(actor(), path.name, path.read_bytes()))
    except departments.DepartmentError as refusal:
        raise CommandError(str(refusal)) from refusal
    refuse_bad_rows(result.errors)
    print(f"已导入 imported: {result.created} 新增 created, {result.updated} 更新 updated, "
          f"{result.unchanged} 未变 unchanged")


def audit_verify(_: argparse.Namespace) -> None:
    from evaluation.core import audit

    verdict = run(audit.verify, seal=False)
    if verdict.suspicious:
        print("未封存过久的记录 rows unsealed for too long (id): " + ", ".join(map(str, verdict.suspicious)),
              file=sys.stderr)
    if verdict.first_bad_id:
        raise CommandError(f"审计记录被篡改 tampered: row id {verdict.first_bad_id} ({verdict.reason}); "
                           f"{verdict.rows_checked} rows before it are intact")
    if not verdict.intact:
        raise CommandError(f"审计记录不完整 not intact: {verdict.reason}; {verdict.rows_checked} rows checked")
    print(f"审计记录完整 intact: {verdict.rows_checked} rows")


def audit_head(_: argparse.Namespace) -> None:
    from evaluation.core import audit

    head = run(audit.chain_head, seal=False)
    if head is None:
        print("审计记录为空 the audit trail is empty")
        return
    # One line the office can write down or keep elsewhere: verify compares the chain with it.
    print(f"seq {head.seq} hash {head.hash}")


def backup(args: argparse.Namespace) -> None:
    from evaluation.core import backup as backups
    from settings import settings

    target = Path(args.file)
    if not target.parent.exists():
        raise CommandError(f"找不到目录 no such directory: {target.parent}")
    counts = run(lambda: backups.backup(target, settings.uploads_dir), seal=False)
    rows = sum(value for key, value in counts.items() if key != "files")
    print(f"已备份 backed up: {rows} rows, {counts['files']} files → {target}")


def restore(args: argparse.Namespace) -> None:
    from evaluation.core import backup as backups
    from settings import settings

    try:
        counts = run(lambda: backups.restore(Path(args.file), settings.uploads_dir), seal=False)
    except backups.BackupError as refusal:
        raise CommandError(str(refusal)) from refusal
    rows = sum(value for key, value in counts.items() if key != "files")
    print(f"已恢复 restored: {rows} rows, {counts['files']} files")


def register(commands: Any) -> None:
    user = commands.add_parser("user", help="staff accounts").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    p = user.add_parser("create", help="create a staff account")
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=["office", "inspector", "liaison", "auditor"])
    p.add_argument("--department", help="department code (liaisons)")
    p.add_argument("--name", help="display name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(handler=user_create)
    p = user.add_parser("password", help="set a staff account's password")
    p.add_argument("--username", required=True)
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(handler=user_password)

    p = user.add_parser("unlock", help="clear an account's failed sign-ins so it can sign in again at once")
    p.add_argument("--username", required=True)
    p.set_defaults(handler=user_unlock)

    departments = commands.add_parser("departments", help="departments").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    p = departments.add_parser("import", help="import departments from CSV or xlsx (code,name,group)")
    p.add_argument("file")
    p.set_defaults(handler=departments_import)

    audit = commands.add_parser("audit", help="audit trail").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    audit.add_parser("verify", help="check the keyed hash chain against the head kept outside the database "
                     "(seals nothing)").set_defaults(handler=audit_verify)
    audit.add_parser("head", help="print the chain's head (sequence and hash) to keep elsewhere"
                     ).set_defaults(handler=audit_head)

    p = commands.add_parser("backup", help="write every row and stored file to one archive")
    p.add_argument("file")
    p.set_defaults(handler=backup)
    p = commands.add_parser("restore", help="restore an archive into an empty, migrated database")
    p.add_argument("file")
    p.set_defaults(handler=restore)
