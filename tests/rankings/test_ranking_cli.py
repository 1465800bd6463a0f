"""A whole year on the command line, from files to a published 通报, as an office that scored on
paper does it: departments, indicators, period, ratings, round, scores, approval, ranking."""

from __future__ import annotations

import csv
import io

import pytest

import cli
from evaluation.core.tables import AuditEntry
from inspections.rankings.tables import RankingPublication
from inspections.tables import Checklist
from tests.conftest import ENGINE_NAME, run
from tests.inspections.conftest import sample_csv, sample_rows

DEPARTMENTS = ("code,name,group\n150902,集宁区,旗县市区\n150981,丰镇市,旗县市区\n"
               "SZ03,市教育局,市直单位\nSZ10,市财政局,市直单位\n")
TALLY = ("unit_code,channel,level,count\n150902,public,very_satisfied,30\n150981,public,satisfied,5\n"
         "SZ03,panel,satisfied,40\nSZ10,public,basic,35\n")
SETTINGS = "public_weight = 20\nconvert_score = true\nbonus_cap = 5\nexcellent_quota = 50\n"
# Full marks everywhere but: 集宁区 C6 23 and J2 1; 丰镇市 C1 20; 教育局 2 occurrences on C8;
# 财政局 triggers the veto V1.
CHANGES = {"150902": {"C6": "23", "J2": "1"}, "150981": {"C1": "20"}, "SZ03": {"C8": "2"}, "SZ10": {"V1": "1"}}
EXPECTED_CSV = """\
group,rank,unit_code,unit_name,inspection_score,satisfaction_index,public_component,bonus,total,grade,vetoed
county,1,150902,集宁区,78.40,100.00,20.00,1.00,99.40,优秀,no
county,2,150981,丰镇市,76.00,100.00,20.00,0.00,96.00,良好,no
municipal,1,SZ03,市教育局,78.40,80.00,16.00,0.00,94.40,优秀,no
municipal,2,SZ10,市财政局,80.00,60.00,12.00,0.00,92.00,不合格,yes
"""


def scores(units: list[str]) -> str:
    lines = ["unit_code,indicator_code,value"]
    for unit in units:
        for row in sample_rows():
            if not row["parent_code"]:
                continue
            default = {"deduct": "0", "veto": "0", "bonus": "0"}.get(row["kind"], row["max_points"])
            lines.append(f"{unit},{row['code']},{CHANGES[unit].get(row['code'], default)}")
    return "\n".join(lines) + "\n"


