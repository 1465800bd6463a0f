"""Inspection rounds (考核批次): the office sets one up (settings, coverage), opens it and closes it.

Teams and the assignment of departments to them are written by inspections/rounds/teams.py. Every
change is audited under the target ``round:<code>``, so the round's history reads in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from piccolo.query.functions.aggregate import Count

from evaluation.core import audit, clock
from evaluation.core.database import is_postgres, write_transaction
from evaluation.core.departments import GROUP_LABELS
from evaluation.core.form_values import parse_date, parse_decimal, parse_int
from evaluation.core.i18n import N_, _
from evaluation.ratings.tables import EvaluationPeriod
from inspections.checklists.checklists import STATUS_LABELS
from inspections.checklists.scoring import as_decimal
from inspections.indicators.rules import DEFAULT_STEP
from inspections.tables import (
    Checklist,
    ChecklistAnswer,
    Indicator,
    IndicatorSystem,
    InspectionRound,
    RoundStatus,
)

ROUND_STATUS_LABELS = {
    RoundStatus.draft.value: N_("筹备中"),
    RoundStatus.open.value: N_("进行中"),
    RoundStatus.closed.value: N_("已结束"),
}
CHECKLIST_STATUS_LABELS = STATUS_LABELS
BELOW_SAMPLE_LABELS = {"group_mean": N_("按同组平均指数计"), "own": N_("按本单位实际指数计")}
DEFAULT_BANDS: list[tuple[str, Decimal]] = [
    ("优秀", Decimal("90")), ("良好", Decimal("80")), ("合格", Decimal("60")), ("不合格", Decimal("0")),
]
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_BAND_NAME = 20


class RoundError(ValueError):
    """A refusal with a message fit to show the user; ``items`` lists what is at fault."""

    def __init__(self, message: str, items: list[str] | None = None) -> None:
        super().__init__(message)
        self.items = items or []


class RoundNotFound(RoundError):
    pass


@dataclass(frozen=True)
class Round:
    id: int
    code: str
    name: str
    year: int
    system_id: int
    system_code: str
    system_name: str
    system_frozen: bool
    system_point_step: Decimal
    period_id: int | None
    period_code: str | None
    period_name: str | None
    deadline: dt.date
    status: str
    opened_at: dt.datetime | None
    public_weight: Decimal
    convert_score: bool
    below_sample: str
    bonus_cap: Decimal
    grade_bands: list[tuple[str, Decimal]]
    excellent_quota: int | None

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.draft.value

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.open.value


def _bands(value: Any) -> list[tuple[str, Decimal]]:
    if isinstance(value, str):  # JSON arrives as text
        value = json.loads(value or "[]")
    return [(str(name), Decimal(str(lower))) for name, lower in value]


def _number(value: Decimal) -> str:
    """0.5, 20, 90: never 20.00 or 9E+1."""
    text = format(Decimal(value).normalize(), "f")
    return text


_ROUND_COLUMNS = (
    InspectionRound.system.code.as_alias("system_code"),
    InspectionRound.system.name.as_alias("system_name"),
    InspectionRound.system.frozen_at.as_alias("system_frozen_at"),
    InspectionRound.system.point_step.as_alias("system_point_step"),
    InspectionRound.period.code.as_alias("period_code"),
    InspectionRound.period.name.as_alias("period_name"),
)


def _round(row: dict[str, Any]) -> Round:
    return Round(
        id=row["id"], code=row["code"], name=row["name"], year=row["year"], system_id=row["system"],
        system_code=row["system_code"], system_name=row["system_name"],
        system_frozen=row["system_frozen_at"] is not None,
        system_point_step=as_decimal(row["system_point_step"]) or DEFAULT_STEP, period_id=row["period"],
        period_code=row["period_code"], period_name=row["period_name"], deadline=row["deadline"],
        status=row["status"], opened_at=row["opened_at"], public_weight=Decimal(row["public_weight"]),
        convert_score=bool(row["convert_score"]), below_sample=row["below_sample"],
        bonus_cap=Decimal(row["bonus_cap"]), grade_bands=_bands(row["grade_bands"]),
        excellent_quota=row["excellent_quota"],
    )


def _select() -> Any:
    return InspectionRound.select(*InspectionRound.all_columns(), *_ROUND_COLUMNS)


async def find(reference: str) -> Round | None:
    """A round by its code or its numeric id (the command line accepts either)."""
    row = await _select().where(InspectionRound.code == reference).first()
    if row is None and reference.isdigit():
        row = await _select().where(InspectionRound.id == int(reference)).first()
    return _round(row) if row else None


async def checklist_id(code: str, unit_code: str) -> int | None:
    """The checklist of one covered unit of a round."""
    row = await Checklist.select(Checklist.id).where(
        (Checklist.round.code == code) & (Checklist.department.code == unit_code)).first()
    return row["id"] if row else None


async def covered_unit(round_id: int, unit_code: str) -> dict[str, Any] | None:
    """A unit the round covers: its department id, code and name."""
    row = await Checklist.select(Checklist.department.id, Checklist.department.code, Checklist.department.name).where(
        (Checklist.round == round_id) & (Checklist.department.code == unit_code)).first()
    if row is None:
        return None
    return {"department_id": row["department.id"], "code": row["department.code"], "name": row["department.name"]}


async def all_rounds() -> list[tuple[Round, dict[str, int]]]:
    """Every round, newest year first, with its checklists counted per status (one query)."""
    rounds = [_round(row) for row in await _select().order_by(InspectionRound.year, ascending=False)
              .order_by(InspectionRound.code)]
    counts: dict[int, dict[str, int]] = {r.id: dict.fromkeys(CHECKLIST_STATUS_LABELS, 0) for r in rounds}
    for row in await Checklist.select(Checklist.round, Checklist.status, Count(alias="n")).group_by(
            Checklist.round, Checklist.status):
        counts[row["round"]][row["status"]] = row["n"]
    return [(r, counts[r.id]) for r in rounds]


async def systems() -> list[dict[str, Any]]:
    """The indicator systems a round may use, newest first."""
    return await IndicatorSystem.select(IndicatorSystem.id, IndicatorSystem.year, IndicatorSystem.code,
                                        IndicatorSystem.name).order_by(IndicatorSystem.year, ascending=False).order_by(
        IndicatorSystem.code)


async def periods() -> list[dict[str, Any]]:
    return await EvaluationPeriod.select(EvaluationPeriod.id, EvaluationPeriod.code, EvaluationPeriod.name).order_by(
        EvaluationPeriod.opens_on, ascending=False)


# The settings form (web, and the command line through a TOML file).

def bands_text(bands: list[tuple[str, Decimal]]) -> str:
    return "\n".join(f"{name} {_number(lower)}" for name, lower in bands)


@dataclass
class RoundForm:
    code: str = ""
    name: str = ""
    year: str = ""
    system: str = ""  # indicator system id
    period: str = ""  # evaluation period id, or empty
    deadline: str = ""
    public_weight: str = "20"
    convert_score: bool = False
    below_sample: str = "group_mean"
    bonus_cap: str = "5"
    grade_bands: str = field(default_factory=lambda: bands_text(DEFAULT_BANDS))
    excellent_quota: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)

    def validate(self, *, new: bool) -> bool:
        self.code, self.name = self.code.strip(), self.name.strip()
        if new and not CODE_PATTERN.match(self.code):
            self.errors["code"] = _("代码只能包含字母、数字、下划线和连字符，1 到 32 个字符，例如 2025-kh。")
        if not self.name or len(self.name) > 100:
            self.errors["name"] = _("请填写名称（不超过 100 个字符）。")
        year = parse_int(self.year)
        if year is None or not 2000 <= year <= 2100:
            self.errors["year"] = _("请填写考核年度，例如 2025。")
        system = parse_int(self.system)
        if system is None:
            self.errors["system"] = _("请选择考核指标体系。")
        period = None
        if self.period.strip():
            period = parse_int(self.period)
            if period is None:
                self.errors["period"] = _("请从列表中选择评议期。")
        deadline = parse_date(self.deadline)
        if deadline is None:
            self.errors["deadline"] = _("请填写截止日期，格式如 2025-12-31。")
        public_weight = parse_decimal(self.public_weight)
        if public_weight is None or not 0 <= public_weight <= 100 or public_weight.as_tuple().exponent < -2:
            self.errors["public_weight"] = _("公众评议权重必须是 0 到 100 之间的数（最多两位小数）。")
        if self.below_sample not in BELOW_SAMPLE_LABELS:
            self.errors["below_sample"] = _("请选择样本不足时的处理方式。")
        bonus_cap = parse_decimal(self.bonus_cap)
        if bonus_cap is None or not 0 <= bonus_cap <= 100 or bonus_cap % Decimal("0.5") != 0:
            self.errors["bonus_cap"] = _("加分上限必须是 0 到 100 之间、以 0.5 为单位的数。")
        bands = self._bands()
        quota = None
        if self.excellent_quota.strip():
            quota = parse_int(self.excellent_quota)
            if quota is None or not 1 <= quota <= 100:
                self.errors["excellent_quota"] = _("优秀比例必须是 1 到 100 之间的整数，不限比例请留空。")
        if not self.errors:
            self.cleaned = {
                "code": self.code, "name": self.name, "year": year, "system": system, "period": period,
                "deadline": deadline, "public_weight": public_weight, "convert_score": self.convert_score,
                "below_sample": self.below_sample, "bonus_cap": bonus_cap,
                "grade_bands": [[name, _number(lower)] for name, lower in bands],
                "excellent_quota": quota,
            }
        return not self.errors

    def _bands(self) -> list[tuple[str, Decimal]]:
        """Lines "优秀 90", best first; bounds strictly falling, the last one 0."""
        bands: list[tuple[str, Decimal]] = []
        for number, line in enumerate((line.strip() for line in self.grade_bands.splitlines()), start=1):
            if not line:
                continue
            name, _space, bound = line.rpartition(" ")
            lower = parse_decimal(bound)
            name = name.strip()
            if not name or lower is None or not 0 <= lower <= 100:
                self.errors["grade_bands"] = _("第 {n} 行应为“等次名称 分数下限”，例如“优秀 90”。").format(n=number)
                return []
            if len(name) > MAX_BAND_NAME:
                self.errors["grade_bands"] = _("第 {n} 行：等次名称不能超过 20 个字。").format(n=number)
                return []
            if any(name == other for other, _lower in bands):
                self.errors["grade_bands"] = _("等次“{name}”重复了。").format(name=name)
                return []
            if bands and lower >= bands[-1][1]:
                self.errors["grade_bands"] = _("第 {n} 行：分数下限必须从高到低排列，每一档低于上一档。").format(
                    n=number)
                return []
            bands.append((name, lower))
        if len(bands) < 2:
            self.errors["grade_bands"] = _("至少需要两个等次。")
        elif bands[-1][1] != 0:
            self.errors["grade_bands"] = _("最后一个等次的分数下限必须是 0，使每个分数都有等次。")
        return bands





def form_for(found: Round) -> RoundForm:
    return RoundForm(
        code=found.code, name=found.name, year=str(found.year), system=str(found.system_id),
        period=str(found.period_id or ""), deadline=found.deadline.isoformat(),
        public_weight=_number(found.public_weight), convert_score=found.convert_score,
        below_sample=found.below_sample, bonus_cap=_number(found.bonus_cap), grade_bands=bands_text(found.grade_bands),
        excellent_quota=str(found.excellent_quota or ""),
    )


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as audit text, the same whatever each engine returns, so an unchanged save records nothing."""
    return {
        "name": values["name"], "year": str(values["year"]), "system": str(values["system"]),
        "period": str(values["period"] or ""), "deadline": str(values["deadline"]),
        "public_weight": _number(Decimal(str(values["public_weight"]))),
        "convert_score": bool(values["convert_score"]), "below_sample": values["below_sample"],
        "bonus_cap": _number(Decimal(str(values["bonus_cap"]))),
        "grade_bands": [[name, _number(lower)] for name, lower in _bands(values["grade_bands"])],
        "excellent_quota": values["excellent_quota"],
    }


