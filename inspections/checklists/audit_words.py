"""The checklists' rows of the audit trail in words (PRODUCT.md §4: who, when, old value, new
value): the unit's name and code, the round and the item rather than internal ids, and answers,
photos and review steps as the inspectors and the office say them rather than JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from evaluation.core.i18n import _
from evaluation.core.web import AuditWords
from inspections.checklists.scoring import as_decimal, format_points
from inspections.tables import CHECKLIST_STATUS_LABELS, Checklist

_TARGET = re.compile(r"^checklist:(\d+)(?::(.+))?$")


def _placeholders(values: list[Any]) -> str:
    return ", ".join("{}" for _value in values)


async def _checklists(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Checklist.raw(
        f"""
        SELECT c.id, d.name AS unit, d.code AS unit_code, r.code AS round_code, r.system
        FROM checklist c JOIN department d ON d.id = c.department JOIN inspection_round r ON r.id = c.round
        WHERE c.id IN ({_placeholders(ids)})
        """,
        *ids,
    ).run()
    return {row["id"]: row for row in rows}


async def _indicators(systems: list[int]) -> dict[tuple[int, str], dict[str, Any]]:
    rows = await Checklist.raw(
        f"SELECT system, code, title, kind FROM indicator WHERE system IN ({_placeholders(systems)})", *systems
    ).run()
    return {(row["system"], row["code"]): row for row in rows}


def _value(kind: str, value: Any) -> str:
    if value is None:
        return _("未作答")
    if kind == "veto":
        return _("触发") if as_decimal(value) == 1 else _("未触发")
    if kind == "deduct":
        return _("{n} 次").format(n=format_points(as_decimal(value)))
    return _("{value} 分").format(value=format_points(as_decimal(value)))


def _size(size: Any) -> str:
    kilobytes = max(1, round(int(size or 0) / 1024))
    return _("{n} KB").format(n=kilobytes) if kilobytes < 1024 else _("{n} MB").format(n=round(kilobytes / 1024, 1))


def _words(action: str, kind: str, side: Any) -> str:
    if side is None:
        return "—"
    if action == "checklist.answer":
        said = _value(kind, side.get("value"))
        note = side.get("note") or ""
        return said + (_("；备注：{note}").format(note=note) if note else "")
    if action == "checklist.photo":
        return _("照片 {name}（{size}）").format(name=side.get("original_name") or side.get("photo") or "",
                                             size=_size(side.get("size")))
    if "status" in side:
        label = CHECKLIST_STATUS_LABELS.get(side["status"])
        said = _(label) if label else str(side["status"])
        if side.get("comment"):
            said += _("；退回意见：{text}").format(text=side["comment"])
        if side.get("reason"):
            said += _("；原因：{text}").format(text=side["reason"])
        return said
    return json.dumps(side, ensure_ascii=False)


async def describe(entries: list[dict[str, Any]]) -> dict[int, AuditWords]:
    """Words for the entries about checklists and their items, by entry id; others are left out."""
    about: dict[int, tuple[int, str]] = {}
    for entry in entries:
        match = _TARGET.match(entry["target"] or "")
        if match and entry["action"].startswith("checklist."):
            about[entry["id"]] = (int(match.group(1)), match.group(2) or "")
    if not about:
        return {}
    checklists = await _checklists(sorted({checklist_id for checklist_id, _code in about.values()}))
    indicators = await _indicators(sorted({row["system"] for row in checklists.values()})) if checklists else {}
    words: dict[int, AuditWords] = {}
    for entry in entries:
        if entry["id"] not in about:
            continue
        checklist_id, code = about[entry["id"]]
        checklist = checklists.get(checklist_id)
        if checklist is None:
            continue
        target = _("{unit}（{code}）· {round}").format(unit=checklist["unit"], code=checklist["unit_code"],
                                                     round=checklist["round_code"])
        indicator = indicators.get((checklist["system"], code)) if code else None
        if code:
            target += " · " + (f"{code} {indicator['title']}" if indicator else code)
        kind = indicator["kind"] if indicator else ""
        old, new = (json.loads(value) if value else None for value in (entry["old_value"], entry["new_value"]))
        words[entry["id"]] = AuditWords(target, _words(entry["action"], kind, old), _words(entry["action"], kind, new))
    return words
