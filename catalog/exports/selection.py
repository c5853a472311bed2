"""Which datasets an export covers, read in batches so 100k rows never sit in memory at once.

The seam with search: every export takes an *iterable of datasets*. Today
``select_datasets`` builds that iterable from the same filter parameters as
``/api/v1/datasets`` (``agency``, ``access_level``, ``q``, ``theme``, ``format``) with plain SQL;
``q`` is a simple all-words match on title, description and keywords. When the search index
offers a function returning matching ids, pass ``iter_datasets_by_ids(session, ids)`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from catalog.models import ACCESS_LEVELS, STATUS_ACTIVE, Agency, Dataset, Distribution

BATCH_SIZE = 500


@dataclass(frozen=True)
class DatasetFilters:
    """The filter parameters shared with ``/api/v1/datasets``."""

    q: str | None = None
    agency: str | None = None
    access_level: str | None = None
    theme: str | None = None
    format: str | None = None
    include_withdrawn: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> DatasetFilters:
        def text(name: str) -> str | None:
            value = (args.get(name) or "").strip()
            return value or None

        level = text("access_level")
        return cls(
            q=text("q"),
            agency=text("agency"),
            access_level=level if level in ACCESS_LEVELS else None,
            theme=text("theme"),
            format=text("format"),
            include_withdrawn=str(args.get("include_withdrawn", "")).lower() in ("1", "true"),
        )


def filtered_query(filters: DatasetFilters, *, anonymous: bool = True) -> Select:
    """``select(Dataset)`` narrowed by ``filters`` (no order).

    ``anonymous``: a format filter only looks at public datasets, whose distributions an
    anonymous visitor may see, so that it reveals nothing about non-public access paths.
    """
    query = select(Dataset)
    if not filters.include_withdrawn:
        query = query.where(Dataset.status == STATUS_ACTIVE)
    if filters.agency:
        agency_ids = select(Agency.id).where(Agency.code == filters.agency.upper())
        query = query.where(Dataset.agency_id.in_(agency_ids.scalar_subquery()))
    if filters.access_level:
        query = query.where(Dataset.access_level == filters.access_level)
    if filters.theme:
        query = query.where(json_list_contains(Dataset.theme, filters.theme))
    if filters.format:
        query = query.where(format_match(filters.format, anonymous=anonymous))
    if filters.q:
        query = query.where(text_match(filters.q))
    return query


def text_match(q: str) -> Any:
    """Every word of ``q`` appears in the title, description or keywords (case-insensitive)."""
    clauses = []
    for word in q.lower().split()[:10]:
        pattern = f"%{_escape_like(word)}%"
        clauses.append(
            or_(
                func.lower(Dataset.title).like(pattern, escape="\\"),
                func.lower(func.coalesce(Dataset.description, "")).like(pattern, escape="\\"),
                func.lower(cast(Dataset.keyword, String)).like(pattern, escape="\\"),
            )
        )
    return and_(*clauses) if clauses else True


def format_match(fmt: str, *, anonymous: bool = True) -> Any:
    """The dataset has a distribution in format ``fmt`` (or that media type)."""
    clause = exists().where(
        Distribution.dataset_id == Dataset.id,
        or_(
            func.lower(Distribution.format) == fmt.lower(),
            func.lower(Distribution.media_type) == fmt.lower(),
        ),
    )
    return and_(clause, Dataset.access_level == "public") if anonymous else clause


def json_list_contains(column: Any, value: str) -> Any:
    """A JSON list column holds ``value`` (string match on the serialised list; both dialects)."""
    import json

    quoted = json.dumps(value)  # '"health"' as stored in the JSON text
    return func.lower(cast(column, String)).like(f"%{_escape_like(quoted.lower())}%", escape="\\")


def select_datasets(
    session: Session, filters: DatasetFilters, *, anonymous: bool = True
) -> Iterator[Dataset]:
    """The matching datasets in a stable order, loaded ``BATCH_SIZE`` at a time."""
    query = filtered_query(filters, anonymous=anonymous).order_by(
        Dataset.agency_id, Dataset.title, Dataset.id
    )
    yield from iter_query(session, query)


def iter_query(session: Session, query: Select) -> Iterator[Dataset]:
    """Stream ORM rows with ``yield_per``; distributions arrive by one selectin query per batch."""
    result = session.scalars(query.execution_options(yield_per=BATCH_SIZE))
    yield from result


def iter_datasets_by_ids(session: Session, ids: Iterable[str]) -> Iterator[Dataset]:
    """Datasets for ids in the given order (the seam for search results)."""
    batch: list[str] = []
    for dataset_id in ids:
        batch.append(dataset_id)
        if len(batch) >= BATCH_SIZE:
            yield from _load_batch(session, batch)
            batch = []
    if batch:
        yield from _load_batch(session, batch)


def _load_batch(session: Session, ids: list[str]) -> Iterator[Dataset]:
    found = {d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
    for dataset_id in ids:
        if dataset_id in found:
            yield found[dataset_id]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
