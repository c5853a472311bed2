"""The database base class and the session every layer shares.

Plain SQLAlchemy 2.0 rather than Flask-SQLAlchemy: the CLI, harvesters and benchmarks use the same
session without a request, and models stay free of Flask.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

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
    cursor.close()


class Database:
    """Holds the engine and a thread-scoped session; ``init_app`` binds them to an app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def configure(self, url: str, **engine_kwargs: Any) -> Engine:
        if self.engine is not None:
            self.session.remove()
            self.engine.dispose()
        self.engine = make_engine(url, **engine_kwargs)
        self.session.configure(bind=self.engine)
        return self.engine

    def init_app(self, app: Any) -> None:
        self.configure(app.config["DATABASE_URL"])
        app.teardown_appcontext(lambda _exc: self.session.remove())
        app.extensions["catalog_db"] = self


db = Database()
