"""网上调查's commands: `pingyi survey import|export|responses` (issue 19). SURVEY is a survey's
code or numeric id (PRODUCT.md, Settled questions)."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from evaluation.core.console import CommandError, Parser, actor, existing_file, refuse_bad_rows, run
from evaluation.core.form_values import parse_date
from evaluation.core.spreadsheets import Download


def _date(text: str | None, option: str) -> Any:
    if not text:
        return None
    value = parse_date(text)
    if value is None:
        raise CommandError(f"{option} 须为 YYYY-MM-DD 日期 not a date: {text}")
    return value


def survey_import(args: argparse.Namespace) -> None:
    from evaluation.surveys import exchange

    path = existing_file(args.file)
    opens_on, closes_on = _date(args.opens, "--opens"), _date(args.closes, "--closes")
    try:
        imported = run(lambda: exchange.import_survey(path.name, path.read_bytes(), args.code, opens_on, closes_on,
                                                      actor()))
    except exchange.ExchangeRefused as refusal:
        refuse_bad_rows(refusal.reasons, "调查")
        raise
    for notice in imported.notices:
        print(notice)
    form = imported.form
    print(f"已导入调查 imported: {form.settings.code} (id {imported.survey_id}) {form.settings.title}: "
          f"{len(form.pages)} 页 pages, {len(form.questions())} 题 questions")


async def _save(download: Download | None, reference: str, target: Path) -> None:
    """The file written beside its target and moved into place, so a failure leaves no half file."""
    if download is None:
        raise CommandError(f"找不到调查 no such survey: {reference}")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            content = download.content
            if isinstance(content, bytes):
                out.write(content)
            elif hasattr(content, "__aiter__"):
                async for chunk in content:
                    out.write(chunk)
            else:
                with content:
                    shutil.copyfileobj(content, out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def _survey_id(reference: str) -> int:
    from evaluation.surveys import forms

    survey = await forms.find_survey(reference)
    if survey is None:
        raise CommandError(f"找不到调查 no such survey: {reference}")
    return survey["id"]


def _output(text: str, suffixes: tuple[str, ...]) -> Path:
    target = Path(text)
    if target.suffix.lower() not in suffixes:
        raise CommandError(f"-o 须以 {' 或 '.join(suffixes)} 结尾 (output must end in {' or '.join(suffixes)})")
    if not target.parent.is_dir():
        raise CommandError(f"找不到目录 no such directory: {target.parent}")
    return target


def survey_export(args: argparse.Namespace) -> None:
    from evaluation.surveys import exchange

    target = _output(args.output, (".xlsx",))

    async def work() -> None:
        await _save(await exchange.xlsform_download(await _survey_id(args.survey)), args.survey, target)

    run(work)
    print(f"已导出 XLSForm written: {target}")


def survey_responses(args: argparse.Namespace) -> None:
    from evaluation.surveys import exchange

    target = _output(args.output, (".xlsx", ".csv"))
    kind = target.suffix.lower().lstrip(".")

    async def work() -> None:
        await _save(await exchange.responses_download(await _survey_id(args.survey), kind), args.survey, target)

    run(work)
    print(f"已导出答卷 written: {target}")


def _open_or_close(args: argparse.Namespace) -> None:
    from evaluation.core import clock
    from evaluation.surveys import opening

    async def work() -> dict[str, Any]:
        change = opening.open_now if args.action == "open" else opening.close_now
        return await change(actor(), await _survey_id(args.survey))

    try:
        survey = run(work)
    except opening.OpeningRefused as refusal:
        raise CommandError(str(refusal)) from refusal
    if args.action == "open":
        until = clock.format_local(survey["closes_at"]) if survey["closes_at"] else "—"
        print(f"已开始 opened: {survey['code']} {survey['title']} (截止 closes: {until})")
    else:
        print(f"已结束 closed: {survey['code']} {survey['title']} ({clock.format_local(survey['closes_at'])})")


def register(commands: Any) -> Any:
    """The `survey` command and its exchange subcommands; returns the subparsers, so that the
    survey's other commands (open, close) are added beside them."""
    survey = commands.add_parser("survey", help="online surveys (网上调查)").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    p = survey.add_parser("import", help="create a survey from an XLSForm file (sheets survey, choices, settings)")
    p.add_argument("file", metavar="FILE.xlsx")
    p.add_argument("--code", required=True, help="short unique code, e.g. 2026-my")
    p.add_argument("--opens", metavar="YYYY-MM-DD", help="opens at 00:00 of this day (Beijing time)")
    p.add_argument("--closes", metavar="YYYY-MM-DD", help="closes at 24:00 of this day (Beijing time)")
    p.set_defaults(handler=survey_import)

    p = survey.add_parser("export", help="write a survey as XLSForm")
    p.add_argument("survey", help="code or numeric id")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.set_defaults(handler=survey_export)

    p = survey.add_parser("responses", help="write a survey's responses as xlsx (summary, raw, codebook) or CSV")
    p.add_argument("survey", help="code or numeric id")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx|FILE.csv")
    p.set_defaults(handler=survey_responses)

    for action, text in (("open", "take answers from now on"), ("close", "take no more answers from now on")):
        p = survey.add_parser(action, help=text)
        p.add_argument("survey", help="code or numeric id")
        p.set_defaults(handler=_open_or_close)
    return survey
