"""``pingyi backup`` / ``pingyi restore``: every row and every stored file, in one archive.

The archive is engine-neutral (JSON lines per table), so a backup taken on SQLite restores
into PostgreSQL and back. Rows are read in one snapshot while the server keeps running.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import tarfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine.finder import engine_finder
from piccolo.table import Table, sort_table_classes

from evaluation.core import audit, clock
from evaluation.core.database import is_postgres, triggers_set_aside, write_transaction

FORMAT = "pingyi-backup/1"
BATCH = 500


class BackupError(Exception):
    """A refusal with a message fit for the command line."""


def all_tables() -> list[type[Table]]:
    return sort_table_classes(Finder().get_table_classes())


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


_DECODERS = {
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$decimal": Decimal,
    "$uuid": uuid.UUID,
    "$bytes": base64.b64decode,
}


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        key = next(iter(obj))
        if key in _DECODERS:
            return _DECODERS[key](obj[key])
    return obj


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


async def _applied_migrations() -> list[str]:
    rows = await Migration.select(Migration.app_name, Migration.name).order_by(Migration.id)
    return [f"{row['app_name']}:{row['name']}" for row in rows]


async def backup(target: Path, uploads_dir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    tables = all_tables()
    partial = target.with_name(target.name + ".partial")
    # The archive holds password hashes: readable by this user only, from its first byte.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        # One read transaction: every table is read from the same snapshot.
        async with engine_finder().transaction():
            if is_postgres():
                await Migration.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").run()
            migrations = await _applied_migrations()
            for table in tables:
                name = table._meta.tablename
                lines: list[str] = []
                last_id = None
                pk = table._meta.primary_key
                while True:
                    query = table.select().order_by(pk).limit(BATCH)
                    if last_id is not None:
                        query = query.where(pk > last_id)
                    rows = await query
                    if not rows:
                        break
                    lines.extend(json.dumps(row, default=_encode, ensure_ascii=False) for row in rows)
                    last_id = rows[-1][pk._meta.name]
                counts[name] = len(lines)
                _add_bytes(archive, f"tables/{name}.jsonl", ("\n".join(lines) + "\n" if lines else "").encode())
        files = sorted(path for path in uploads_dir.rglob("*") if path.is_file()) if uploads_dir.exists() else []
        for path in files:
            archive.add(path, arcname=f"files/{path.relative_to(uploads_dir).as_posix()}", recursive=False)
        manifest = {
            "format": FORMAT,
            "created_at": clock.format_local(clock.now()),
            "migrations": migrations,
            "tables": counts,
            "files": len(files),
        }
        _add_bytes(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    partial.replace(target)
    counts["files"] = len(files)
    return counts


async def restore(source: Path, uploads_dir: Path) -> dict[str, int]:
    if not source.exists():
        raise BackupError(f"no such file: {source}")
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"not a Pingyi backup archive: {source}") from exc
    with archive:
        try:
            manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
        except (KeyError, AttributeError, ValueError) as exc:
            raise BackupError("the archive has no readable manifest.json") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        if manifest["migrations"] != await _applied_migrations():
            raise BackupError(
                "the database schema differs from the backup's: run `pingyi migrate` on an empty database"
            )
        tables = all_tables()
        for table in tables:
            if await table.count():
                raise BackupError(f"the database is not empty (table {table._meta.tablename} has rows)")
        counts: dict[str, int] = {}
        # Rows are written back as they were: guards that refuse such writes in the app's life (a
        # sealed audit row's insert, any change of a published ranking) step aside meanwhile.
        async with write_transaction(), triggers_set_aside([table._meta.tablename for table in tables]):
            for table in tables:
                name = table._meta.tablename
                member = archive.extractfile(f"tables/{name}.jsonl")
                if member is None:
                    raise BackupError(f"table {name} is missing from the archive")
                rows = [json.loads(line, object_hook=_decode) for line in member.read().decode().splitlines() if line]
                for start in range(0, len(rows), BATCH):
                    batch = rows[start : start + BATCH]
                    await table.insert(*[table(_ignore_missing=True, **row) for row in batch])
                counts[name] = len(rows)
                if is_postgres() and rows:
                    pk = table._meta.primary_key._meta.db_column_name
                    await table.raw(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{pk}'), "
                        f"(SELECT MAX(\"{pk}\") FROM \"{name}\"))"
                    )
        restored_files = 0
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("files/"):
                relative = Path(member.name.removeprefix("files/"))
                if relative.is_absolute() or ".." in relative.parts:
                    raise BackupError(f"unsafe file name in archive: {member.name}")
                destination = uploads_dir / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as handle:  # type: ignore[union-attr]
                    destination.write_bytes(handle.read())
                restored_files += 1
        counts["files"] = restored_files
    # The chain's head, kept outside the database, is the restored chain's from now on.
    audit.reset_head(await audit.chain_head())
    return counts
