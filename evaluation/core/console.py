"""What every `pingyi` command shares: one line on bad input, the database opened and closed
around its work, who acted (audited as ``cli:<login name>``), and reading its files."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn


class CommandError(Exception):
    """Bad input or a refused operation: printed as one line, exit status 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"pingyi: {message} (see `pingyi --help`)\n")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        # Every argument passes the platform's one cleaning step, as a form field does
        # (evaluation/core/form_values.py): a name pasted with a control character is kept without it.
        from evaluation.core.form_values import clean

        parsed, rest = super().parse_known_args(args, namespace)
        for name, value in vars(parsed).items():
            if isinstance(value, str):
                setattr(parsed, name, clean(value))
        return parsed, rest


def actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = str(os.getuid())
    return f"cli:{user}"


def run(work: Callable[[], Awaitable[Any]], seal: bool = True) -> Any:
    """The command's database work in a loop of its own. What it wrote in the audit trail is
    sealed before it exits (no server may be running to do it); only the audit's own checks leave
    the chain as they found it."""
    from evaluation.core import audit, database, limits
    from piccolo_conf import DB

    async def wrapped() -> Any:
        try:
            result = await work()
            if seal:
                await audit.seal()
            return result
        finally:
            await limits.stop()
            await database.stop(DB)

    return asyncio.run(wrapped())


def existing_file(path_text: str) -> Path:
    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"找不到文件 no such file: {path}")
    return path


def settings_text(path_text: str | None) -> str | None:
    """A --settings TOML file's text, or None when the option was not given."""
    if not path_text:
        return None
    path = existing_file(path_text)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(f"设置文件须为 UTF-8 编码 not UTF-8: {path}") from error


def refuse_bad_rows(errors: list[str], what: str = "数据") -> None:
    """An import file refused whole: every problem on standard error, then the one line."""
    if errors:
        for message in errors:
            print(message, file=sys.stderr)
        raise CommandError(f"{len(errors)} 处问题，未导入任何{what} (nothing imported)")


def codes(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]
