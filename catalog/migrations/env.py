"""Alembic environment: runs against the connection handed in by ``catalog.migrate``, or the
configured database when invoked from the ``alembic`` command line."""

from __future__ import annotations

from alembic import context

import catalog.models  # noqa: F401  (registers every table)
from catalog.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from config.settings import load_settings

    engine = make_engine(load_settings()["DATABASE_URL"])
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
