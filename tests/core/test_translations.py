"""The translation catalogues keep up with the code.

Messages are extracted from the source exactly as `make messages` does (babel.cfg is read here
too, so both use one mapping), then checked against the English catalogue and its compiled .mo.
The message ids are the Simplified Chinese text, so zh_CN needs no translations of its own.
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "babel.cfg"
EN_PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")
REFRESH = (
    "Run `make messages`, translate the new or changed entries in locale/en/LC_MESSAGES/messages.po, "
    "then run `make messages` again to compile them (commit the .po and the .mo)."
)
SHOWN = 20  # at most this many offenders are listed in a failure


@dataclass(frozen=True)
class Extracted:
    msgid: str | tuple[str, ...]
    context: str | None
    where: str

    @property
    def singular(self) -> str:
        return self.msgid if isinstance(self.msgid, str) else self.msgid[0]


def _extract() -> Iterator[Extracted]:
    with MAPPING.open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING))
    for filename, lineno, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        yield Extracted(message, context, f"{filename}:{lineno}")


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str | None], Extracted]:
    """One entry per message id (and context), at the first place it appears."""
    found: dict[tuple[str, str | None], Extracted] = {}
    for message in _extract():
        found.setdefault((message.singular, message.context), message)
    assert found, "no messages were extracted: is babel.cfg still mapping evaluation/, inspections/ and templates/?"
    return found


@pytest.fixture(scope="module")
def english() -> Catalog:
    assert EN_PO.exists(), f"{EN_PO.relative_to(ROOT)} is missing. {REFRESH}"
    with EN_PO.open("rb") as po:
        return read_po(po, locale="en")


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _is_translated(message: Message | None) -> bool:
    """Translated, and so compiled: `pybabel compile` leaves fuzzy entries out of the .mo."""
    if message is None or message.fuzzy:
        return False
    forms = _forms(message.string)
    return bool(forms) and all(form.strip() for form in forms)


def _placeholders(text: str) -> set[str]:
    """The `{name}` fields of a str.format template, with any conversion and format spec."""
    fields = set()
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            fields.add("{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
    return fields


def _listing(lines: list[str]) -> str:
    shown = "\n".join(f"  {line}" for line in lines[:SHOWN])
    more = f"\n  … and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    return shown + more


def test_every_message_has_an_english_translation(extracted, english):
    missing = [
        f"{message.where}: {message.singular!r}"
        for (msgid, context), message in sorted(extracted.items(), key=lambda item: item[1].where)
        if not _is_translated(english.get(msgid, context))
    ]
    assert not missing, (
        f"{len(missing)} message(s) in the code have no English translation (missing, empty or fuzzy) "
        f"in locale/en/LC_MESSAGES/messages.po:\n{_listing(missing)}\n{REFRESH}"
    )


def test_the_compiled_english_catalogue_matches_its_source(english):
    assert EN_MO.exists(), f"{EN_MO.relative_to(ROOT)} is missing. {REFRESH}"
    with EN_MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for message in english:
        if not message.id:
            continue  # the header
        translated = _is_translated(message)
        if message.pluralizable:
            singular, plural = message.id
            forms = _forms(message.string)
            for n, index in ((1, 0), (2, 1)):
                expected = forms[index] if translated else (singular if n == 1 else plural)
                if message.context:
                    got = compiled.npgettext(message.context, singular, plural, n)
                else:
                    got = compiled.ngettext(singular, plural, n)
                if got != expected:
                    stale.append(f"{singular!r} (n={n}): .po has {expected!r}, .mo has {got!r}")
        else:
            expected = message.string if translated else message.id
            got = compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)
            if got != expected:
                stale.append(f"{message.id!r}: .po has {expected!r}, .mo has {got!r}")
    assert not stale, (
        f"locale/en/LC_MESSAGES/messages.mo is out of date with its .po in {len(stale)} message(s):\n"
        f"{_listing(stale)}\nRun `make messages` (or `.venv/bin/pybabel compile -d locale`) and commit the .mo."
    )


def test_english_translations_keep_every_placeholder(english):
    broken = []
    for message in english:
        if not message.id or not _is_translated(message):
            continue
        try:
            wanted = set().union(*(_placeholders(form) for form in _forms(message.id)))
        except ValueError:
            continue  # braces in the Chinese text that are not fields: never passed to .format()
        if not wanted:
            continue
        for form in _forms(message.string):
            try:
                found = _placeholders(form)
            except ValueError as exc:  # unbalanced braces: .format() would raise on this text
                broken.append(f"{_forms(message.id)[0]!r} → {form!r}: {exc}")
                continue
            if found != wanted:
                problems = []
                if lost := sorted(wanted - found):
                    problems.append("missing " + ", ".join(lost))
                if extra := sorted(found - wanted):
                    problems.append("unknown " + ", ".join(extra))
                broken.append(f"{_forms(message.id)[0]!r} → {form!r}: {'; '.join(problems)}")
    assert not broken, (
        f"{len(broken)} English translation(s) do not keep the {{placeholders}} of their message id, "
        f"so .format() would fail or drop a value:\n{_listing(broken)}\n"
        "Fix them in locale/en/LC_MESSAGES/messages.po, then run `make messages`."
    )
