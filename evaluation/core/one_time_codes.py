"""One-time codes printed on paper slips and typed on phones: the rating panel's codes and the
surveys' invitation codes."""

from __future__ import annotations

import secrets
import unicodedata

# No 0/O, 1/I/L: codes are typed from paper by people of every age.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16  # 31^16 ≈ 2^79: guessing is hopeless, and guesses are rate limited too


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize(text: str) -> str:
    """Full-width characters (a Chinese input method), lower case, spaces and any kind of dash
    are forgiven."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Pd")
