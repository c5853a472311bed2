"""Per-dataset export fragments: each active dataset's entry in each catalog format, kept as text
so a whole catalog file is one ordered read of the table.

A change to datasets (``catalog.events.datasets_changed``) deletes their fragments in the same
transaction; ``refresh`` rebuilds whatever is missing or stale (a different dataset version, or a
different context: site address, agencies, fallback contact, mapping version) just before a
catalog file is assembled. So after one dataset changes, the next export rebuilds one fragment and
streams the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from catalog.dcat import rdf
from catalog.dcat.records import ExportContext, load_records
from catalog.dcat.v3 import to_v3
from catalog.dcat.v11 import export_v11
from catalog.models import STATUS_ACTIVE, Agency, Dataset, ExportFragment

# Bump when a mapping changes what it writes, so every stored fragment is rebuilt.
MAPPING_VERSION = "1"
BATCH = 500


def _json(build: Callable[[dict[str, Any], ExportContext], Any]) -> Callable[..., str]:
    return lambda record, ctx: json.dumps(build(record, ctx), ensure_ascii=False)


BUILDERS: dict[str, Callable[[dict[str, Any], ExportContext], str]] = {
    "v1.1": _json(export_v11),
    "v3": _json(to_v3),
    "ttl": rdf.turtle_fragment,
    "jsonld": rdf.jsonld_fragment,
}


def init_app(app: Any) -> None:
    from catalog import events

    events.datasets_changed.connect(_forget_changed)
    events.datasets_deleted.connect(_forget_changed)


def _forget_changed(
    _sender: Any, ids: list[str] | None = None, session: Any = None, **_kwargs: Any
) -> None:
    if not ids:
        return
    from catalog.db import db

    forget(session if session is not None else db.session, list(ids))


def forget(session: Session, ids: list[str]) -> None:
    """Drop the fragments of these datasets (they changed); the caller commits."""
    for start in range(0, len(ids), BATCH):
        session.execute(
            delete(ExportFragment).where(ExportFragment.dataset_id.in_(ids[start : start + BATCH]))
        )


def context_key(session: Session, ctx: ExportContext) -> str:
    """What fragments depend on besides their dataset."""
    agencies = session.execute(
        select(
            Agency.id, Agency.code, Agency.name, Agency.data_officer_name, Agency.data_officer_email
        ).order_by(Agency.id)
    ).all()
    text = repr((MAPPING_VERSION, ctx.key, [tuple(row) for row in agencies]))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def refresh(session: Session, fmt: str, ctx: ExportContext, key: str | None = None) -> int:
    """Build the missing or stale fragments of ``fmt``; returns how many. The caller commits."""
    key = key or context_key(session, ctx)
    current = and_(
        ExportFragment.dataset_id == Dataset.id,
        ExportFragment.format == fmt,
        ExportFragment.context == key,
        ExportFragment.version == Dataset.version,
    )
    missing = list(
        session.scalars(
            select(Dataset.id)
            .outerjoin(ExportFragment, current)
            .where(Dataset.status == STATUS_ACTIVE, ExportFragment.dataset_id.is_(None))
            .order_by(Dataset.id)
        )
    )
    build = BUILDERS[fmt]
    for start in range(0, len(missing), BATCH):
        records = load_records(session, missing[start : start + BATCH])
        rows = [
            {
                "dataset_id": r["id"],
                "format": fmt,
                "context": key,
                "version": r["version"],
                "body": build(r, ctx),
            }
            for r in records
        ]
        if rows:
            _upsert(session, rows)
    return len(missing)


def iter_bodies(session: Session, fmt: str, ctx: ExportContext) -> Iterator[str]:
    """The fragments of every active dataset in id order, refreshed first (caller commits
    before iterating, so the refreshed rows are kept even if the client goes away)."""
    key = context_key(session, ctx)
    query = (
        select(ExportFragment.body)
        .join(Dataset, Dataset.id == ExportFragment.dataset_id)
        .where(
            Dataset.status == STATUS_ACTIVE,
            ExportFragment.format == fmt,
            ExportFragment.context == key,
        )
        .order_by(ExportFragment.dataset_id)
        .execution_options(yield_per=2000)
    )
    for (body,) in session.execute(query):
        yield body


def active_ids(session: Session) -> Iterator[str]:
    yield from session.scalars(
        select(Dataset.id)
        .where(Dataset.status == STATUS_ACTIVE)
        .order_by(Dataset.id)
        .execution_options(yield_per=5000)
    )


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ExportFragment)) or 0


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, or replace what another request (or an older version) left for the same key."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ExportFragment)
    statement = statement.on_conflict_do_update(
        index_elements=["dataset_id", "format", "context"],
        set_={"version": statement.excluded.version, "body": statement.excluded.body},
    )
    session.execute(statement, rows)
