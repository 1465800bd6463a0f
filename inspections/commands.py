"""The inspection's commands: indicator systems, rounds, checklists approved in bulk, paper scores."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evaluation.core.console import (
    CommandError,
    Parser,
    actor,
    codes,
    existing_file,
    refuse_bad_rows,
    run,
    settings_text,
)


def indicators_import(args: argparse.Namespace) -> None:
    from inspections.indicators import files as indicator_files
    from inspections.indicators import indicators
    from inspections.indicators.rules import points_text

    path = existing_file(args.file)
    try:
        result = run(lambda: indicator_files.import_system(actor(), args.year, args.code, args.name, path.name,
                                                            path.read_bytes(), replace=args.replace,
                                                            point_step=args.step))
    except indicators.IndicatorError as refusal:
        raise CommandError(str(refusal)) from refusal
    refuse_bad_rows(result.errors)
    done = "已替换 replaced" if result.replaced else "已导入 imported"
    print(f"{done}: {result.year}/{result.code} {result.name} (id {result.system_id}), "
          f"{result.categories} 类目 categories, {result.items} 指标项 items, "
          f"分值单位 step {points_text(result.point_step)}")


def indicators_export(args: argparse.Namespace) -> None:
    from inspections.indicators import files as indicator_files
    from inspections.indicators import indicators

    target = args.file
    if target != "-" and not target.lower().endswith((".csv", ".xlsx")):
        raise CommandError(f"文件名须以 .csv 或 .xlsx 结尾 (file must end in .csv or .xlsx): {target}")
    if target != "-" and not Path(target).parent.exists():
        raise CommandError(f"找不到目录 no such directory: {Path(target).parent}")
    system = run(lambda: indicators.find_system(args.year, args.code))
    if system is None:
        code = args.code or indicators.default_code(args.year)
        raise CommandError(f"找不到 {args.year} 年度代码为 {code} 的指标体系 (no such indicator system)")
    if target == "-":
        sys.stdout.write(indicator_files.csv_bytes(system, bom=False).decode("utf-8"))
        return
    content = (indicator_files.xlsx_bytes(system) if target.lower().endswith(".xlsx")
               else indicator_files.csv_bytes(system))
    Path(target).write_bytes(content)
    print(f"已导出 exported: {system.year}/{system.code} {system.name}, {len(system.rows())} rows → {target}")


def round_or_fail(reference: str) -> Any:
    from inspections.rounds import rounds

    found = run(lambda: rounds.find(reference))
    if found is None:
        raise CommandError(f"找不到考核批次 no such round: {reference}")
    return found


def round_create(args: argparse.Namespace) -> None:
    from inspections.rounds import coverage, rounds

    settings = settings_text(args.settings)
    try:
        found = run(lambda: coverage.create_from_cli(
            actor(), args.code, args.name, args.year, args.deadline, system_code=args.system, period=args.period,
            groups=codes(args.groups), department_codes=codes(args.departments), settings_text=settings))
    except rounds.RoundError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已创建考核批次 created: {found.code} (id {found.id}) {found.name}")


def round_show(args: argparse.Namespace) -> None:
    from inspections.rounds import rounds
    from inspections.rounds import settings as round_settings

    found = run(lambda: rounds.find(args.round))
    if found is None:
        raise CommandError(f"找不到考核批次 no such round: {args.round}")
    # Every line is TOML, so the output can be saved as next year's --settings file.
    print(f"# {found.code} (id {found.id}) {found.name}")
    print(f"# {found.year} · {found.system_name} ({found.system_code}) · deadline {found.deadline.isoformat()} · "
          f"{rounds.ROUND_STATUS_LABELS[found.status]} {found.status}"
          + (f" · period {found.period_code}" if found.period_code else ""))
    print(round_settings.settings_toml(found))


def round_open(args: argparse.Namespace) -> None:
    from inspections.rounds import rounds

    found = round_or_fail(args.round)
    try:
        answers = run(lambda: rounds.open_round(actor(), found.code, require_teams=False))
    except rounds.RoundError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已开始考核 opened: {found.code}, {answers} 个待填项 answer rows; 指标体系已冻结 (system frozen)")


def round_approve(args: argparse.Namespace) -> None:
    from inspections.checklists import review

    found = round_or_fail(args.round)
    units = codes(args.units) or None
    try:
        result = run(lambda: review.approve_complete(actor(), found.code, units))
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


def scores_import(args: argparse.Namespace) -> None:
    from inspections.checklists import score_imports

    path = existing_file(args.file)
    try:
        result = run(lambda: score_imports.import_for_command_line(actor(), args.round, path.name,
                                                                    path.read_bytes()))
    except score_imports.ScoresImportError as refusal:
        raise CommandError(str(refusal)) from refusal
    refuse_bad_rows(result.errors, "分值")
    for unit in result.units:
        print(f"  {unit.code} {unit.name}: {unit.values}")
    if result.unchanged:
        print(f"未改动 unchanged (equal to the stored values): {result.unchanged}")
    if result.stopped:
        raise CommandError(f"{result.stopped} 上列单位已写入 written above; 未写入 not written: "
                           f"{'、'.join(result.not_written)} (import the same file again to write them)")
    print(f"已导入 imported: {result.values} values, {len(result.units)} units ({result.round_code})")


def register(commands: Any) -> None:
    indicator_commands = commands.add_parser("indicators", help="indicator systems (考核指标体系)").add_subparsers(
        dest="action", required=True, parser_class=Parser
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
        dest="action", required=True, parser_class=Parser
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

    scores = commands.add_parser("scores", help="inspection scores").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    p = scores.add_parser("import", help="enter paper scores from CSV or xlsx (unit_code,indicator_code,value)")
    p.add_argument("round", help="round code or numeric id")
    p.add_argument("file")
    p.set_defaults(handler=scores_import)

