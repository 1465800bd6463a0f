"""How long the ranking workbook of a large round takes to build, and how much memory it needs.

A round of --units units (two groups) over an indicator system of --items items (score items in
ten categories, plus bonus and veto items), every item answered, ratings behind every index: the
ranking is compiled and turned into a snapshot document by the same code as a real draft
(inspections/rankings/compiling.py, snapshots.py), without a database, then
``ranking_workbook`` builds the xlsx. Each run is a fresh process, so its peak resident memory
(ru_maxrss) is the build's plus the interpreter and libraries; tracemalloc's peak is the build's
own Python allocations. Target (PRODUCT.md §5): 300 units × 120 items in ≤ 10 s, ≤ 150 MB.

    .venv/bin/python bench/rankings.py
    .venv/bin/python bench/rankings.py --units 300 --items 120 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LEVELS = ("very_satisfied", "satisfied", "basic", "unsatisfied", "very_unsatisfied")


def large_document(units: int, items: int, seed: int = 1) -> dict:
    from evaluation.periods import DEFAULT_LEVEL_VALUES, DEFAULT_WEIGHTS, Period
    from evaluation.satisfaction import IndexSettings, compute, is_sufficient
    from inspections.rankings import snapshots
    from inspections.rankings.compiling import RANKED, IndicatorRow, UnitInput, compile_ranking
    from inspections.rankings.drafts import Draft, settings_of
    from inspections.rounds import DEFAULT_BANDS, Round

    chance = random.Random(seed)
    categories = 10
    score_items = max(categories, items - 3)  # the other three: two bonus items and a veto
    indicators: list[IndicatorRow] = []
    for number in range(categories):
        code = chr(ord("A") + number)
        size = score_items // categories + (1 if number < score_items % categories else 0)
        indicators.append(IndicatorRow(code, "", f"类目{code}：政府信息公开工作情况", "score", Decimal(size)))
        for item in range(size):
            indicators.append(IndicatorRow(f"{code}{item + 1}", code, f"{code}{item + 1} 按要求公开有关信息并及时更新",
                                           "score", Decimal(1)))
    indicators.append(IndicatorRow("J", "", "加分项", "bonus", Decimal(5)))
    indicators += [IndicatorRow("J1", "J", "受到通报表彰", "bonus", Decimal(3)),
                   IndicatorRow("J2", "J", "经验做法被推广", "bonus", Decimal(2))]
    indicators.append(IndicatorRow("V", "", "单项否决", "veto", Decimal(0)))
    indicators.append(IndicatorRow("V1", "V", "违反规定不公开", "veto", Decimal(0)))
    settings = IndexSettings(level_values=dict(DEFAULT_LEVEL_VALUES), channel_weights=dict(DEFAULT_WEIGHTS),
                             min_sample=30)
    found = Round(id=1, code="2026-kh", name="2026年度政务公开考核", year=2026, system_id=1, system_code="2026",
                  system_name="2026年度政务公开考核指标", system_frozen=True, period_id=1, period_code="2026-pj",
                  period_name="2026年度社会评议", deadline=dt.date(2026, 12, 31), status="closed", opened_at=None,
                  public_weight=Decimal(20), convert_score=True, below_sample="group_mean", bonus_cap=Decimal(5),
                  grade_bands=DEFAULT_BANDS, excellent_quota=30)
    period = Period(id=1, code="2026-pj", name="2026年度社会评议", opens_on=dt.date(2026, 1, 1),
                    closes_on=dt.date(2026, 12, 31), settings=settings, answer_working_days=5)
    inputs, indexes = [], {}
    for number in range(units):
        code = f"U{number:04d}"
        counts = {channel: {level: chance.randint(0, 12) for level in LEVELS} for channel in ("public", "panel")}
        index = compute(counts, settings)
        indexes[code] = index
        answers = {row.code: Decimal(chance.choice(("0", "0.5", "1"))) for row in indicators if row.parent_code}
        answers["V1"] = Decimal(1 if number % 97 == 0 else 0)
        group = "county" if number % 3 else "municipal"
        inputs.append(UnitInput(code=code, name=f"第{number}单位（测试）", group=group,
                                state=RANKED, answers=answers, own_index=index.index, sample=index.total,
                                sufficient=is_sufficient(index, settings), checklist_status="approved"))
    ranking = compile_ranking(indicators, inputs, settings_of(found))
    draft = Draft(round=found, period=period, ranking=ranking, checklists={}, indexes=indexes)
    document = snapshots.document(draft, version=1, title="2026年度政务公开考核结果通报", reason="",
                                  published_by="wangmin", published_at=dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC))
    # As a published version is read back: the stored canonical JSON, parsed.
    return json.loads(snapshots.canonical(document))


def one_run(units: int, items: int) -> dict:
    from inspections.rankings.workbook import ranking_workbook

    document = large_document(units, items)
    tracemalloc.start()
    started = time.perf_counter()
    file = ranking_workbook(document, checksum="0" * 64)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = len(file.read())
    return {"seconds": seconds, "traced_peak_mb": peak / 2**20, "bytes": size,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "item_columns": sum(1 for row in document["indicators"] if row["parent_code"])}


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def one_run_untraced(units: int, items: int) -> dict:
    """tracemalloc slows allocation down: the time comes from a run without it."""
    from inspections.rankings.workbook import ranking_workbook

    document = large_document(units, items)
    before = _rss_mb()
    started = time.perf_counter()
    ranking_workbook(document).close()
    return {"seconds": time.perf_counter() - started, "rss_before_mb": before,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--items", type=int, default=120)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=("timed", "traced"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work = one_run_untraced if args.child == "timed" else one_run
        print(json.dumps(work(args.units, args.items)))
        return
    results = {}
    for kind in ("timed", "traced"):
        results[kind] = []
        for _ in range(args.runs):
            output = subprocess.run([sys.executable, __file__, "--child", kind, "--units", str(args.units),
                                     "--items", str(args.items)], check=True, capture_output=True, text=True)
            results[kind].append(json.loads(output.stdout))
    timed, traced = results["timed"], results["traced"]
    print(f"{args.units} units × {traced[0]['item_columns']} items, {args.runs} runs each, median:")
    print(f"  build time          {statistics.median(r['seconds'] for r in timed):.2f} s")
    print(f"  peak RSS (process)  {statistics.median(r['max_rss_mb'] for r in timed):.0f} MB, of which "
          f"{statistics.median(r['rss_before_mb'] for r in timed):.0f} MB before the build (interpreter, libraries, "
          "the document)")
    print(f"  traced peak (build) {statistics.median(r['traced_peak_mb'] for r in traced):.0f} MB")
    print(f"  workbook size       {traced[0]['bytes'] / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
