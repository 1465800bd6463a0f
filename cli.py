"""The ``pingyi`` command. Every subcommand fails with one line, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn


class CommandError(Exception):
    """Bad input or a refused operation: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"pingyi: {message} (see `pingyi --help`)\n")


def _actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = str(os.getuid())
    return f"cli:{user}"


def _run(work: Callable[[], Awaitable[Any]]) -> Any:
    from evaluation import database
    from piccolo_conf import DB

    async def wrapped() -> Any:
        try:
            return await work()
        finally:
            await database.stop(DB)

    return asyncio.run(wrapped())


def _existing_file(path_text: str) -> Path:
    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"找不到文件 no such file: {path}")
    return path


def _settings_text(path_text: str | None) -> str | None:
    """A --settings TOML file's text, or None when the option was not given."""
    if not path_text:
        return None
    path = _existing_file(path_text)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(f"设置文件须为 UTF-8 编码 not UTF-8: {path}") from error


def _refuse_bad_rows(errors: list[str], what: str = "数据") -> None:
    """An import file refused whole: every problem on standard error, then the one line."""
    if errors:
        for message in errors:
            print(message, file=sys.stderr)
        raise CommandError(f"{len(errors)} 处问题，未导入任何{what} (nothing imported)")


async def _pending_migrations() -> bool:
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    manager = CheckMigrationManager(app_name="all")
    return any(not row.has_ran for row in await manager.get_migration_statuses())


def migrate(_: argparse.Namespace) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from evaluation.database import enable_wal
    from settings import settings

    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        enable_wal(str(settings.sqlite_path))
    # Piccolo prints a heading per app; the command says what happened in one line instead.
    with contextlib.redirect_stdout(io.StringIO()):
        result = _run(lambda: run_forwards("all"))
    if not result.success:
        raise CommandError(f"migration failed: {result.message}")
    print("数据库已是最新结构 (migrations applied)")


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from settings import settings

    if _run(_pending_migrations):
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
    from evaluation import demo as demo_data
    from inspections import demo as inspection_demo
    from inspections.rankings import demo as ranking_demo

    created = _run(demo_data.load)
    inspectors = _run(inspection_demo.load)
    published = _run(ranking_demo.load)
    if not created and inspectors is None and not published:
        print("演示数据已存在，未做改动 (demo data already loaded)")
        return
    created.update(inspectors or {})
    if not created:
        print("演示数据已载入 (demo data loaded)")
        return
    print("演示数据已载入。以下账户的密码只显示这一次 (demo accounts; passwords are shown once):")
    for username, password in created.items():
        print(f"  {username:<16} {password}")


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("密码 Password: ")
    if first != getpass.getpass("再输入一次 Again: "):
        raise CommandError("两次输入的密码不一致 (passwords differ)")
    return first


def user_create(args: argparse.Namespace) -> None:
    from evaluation import accounts

    password = _read_password(args)
    form = accounts.AccountForm(
        username=args.username, display_name=args.name or "", role=args.role, department_code=args.department or ""
    )
    try:
        _run(lambda: accounts.create_account(_actor(), form, password))
    except accounts.AccountError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已创建账户 created: {args.username} ({args.role})")


def user_password(args: argparse.Namespace) -> None:
    from evaluation import accounts

    password = _read_password(args)
    try:
        _run(lambda: accounts.set_password(_actor(), args.username, password))
    except accounts.AccountError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已重设密码 password set: {args.username}")


def departments_import(args: argparse.Namespace) -> None:
    from evaluation import departments

    path = _existing_file(args.file)
    try:
        result = _run(lambda: departments.import_departments(_actor(), path.name, path.read_bytes()))
    except departments.DepartmentError as refusal:
        raise CommandError(str(refusal)) from refusal
    _refuse_bad_rows(result.errors)
    print(f"已导入 imported: {result.created} 新增 created, {result.updated} 更新 updated, "
          f"{result.unchanged} 未变 unchanged")


def ratings_import(args: argparse.Namespace) -> None:
    from evaluation import rating_imports

    path = _existing_file(args.file)
    try:
        result = _run(lambda: rating_imports.import_for_command_line(_actor(), args.period, path.name,
                                                                     path.read_bytes()))
    except rating_imports.RatingImportError as refusal:
        raise CommandError(str(refusal)) from refusal
    _refuse_bad_rows(result.errors)
    print(f"{result.summary()} (imported: {result.rows} rows, {result.ratings} ratings)")


def period_create(args: argparse.Namespace) -> None:
    from evaluation import periods

    settings_text = _settings_text(args.settings)
    try:
        period = _run(
            lambda: periods.create_from_cli(_actor(), args.code, args.name, args.opens, args.closes, settings_text)
        )
    except periods.PeriodError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已创建评议期 created: {period.code} (id {period.id}) {period.name}")


