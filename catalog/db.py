"""The database base class and the session every layer shares.

Plain SQLAlchemy 2.0 rather than Flask-SQLAlchemy: the CLI, harvesters and benchmarks use the same
session without a request, and models stay free of Flask.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    MetaData,
    any_,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


def any_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` for a batch of ids. On PostgreSQL it is ``column = ANY(:array)``:
    one parameter, so a prepared statement keeps a plan that suits any batch (with a thousand
    ``IN`` parameters psycopg's prepared statements got a generic plan 25x slower)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def analyze(session: Session, *tables: str) -> None:
    """Refresh the planner's statistics of ``tables`` after a bulk load (PostgreSQL: the row
    counts it plans by; SQLite: ``PRAGMA optimize``, which analyses what needs it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))
    elif dialect == "sqlite":
        session.execute(text("PRAGMA analysis_limit=1000"))  # samples: bounded cost
        session.execute(text("PRAGMA optimize"))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas the catalog relies on (SQLite: WAL, foreign keys, busy wait)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Bulk inserts land at random places in B-trees keyed by random ids: 64 MB of page cache
    # (allocated only as used) keeps them in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


class Database:
    """Engines and a thread-scoped session.

    Inside an app context the session talks to that app's engine (so two apps in one process,
    as in tests, never share a database); outside one, to the engine last given to ``configure``.
    """

    def __init__(self) -> None:
        self._engine: Engine | None = None
        # Every app's engine, so a process that builds several apps (tests) can close them all.
        self.app_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
        database = self

        class _Session(Session):
            def get_bind(self, *args: Any, **kwargs: Any) -> Engine:
                return database.engine

        self.session = scoped_session(sessionmaker(class_=_Session, expire_on_commit=False))

    @property
    def engine(self) -> Engine:
        from flask import current_app, has_app_context

        if has_app_context() and "catalog_db" in current_app.extensions:
            return current_app.extensions["catalog_db"]
        if self._engine is None:
            raise RuntimeError("No database configured: call db.configure(url) or use an app.")
        return self._engine

    def configure(self, url: str, **engine_kwargs: Any) -> Engine:
        """Set the engine used outside an app context (scripts, benchmarks)."""
        self.session.remove()
        self._engine = make_engine(url, **engine_kwargs)
        return self._engine

    def init_app(self, app: Any) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        self.app_engines.add(engine)
        app.extensions["catalog_db"] = engine
        app.teardown_appcontext(lambda _exc: self.session.remove())


db = Database()
