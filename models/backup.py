"""Backup and restore of the whole program: every table, as a versioned, checksummed archive.

The archive is a zip holding `manifest.json` (format version, schema revision, when, row counts and a SHA-256 of
every table file) and one `tables/<name>.json` per table (rows as JSON: dates ISO, numbers as numbers). A restore
checks all of it before writing anything, refuses a damaged archive, one of a newer format or schema, and a database
that already holds data, then writes every row in one transaction. Password hashes travel as stored; nothing is
ever in clear.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table, func, inspect, select, text
from sqlalchemy.engine import Connection

from models.base import Base

FORMAT = "recoverystat-backup"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup cannot be written or an archive cannot be restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    """What an archive holds: schema revision and rows per table."""

    revision: str | None
    counts: dict[str, int]

    def text(self) -> str:
        """One line per table, for the command line."""
        lines = [f"schema revision {self.revision}"]
        lines += [f"  {name}: {count:,} rows" for name, count in self.counts.items()]
        return "\n".join(lines)


def _tables() -> list[Table]:
    """Every table of the program, parents before children (the order rows can be inserted in)."""
    # Every model module, so the metadata is complete whoever imported what before.
    import models.audit
    import models.catalog
    import models.feedback
    import models.followups
    import models.measurements
    import models.org
    import models.reminders  # noqa: F401
    from models.summary import DERIVED_TABLES

    # Kept evaluations and change stamps are rebuilt from the rest (triggers and the first read after a restore).
    return [table for table in Base.metadata.sorted_tables if table.name not in DERIVED_TABLES]


def _plain(value: Any) -> Any:
    """A database value as JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None when it was not made by the migrations)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def write_backup(conn: Connection, path: Path) -> BackupSummary:
    """Write every table to a new archive at `path` (refusing to overwrite one)."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; choose a new file name so no backup is overwritten.")
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for table in _tables():
        ordered = select(table).order_by(*table.primary_key.columns)
        rows = [{key: _plain(value) for key, value in row._mapping.items()} for row in conn.execute(ordered)]
        files[f"tables/{table.name}.json"] = json.dumps(rows, ensure_ascii=False, sort_keys=True,
                                                        separators=(",", ":")).encode()
        counts[table.name] = len(rows)
    revision = _revision(conn)
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_revision": revision,
                "tables": [t.name for t in _tables()], "counts": counts,
                "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        for name, data in files.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return BackupSummary(revision, counts)


def read_backup(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The manifest and rows of an archive, after checking its format, version and every checksum."""
    try:
        with zipfile.ZipFile(Path(path)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise BackupError(f"{path} is not a RecoveryStat backup.")
            if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
                raise BackupError(f"{path} was written by a newer RecoveryStat (format {manifest.get('format_version')}"
                                  f"); this one reads format {FORMAT_VERSION}. Restore it with the newer version.")
            rows: dict[str, list[dict[str, Any]]] = {}
            for name in manifest["tables"]:
                member = f"tables/{name}.json"
                data = archive.read(member)
                if hashlib.sha256(data).hexdigest() != manifest["sha256"].get(member):
                    raise BackupError(f"{path} is damaged: {member} does not match its checksum. Nothing was "
                                      "restored; use another copy of the backup.")
                rows[name] = json.loads(data)
                if len(rows[name]) != manifest["counts"].get(name):
                    raise BackupError(f"{path} is damaged: {member} has the wrong number of rows.")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        if isinstance(error, BackupError):
            raise
        raise BackupError(f"{path} cannot be read as a backup ({type(error).__name__}: {error}). Nothing was "
                          "restored.") from None
    return manifest, rows


def restore_backup(conn: Connection, path: Path) -> BackupSummary:
    """Restore an archive into an empty database at the same schema revision, in the caller's transaction."""
    manifest, rows = read_backup(path)
    revision = _revision(conn)
    if manifest.get("schema_revision") != revision:
        raise BackupError(f"The backup is at schema revision {manifest.get('schema_revision')}, the database at "
                          f"{revision}. Run `flask --app app db upgrade` (or use the matching version) first.")
    known = {t.name: t for t in _tables()}
    unknown = [name for name in rows if name not in known]
    if unknown:
        raise BackupError(f"The backup has tables this version does not know ({', '.join(unknown)}).")
    for table in known.values():
        if table.name == "data_version":
            continue
        if conn.execute(select(func.count()).select_from(table)).scalar():
            raise BackupError(f"The database is not empty (table {table.name} has rows). Restore into a new, "
                              "migrated database so nothing is mixed or overwritten.")
    conn.execute(known["data_version"].delete())
    for table in _tables():
        records = [_typed(table, row) for row in rows.get(table.name, [])]
        if records:
            conn.execute(table.insert(), records)
    if conn.dialect.name == "postgresql":
        # Rows came with their ids: move each id sequence past them so new rows do not collide.
        for table in _tables():
            for column in table.primary_key.columns:
                if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))
    return BackupSummary(manifest.get("schema_revision"), dict(manifest["counts"]))


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A JSON row with its dates and times turned back into Python values for the table's columns."""
    typed = dict(row)
    for column in table.columns:
        value = typed.get(column.name)
        if isinstance(value, str):
            if isinstance(column.type, DateTime):
                typed[column.name] = datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                typed[column.name] = date.fromisoformat(value)
    return typed
