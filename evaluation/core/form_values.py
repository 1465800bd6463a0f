"""Reading what a person typed into a form field: None when it is not a value of that kind,
so each form can say in its own words what is wrong.

Every text that enters the platform passes ``clean`` once, before anything reads it: form fields
and query strings (``web.CleanInputMiddleware``), the cells of an imported file
(``spreadsheets.read_rows``), the command line's arguments (``console.Parser``). Control
characters are removed, not refused: a NUL cannot be stored by PostgreSQL (and stored by SQLite
it spoils a backup for PostgreSQL), and the others are invisible, so nobody typed them on purpose
and nothing a person meant is lost. Tab and newline stay (a CR, alone or before LF, becomes a
newline: browsers send a textarea's lines as CRLF). The bidirectional overrides and isolates
(U+202A–U+202E, U+2066–U+2069) are removed too: shown raw they turn a page's text around
("txt.exe" read backwards).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

# C0 controls but tab and newline, DEL, C1 controls, the bidi embeddings, overrides and isolates.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def clean(text: str) -> str:
    """Text as the platform keeps it: control characters and bidi overrides removed, line ends as
    newlines."""
    if text.isprintable():
        return text  # no control character, no bidi override (both unprintable): most fields
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return UNSAFE_CHARACTERS.sub("", text)


def without_bidi(text: str) -> str:
    """What a page shows of any text, whatever the database holds (the templates' finalize step)."""
    return text.translate(_BIDI)


def at_most(text: str, limit: int) -> str:
    """A field's value as a refusal shows it again: never more than the field takes."""
    return text[:limit]


def parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        return None


def parse_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


# The largest integer the platform's columns hold: ids are Serial, a 32-bit INTEGER on PostgreSQL,
# and no count, year or version comes near it. A larger one names nothing, and the database
# drivers would fail on it (asyncpg: out of int32 range; sqlite3: OverflowError past 64 bits).
LARGEST_INTEGER = 2**31 - 1


def parse_int(text: str) -> int | None:
    try:
        value = int(text.strip())
    except (ValueError, AttributeError):
        return None
    return value if abs(value) <= LARGEST_INTEGER else None
