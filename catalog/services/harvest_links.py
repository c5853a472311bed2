"""What a harvest keeps about its source's records: the link of each record to its dataset (with
the hash that makes an unchanged record free) and the outcome of each record a job touched.

Bulk Core statements, written in the harvest's batch transaction; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from catalog.db import any_of
from catalog.models import Dataset, HarvestLink, HarvestRecord


@dataclass
class LinkState:
    link_id: int  # 0 for a link added by the running job
    dataset_id: str
    hash: str
    owner: bool
    withdrawn_by_harvest: bool
    status: str
    agency_id: int


def source_links(session: Session, source_id: int) -> dict[str, LinkState]:
    """Every record identifier of a source with its link and its dataset's status and agency."""
    rows = session.execute(
        select(
            HarvestLink.identifier,
            HarvestLink.id,
            HarvestLink.dataset_id,
            HarvestLink.hash,
            HarvestLink.owner,
            HarvestLink.withdrawn_by_harvest,
            Dataset.status,
            Dataset.agency_id,
        )
        .join(Dataset, Dataset.id == HarvestLink.dataset_id)
        .where(HarvestLink.source_id == source_id)
    )
    return {row[0]: LinkState(*row[1:]) for row in rows}


def add_links(session: Session, rows: list[dict[str, Any]]) -> None:
    """Rows of ``source_id, identifier, dataset_id, hash, owner, last_job_id``."""
    if rows:
        session.execute(
            insert(HarvestLink.__table__), [{"withdrawn_by_harvest": False, **r} for r in rows]
        )


def refresh_links(
    session: Session, source_id: int, job_id: int, hashes: list[tuple[str, str]]
) -> None:
    """Record the new hash of records seen again (and that they are listed again)."""
    if not hashes:
        return
    table = HarvestLink.__table__
    session.execute(
        update(table)
        .where(table.c.source_id == source_id, table.c.identifier == bindparam("b_identifier"))
        .values(hash=bindparam("b_hash"), withdrawn_by_harvest=False, last_job_id=job_id),
        [{"b_identifier": identifier, "b_hash": digest} for identifier, digest in hashes],
    )


def mark_withdrawn(session: Session, source_id: int, job_id: int, dataset_ids: list[str]) -> None:
    if dataset_ids:
        session.execute(
            update(HarvestLink)
            .where(
                HarvestLink.source_id == source_id,
                any_of(session, HarvestLink.dataset_id, dataset_ids),
            )
            .values(withdrawn_by_harvest=True, last_job_id=job_id)
            .execution_options(synchronize_session=False)
        )


def remove_links(session: Session, link_ids: list[int]) -> None:
    if link_ids:
        session.execute(
            delete(HarvestLink)
            .where(any_of(session, HarvestLink.id, link_ids))
            .execution_options(synchronize_session=False)
        )


def add_records(session: Session, rows: list[dict[str, Any]]) -> None:
    """Outcome rows (``job_id, identifier, dataset_id, outcome, hash, raw, errors, title``)."""
    if rows:
        session.execute(insert(HarvestRecord.__table__), rows)


def record_row(
    job_id: int,
    identifier: str | None,
    dataset_id: str | None,
    outcome: str,
    digest: str | None,
    raw: Any,
    errors: list[dict],
    title: str | None,
) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "identifier": identifier,
        "dataset_id": dataset_id,
        "outcome": outcome,
        "hash": digest,
        "raw": raw,
        "errors": errors,
        "title": (title or None) and str(title)[:2000],
    }
