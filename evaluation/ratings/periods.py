"""Evaluation periods (社会评议): dates and the settings that define their index."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.core import audit, cache, clock
from evaluation.core.database import write_transaction
from evaluation.core.form_values import parse_date, parse_decimal, parse_int
from evaluation.core.i18n import N_, _
from evaluation.ratings import reasons
from evaluation.ratings.satisfaction import IndexSettings
from evaluation.ratings.scale import LEVEL_LABELS, Channel, Level
from evaluation.ratings.tables import EvaluationPeriod

# 10/8/6/3/0 points of 好差评, on a 100 scale (PRODUCT.md §1).
DEFAULT_LEVEL_VALUES = {
    Level.very_satisfied.value: Decimal("100"),
    Level.satisfied.value: Decimal("80"),
    Level.basic.value: Decimal("60"),
    Level.unsatisfied.value: Decimal("30"),
    Level.very_unsatisfied.value: Decimal("0"),
}
DEFAULT_WEIGHTS = {Channel.public.value: Decimal("0.4"), Channel.panel.value: Decimal("0.6")}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class PeriodError(ValueError):
    """A refusal with a message fit to show the user."""


@dataclass
class Period:
    id: int
    code: str
    name: str
    opens_on: dt.date
    closes_on: dt.date
    settings: IndexSettings
    answer_working_days: int

    def is_open(self, today: dt.date) -> bool:
        """From 00:00 of the open date to 24:00 of the close date, Asia/Shanghai."""
        return self.opens_on <= today <= self.closes_on


def today() -> dt.date:
    return clock.local(clock.now()).date()


def _period(row: dict[str, Any]) -> Period:
    values = row["level_values"]
    if isinstance(values, str):  # JSON arrives as text on SQLite
        import json

        values = json.loads(values)
    return Period(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        opens_on=row["opens_on"],
        closes_on=row["closes_on"],
        settings=IndexSettings(
            level_values={level: Decimal(str(values[level])) for level in LEVEL_LABELS},
            channel_weights={Channel.public.value: Decimal(row["public_weight"]),
                             Channel.panel.value: Decimal(row["panel_weight"])},
            min_sample=row["min_sample"],
        ),
        answer_working_days=row["answer_working_days"],
    )


@cache.cached
async def current_period() -> Period | None:
    """The period open today; of several, the one that opened last."""
    now = today()
    row = (
        await EvaluationPeriod.select()
        .where((EvaluationPeriod.opens_on <= now) & (EvaluationPeriod.closes_on >= now))
        .order_by(EvaluationPeriod.opens_on, ascending=False)
        .first()
    )
    return _period(row) if row else None


@cache.cached
async def next_period() -> Period | None:
    row = (
        await EvaluationPeriod.select()
        .where(EvaluationPeriod.opens_on > today())
        .order_by(EvaluationPeriod.opens_on)
        .first()
    )
    return _period(row) if row else None


async def all_periods() -> list[Period]:
    rows = await EvaluationPeriod.select().order_by(EvaluationPeriod.opens_on, ascending=False)
    return [_period(row) for row in rows]


async def by_id(period_id: int) -> Period | None:
    row = await EvaluationPeriod.select().where(EvaluationPeriod.id == period_id).first()
    return _period(row) if row else None


async def find(reference: str) -> Period | None:
    """A period by its code or its numeric id (the command line accepts either)."""
    row = await EvaluationPeriod.select().where(EvaluationPeriod.code == reference).first()
    if row is None and (number := parse_int(reference)) is not None and reference.isdigit():
        row = await EvaluationPeriod.select().where(EvaluationPeriod.id == number).first()
    return _period(row) if row else None


@dataclass
class PeriodForm:
    code: str = ""
    name: str = ""
    opens_on: str = ""
    closes_on: str = ""
    level_values: dict[str, str] = field(default_factory=lambda: {k: str(v) for k, v in DEFAULT_LEVEL_VALUES.items()})
    public_weight: str = "0.4"
    panel_weight: str = "0.6"
    min_sample: str = "30"
    answer_working_days: str = "5"
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)

    def validate(self, *, new: bool) -> bool:
        self.code, self.name = self.code.strip(), self.name.strip()
        if new and not CODE_PATTERN.match(self.code):
            self.errors["code"] = _("代码只能包含字母、数字、下划线和连字符，1 到 32 个字符，例如 2025-pj。")
        if not self.name or len(self.name) > 100:
            self.errors["name"] = _("请填写名称（不超过 100 个字符）。")
        opens, closes = parse_date(self.opens_on), parse_date(self.closes_on)
        if opens is None:
            self.errors["opens_on"] = _("请填写开始日期，格式如 2025-01-01。")
        if closes is None:
            self.errors["closes_on"] = _("请填写结束日期，格式如 2025-12-31。")
        elif opens and closes < opens:
            self.errors["closes_on"] = _("结束日期不能早于开始日期。")
        values = {}
        for level in LEVEL_LABELS:
            value = parse_decimal(self.level_values.get(level, ""))
            if value is None or not (0 <= value <= 100):
                self.errors[f"level_{level}"] = _("分值必须是 0 到 100 之间的数。")
            values[level] = value
        public, panel = parse_decimal(self.public_weight), parse_decimal(self.panel_weight)
        if public is None or panel is None or not (0 <= public <= 1 and 0 <= panel <= 1):
            self.errors["weights"] = _("权重必须是 0 到 1 之间的小数。")
        elif public + panel != 1:
            self.errors["weights"] = _("公众与特邀评议代表的权重之和必须等于 1。")
        min_sample = parse_int(self.min_sample)
        if min_sample is None or min_sample < 1:
            self.errors["min_sample"] = _("最低样本量必须是正整数。")
        days = parse_int(self.answer_working_days)
        if days is None or not (1 <= days <= 60):
            self.errors["answer_working_days"] = _("答复期限必须是 1 到 60 个工作日。")
        if not self.errors:
            self.cleaned = {
                "code": self.code, "name": self.name, "opens_on": opens, "closes_on": closes,
                "level_values": {level: str(value) for level, value in values.items()},
                "public_weight": public, "panel_weight": panel, "min_sample": min_sample,
                "answer_working_days": days,
            }
        return not self.errors


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    """A period's settings as audit text, the same whatever each engine returns (JSON as
    text, 0.400 for 0.4), so that a save changing nothing records nothing."""

    def number(value: Any) -> str:
        return format(Decimal(str(value)).normalize(), "f")

    levels = values["level_values"]
    if isinstance(levels, str):
        levels = json.loads(levels)
    return {
        "name": values["name"], "opens_on": str(values["opens_on"]), "closes_on": str(values["closes_on"]),
        "level_values": {level: number(levels[level]) for level in LEVEL_LABELS},
        "public_weight": number(values["public_weight"]), "panel_weight": number(values["panel_weight"]),
        "min_sample": str(values["min_sample"]), "answer_working_days": str(values["answer_working_days"]),
    }


def _audit_view(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) if not isinstance(value, dict) else value for key, value in cleaned.items()}


async def create(actor: str, form: PeriodForm) -> bool:
    if not form.validate(new=True):
        return False
    async with write_transaction():
        if await EvaluationPeriod.exists().where(EvaluationPeriod.code == form.code):
            form.errors["code"] = _("代码 {code} 已被使用。").format(code=form.code)
            return False
        await EvaluationPeriod.insert(EvaluationPeriod(**form.cleaned, created_at=clock.now()))
        await reasons.ensure_default_reasons(actor)
        await audit.record(actor, "period.create", f"period:{form.code}", new=_audit_view(form.cleaned))
    return True


async def update(actor: str, code: str, form: PeriodForm) -> bool:
    form.code = code
    if not form.validate(new=False):
        return False
    async with write_transaction():
        row = await EvaluationPeriod.select().where(EvaluationPeriod.code == code).first()
        if row is None:
            raise PeriodError(_("找不到该评议期。"))
        changes = {key: value for key, value in form.cleaned.items() if key != "code"}
        await EvaluationPeriod.update(changes).where(EvaluationPeriod.id == row["id"])
        before, after = _comparable(row), _comparable(changes)
        old = {key: value for key, value in before.items() if value != after[key]}
        if old:
            await audit.record(actor, "period.update", f"period:{code}", old=old,
                               new={key: after[key] for key in old})
    return True


def form_for(period: Period) -> PeriodForm:
    return PeriodForm(
        code=period.code, name=period.name, opens_on=period.opens_on.isoformat(),
        closes_on=period.closes_on.isoformat(),
        level_values={level: str(value) for level, value in period.settings.level_values.items()},
        public_weight=str(period.settings.channel_weights[Channel.public.value]),
        panel_weight=str(period.settings.channel_weights[Channel.panel.value]),
        min_sample=str(period.settings.min_sample), answer_working_days=str(period.answer_working_days),
    )


STATUS_LABELS = {"upcoming": N_("未开始"), "open": N_("进行中"), "closed": N_("已结束")}


def status_of(period: Period, on: dt.date) -> str:
    """upcoming, open or closed on that day (a period runs to 24:00 of its close date)."""
    if on < period.opens_on:
        return "upcoming"
    return "open" if on <= period.closes_on else "closed"


# The office's list of reasons for a negative rating (PRODUCT.md §1). A reason is never
# deleted: old ratings keep pointing at it, so the office deactivates it instead.


# Index settings given to the command line as TOML (PRODUCT.md, Settled questions).

SETTINGS_KEYS = ("level_values", "public_weight", "panel_weight", "min_sample", "answer_working_days")
_CLI_FIELDS = {"code": "--code", "name": "--name", "opens_on": "--opens", "closes_on": "--closes",
               "weights": "public_weight/panel_weight", "min_sample": "min_sample",
               "answer_working_days": "answer_working_days",
               **{f"level_{level}": f"level_values.{level}" for level in LEVEL_LABELS}}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def apply_settings_toml(form: PeriodForm, text: str) -> None:
    """Puts the settings of a TOML file into the form, to be validated like typed input.
    Refuses (PeriodError, one line) bad TOML, unknown keys and values of the wrong kind."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PeriodError(_("设置文件不是有效的 TOML：{error}").format(error=error)) from error
    unknown = sorted(set(data) - set(SETTINGS_KEYS))
    if unknown:
        raise PeriodError(_("设置文件中有未知的项：{keys}（可用的项：{known}）。").format(
            keys=", ".join(unknown), known=", ".join(SETTINGS_KEYS)))
    if "level_values" in data:
        values = data["level_values"]
        if not isinstance(values, dict):
            raise PeriodError(_("level_values 必须是表，例如 {example}。").format(
                example="level_values = { very_satisfied = 100, satisfied = 80 }"))
        unknown = sorted(set(values) - set(LEVEL_LABELS))
        if unknown:
            raise PeriodError(_("level_values 中有未知的等级：{keys}（可用的等级：{known}）。").format(
                keys=", ".join(unknown), known=", ".join(LEVEL_LABELS)))
        for level, value in values.items():
            if not _is_number(value):
                raise PeriodError(_("{key} 必须是数字。").format(key=f"level_values.{level}"))
            form.level_values[level] = str(value)
    for key in ("public_weight", "panel_weight"):
        if key in data:
            if not _is_number(data[key]):
                raise PeriodError(_("{key} 必须是数字。").format(key=key))
            setattr(form, key, str(data[key]))
    for key in ("min_sample", "answer_working_days"):
        if key in data:
            if not isinstance(data[key], int) or isinstance(data[key], bool):
                raise PeriodError(_("{key} 必须是整数。").format(key=key))
            setattr(form, key, str(data[key]))


