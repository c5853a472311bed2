"""Which datasets an export covers: exactly the search's answer for the same parameters.

``/datasets.csv`` and ``/datasets.xlsx`` take the query string of ``/api/v1/datasets`` and the
search page (``q``, facet filters, ``sort``, ``include_withdrawn``), ask ``search_index`` for
every matching id in the search's order, and load the rows ``BATCH_SIZE`` at a time, so "download
these results" gives the hits, all of them, and 100k rows never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.models import Dataset, User
from search_index import IndexStore, SearchParams, search_ids

BATCH_SIZE = 500


def select_datasets(
    session: Session, store: IndexStore, params: SearchParams, viewer: User | None
) -> Iterator[Dataset]:
    """The datasets matching ``params`` for this viewer, in the search's order."""
    return datasets_by_ids(session, search_ids(store, session, params, viewer))


def datasets_by_ids(session: Session, ids: Iterable[str]) -> Iterator[Dataset]:
    """Datasets for ids in the given order (ids no longer in the database are skipped)."""
    batch: list[str] = []
    for dataset_id in ids:
        batch.append(dataset_id)
        if len(batch) >= BATCH_SIZE:
            yield from _load_batch(session, batch)
            batch = []
    if batch:
        yield from _load_batch(session, batch)


def _load_batch(session: Session, ids: list[str]) -> Iterator[Dataset]:
    query = (
        select(Dataset)
        .where(Dataset.id.in_(ids))
        .options(selectinload(Dataset.distributions), selectinload(Dataset.agency))
    )
    found = {d.id: d for d in session.scalars(query)}
    for dataset_id in ids:
        if dataset_id in found:
            yield found[dataset_id]
