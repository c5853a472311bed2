"""Saving a harvest batch: bulk Core inserts for new datasets, the dataset services' semantics
(audit events labelled ``harvest:<source>``, one ``datasets_changed`` event per batch) kept.

Only fields the source supplies are written; governance fields never are. Updates go through the
ORM so the version counter moves; withdrawals are Core updates that increment ``version`` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from catalog import events
from catalog.models import (
    DCAT_FIELDS,
    GOVERNANCE_FIELDS,
    STATUS_ACTIVE,
    STATUS_WITHDRAWN,
    AuditEvent,
    Dataset,
    Distribution,
    HarvestJob,
    HarvestLink,
    HarvestRecord,
    HarvestSource,
)
from catalog.models._common import new_public_id, utcnow
from catalog.services.audit import diff, record_event
from catalog.services.datasets import DISTRIBUTION_FIELDS, parse_modified, snapshot
from harvesters.agencies import AgencyResolver

LIST_FIELDS = (
    "keyword",
    "theme",
    "language",
    "references",
    "bureau_code",
    "program_code",
    "columns",
)
CHUNK = 500


@dataclass
class Pending:
    identifier: str
    hash: str
    raw: dict[str, Any]
    data: dict[str, Any]
    problems: list[dict]
    payload: dict[str, Any]


@dataclass
class LinkState:
    link_id: int
    dataset_id: str
    hash: str
    owner: bool
    withdrawn_by_harvest: bool
    status: str


class BatchWriter:
    def __init__(
        self, session: Session, source: HarvestSource, job: HarvestJob, resolver: AgencyResolver
    ) -> None:
        self.session = session
        self.source = source
        self.job = job
        self.resolver = resolver
        self.actor = f"harvest:{source.name}"
        self.links: dict[str, LinkState] = {}
        rows = session.execute(
            select(
                HarvestLink.identifier,
                HarvestLink.id,
                HarvestLink.dataset_id,
                HarvestLink.hash,
                HarvestLink.owner,
                HarvestLink.withdrawn_by_harvest,
                Dataset.status,
            )
            .join(Dataset, Dataset.id == HarvestLink.dataset_id)
            .where(HarvestLink.source_id == source.id)
        )
        for ident, link_id, dataset_id, digest, owner, by_harvest, status in rows:
            self.links[ident] = LinkState(link_id, dataset_id, digest, owner, by_harvest, status)
        self.active_owned = sum(
            1 for s in self.links.values() if s.owner and s.status == STATUS_ACTIVE
        )
        self.adds: list[Pending] = []
        self.updates: list[tuple[Pending, LinkState]] = []
        self.records: list[dict[str, Any]] = []

    @property
    def size(self) -> int:
        return len(self.adds) + len(self.updates) + len(self.records)

    # -- per record ----------------------------------------------------------------------------

    def is_unchanged(self, identifier: str, digest: str) -> bool:
        state = self.links.get(identifier)
        if state is None or state.hash != digest:
            return False
        if state.withdrawn_by_harvest and state.status == STATUS_WITHDRAWN:
            return False  # it came back: reinstate
        self.job.unchanged += 1
        return True

    def fail(
        self, identifier: str | None, raw: dict, errors: list[dict], title: str | None
    ) -> None:
        self.job.failed += 1
        self.records.append(
            _record(self.job.id, identifier, None, "failed", None, raw, errors, title)
        )

    def save(self, pending: Pending) -> None:
        state = self.links.get(pending.identifier)
        if state is None:
            self.adds.append(pending)
        else:
            self.updates.append((pending, state))

    # -- per batch -----------------------------------------------------------------------------

    def flush(self) -> None:
        changed: list[str] = []
        if self.adds:
            changed += self._insert(self.adds)
        if self.updates:
            changed += self._update(self.updates)
        if self.records:
            self.session.execute(insert(HarvestRecord.__table__), self.records)
        self.session.flush()
        self.adds, self.updates, self.records = [], [], []
        if changed:
            events.datasets_changed.send("harvest", ids=changed, session=self.session)

    def _insert(self, adds: list[Pending]) -> list[str]:
        now = utcnow()
        taken: dict[str, str] = {}
        idents = [p.identifier for p in adds]
        for start in range(0, len(idents), CHUNK):
            taken.update(
                self.session.execute(
                    select(Dataset.identifier, Dataset.id).where(
                        Dataset.identifier.in_(idents[start : start + CHUNK])
                    )
                ).all()
            )
        datasets, distributions, audits, links = [], [], [], []
        created: list[str] = []
        for pending in adds:
            existing = taken.get(pending.identifier)
            if existing:  # the same dataset reached through another source: link it
                self.job.unchanged += 1
                links.append(self._link_row(pending, existing, owner=False))
                self.records.append(
                    _record(
                        self.job.id,
                        pending.identifier,
                        existing,
                        "linked",
                        pending.hash,
                        pending.raw,
                        pending.problems,
                        pending.data.get("title"),
                    )
                )
                continue
            data = pending.data
            dataset_id = new_public_id()
            agency_id = self.resolver.resolve(
                pending.payload.get("agency"),
                data.get("publisher_name"),
                pending.payload.get("attribution"),
            )
            row = {name: ([] if name in LIST_FIELDS else None) for name in DCAT_FIELDS}
            for name in DCAT_FIELDS:
                if name in data and data[name] is not None:
                    row[name] = data[name]
            row.update(
                id=dataset_id,
                identifier=pending.identifier,
                agency_id=agency_id,
                status=STATUS_ACTIVE,
                version=1,
                created_at=now,
                updated_at=now,
                withdrawn_at=None,
                modified_at=parse_modified(row["modified"]),
                access_level=row["access_level"] or "non-public",
            )
            datasets.append(row)
            dists = []
            for position, dist in enumerate(data.get("distribution") or []):
                values = {k: dist.get(k) for k in DISTRIBUTION_FIELDS}
                dists.append(values)
                distributions.append({"dataset_id": dataset_id, "position": position, **values})
            after = {name: row[name] for name in DCAT_FIELDS}
            after.update(
                agency=self.resolver.code(agency_id), status=STATUS_ACTIVE, distribution=dists
            )
            audits.append(self._audit("dataset.create", dataset_id, None, after, now))
            links.append(self._link_row(pending, dataset_id, owner=True))
            self.records.append(
                _record(
                    self.job.id,
                    pending.identifier,
                    dataset_id,
                    "added",
                    pending.hash,
                    pending.raw,
                    pending.problems,
                    row["title"],
                )
            )
            self.job.added += 1
            created.append(dataset_id)
        if datasets:
            self.session.execute(insert(Dataset.__table__), datasets)
        if distributions:
            self.session.execute(insert(Distribution.__table__), distributions)
        if audits:
            self.session.execute(insert(AuditEvent.__table__), audits)
        if links:
            self.session.execute(insert(HarvestLink.__table__), links)
        for pending, row in zip(adds, links, strict=True):
            self.links[pending.identifier] = LinkState(
                0, row["dataset_id"], pending.hash, row["owner"], False, STATUS_ACTIVE
            )
        return created

    def _update(self, updates: list[tuple[Pending, LinkState]]) -> list[str]:
        ids = [state.dataset_id for _pending, state in updates]
        loaded = {d.id: d for d in self.session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
        changed: list[str] = []
        for pending, state in updates:
            dataset = loaded.get(state.dataset_id)
            if dataset is None:
                continue
            before = snapshot(dataset)
            reinstate = state.withdrawn_by_harvest and dataset.status == STATUS_WITHDRAWN
            if state.owner:
                _apply_owned(dataset, pending.data)
            if reinstate:
                dataset.status = STATUS_ACTIVE
                dataset.withdrawn_at = None
            old, new = diff(before, snapshot(dataset))
            outcome = "updated" if new else "unchanged"
            if new:
                self.session.flush()
                action = "dataset.reinstate" if reinstate else "dataset.update"
                record_event(self.session, self.actor, action, "dataset", dataset.id, old, new)
                changed.append(dataset.id)
                self.job.updated += 1
            else:
                self.job.unchanged += 1
            self.session.execute(
                update(HarvestLink)
                .where(
                    HarvestLink.source_id == self.source.id,
                    HarvestLink.identifier == pending.identifier,
                )
                .values(hash=pending.hash, withdrawn_by_harvest=False, last_job_id=self.job.id)
            )
            state.hash, state.withdrawn_by_harvest, state.status = (
                pending.hash,
                False,
                dataset.status,
            )
            if new or pending.problems:
                self.records.append(
                    _record(
                        self.job.id,
                        pending.identifier,
                        dataset.id,
                        outcome,
                        pending.hash,
                        pending.raw,
                        pending.problems,
                        dataset.title,
                    )
                )
        return changed

    def withdraw_missing(self, seen: set[str]) -> None:
        """After a complete, successful gather: withdraw what this source owns and no longer
        lists."""
        gone = [(i, s) for i, s in self.links.items() if i not in seen]
        owned = [(i, s) for i, s in gone if s.owner and s.status == STATUS_ACTIVE]
        foreign = [s.link_id for _i, s in gone if not s.owner and s.link_id]
        now = utcnow()
        for start in range(0, len(owned), CHUNK):
            chunk = owned[start : start + CHUNK]
            ids = [s.dataset_id for _i, s in chunk]
            self.session.execute(
                update(Dataset)
                .where(Dataset.id.in_(ids), Dataset.status == STATUS_ACTIVE)
                .values(
                    status=STATUS_WITHDRAWN,
                    withdrawn_at=now,
                    updated_at=now,
                    version=Dataset.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            self.session.execute(
                update(HarvestLink)
                .where(HarvestLink.source_id == self.source.id, HarvestLink.dataset_id.in_(ids))
                .values(withdrawn_by_harvest=True, last_job_id=self.job.id)
            )
            self.session.execute(
                insert(AuditEvent.__table__),
                [
                    self._audit(
                        "dataset.withdraw",
                        d,
                        {"status": STATUS_ACTIVE},
                        {"status": STATUS_WITHDRAWN},
                        now,
                    )
                    for d in ids
                ],
            )
            self.session.execute(
                insert(HarvestRecord.__table__),
                [
                    _record(
                        self.job.id,
                        i,
                        s.dataset_id,
                        "withdrawn",
                        s.hash,
                        None,
                        [
                            {
                                "severity": "info",
                                "type": "withdrawn",
                                "field": None,
                                "message": "No longer listed by the source.",
                            }
                        ],
                        None,
                    )
                    for i, s in chunk
                ],
            )
            for _i, state in chunk:
                state.status, state.withdrawn_by_harvest = STATUS_WITHDRAWN, True
            self.job.withdrawn += len(chunk)
            events.datasets_changed.send("harvest", ids=ids, session=self.session)
        for start in range(0, len(foreign), CHUNK):
            self.session.execute(
                delete(HarvestLink).where(HarvestLink.id.in_(foreign[start : start + CHUNK]))
            )
        self.session.flush()
        self.session.expire_all()

    # -- rows ----------------------------------------------------------------------------------

    def _link_row(self, pending: Pending, dataset_id: str, owner: bool) -> dict[str, Any]:
        return {
            "source_id": self.source.id,
            "identifier": pending.identifier,
            "dataset_id": dataset_id,
            "hash": pending.hash,
            "owner": owner,
            "withdrawn_by_harvest": False,
            "last_job_id": self.job.id,
        }

    def _audit(self, action: str, dataset_id: str, before: Any, after: Any, now: Any) -> dict:
        return {
            "occurred_at": now,
            "actor_id": None,
            "actor_label": self.actor,
            "action": action,
            "entity_type": "dataset",
            "entity_id": dataset_id,
            "before": before,
            "after": after,
        }


def _apply_owned(dataset: Dataset, data: dict[str, Any]) -> None:
    """Write the fields the source supplies; leave the others (steward edits) and governance
    alone."""
    for name in DCAT_FIELDS:
        if name in data and name not in GOVERNANCE_FIELDS and name != "identifier":
            value = data[name]
            if value is None and name in LIST_FIELDS:
                value = []
            if getattr(dataset, name) != value:
                setattr(dataset, name, value)
    if "modified" in data:
        dataset.modified_at = parse_modified(dataset.modified)
    if "distribution" in data:
        new = [{k: d.get(k) for k in DISTRIBUTION_FIELDS} for d in data["distribution"] or []]
        old = [{k: getattr(d, k) for k in DISTRIBUTION_FIELDS} for d in dataset.distributions]
        if new != old:
            dataset.distributions = [Distribution(position=i, **d) for i, d in enumerate(new)]


def _record(
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
