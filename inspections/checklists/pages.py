"""The checklists' part of every page (wired in app.py)."""

from __future__ import annotations

from evaluation.core.accounts import SignedIn
from evaluation.core.tables import Role


def keeps_work_offline(account: SignedIn | None) -> bool:
    """Inspectors fill checklists with no network: their unsent work goes out from any page."""
    return account is not None and account.may(Role.inspector)