def period_show(args: argparse.Namespace) -> None:
    from evaluation import periods

    period = _run(lambda: periods.find(args.period))
    if period is None:
        raise CommandError(f"找不到评议期 no such period: {args.period}")
    status = periods.status_of(period, periods.today())
    # Every line is TOML, so `pingyi period show 2025-pj > 2026.toml` gives next year's --settings file.
    print(f"# {period.code} (id {period.id}) {period.name}")
    print(f"# {period.opens_on.isoformat()} – {period.closes_on.isoformat()}  {periods.STATUS_LABELS[status]} {status}")
    print(periods.settings_toml(period))




def indicators_import(args: argparse.Namespace) -> None:
    from inspections import indicator_files, indicators
    from inspections.indicator_rules import points_text

    path = _existing_file(args.file)
    try:
        result = _run(lambda: indicator_files.import_system(_actor(), args.year, args.code, args.name, path.name,
                                                            path.read_bytes(), replace=args.replace,
                                                            point_step=args.step))
    except indicators.IndicatorError as refusal:
        raise CommandError(str(refusal)) from refusal
    _refuse_bad_rows(result.errors)
    done = "已替换 replaced" if result.replaced else "已导入 imported"
    print(f"{done}: {result.year}/{result.code} {result.name} (id {result.system_id}), "
          f"{result.categories} 类目 categories, {result.items} 指标项 items, "
          f"分值单位 step {points_text(result.point_step)}")


def indicators_export(args: argparse.Namespace) -> None:
    from inspections import indicator_files, indicators

    target = args.file
    if target != "-" and not target.lower().endswith((".csv", ".xlsx")):
        raise CommandError(f"文件名须以 .csv 或 .xlsx 结尾 (file must end in .csv or .xlsx): {target}")
    if target != "-" and not Path(target).parent.exists():
        raise CommandError(f"找不到目录 no such directory: {Path(target).parent}")
    system = _run(lambda: indicators.find_system(args.year, args.code))
    if system is None:
        code = args.code or indicators.default_code(args.year)
        raise CommandError(f"找不到 {args.year} 年度代码为 {code} 的指标体系 (no such indicator system)")
    if target == "-":
        sys.stdout.write(indicator_files.csv_bytes(system).decode("utf-8"))
        return
    content = (indicator_files.xlsx_bytes(system) if target.lower().endswith(".xlsx")
               else indicator_files.csv_bytes(system))
    Path(target).write_bytes(content)
    print(f"已导出 exported: {system.year}/{system.code} {system.name}, {len(system.rows())} rows → {target}")