async def _check_references(form: RoundForm) -> bool:
    """The chosen system exists and belongs to the round's year; the chosen period exists."""
    cleaned = form.cleaned
    system = await IndicatorSystem.select().where(IndicatorSystem.id == cleaned["system"]).first()
    if system is None:
        form.errors["system"] = _("请选择考核指标体系。")
    elif system["year"] != cleaned["year"]:
        form.errors["system"] = _("指标体系“{name}”属于 {system_year} 年度，与考核年度 {year} 不一致。").format(
            name=system["name"], system_year=system["year"], year=cleaned["year"])
    if cleaned["period"] is not None and not await EvaluationPeriod.exists().where(
            EvaluationPeriod.id == cleaned["period"]):
        form.errors["period"] = _("请从列表中选择评议期。")
    return not form.errors


async def create(actor: str, form: RoundForm) -> bool:
    if not form.validate(new=True):
        return False
    async with write_transaction():
        if await InspectionRound.exists().where(InspectionRound.code == form.code):
            form.errors["code"] = _("代码 {code} 已被使用。").format(code=form.code)
            return False
        if not await _check_references(form):
            return False
        await InspectionRound.insert(InspectionRound(**form.cleaned, status=RoundStatus.draft, created_at=clock.now()))
        await audit.record(actor, "round.create", f"round:{form.code}",
                           new={"code": form.code, **_comparable(form.cleaned)})
    return True