async def create_from_cli(actor: str, code: str, name: str, opens: str, closes: str,
                          settings_text: str | None = None) -> Period:
    """`pingyi period create`: the web form's rules, refusals joined into one line."""
    form = PeriodForm(code=code, name=name, opens_on=opens, closes_on=closes)
    if settings_text is not None:
        apply_settings_toml(form, settings_text)
    if not await create(actor, form):
        raise PeriodError("; ".join(f"{_CLI_FIELDS.get(key, key)}: {message}" for key, message in form.errors.items()))
    period = await find(form.code)
    assert period is not None
    return period


def _toml_number(value: Decimal) -> str:
    return format(value, "f")  # never 1E+2, which reads back as a float


def settings_toml(period: Period) -> str:
    """The period's settings in the layout `--settings FILE.toml` reads."""
    levels = ", ".join(f"{level} = {_toml_number(value)}" for level, value in period.settings.level_values.items())
    weights = period.settings.channel_weights
    return "\n".join([
        f"level_values = {{ {levels} }}",
        f"public_weight = {_toml_number(weights[Channel.public.value])}",
        f"panel_weight = {_toml_number(weights[Channel.panel.value])}",
        f"min_sample = {period.settings.min_sample}",
        f"answer_working_days = {period.answer_working_days}",
    ])
