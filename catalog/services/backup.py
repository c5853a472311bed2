"""Backup and restore of every table (records and the audit trail) as gzipped JSON lines.

The search index is not backed up: it is derived, and rebuilt from the database after a restore.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import Date, DateTime, LargeBinary, func, insert, select
from sqlalchemy.engine import Engine

from catalog.db import Base
from catalog.errors import ServiceError
from catalog.migrate import upgrade_database
from catalog.services.changes import start_new_epoch

FORMAT = "ct-data-catalog-backup/1"
BATCH = 2000


def backup_database(engine: Engine, path: Path) -> dict[str, int]:
    """Write every table to ``path``; returns the row count per table."""
    counts: dict[str, int] = {}
    with engine.connect() as conn, gzip.open(path, "wt", encoding="utf-8") as out:
        revision = MigrationContext.configure(conn).get_current_revision()
        out.write(json.dumps({"format": FORMAT, "revision": revision}) + "\n")
        for table in Base.metadata.sorted_tables:
            counts[table.name] = 0
            order = list(table.primary_key.columns) or list(table.columns)
            result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
            for row in result.mappings():
                record = {key: _dump(value) for key, value in row.items()}
                out.write(json.dumps({"t": table.name, "r": record}) + "\n")
                counts[table.name] += 1
    return counts


def restore_database(engine: Engine, path: Path) -> dict[str, int]:
    """Load a backup into an empty database (the schema is created or upgraded first)."""
    upgrade_database(engine)
    tables = Base.metadata.tables
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise ServiceError(
                    f"The database is not empty (table {table.name} has rows); "
                    "restore only into an empty database."
                )
        counts = dict.fromkeys(tables, 0)
        lines = _read(path)
        header = next(lines)
        if header.get("format") != FORMAT:
            raise ServiceError(f"{path} is not a catalog backup ({FORMAT}).")
        pending: dict[str, list[dict]] = {}
        for line in lines:
            name = line["t"]
            if name not in tables:
                raise ServiceError(f"The backup has a table this version does not know: {name}.")
            pending.setdefault(name, []).append(_load_row(tables[name], line["r"]))
            if len(pending[name]) >= BATCH:
                _flush(conn, tables, pending, counts)
        _flush(conn, tables, pending, counts)
        start_new_epoch(conn)  # search indexes rebuild from what was restored
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return counts


def _flush(conn: Any, tables: Any, pending: dict[str, list[dict]], counts: dict) -> None:
    # Tables come out of the backup in dependency order, so inserting in that order is safe.
    for table in Base.metadata.sorted_tables:
        rows = pending.pop(table.name, None)
        if rows:
            conn.execute(insert(tables[table.name]), rows)
            counts[table.name] += len(rows)


def _read(path: Path) -> Iterator[dict]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
    except (OSError, json.JSONDecodeError) as exc:
        raise ServiceError(f"Cannot read backup {path}: {exc}") from None


def _dump(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _load_row(table: Any, record: dict[str, Any]) -> dict[str, Any]:
    row = {}
    for column in table.columns:
        value = record.get(column.name)
        if value is not None:
            if isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                value = date.fromisoformat(value)
            elif isinstance(column.type, LargeBinary):
                value = base64.b64decode(value)
        row[column.name] = value
    return row


def _reset_sequences(conn: Any) -> None:
    """After explicit ids were inserted, move PostgreSQL sequences past them."""
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and column.type.python_type is int
            ):
                highest = select(func.max(column)).scalar_subquery()
                sequence = func.pg_get_serial_sequence(table.name, column.name)
                conn.execute(select(func.setval(sequence, func.coalesce(highest, 0) + 1, False)))