async def round_row(code: str) -> dict[str, Any]:
    """The round, read to be changed (call inside ``write_transaction``). On PostgreSQL the row is
    locked, so two changes to one round's coverage or teams queue instead of racing on the
    unique indexes; SQLite's write transaction already queues them."""
    if is_postgres():
        rows = await InspectionRound.raw("SELECT * FROM inspection_round WHERE code = {} FOR UPDATE", code)
        row = rows[0] if rows else None
    else:
        row = await InspectionRound.select().where(InspectionRound.code == code).first()
    if row is None:
        raise RoundNotFound(_("找不到该考核批次。"))
    return row


async def update(actor: str, code: str, form: RoundForm) -> bool:
    """Everything but the code while the round is a draft; once it is open the year and the
    indicator system are fixed (checklists were made from it), the rest is read by rankings later."""
    form.code = code
    async with write_transaction():
        row = await round_row(code)
        if row["status"] == RoundStatus.closed.value:
            raise RoundError(_("考核批次已结束，设置不能再修改。"))
        if row["status"] == RoundStatus.open.value:
            form.year, form.system = str(row["year"]), str(row["system"])
        if not form.validate(new=False) or not await _check_references(form):
            return False
        changes = {key: value for key, value in form.cleaned.items() if key != "code"}
        await InspectionRound.update(changes).where(InspectionRound.id == row["id"])
        before, after = _comparable(row), _comparable(changes)
        old = {key: value for key, value in before.items() if value != after[key]}
        if old:
            await audit.record(actor, "round.update", f"round:{code}", old=old, new={key: after[key] for key in old})
    return True


