"""Deployment settings, read from the environment in this one module.

Domain settings (weights, bands, deadlines …) are rows the office edits in the app,
not environment variables (PRODUCT.md, "Settled questions").
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    secret_key: str
    audit_key: str
    redis_url: str | None
    workers: int
    database_connections: int
    session_idle_minutes: int
    lockout_failures: int
    lockout_minutes: int
    sign_in_tries: int
    openapi_public: bool
    ratings_per_hour: int
    panel_code_tries: int
    questions_per_hour: int
    survey_responses_per_hour: int
    secure_cookies: bool
    debug: bool
    trusted_proxies: str
    public_url: str
    public_url_set: bool

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def uploads_dir(self) -> Path:
        return self.var_dir / "uploads"

    @property
    def audit_head_path(self) -> Path:
        """The head of the audit chain (sequence and hash), kept outside the database."""
        return Path(os.environ.get("PINGYI_AUDIT_HEAD", "").strip() or self.var_dir / "audit_head")


def _key(var_dir: Path, variable: str, file_name: str) -> str:
    """A key from the environment, or else generated once into ./var/ (readable by this user
    only) so that restarts and every worker agree on it."""
    if key := os.environ.get(variable, "").strip():
        return key
    path = var_dir / file_name
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load() -> Settings:
    var_dir = Path(os.environ.get("PINGYI_VAR_DIR", PROJECT_DIR / "var")).resolve()
    database_url = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{var_dir / 'pingyi.sqlite'}"
    if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise SystemExit("DATABASE_URL must start with sqlite:/// or postgresql://")
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        secret_key=_key(var_dir, "PINGYI_SECRET_KEY", "secret_key"),
        # The audit chain is keyed with what the database does not hold: access to the database
        # alone cannot recompute it (PRODUCT.md, Settled questions).
        audit_key=_key(var_dir, "PINGYI_AUDIT_KEY", "audit_key"),
        redis_url=os.environ.get("REDIS_URL", "").strip() or None,
        workers=_int("PINGYI_WORKERS", 1),
        # PostgreSQL connections each worker opens at most: workers × this must stay below the
        # server's max_connections (100 by default), with room for commands and backups.
        database_connections=max(2, _int("PINGYI_DB_CONNECTIONS", 10)),
        session_idle_minutes=_int("PINGYI_SESSION_IDLE_MINUTES", 30),
        lockout_failures=_int("PINGYI_LOCKOUT_FAILURES", 5),
        lockout_minutes=_int("PINGYI_LOCKOUT_MINUTES", 15),
        # Sign-ins per address per ten minutes, whatever the names: made-up names must not keep
        # the server hashing passwords all day.
        sign_in_tries=_int("PINGYI_SIGN_IN_TRIES", 30),
        openapi_public=_flag("PINGYI_OPENAPI_PUBLIC"),
        # A brake on ballot stuffing, high enough for many people behind one carrier address;
        # raise it for load tests on 127.0.0.1 (PRODUCT.md, Settled questions).
        ratings_per_hour=_int("PINGYI_RATINGS_PER_HOUR", 20),
        # Wrong codes per address per ten minutes: generous, for a meeting room behind one address;
        # with ~79 bits a code, no rate a person reaches makes guessing worth trying (panel.py).
        panel_code_tries=_int("PINGYI_PANEL_CODE_TRIES", 100),
        # Interview questions per client address per interview per hour: a brake, like the above.
        questions_per_hour=_int("PINGYI_QUESTIONS_PER_HOUR", 10),
        # Survey responses per client address per survey per hour: the same kind of brake.
        survey_responses_per_hour=_int("PINGYI_SURVEY_RESPONSES_PER_HOUR", 20),
        # Addresses of reverse proxies whose X-Forwarded-For is believed. Behind a proxy that
        # is not listed, every citizen would share the proxy's address and its rate limit.
        trusted_proxies=os.environ.get("PINGYI_TRUSTED_PROXIES", "").strip(),
        # The address citizens type or scan (panel slips, the codes workbook): a setting, never the
        # Host a request happened to carry (a clerk's desk may reach the server by an inner name).
        public_url=(os.environ.get("PINGYI_PUBLIC_URL", "").strip() or "http://127.0.0.1:8000").rstrip("/"),
        public_url_set=bool(os.environ.get("PINGYI_PUBLIC_URL", "").strip()),
        secure_cookies=_flag("PINGYI_SECURE_COOKIES"),
        debug=_flag("PINGYI_DEBUG"),
    )


settings = load()
