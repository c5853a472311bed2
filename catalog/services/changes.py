"""Stamp every dataset write with the durable change sequence (``catalog.models.change``).

Write paths need not know: services send ``datasets_changed`` / ``datasets_deleted`` (and ORM
flushes of datasets and distributions are noticed too), the ids are collected on the session,
and when that session commits they are stamped inside the same transaction. A follower (the
search index of each web host) asks for what was stamped after the last value it holds.

Order: the value is taken in ``before_commit`` by ``UPDATE change_sequence SET value = value + 1
RETURNING value``. The row lock that UPDATE takes is held until the commit, so another writer
waits there and takes the next value only after this one committed: values become visible in
the order they were taken, and a follower that reads value S sees every stamp <= S. (A
PostgreSQL sequence hands values out at once, and transactions may commit them out of order:
a follower could step over a value that commits later.) Writers queue only for the stamp and
the commit itself, never for their whole transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from catalog import events
from catalog.models import ChangeSequence, Dataset, DatasetChange, Distribution

PENDING = "catalog_changes_pending"
STAMPED = "catalog_changes_stamped"
CHUNK = 2000
_connected = False


def connect() -> None:
    """Listen to dataset events and session commits (once per process)."""
    global _connected
    if _connected:
        return
    events.datasets_changed.connect(_on_event)
    events.datasets_deleted.connect(_on_event)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _connected = True


def _pending(session: Session) -> set[str]:
    return session.info.setdefault(PENDING, set())


def note(session: Session, ids: Iterable[str]) -> None:
    """Stamp these datasets when ``session`` commits, without an event (a service that rewrote
    a derived column of many datasets, and whose listeners must not run again)."""
    _pending(session).update(str(i) for i in ids)


def _on_event(_sender: Any, ids: Iterable[str] | None = None, session: Any = None, **_kw: Any):
    if not ids:
        return
    if session is None:
        from catalog.db import db

        session = db.session()
    _pending(session).update(str(i) for i in ids)


def _after_flush(session: Session, _context: Any) -> None:
    # ORM writes that sent no event (a script, a test) are stamped all the same.
    found = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Dataset) and obj.id:
            found.add(obj.id)
        elif isinstance(obj, Distribution) and obj.dataset_id:
            found.add(obj.dataset_id)
    if found:
        _pending(session).update(found)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: stamp when the whole transaction commits
        return
    session.flush()  # what is still unflushed adds ids (see _after_flush)
    ids = session.info.pop(PENDING, None)
    session.info.pop(STAMPED, None)
    if ids:
        session.info[STAMPED] = (*stamp(session.connection(), ids), frozenset(ids))


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(STAMPED, None)


def last_stamp(session: Session) -> tuple[str, int, frozenset[str]] | None:
    """(epoch, value, ids) stamped by the session's last commit, if it changed datasets."""
    return session.info.get(STAMPED)


def stamp(connection: Connection, ids: Iterable[str]) -> tuple[str, int]:
    """Take the next value and stamp these datasets with it; returns (epoch, value)."""
    epoch, value = _next_value(connection)
    rows = [{"dataset_id": i, "seq": value} for i in sorted(set(ids))]
    insert = _insert(connection, DatasetChange)
    upsert = insert.on_conflict_do_update(
        index_elements=["dataset_id"], set_={"seq": insert.excluded.seq}
    )
    for start in range(0, len(rows), CHUNK):
        connection.execute(upsert, rows[start : start + CHUNK])  # the driver's executemany
    return epoch, value


def _next_value(connection: Connection) -> tuple[str, int]:
    table = ChangeSequence.__table__
    bump = (
        update(table)
        .where(table.c.id == 1)
        .values(value=table.c.value + 1)
        .returning(table.c.epoch, table.c.value)
    )
    row = connection.execute(bump).first()
    if row is None:  # a new (or emptied) database: a new epoch
        _start_sequence(connection)
        row = connection.execute(bump).one()
    return row[0], row[1]


def _start_sequence(connection: Connection) -> None:
    statement = _insert(connection, ChangeSequence).values(
        id=1, value=0, epoch=secrets.token_hex(8)
    )
    connection.execute(statement.on_conflict_do_nothing(index_elements=["id"]))


def start_new_epoch(connection: Connection) -> None:
    """Every follower starts again (a restored database: its history may differ from what an
    index has seen under the same epoch)."""
    table = ChangeSequence.__table__
    connection.execute(update(table).where(table.c.id == 1).values(epoch=secrets.token_hex(8)))


def _insert(connection: Connection, model: type) -> Any:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"No change sequence for {dialect}")  # pragma: no cover


# -- reading (the search index's followers) ------------------------------------------------------


def head(connection: Connection, *, create: bool = False) -> tuple[str | None, int]:
    """(epoch, last value taken). ``create`` starts the sequence if the database has none yet
    (its own short transaction is the caller's to commit)."""
    table = ChangeSequence.__table__
    row = connection.execute(select(table.c.epoch, table.c.value).where(table.c.id == 1)).first()
    if row is None and create:
        _start_sequence(connection)
        row = connection.execute(
            select(table.c.epoch, table.c.value).where(table.c.id == 1)
        ).first()
    return (row[0], row[1]) if row is not None else (None, 0)


def count_since(connection: Connection, after: int, upto: int) -> int:
    """How many datasets were stamped with a value in (after, upto]."""
    table = DatasetChange.__table__
    return connection.scalar(
        select(func.count()).select_from(table).where(table.c.seq > after, table.c.seq <= upto)
    )


def changed_since(connection: Connection, after: int, upto: int) -> list[str]:
    """Ids stamped with a value in (after, upto]."""
    table = DatasetChange.__table__
    return list(
        connection.scalars(
            select(table.c.dataset_id)
            .where(table.c.seq > after, table.c.seq <= upto)
            .order_by(table.c.dataset_id)
        )
    )