# Settings given to the command line as TOML (PRODUCT.md, Settled questions).

SETTINGS_KEYS = ("public_weight", "convert_score", "below_sample", "bonus_cap", "grade_bands", "excellent_quota")
_CLI_FIELDS = {"code": "CODE", "name": "--name", "year": "--year", "system": "--system", "period": "--period",
               "deadline": "--deadline"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def apply_settings_toml(form: RoundForm, text: str) -> None:
    """Puts a TOML file's settings into the form, to be validated like typed input. Refuses
    (RoundError, one line) bad TOML, unknown keys and values of the wrong kind."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RoundError(_("设置文件不是有效的 TOML：{error}").format(error=error)) from error
    unknown = sorted(set(data) - set(SETTINGS_KEYS))
    if unknown:
        raise RoundError(_("设置文件中有未知的项：{keys}（可用的项：{known}）。").format(
            keys=", ".join(unknown), known=", ".join(SETTINGS_KEYS)))
    for key in ("public_weight", "bonus_cap"):
        if key in data:
            if not _is_number(data[key]):
                raise RoundError(_("{key} 必须是数字。").format(key=key))
            setattr(form, key, str(data[key]))
    if "convert_score" in data:
        if not isinstance(data["convert_score"], bool):
            raise RoundError(_("{key} 必须是 true 或 false。").format(key="convert_score"))
        form.convert_score = data["convert_score"]
    if "below_sample" in data:
        if data["below_sample"] not in BELOW_SAMPLE_LABELS:
            raise RoundError(_("below_sample 必须是 {choices} 之一。").format(choices=" 或 ".join(
                f'"{choice}"' for choice in BELOW_SAMPLE_LABELS)))
        form.below_sample = data["below_sample"]
    if "excellent_quota" in data:
        if not isinstance(data["excellent_quota"], int) or isinstance(data["excellent_quota"], bool):
            raise RoundError(_("{key} 必须是整数。").format(key="excellent_quota"))
        form.excellent_quota = str(data["excellent_quota"])
    if "grade_bands" in data:
        bands = data["grade_bands"]
        if not isinstance(bands, list) or not all(
                isinstance(band, list) and len(band) == 2 and isinstance(band[0], str) and _is_number(band[1])
                for band in bands):
            raise RoundError(_("grade_bands 必须是 [名称, 分数下限] 的列表，例如 {example}。").format(
                example='[["优秀", 90], ["良好", 80], ["合格", 60], ["不合格", 0]]'))
        form.grade_bands = "\n".join(f"{name} {lower}" for name, lower in bands)


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def settings_toml(found: Round) -> str:
    """The round's settings in the layout `--settings FILE.toml` reads."""
    bands = ", ".join(f"[{_toml_string(name)}, {_number(lower)}]" for name, lower in found.grade_bands)
    lines = [
        f"public_weight = {_number(found.public_weight)}",
        f"convert_score = {'true' if found.convert_score else 'false'}",
        f"below_sample = {_toml_string(found.below_sample)}",
        f"bonus_cap = {_number(found.bonus_cap)}",
        f"grade_bands = [{bands}]",
    ]
    if found.excellent_quota is not None:
        lines.append(f"excellent_quota = {found.excellent_quota}")
    return "\n".join(lines)


async def create_from_cli(actor: str, code: str, name: str, year: str, deadline: str, system_code: str | None = None,
                          period: str | None = None, groups: list[str] | None = None,
                          department_codes: list[str] | None = None, settings_text: str | None = None) -> Round:
    """`pingyi round create`: the web form's rules, refusals joined into one line. The round and
    its coverage are made in one transaction: a refused department leaves no round behind."""
    form = RoundForm(code=code, name=name, year=year, deadline=deadline)
    if settings_text is not None:
        apply_settings_toml(form, settings_text)
    year_number = parse_int(year)
    code_of_system = system_code or (str(year_number) if year_number is not None else "")
    system = await IndicatorSystem.select(IndicatorSystem.id).where(
        (IndicatorSystem.year == (year_number or 0)) & (IndicatorSystem.code == code_of_system)).first()
    if year_number is not None and system is None:
        raise RoundError(_("找不到 {year} 年度、代码为 {code} 的考核指标体系。").format(year=year, code=code_of_system))
    form.system = str(system["id"]) if system else ""
    if period:
        found = await EvaluationPeriod.select(EvaluationPeriod.id).where(EvaluationPeriod.code == period).first()
        if found is None and period.isdigit():
            found = await EvaluationPeriod.select(EvaluationPeriod.id).where(EvaluationPeriod.id == int(period)).first()
        if found is None:
            raise RoundError(_("找不到评议期 {period}。").format(period=period))
        form.period = str(found["id"])
    for group in groups or []:
        if group not in GROUP_LABELS:
            raise RoundError(_("未知的单位分组 {group}（可用：{known}）。").format(
                group=group, known=", ".join(GROUP_LABELS)))
    from inspections.rounds import teams

    async with write_transaction():
        if not await create(actor, form):
            raise RoundError("; ".join(f"{_CLI_FIELDS.get(key, key)}: {message}"
                                       for key, message in form.errors.items()))
        for group in groups or []:
            await teams.cover_group(actor, form.code, group)
        if department_codes:
            await teams.cover_departments(actor, form.code, department_codes)
    found_round = await find(form.code)
    assert found_round is not None
    return found_round


# Opening and closing.

async def open_round(actor: str, code: str, require_teams: bool = True) -> int:
    """draft → open: freezes the indicator system and makes every checklist's answer rows, in
    one transaction. Returns the number of answer rows made. Without ``require_teams`` (the
    command line, for offices whose scores come from a file) units without a team are allowed."""
    async with write_transaction():
        row = await round_row(code)
        if row["status"] != RoundStatus.draft.value:
            raise RoundError(_("只有筹备中的考核批次可以开始。"))
        checklists = await Checklist.select(Checklist.id, Checklist.team, Checklist.department.code,
                                            Checklist.department.name).where(Checklist.round == row["id"]).order_by(
            Checklist.department.code)
        if not checklists:
            raise RoundError(_("考核批次还没有覆盖任何单位，不能开始。"))
        unassigned = [f"{c['department.code']} {c['department.name']}" for c in checklists if c["team"] is None]
        if unassigned and require_teams:
            raise RoundError(_("以下 {n} 个单位尚未分配考核组，不能开始：").format(n=len(unassigned)), unassigned)
        items = await Indicator.count().where((Indicator.system == row["system"]) & (Indicator.parent_code != ""))
        if items == 0:
            raise RoundError(_("所选指标体系还没有任何考核项目，不能开始。"))
        now = clock.now()
        await IndicatorSystem.update({IndicatorSystem.frozen_at: now}).where(
            (IndicatorSystem.id == row["system"]) & IndicatorSystem.frozen_at.is_null())
        await InspectionRound.update({InspectionRound.status: RoundStatus.open, InspectionRound.opened_at: now}).where(
            InspectionRound.id == row["id"])
        # One statement for every checklist × item: a round of 150 departments makes ~3,000 rows.
        await ChecklistAnswer.raw(
            'INSERT INTO checklist_answer ("checklist", "indicator", "value", "note", "version") '
            'SELECT c."id", i."id", NULL, \'\', 0 FROM checklist c JOIN indicator i ON i."system" = {} '
            'WHERE c."round" = {} AND i."parent_code" <> \'\'',
            row["system"], row["id"],
        )
        await audit.record(actor, "round.open", f"round:{code}", old={"status": row["status"]},
                           new={"status": RoundStatus.open.value, "checklists": len(checklists), "items": items})
    return len(checklists) * items


async def close_round(actor: str, code: str) -> None:
    async with write_transaction():
        row = await round_row(code)
        if row["status"] != RoundStatus.open.value:
            raise RoundError(_("只有进行中的考核批次可以结束。"))
        await InspectionRound.update({InspectionRound.status: RoundStatus.closed}).where(
            InspectionRound.id == row["id"])
        await audit.record(actor, "round.close", f"round:{code}", old={"status": row["status"]},
                           new={"status": RoundStatus.closed.value})
