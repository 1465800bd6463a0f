"""The ``pingyi`` command: serving, migrating and the demo here; every capability's commands beside
it (evaluation/core/commands.py, evaluation/ratings/commands.py, evaluation/surveys/commands.py,
inspections/commands.py, inspections/rankings/commands.py). Every subcommand fails with one line, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys

from evaluation.core import commands as core_commands
from evaluation.core.console import CommandError, Parser, run
from evaluation.interviews import commands as interview_commands
from evaluation.ratings import commands as rating_commands
from evaluation.surveys import commands as survey_commands
from inspections import commands as inspection_commands
from inspections.annual_report import commands as annual_report_commands
from inspections.rankings import commands as ranking_commands


async def _pending_migrations() -> bool:
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    manager = CheckMigrationManager(app_name="all")
    return any(not row.has_ran for row in await manager.get_migration_statuses())


def migrate(_: argparse.Namespace) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    import piccolo_conf
    from evaluation.core import migrations
    from evaluation.core.database import enable_wal
    from settings import settings

    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(str(settings.sqlite_path))
    try:
        adopted = run(lambda: migrations.adopt_earlier_layout(piccolo_conf.DB), seal=False)
    except migrations.LegacyDatabaseError as refusal:
        raise CommandError(str(refusal)) from refusal
    if adopted is not None:
        print("已接管较早版本创建的数据库 (took over a database of the earlier layout)"
              + ("，并补上了它缺少的改动 (and made the changes it lacked)" if adopted.caught_up else ""))
    # Piccolo prints a heading per app; the command says what happened in one line instead.
    with contextlib.redirect_stdout(io.StringIO()):
        result = run(lambda: run_forwards("all"), seal=False)
    if not result.success:
        raise CommandError(f"migration failed: {result.message}")
    print("数据库已是最新结构 (migrations applied)")


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from settings import settings

    if run(_pending_migrations, seal=False):
        raise CommandError("数据库尚未迁移，请先运行 `pingyi migrate` (pending migrations)")
    os.environ["PINGYI_WORKERS"] = str(args.workers)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"评议已启动 Pingyi is running: http://{host}:{args.port}/", flush=True)
    uvicorn.run(
        "app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


def demo(_: argparse.Namespace) -> None:
    from evaluation.core import demo as core_demo
    from evaluation.interviews import demo as interview_demo
    from evaluation.ratings import demo as rating_demo
    from evaluation.surveys import demo as survey_demo
    from inspections import demo as inspection_demo
    from inspections.annual_report import demo as annual_report_demo
    from inspections.rankings import demo as ranking_demo

    created = run(core_demo.load)
    run(rating_demo.load)
    run(interview_demo.load)
    surveyed = run(survey_demo.load)
    inspectors = run(inspection_demo.load)
    published = run(ranking_demo.load)
    reported = run(annual_report_demo.load)
    if not created and inspectors is None and not published and not reported and not surveyed:
        print("演示数据已存在，未做改动 (demo data already loaded)")
        return
    created.update(inspectors or {})
    if not created:
        print("演示数据已载入 (demo data loaded)")
        return
    print("演示数据已载入。以下账户的密码只显示这一次 (demo accounts; passwords are shown once):")
    for username, password in created.items():
        print(f"  {username:<16} {password}")


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pingyi", description="评议 Pingyi — public evaluation and inspection platform")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = commands.add_parser("serve", help="serve the site")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(handler=serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=migrate)
    commands.add_parser("demo", help="load demo data (idempotent)").set_defaults(handler=demo)

    for capability in (core_commands, rating_commands, survey_commands, interview_commands, inspection_commands,
                       ranking_commands):
        capability.register(commands)
    annual_report_commands.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except CommandError as refusal:
        print(f"pingyi: {refusal}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"pingyi: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
