"""线上访谈's commands: the list of interviews and an interview's transcript as xlsx."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from evaluation.core.console import CommandError, Parser, run


def interview_list(_: argparse.Namespace) -> None:
    from evaluation.interviews import views

    rows = run(views.office_list)
    if not rows:
        print("还没有安排访谈 (no interviews)")
        return
    for row in sorted(rows, key=lambda row: row["starts_at"]):
        published = "公布" if row["published_at"] else "未公布"
        print(f"{row['code']:<16} {row['id']:>5}  {row['time_span']}  {row['status']:<10} {published:<3}  "
              f"{row['topic']}")


def interview_export(args: argparse.Namespace) -> None:
    from evaluation.interviews import archive

    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise CommandError(f"输出文件须以 .xlsx 结尾 the output must be an .xlsx file: {output}")
    download = run(lambda: archive.download(args.interview, staff=True))
    if download is None:
        raise CommandError(f"找不到访谈 no such interview: {args.interview}")
    with download.file, output.open("wb") as handle:
        shutil.copyfileobj(download.file, handle)
    print(f"已导出访谈实录 exported: {output}")


def register(commands: Any) -> None:
    interview = commands.add_parser("interview", help="online interviews (线上访谈)").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    interview.add_parser("list", help="list every interview: code, id, time, state, topic").set_defaults(
        handler=interview_list)
    p = interview.add_parser("export", help="write an interview's transcript and summary as xlsx")
    p.add_argument("interview", help="code or numeric id")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.set_defaults(handler=interview_export)
