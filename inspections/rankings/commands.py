"""The rankings' commands: the draft, exclusions, publishing, the workbook, verifying."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from evaluation.core.console import CommandError, Parser, actor, codes, run
from inspections.commands import round_or_fail


def draft_or_fail(reference: str) -> Any:
    from inspections.rankings import drafts

    draft = run(lambda: drafts.draft_for(reference))
    if draft is None:
        raise CommandError(f"找不到考核批次 no such round: {reference}")
    return draft


def ranking_compile(args: argparse.Namespace) -> None:
    from inspections.rankings import snapshots, texts
    from inspections.rankings.views import RankingView

    draft = draft_or_fail(args.round)
    view = RankingView(snapshots.draft_document(draft))
    if args.csv:
        sys.stdout.write(view.csv_text(bom=False))
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
        published = run(lambda: snapshots.publish(actor(), args.round, reason=args.reason, title=args.title))
    except snapshots.PublishError as refusal:
        raise CommandError(" ".join([str(refusal), *refusal.items])) from refusal
    print(f"已发布 published: {published.round_code} 第 {published.version} 版 version {published.version}, "
          f"sha256 {published.checksum}")


def ranking_verify(_: argparse.Namespace) -> None:
    from inspections.rankings import snapshots

    checked, bad = run(snapshots.verify)
    for mismatch in bad:
        print(f"  {mismatch.round_code} 第 {mismatch.version} 版 version {mismatch.version}: {mismatch.problem}",
              file=sys.stderr)
    if bad:
        raise CommandError(f"{len(bad)} 个已发布版本校验不符 published version(s) differ, of {checked}")
    print(f"已发布的排名全部校验一致 all {checked} published version(s) match their checksums")


def ranking_exclude(args: argparse.Namespace) -> None:
    from inspections.rankings import exclusions

    found = round_or_fail(args.round)

    async def exclude_all() -> None:
        from evaluation.core.database import write_transaction

        async with write_transaction():
            for code in codes(args.units):
                await exclusions.exclude(actor(), found.code, code, args.reason)

    try:
        run(exclude_all)
    except exclusions.ExclusionError as refusal:
        raise CommandError(f"{refusal} (nothing changed)") from refusal
    print(f"已标为不参加排名 excluded: {', '.join(codes(args.units))} ({found.code})")


def ranking_export(args: argparse.Namespace) -> None:
    from inspections.rankings import exports, snapshots
    from inspections.rounds import rounds

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
                return found.code, None, await exports.draft_workbook(found.code, actor())
            version = published[0].version
        download = await exports.published_workbook(found.code, version)
        if download is None:
            raise CommandError(f"{found.code} 没有第 {version} 版 (no such version: {version})")
        return found.code, version, download

    code, version, download = run(export)
    if version is None:
        print("尚未发布任何版本，导出的是草稿 (nothing published yet: exporting the draft)", file=sys.stderr)
    with download.content as source, target.open("wb") as written:
        shutil.copyfileobj(source, written)
    shown = f"第 {version} 版 version {version}" if version is not None else "草稿 draft"
    print(f"已导出 exported: {code} {shown} → {target}")


def register(commands: Any) -> None:
    ranking = commands.add_parser("ranking", help="graded rankings and the published notification (通报)"
                                  ).add_subparsers(dest="action", required=True, parser_class=Parser)
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

