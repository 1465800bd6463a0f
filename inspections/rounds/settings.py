"""A round's own settings (PRODUCT.md §5, Settled questions): the form the office fills, the
same settings given to the command line as TOML, creating and changing a round.

The index settings (level values, channel weights, minimum sample) are the evaluation period's;
the round keeps the public weight, 折算, the rule below the sample floor, the bonus cap, the grade
bands and the 优秀 quota.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from evaluation.core import audit, clock
from evaluation.core.database import write_transaction
from evaluation.core.form_values import parse_date, parse_decimal, parse_int
from evaluation.core.i18n import _
from evaluation.ratings import periods
from inspections.rounds.rounds import (
    BELOW_SAMPLE_LABELS,
    CODE_PATTERN,
    Round,
    RoundError,
    round_row,
    stored_bands,
)
from inspections.tables import (
    IndicatorSystem,
    InspectionRound,
    RoundStatus,
)

DEFAULT_BANDS: list[tuple[str, Decimal]] = [
    ("优秀", Decimal("90")), ("良好", Decimal("80")), ("合格", Decimal("60")), ("不合格", Decimal("0")),
]


MAX_BAND_NAME = 20


def _number(value: Decimal) -> str:
    """0.5, 20, 90: never 20.00 or 9E+1."""
    text = format(Decimal(value).normalize(), "f")
    return text


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
        "grade_bands": [[name, _number(lower)] for name, lower in stored_bands(values["grade_bands"])],
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
    if cleaned["period"] is not None and await periods.by_id(cleaned["period"]) is None:
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


SETTINGS_KEYS = ("public_weight", "convert_score", "below_sample", "bonus_cap", "grade_bands", "excellent_quota")


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