def pingyi(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in (("departments.csv", DEPARTMENTS), ("tally.csv", TALLY), ("round.toml", SETTINGS),
                       ("scores.csv", scores(["150902", "150981", "SZ03"])), ("scores-sz10.csv", scores(["SZ10"]))):
        paths[name] = tmp_path / name
        paths[name].write_text(text, encoding="utf-8")
    paths["indicators.csv"] = tmp_path / "indicators.csv"
    paths["indicators.csv"].write_bytes(sample_csv())
    return paths


def year_until_approval(capsys, files) -> None:
    for args in (("departments", "import", str(files["departments.csv"])),
                 ("indicators", "import", str(files["indicators.csv"]), "--year", "2026"),
                 ("period", "create", "--code", "2026-pj", "--name", "2026年度社会评议", "--opens", "2026-01-01",
                  "--closes", "2026-12-31"),
                 ("ratings", "import", "2026-pj", str(files["tally.csv"])),
                 ("round", "create", "2026-kh", "--name", "2026年度政务公开考核", "--year", "2026", "--deadline",
                  "2026-12-31", "--period", "2026-pj", "--groups", "county,municipal",
                  "--settings", str(files["round.toml"])),
                 ("round", "open", "2026-kh"),
                 ("scores", "import", "2026-kh", str(files["scores.csv"]))):
        code, out, err = pingyi(capsys, *args)
        assert code == 0, (args, err)


def test_a_round_goes_from_files_to_a_published_notification(capsys, files):
    year_until_approval(capsys, files)
    code, out, _ = pingyi(capsys, "round", "approve", "2026-kh")
    assert code == 0
    assert "已通过 approved: 150902 集宁区" in out and "未完成 incomplete, left: SZ10 市财政局" in out
    assert pingyi(capsys, "scores", "import", "2026-kh", str(files["scores-sz10.csv"]))[0] == 0
    code, out, _ = pingyi(capsys, "round", "approve", "2026-kh", "--units", "SZ10")
    assert code == 0 and "已审核通过 approved: 1" in out
    assert {row["status"] for row in run(Checklist.select(Checklist.status))} == {"approved"}

    code, out, _ = pingyi(capsys, "ranking", "compile", "2026-kh", "--csv")
    assert code == 0 and out == EXPECTED_CSV
    assert list(csv.DictReader(io.StringIO(out)))[1]["grade"] == "良好"
    code, out, _ = pingyi(capsys, "ranking", "compile", "2026-kh")
    assert "优秀名额已满" in out and "单项否决：V1" in out

    code, out, _ = pingyi(capsys, "ranking", "publish", "2026-kh")
    assert code == 0 and "第 1 版" in out
    code, _, err = pingyi(capsys, "ranking", "publish", "2026-kh")
    assert code == 1 and err.count("\n") == 1 and "理由" in err
    code, out, _ = pingyi(capsys, "ranking", "publish", "2026-kh", "--reason", "更正教育局的目录扣分")
    assert code == 0 and "第 2 版" in out
    assert pingyi(capsys, "ranking", "verify")[0] == 0
    actors = {row["actor"] for row in run(AuditEntry.select(AuditEntry.actor).where(
        AuditEntry.action.is_in(["ranking.publish", "checklist.approve", "round.open"])))}
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_verify_names_a_published_version_whose_figures_were_altered(capsys, files):
    year_until_approval(capsys, files)
    pingyi(capsys, "scores", "import", "2026-kh", str(files["scores-sz10.csv"]))
    pingyi(capsys, "round", "approve", "2026-kh")
    pingyi(capsys, "ranking", "publish", "2026-kh")
    with triggers_set_aside():
        run(RankingPublication.raw("UPDATE ranking_publication SET payload = replace(payload, '99.40', '99.90')"))
    code, _, err = pingyi(capsys, "ranking", "verify")
    assert code == 1 and "2026-kh 第 1 版" in err and "checksum differs" in err
    with triggers_set_aside():
        # Recomputing the checksum too is caught by the one the audit trail recorded.
        import hashlib

        row = run(RankingPublication.select(RankingPublication.payload).first())
        digest = hashlib.sha256(row["payload"].encode("utf-8")).hexdigest()
        run(RankingPublication.raw("UPDATE ranking_publication SET checksum = {}", digest))
    code, _, err = pingyi(capsys, "ranking", "verify")
    assert code == 1 and "audit trail" in err


def test_commands_refuse_unknown_rounds_in_one_line(capsys, files):
    for args in (("round", "open", "nope"), ("round", "approve", "nope"), ("ranking", "compile", "nope"),
                 ("ranking", "publish", "nope")):
        code, _, err = pingyi(capsys, *args)
        assert code == 1 and err.count("\n") == 1 and "nope" in err, args


class triggers_set_aside:
    """What someone with the database's password could do: the triggers that guard published
    rankings stepped around for one change."""

    def __enter__(self) -> None:
        if ENGINE_NAME == "postgresql":
            run(RankingPublication.raw("ALTER TABLE ranking_publication DISABLE TRIGGER ranking_publication_immutable"))
        else:
            self.triggers = run(RankingPublication.raw(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ranking_publication'"))
            for trigger in self.triggers:
                run(RankingPublication.raw(f'DROP TRIGGER "{trigger["name"]}"'))

    def __exit__(self, *_: object) -> None:
        if ENGINE_NAME == "postgresql":
            run(RankingPublication.raw("ALTER TABLE ranking_publication ENABLE TRIGGER ranking_publication_immutable"))
        else:
            for trigger in self.triggers:
                run(RankingPublication.raw(trigger["sql"]))
