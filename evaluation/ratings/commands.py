"""社会评议's commands: evaluation periods and the office's entry of paper forms and tallies."""

from __future__ import annotations

import argparse
from typing import Any

from evaluation.core.console import (
    CommandError,
    Parser,
    actor,
    existing_file,
    refuse_bad_rows,
    run,
    settings_text,
)


def period_create(args: argparse.Namespace) -> None:
    from evaluation.ratings import periods

    settings = settings_text(args.settings)
    try:
        period = run(
            lambda: periods.create_from_cli(actor(), args.code, args.name, args.opens, args.closes, settings)
        )
    except periods.PeriodError as refusal:
        raise CommandError(str(refusal)) from refusal
    print(f"已创建评议期 created: {period.code} (id {period.id}) {period.name}")


def period_show(args: argparse.Namespace) -> None:
    from evaluation.ratings import periods

    period = run(lambda: periods.find(args.period))
    if period is None:
        raise CommandError(f"找不到评议期 no such period: {args.period}")
    status = periods.status_of(period, periods.today())
    # Every line is TOML, so `pingyi period show 2025-pj > 2026.toml` gives next year's --settings file.
    print(f"# {period.code} (id {period.id}) {period.name}")
    print(f"# {period.opens_on.isoformat()} – {period.closes_on.isoformat()}  {periods.STATUS_LABELS[status]} {status}")
    print(periods.settings_toml(period))


def ratings_import(args: argparse.Namespace) -> None:
    from evaluation.ratings import imports as rating_imports

    path = existing_file(args.file)
    try:
        result = run(lambda: rating_imports.import_for_command_line(actor(), args.period, path.name,
                                                                     path.read_bytes()))
    except rating_imports.RatingImportError as refusal:
        raise CommandError(str(refusal)) from refusal
    refuse_bad_rows(result.errors)
    print(f"{result.summary()} (imported: {result.rows} rows, {result.ratings} ratings)")


def register(commands: Any) -> None:
    period = commands.add_parser("period", help="evaluation periods (社会评议)").add_subparsers(
        dest="action", required=True, parser_class=Parser
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
        dest="action", required=True, parser_class=Parser
    )
    p = ratings.add_parser("import", help="enter paper forms or a tally from CSV or xlsx "
                           "(unit_code,channel,level,count | unit_code,channel,level,reason,comment)")
    p.add_argument("period", help="period code or numeric id")
    p.add_argument("file")
    p.set_defaults(handler=ratings_import)

