"""Databases made before each capability had its own Piccolo app.

Until December 2026 the core and 社会评议 shared one Piccolo app ("evaluation"); the migrations were
then squashed per app (core, ratings, inspections, rankings) with the same tables, columns and
indexes. A database made by the earlier layout is recognised by its migration records and taken
over: the few changes its migrations lacked are made, and it is recorded as having run the
squashed migrations that describe the tables it already has, so `pingyi migrate` then runs only
what is new. A database in any other state is refused with the reason, and left as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.engine.base import Engine

# The migrations of the earlier layout, as the landed versions recorded them.
FIRST_LANDING = frozenset({
    ("evaluation", "2026-11-26T00:44:49:912827"),
    ("evaluation", "2026-11-26T01:35:42:330824"),
    ("evaluation", "2026-11-26T01:40:00:000000"),
    ("inspections", "2026-11-26T04:12:18:645856"),
    ("inspections", "2026-11-26T04:20:00:000000"),
})
# Made between the first landing and the squash: a point step per indicator system, the covering
# index of ratings, the rankings' tables.
LATER = frozenset({
    ("evaluation", "2026-12-06T16:17:23:847775"),
    ("inspections", "2026-12-06T15:58:40:717126"),
    ("rankings", "2026-12-06T15:57:24:845706"),
    ("rankings", "2026-12-06T15:57:25:000000"),
})
# The squashed migrations that describe the tables of the earlier layout (rankings' are run as
# usual when the database has none of its tables).
SQUASHED = [
    ("core", "2026-12-06T16:38:45:067467"),
    ("ratings", "2026-12-06T16:38:46:630042"),
    ("ratings", "2026-12-06T16:38:47:000000"),
    ("inspections", "2026-12-06T16:38:48:294988"),
    ("inspections", "2026-12-06T16:38:49:000000"),
]
SQUASHED_RANKINGS = [
    ("rankings", "2026-12-06T16:38:49:992401"),
    ("rankings", "2026-12-06T16:38:51:000000"),
]
# What the first landing's migrations lacked (the later ones above made these).
CATCH_UP = [
    "ALTER TABLE indicator_system ADD COLUMN point_step NUMERIC(3, 1) NOT NULL DEFAULT 0.5",
    "DROP INDEX rating_period",
    "DROP INDEX rating_period_department_level",
    "CREATE INDEX rating_counts ON rating (period, department, channel, level)",
]


class LegacyDatabaseError(Exception):
    """A database of an earlier layout in a state this version cannot take over."""


@dataclass(frozen=True)
class Adoption:
    caught_up: bool  # the first landing's database: the changes it lacked were made


async def _recorded(engine: Engine) -> set[tuple[str, str]] | None:
    """The migrations the database has run, or None when it has no migration table yet."""
    if engine.engine_type == "postgres":
        exists = await engine.run_ddl("SELECT to_regclass('migration') IS NOT NULL AS present")
    else:
        exists = await engine.run_ddl(
            "SELECT count(*) > 0 AS present FROM sqlite_master WHERE type = 'table' AND name = 'migration'")
    if not exists or not exists[0]["present"]:
        return None
    rows = await engine.run_ddl("SELECT app_name, name FROM migration")
    return {(row["app_name"], row["name"]) for row in rows}


async def adopt_earlier_layout(engine: Engine) -> Adoption | None:
    """Takes over a database of the earlier layout (see the module's docstring); None when the
    database is not one. Raises ``LegacyDatabaseError`` for one it cannot take over."""
    recorded = await _recorded(engine)
    if recorded is None or not any(app == "evaluation" for app, _name in recorded):
        return None
    earlier = {entry for entry in recorded if entry[0] in ("evaluation", "inspections", "rankings")}
    if earlier == FIRST_LANDING | LATER:
        caught_up, rankings_too = False, True
    elif earlier == FIRST_LANDING:
        caught_up, rankings_too = True, False
    else:
        raise LegacyDatabaseError(
            "这个数据库由较早的版本创建，其迁移记录无法识别，未做任何改动。请先用 `pingyi backup FILE` 备份，"
            "再新建数据库（删除 var/pingyi.sqlite 后运行 make demo）；或用创建它的版本完成迁移后再升级。"
            " (a database of an earlier version whose migrations this version cannot take over: nothing changed)")
    async with engine.transaction():
        if caught_up:
            for statement in CATCH_UP:
                await engine.run_ddl(statement)
        await engine.run_ddl("DELETE FROM migration WHERE app_name IN ('evaluation', 'inspections', 'rankings')")
        now = dt.datetime.now().isoformat(sep=" ")  # as Piccolo records ran_on: local, without a zone
        for app, name in SQUASHED + (SQUASHED_RANKINGS if rankings_too else []):
            await engine.run_ddl(
                f"INSERT INTO migration (app_name, name, ran_on) VALUES ('{app}', '{name}', '{now}')")
    return Adoption(caught_up=caught_up)