def _codes(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def round_create(args: argparse.Namespace) -> None:
    from inspections import rounds

    settings_text = _settings_text(args.settings)
    try:
        found = _run(lambda: rounds.create_from_cli(
            _actor(), args.code, args.name, args.year, args.deadline, system_code=args.system, period=args.period,
            groups=_codes(args.groups), department_codes=_codes(args.departments), settings_text=settings_text))
    except rounds.RoundError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已创建考核批次 created: {found.code} (id {found.id}) {found.name}")


def round_show(args: argparse.Namespace) -> None:
    from inspections import rounds

    found = _run(lambda: rounds.find(args.round))
    if found is None:
        raise CommandError(f"找不到考核批次 no such round: {args.round}")
    # Every line is TOML, so the output can be saved as next year's --settings file.
    print(f"# {found.code} (id {found.id}) {found.name}")
    print(f"# {found.year} · {found.system_name} ({found.system_code}) · deadline {found.deadline.isoformat()} · "
          f"{rounds.ROUND_STATUS_LABELS[found.status]} {found.status}"
          + (f" · period {found.period_code}" if found.period_code else ""))
    print(rounds.settings_toml(found))



def _round_or_fail(reference: str) -> Any:
    from inspections import rounds

    found = _run(lambda: rounds.find(reference))
    if found is None:
        raise CommandError(f"找不到考核批次 no such round: {reference}")
    return found


def round_open(args: argparse.Namespace) -> None:
    from inspections import rounds

    found = _round_or_fail(args.round)
    try:
        answers = _run(lambda: rounds.open_round(_actor(), found.code, require_teams=False))
    except rounds.RoundError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已开始考核 opened: {found.code}, {answers} 个待填项 answer rows; 指标体系已冻结 (system frozen)")


def round_approve(args: argparse.Namespace) -> None:
    from inspections import review

    found = _round_or_fail(args.round)
    units = _codes(args.units) or None
    try:
        result = _run(lambda: review.approve_complete(_actor(), found.code, units))
    except review.ReviewError as refusal:
        raise CommandError(str(refusal)) from refusal
    if result.unknown:
        raise CommandError(f"不在本批次范围内 not covered by {found.code}: {', '.join(result.unknown)} "
                           "(nothing approved)")
    for code, name in result.approved:
        print(f"  已通过 approved: {code} {name}")
    for code, name, missing in result.incomplete:
        print(f"  未完成 incomplete, left: {code} {name} ({missing} 项未填 unanswered)")
    print(f"已审核通过 approved: {len(result.approved)}, 此前已通过 already: {len(result.already)}, "
          f"未完成 incomplete: {len(result.incomplete)} ({found.code})")


def _draft_or_fail(reference: str) -> Any:
    from inspections.rankings import drafts

    draft = _run(lambda: drafts.draft_for(reference))
    if draft is None:
        raise CommandError(f"找不到考核批次 no such round: {reference}")
    return draft


def ranking_compile(args: argparse.Namespace) -> None:
    from inspections.rankings import snapshots, texts
    from inspections.rankings.views import RankingView

    draft = _draft_or_fail(args.round)
    view = RankingView(snapshots.draft_document(draft))
    if args.csv:
        sys.stdout.write(view.csv_text())
        return
    print(f"# {draft.round.code} {draft.round.name} — 排名草稿 draft ranking")
    for group in view.groups:
        print(f"\n{group.label} ({group.code})")
        print("名次 rank | 单位 unit | 检查 inspection | 指数 index | 社会评议 public | 加分 bonus | "
              "总分 total | 等次 grade")
        for unit in group.units:
            reasons = "；".join(view.reasons(unit))
            print(f"{unit['rank']:>4} | {unit['code']} {unit['name']} | {unit['inspection_score']} | "
                  f"{unit['index_used']} | {unit['public_component']} | {unit['bonus']} | {unit['total']} | "
                  f"{unit['grade']}" + (f" | {reasons}" if reasons else ""))
    for row in view.not_ranked:
        print(f"不参加排名/未完成 not ranked: {row['code']} {row['name']} — {view.state(row)} {row['reason']}".rstrip())
    for code in draft.blockers:
        print(f"不能发布 cannot publish yet: {texts.blocker_text(code)}")


def ranking_publish(args: argparse.Namespace) -> None:
    from inspections.rankings import snapshots

    try:
        published = _run(lambda: snapshots.publish(_actor(), args.round, reason=args.reason, title=args.title))
    except snapshots.PublishError as refusal:
        raise CommandError(" ".join([str(refusal), *refusal.items])) from refusal
    print(f"已发布 published: {published.round_code} 第 {published.version} 版 version {published.version}, "
          f"sha256 {published.checksum}")


def ranking_verify(_: argparse.Namespace) -> None:
    from inspections.rankings import snapshots

    checked, bad = _run(snapshots.verify)
    for mismatch in bad:
        print(f"  {mismatch.round_code} 第 {mismatch.version} 版 version {mismatch.version}: {mismatch.problem}",
              file=sys.stderr)
    if bad:
        raise CommandError(f"{len(bad)} 个已发布版本校验不符 published version(s) differ, of {checked}")
    print(f"已发布的排名全部校验一致 all {checked} published version(s) match their checksums")


def ranking_exclude(args: argparse.Namespace) -> None:
    from inspections.rankings import exclusions

    found = _round_or_fail(args.round)

    async def exclude_all() -> None:
        from evaluation.database import write_transaction

        async with write_transaction():
            for code in _codes(args.units):
                await exclusions.exclude(_actor(), found.code, code, args.reason)

    try:
        _run(exclude_all)
    except exclusions.ExclusionError as refusal:
        raise CommandError(f"{refusal} (nothing changed)") from refusal
    print(f"已标为不参加排名 excluded: {', '.join(_codes(args.units))} ({found.code})")


def ranking_export(args: argparse.Namespace) -> None:
    from inspections import rounds
    from inspections.rankings import exports, snapshots

    target = Path(args.output)
    if not target.name.lower().endswith(".xlsx"):
        raise CommandError(f"文件名须以 .xlsx 结尾 (file must end in .xlsx): {target}")
    if not target.parent.exists():
        raise CommandError(f"找不到目录 no such directory: {target.parent}")

    async def export() -> tuple[str, int | None, Any]:
        found = await rounds.find(args.round)
        if found is None:
            raise CommandError(f"找不到考核批次 no such round: {args.round}")
        version = args.version
        if version is None:
            published = await snapshots.versions(found.code)
            if not published:
                return found.code, None, await exports.draft_workbook(found.code, _actor())
            version = published[0].version
        download = await exports.published_workbook(found.code, version)
        if download is None:
            raise CommandError(f"{found.code} 没有第 {version} 版 (no such version: {version})")
        return found.code, version, download

    code, version, download = _run(export)
    if version is None:
        print("尚未发布任何版本，导出的是草稿 (nothing published yet: exporting the draft)", file=sys.stderr)
    with download.file as source, target.open("wb") as written:
        shutil.copyfileobj(source, written)
    shown = f"第 {version} 版 version {version}" if version is not None else "草稿 draft"
    print(f"已导出 exported: {code} {shown} → {target}")


def scores_import(args: argparse.Namespace) -> None:
    from inspections import score_imports

    path = _existing_file(args.file)
    try:
        result = _run(lambda: score_imports.import_for_command_line(_actor(), args.round, path.name,
                                                                    path.read_bytes()))
    except score_imports.ScoresImportError as refusal:
        raise CommandError(str(refusal)) from refusal
    _refuse_bad_rows(result.errors, "分值")
    for unit in result.units:
        print(f"  {unit.code} {unit.name}: {unit.values}")
    print(f"已导入 imported: {result.values} values, {len(result.units)} units ({result.round_code})")


def audit_verify(_: argparse.Namespace) -> None:
    from evaluation import audit

    verdict = _run(audit.verify)
    if not verdict.intact:
        raise CommandError(
            f"审计记录被篡改 tampered: row id {verdict.first_bad_id} ({verdict.reason}); "
            f"{verdict.rows_checked} rows before it are intact"
        )
    print(f"审计记录完整 intact: {verdict.rows_checked} rows")


def backup(args: argparse.Namespace) -> None:
    from evaluation import backup as backups
    from settings import settings

    target = Path(args.file)
    if not target.parent.exists():
        raise CommandError(f"找不到目录 no such directory: {target.parent}")
    counts = _run(lambda: backups.backup(target, settings.uploads_dir))
    rows = sum(value for key, value in counts.items() if key != "files")
    print(f"已备份 backed up: {rows} rows, {counts['files']} files → {target}")


def restore(args: argparse.Namespace) -> None:
    from evaluation import backup as backups
    from settings import settings

    try:
        counts = _run(lambda: backups.restore(Path(args.file), settings.uploads_dir))
    except backups.BackupError as refusal:
        raise CommandError(str(refusal)) from refusal
    rows = sum(value for key, value in counts.items() if key != "files")
    print(f"已恢复 restored: {rows} rows, {counts['files']} files")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pingyi", description="评议 Pingyi — public evaluation and inspection platform")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("serve", help="serve the site")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(handler=serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=migrate)
    commands.add_parser("demo", help="load demo data (idempotent)").set_defaults(handler=demo)

    user = commands.add_parser("user", help="staff accounts").add_subparsers(
        dest="action", required=True, parser_class=_Parser
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

    departments = commands.add_parser("departments", help="departments").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p = departments.add_parser("import", help="import departments from CSV or xlsx (code,name,group)")
    p.add_argument("file")
    p.set_defaults(handler=departments_import)

    period = commands.add_parser("period", help="evaluation periods (社会评议)").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p = period.add_parser("create", help="create an evaluation period")
    p.add_argument("--code", required=True, help="short unique code, e.g. 2025-pj")
    p.add_argument("--name", required=True)
    p.add_argument("--opens", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--closes", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--settings", metavar="FILE.toml",
                   help="level_values, public_weight, panel_weight, min_sample, answer_working_days")
    p.set_defaults(handler=period_create)
    p = period.add_parser("show", help="show a period and its settings")
    p.add_argument("period", help="code or numeric id")
    p.set_defaults(handler=period_show)

    ratings = commands.add_parser("ratings", help="ratings").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p = ratings.add_parser("import", help="enter paper forms or a tally from CSV or xlsx "
                           "(unit_code,channel,level,count | unit_code,channel,level,reason,comment)")
    p.add_argument("period", help="period code or numeric id")
    p.add_argument("file")
    p.set_defaults(handler=ratings_import)

    indicator_commands = commands.add_parser("indicators", help="indicator systems (考核指标体系)").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p = indicator_commands.add_parser(
        "import", help="import an indicator system from CSV or xlsx "
        "(year,code,parent_code,title,max_points,kind,scoring_rule,per_occurrence)")
    p.add_argument("file")
    p.add_argument("--year", type=int, required=True, help="every row's year must be this")
    p.add_argument("--code", help="the system's code (default: the year)")
    p.add_argument("--name", help="the system's name (default: <year>年度考核指标体系)")
    p.add_argument("--replace", action="store_true",
                   help="replace the indicators of an existing system that no round has opened with")
    # Checked by the import itself, so that a bad value gets the same one line as in the web form.
    p.add_argument("--step", metavar="0.5|0.1",
                   help="the system's point step: every point must be a multiple (default 0.5; "
                   "with --replace, the system keeps its step unless given)")
    p.set_defaults(handler=indicators_import)
    p = indicator_commands.add_parser("export", help="export an indicator system in the import layout")
    p.add_argument("file", help="FILE.csv, FILE.xlsx, or - for CSV on standard output")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--code", help="the system's code (default: the year)")
    p.set_defaults(handler=indicators_export)

    round_ = commands.add_parser("round", help="inspection rounds (考核批次)").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p = round_.add_parser("create", help="create a draft inspection round and its coverage")
    p.add_argument("code", metavar="CODE", help="short unique code, e.g. 2025-kh")
    p.add_argument("--name", required=True)
    p.add_argument("--year", required=True)
    p.add_argument("--deadline", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--system", metavar="SYSTEM_CODE", help="indicator system code of that year (default: the year)")
    p.add_argument("--period", help="evaluation period code or numeric id")
    p.add_argument("--groups", metavar="county,municipal", help="cover every active department of these groups")
    p.add_argument("--departments", metavar="CODE,CODE", help="cover these departments")
    p.add_argument("--settings", metavar="FILE.toml", help="public_weight, convert_score, below_sample, bonus_cap, "
                   "grade_bands, excellent_quota")
    p.set_defaults(handler=round_create)
    p = round_.add_parser("show", help="show a round and its settings")
    p.add_argument("round", help="code or numeric id")
    p.set_defaults(handler=round_show)

    p = round_.add_parser("open", help="open a round: freeze its indicator system, make its checklists "
                          "(teams are optional when scores come from a file)")
    p.add_argument("round", help="code or numeric id")
    p.set_defaults(handler=round_open)
    p = round_.add_parser("approve", help="approve every complete checklist of a round; name the incomplete ones")
    p.add_argument("round", help="code or numeric id")
    p.add_argument("--units", metavar="CODE,CODE", help="only these units")
    p.set_defaults(handler=round_approve)

    ranking = commands.add_parser("ranking", help="graded rankings and the published notification (通报)"
                                  ).add_subparsers(dest="action", required=True, parser_class=_Parser)
    p = ranking.add_parser("compile", help="print the draft ranking, recomputed from current data")
    p.add_argument("round", help="code or numeric id")
    p.add_argument("--csv", action="store_true", help="CSV: group,rank,unit_code,unit_name,inspection_score,"
                   "satisfaction_index,public_component,bonus,total,grade,vetoed")
    p.set_defaults(handler=ranking_compile)
    p = ranking.add_parser("publish", help="publish the draft as the next version of the notification")
    p.add_argument("round", help="code or numeric id")
    p.add_argument("--reason", help="why (required from version 2 on)")
    p.add_argument("--title", help="the notification's title (default: <round name>结果通报)")
    p.set_defaults(handler=ranking_publish)
    p = ranking.add_parser("exclude", help="leave units out of a round's ranking (不参加排名), with a reason")
    p.add_argument("round", help="code or numeric id")
    p.add_argument("--units", metavar="CODE,CODE", required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=ranking_exclude)
    ranking.add_parser("verify", help="recompute every published checksum and name any that differ"
                       ).set_defaults(handler=ranking_verify)
    p = ranking.add_parser("export", help="write the ranking workbook (xlsx): a published version, by default the "
                           "latest, or the draft while nothing is published")
    p.add_argument("round", metavar="ROUND", help="round code or numeric id")
    p.add_argument("--version", type=int, metavar="N", help="the published version (default: the latest)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.set_defaults(handler=ranking_export)

    scores = commands.add_parser("scores", help="inspection scores").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    p = scores.add_parser("import", help="enter paper scores from CSV or xlsx (unit_code,indicator_code,value)")
    p.add_argument("round", help="round code or numeric id")
    p.add_argument("file")
    p.set_defaults(handler=scores_import)

    audit = commands.add_parser("audit", help="audit trail").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    audit.add_parser("verify", help="seal, then check the hash chain").set_defaults(handler=audit_verify)

    p = commands.add_parser("backup", help="write every row and stored file to one archive")
    p.add_argument("file")
    p.set_defaults(handler=backup)
    p = commands.add_parser("restore", help="restore an archive into an empty, migrated database")
    p.add_argument("file")
    p.set_defaults(handler=restore)
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
