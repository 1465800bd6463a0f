"""``pingyi demo``, annual reports: last year's city report (its figures imported from a file, as in
the platform's first year, then written and submitted by the office in March) and this year's
reports in progress: the office has started the year, some departments have submitted, 集宁区's
liaison is filling table 三 and one 总计 does not add up yet, 市教育局's report was returned with a
reason, and the city's tables add up what has been submitted so far.

Idempotent: nothing happens when last year's city report exists. Runs after the other demos (the
departments, the accounts, this year's evaluation period)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from evaluation.core import clock
from evaluation.core.tables import Department
from inspections.annual_report import checks, city, files, reports, review, saves, sentences
from inspections.annual_report.layout import FORMAT
from inspections.annual_report.reports import Report, Unit
from inspections.annual_report.tables import AnnualReport

ACTOR = "demo"
OFFICE = "office"
LIAISONS = {"150902": "liaison-jining", "SZ03": "liaison-jiaoyu"}
IN_PROGRESS = "150902"  # 集宁区: table 三 being filled, one 总计 off
RETURNED = ("SZ03", "总体情况未写本单位的社会评议结果，且“五、存在的主要问题及改进情况”只有一句话，请补充后重新提交。")
Cell = tuple[str, str, str]

S1 = ("{year}年，{name}坚持以公开为常态、不公开为例外，认真贯彻落实《中华人民共和国政府信息公开条例》，"
      "围绕中心工作做好主动公开、依申请公开和政策解读，政府信息公开工作平稳有序。\n"
      "全年通过门户网站主动公开政府信息 {published} 条，其中政策文件 {documents} 件；"
      "收到政府信息公开申请 {applications} 件，均在法定期限内答复。\n"
      "监督保障方面，本单位将政务公开纳入年度绩效考核，按时参加全市政务公开考核和社会评议。")
S5 = ("存在的主要问题：一是部分栏目更新不够及时；二是政策解读形式较为单一，图解、音视频解读较少。\n"
      "改进情况：建立栏目每月巡查制度，明确专人负责；{year}年起重要政策文件同步发布图文解读。")
S6 = "本年度未收取信息处理费。无其他需要报告的事项。"


def _department_figures(rng: random.Random, size: int) -> dict[Cell, Decimal]:
    """A department's year that adds up as the format asks: outcomes drawn per applicant column,
    （七）总计 their sum, 一 = （七） + 四 − 二, the 总计 column the sum of the applicants; table 四 likewise."""
    table = FORMAT.table_by_code["T3"]
    outcome_rows = [row.code for row in table.data_rows if row.code.startswith("R3_") and row.code != "R3_7"]
    applicants = [column.code for column in table.data_columns if not column.is_total]
    weights = {"A1": 1.0, "A21": 0.12, "A22": 0.02, "A23": 0.03, "A24": 0.06, "A25": 0.05}
    likely = {"R3_1": 8, "R3_2": 2, "R3_4_1": 3, "R3_5_2": 1, "R3_3_4": 1, "R3_4_2": 1, "R3_6_1": 1}
    figures: dict[Cell, Decimal] = {}
    for column in applicants:
        counts = {row: 0 for row in outcome_rows}
        for _ in range(round(size * weights.get(column, 0.03))):
            row = rng.choices(list(likely), list(likely.values()))[0]
            counts[row] += 1
        processed = sum(counts.values())
        carried_out = rng.choice([0, 0, 0, 1, 2]) if processed else 0
        carried_in = rng.choice([0, 0, 1]) if processed else 0
        values = {**counts, "R3_7": processed, "R2": carried_in, "R4": carried_out,
                  "R1": processed + carried_out - carried_in}
        figures.update({("T3", row, column): Decimal(value) for row, value in values.items()})
    for row in table.data_rows:
        figures[("T3", row.code, "A3")] = sum((figures[("T3", row.code, column)] for column in applicants), Decimal(0))
    four = FORMAT.table_by_code["T4"]
    for total in four.totals:
        parts = {part.code: Decimal(rng.choice([0, 0, 0, 1, 1, 2])) for part in total.parts}
        figures.update({("T4", "R1", code): value for code, value in parts.items()})
        figures[("T4", "R1", total.total.code)] = sum(parts.values(), Decimal(0))
    issued = rng.randint(2, 20)
    figures.update({
        ("T2a", "R1", "C2"): Decimal(0), ("T2a", "R2", "C2"): Decimal(issued),
        ("T2a", "R2", "C3"): Decimal(rng.randint(0, 3)), ("T2a", "R2", "C4"): Decimal(issued * rng.randint(3, 8)),
        ("T2b", "R1", "C2"): Decimal(size * rng.randint(8, 40)), ("T2c", "R1", "C2"): Decimal(rng.randint(0, size)),
        ("T2c", "R2", "C2"): Decimal(rng.randint(0, 3)),
        ("T2d", "R1", "C2"): Decimal(rng.choice(["0", "0", "3.6", "12.35", "0.82"])),
    })
    assert not checks.check(figures)
    return figures


def _texts(unit: Unit, year: int, figures: dict[Cell, Decimal], rng: random.Random) -> dict[str, str]:
    applications = int(figures[("T3", "R1", "A3")])
    return {
        "S1": S1.format(year=year, name=unit.display_name, published=rng.randint(300, 1800),
                        documents=int(figures[("T2a", "R2", "C2")]), applications=applications),
        "S5": S5.format(year=year + 1),
        "S6": S6,
    }


def _long_csv(figures: dict[Cell, Decimal]) -> bytes:
    lines = ["table,row,column,value"] + [f"{table},{row},{column},{checks.format_value(value)}"
                                         for (table, row, column), value in figures.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


async def _write(actor: str, report: Report, figures: dict[Cell, Decimal], texts: dict[str, str]) -> None:
    for section, body in texts.items():
        await saves.save_text(actor, report, section, body)
    await saves.save_figures(actor, report, [table.code for table in FORMAT.tables], figures)


async def _last_years_city_report(year: int, rng: random.Random) -> None:
    """The city's report of last year, from the platform's first year: its figures imported from the
    file the office kept, its texts written and submitted in March."""
    report = await reports.find(year, reports.city())
    figures = _department_figures(rng, 160)
    imported = await files.import_figures(OFFICE, report, f"{year}年度本级政府信息公开统计表.csv", _long_csv(figures))
    if imported.problems:
        raise RuntimeError("; ".join(imported.problems))
    for section, body in _texts(report.unit, year, figures, rng).items():
        await saves.save_text(OFFICE, report, section, body.replace("本单位", "市政府各部门"))
    await review.submit(OFFICE, await reports.find(year, reports.city()))
    # Submitted on 20 March, before the deadline, as it was: the demo is dated, the audit trail is not.
    march = dt.datetime(year + 1, 3, 20, 10, 0, tzinfo=clock.SHANGHAI).astimezone(dt.UTC)
    await AnnualReport.update({AnnualReport.submitted_at: march, AnnualReport.created_at: march,
                               AnnualReport.updated_at: march}).where(
        (AnnualReport.year == year) & AnnualReport.department.is_null())


async def load() -> bool:
    """Returns False when last year's city report exists already."""
    year = reports.current_year()
    last = year - 1
    if (await reports.find(last, reports.city(), with_contents=False)).id is not None:
        return False
    rng = random.Random(year)
    await _last_years_city_report(last, rng)
    await reports.start_year(OFFICE, year)
    departments = await Department.select(Department.id, Department.code, Department.name, Department.group).where(
        Department.active.eq(True)).order_by(Department.code)
    for position, row in enumerate(departments):
        unit = Unit(row["id"], row["code"], row["name"], row["group"])
        report = await reports.find(year, unit)
        actor = LIAISONS.get(unit.code or "", ACTOR)
        figures = _department_figures(rng, rng.randint(4, 40))
        texts = _texts(unit, year, figures, rng)
        if unit.code == IN_PROGRESS:
            await _in_progress(actor, report, figures, texts)
        elif unit.code == RETURNED[0]:
            await _write(actor, report, figures, texts)
            await review.submit(actor, await reports.find(year, unit))
            await review.return_report(OFFICE, await reports.find(year, unit), RETURNED[1])
        elif position % 3 == 0:
            await _write(actor, report, figures, texts)
            await review.submit(actor, await reports.find(year, unit))
        elif position % 3 == 1:
            await saves.save_text(actor, report, "S1", texts["S1"])
    await city.compile_city(OFFICE, year)
    city_report = await reports.find(year, reports.city())
    await saves.save_text(OFFICE, city_report, "S1", await sentences.with_inserted(
        city_report, f"{year}年，全市各级行政机关认真贯彻落实《中华人民共和国政府信息公开条例》。", "ratings-1"))
    return True


async def _in_progress(actor: str, report: Report, figures: dict[Cell, Decimal], texts: dict[str, str]) -> None:
    """集宁区: the overview written with the platform's sentence about its ratings, table 三 filled
    but its （七）总计 for individuals two short of the rows above it; the rest still to come."""
    body = await sentences.with_inserted(report, texts["S1"], "ratings-1")
    await saves.save_text(actor, report, "S1", body)
    table_3 = {cell: value for cell, value in figures.items() if cell[0] == "T3"}
    table_3[("T3", "R3_7", "A1")] -= 2
    await saves.save_figures(actor, report, ["T3"], table_3)
