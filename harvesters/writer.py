"""Gathers one harvest batch and hands it to the services that write it.

The harvester decides, per record, whether it is new, changed or unchanged (by hash, against the
source's links) and which agency it names; ``catalog.services.dataset_batch`` writes datasets
(scope, ownership, sign-off, audit, events) and ``catalog.services.harvest_links`` the links and
outcomes. Nothing here writes a table.

An inventory source of one agency writes only into that agency: a row naming another agency, or
an identifier of another agency's dataset, is a record error and changes nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from catalog.db import analyze
from catalog.models import STATUS_ACTIVE, STATUS_WITHDRAWN, HarvestJob, HarvestSource
from catalog.services import dataset_batch, harvest_links
from catalog.services.harvest_links import LinkState, record_row
from catalog.services.ownership import label, source_form
from harvesters.agencies import AgencyResolver

CHUNK = 1000
# Tables a harvest grows; their statistics are refreshed as they grow (PostgreSQL plans batch
# lookups by row counts: a plan made when a table was empty stays slow after 100,000 inserts).
ANALYZED_TABLES = (
    "dataset", "distribution", "harvest_link", "conformance_result", "field_override",
    "pending_change",
)  # fmt: skip
ANALYZE_FIRST = 2000


@dataclass
class Pending:
    identifier: str
    hash: str
    raw: dict[str, Any]
    data: dict[str, Any]
    problems: list[dict]
    payload: dict[str, Any]


def _held(fields: list[str]) -> dict[str, Any]:
    names = ", ".join(label(f) for f in fields)
    return {
        "severity": "info",
        "type": "pending-change",
        "field": None,
        "message": f"The source changed {names}: held for a steward's sign-off.",
    }


class BatchWriter:
    def __init__(
        self, session: Session, source: HarvestSource, job: HarvestJob, resolver: AgencyResolver
    ) -> None:
        self.session = session
        self.source = source
        self.job = job
        self.resolver = resolver
        self.actor = f"harvest:{source.name}"
        self.scope: set[int] | None = None
        if source.kind == "inventory" and source.agency_code:
            self.scope = {resolver.by_code[source.agency_code]}
        self.links: dict[str, LinkState] = harvest_links.source_links(session, source.id)
        self.active_owned = sum(
            1 for s in self.links.values() if s.owner and s.status == STATUS_ACTIVE
        )
        self.adds: list[Pending] = []
        self.updates: list[tuple[Pending, LinkState]] = []
        self.records: list[dict[str, Any]] = []
        self.written = 0
        self.analyze_at = max(ANALYZE_FIRST, len(self.links))

    @property
    def size(self) -> int:
        return len(self.adds) + len(self.updates) + len(self.records)

    # -- per record ----------------------------------------------------------------------------

    def is_unchanged(self, identifier: str, digest: str) -> bool:
        state = self.links.get(identifier)
        if state is None or state.hash != digest or state.withdrawn_by_harvest:
            return False  # new, changed, or listed again after this source withdrew it
        self.job.unchanged += 1
        return True

    def fail(
        self, identifier: str | None, raw: dict, errors: list[dict], title: str | None
    ) -> None:
        self.job.failed += 1
        self.records.append(
            record_row(self.job.id, identifier, None, "failed", None, raw, errors, title)
        )

    def save(self, pending: Pending) -> None:
        state = self.links.get(pending.identifier)
        if state is None:
            self.adds.append(pending)
        else:
            self.updates.append((pending, state))

    # -- per batch -----------------------------------------------------------------------------

    def flush(self) -> None:
        if self.adds:
            self._create(self.adds)
        if self.updates:
            self._update(self.updates)
        harvest_links.add_records(self.session, self.records)
        self.session.flush()
        self.written += len(self.adds) + len(self.updates)
        self.adds, self.updates, self.records = [], [], []
        if self.written >= self.analyze_at:  # at 2,000 written, then at 4x as many each time
            analyze(self.session, *ANALYZED_TABLES)
            self.analyze_at = self.written * 4

    def _says(self, pending: Pending, dataset_id: str | None = None) -> dataset_batch.SourceSays:
        agency_id = self.resolver.resolve(
            pending.payload.get("agency"),
            pending.data.get("publisher_name"),
            pending.payload.get("attribution"),
        )
        values = source_form(pending.data, self.resolver.code(agency_id))
        return dataset_batch.SourceSays(pending.identifier, values, agency_id, dataset_id)

    def _create(self, adds: list[Pending]) -> None:
        says = {p.identifier: self._says(p) for p in adds}
        result = dataset_batch.create_datasets(
            self.session, list(says.values()), self.actor, scope=self.scope
        )
        links = []
        for pending in adds:
            key = pending.identifier
            if key in result.refused:
                self._refuse(pending, result.refused[key])
                continue
            if key in result.saved:
                dataset_id, owner, outcome = result.saved[key], True, "added"
                self.job.added += 1
            else:  # the same dataset reached through another source first: link it
                dataset_id, owner, outcome = result.taken[key], False, "linked"
                self.job.unchanged += 1
            links.append(
                {
                    "source_id": self.source.id,
                    "identifier": key,
                    "dataset_id": dataset_id,
                    "hash": pending.hash,
                    "owner": owner,
                    "last_job_id": self.job.id,
                }
            )
            agency_id = says[key].agency_id  # (a linked dataset's agency: not used this run)
            state = LinkState(0, dataset_id, pending.hash, owner, False, STATUS_ACTIVE, agency_id)
            self.links[key] = state
            self._record(pending, dataset_id, outcome, pending.data.get("title"))
        harvest_links.add_links(self.session, links)

    def _update(self, updates: list[tuple[Pending, LinkState]]) -> None:
        owned = []  # a linked dataset (another source owns it) is only linked again
        for pending, state in updates:
            if state.owner:
                says = self._says(pending, state.dataset_id)
                says.reinstate = state.withdrawn_by_harvest
                owned.append(says)
        result = dataset_batch.update_from_source(
            self.session,
            owned,
            self.actor,
            source_id=self.source.id,
            job_id=self.job.id,
            scope=self.scope,
        )
        hashes = []
        for pending, state in updates:
            key = pending.identifier
            if key in result.refused:
                self._refuse(pending, result.refused[key])
                continue
            hashes.append((key, pending.hash))
            state.hash, state.withdrawn_by_harvest = pending.hash, False
            if key in result.proposed:
                pending.problems = [*pending.problems, _held(result.proposed[key])]
            if key in result.changed:
                self.job.updated += 1
                state.status = STATUS_ACTIVE if state.status == STATUS_WITHDRAWN else state.status
                self._record(pending, state.dataset_id, "updated", pending.data.get("title"))
            else:
                self.job.unchanged += 1
                if pending.problems:  # warnings are kept; the raw record only where it changed
                    self._record(pending, state.dataset_id, "unchanged", None, raw=False)
        harvest_links.refresh_links(self.session, self.source.id, self.job.id, hashes)

    def _refuse(self, pending: Pending, message: str) -> None:
        error = {"severity": "error", "type": "agency-scope", "field": "publisher"}
        self.fail(
            pending.identifier,
            pending.raw,
            [*pending.problems, {**error, "message": message}],
            pending.data.get("title"),
        )

    def _record(
        self, pending: Pending, dataset_id: str, outcome: str, title: Any, raw: bool = True
    ) -> None:
        self.records.append(
            record_row(
                self.job.id,
                pending.identifier,
                dataset_id,
                outcome,
                pending.hash,
                pending.raw if raw else None,
                pending.problems,
                title,
            )
        )

    def withdraw_missing(self, seen: set[str]) -> None:
        """After a complete, successful gather: withdraw what this source owns and no longer
        lists. A dataset a steward restored after this source withdrew it stays."""
        gone = [(i, s) for i, s in self.links.items() if i not in seen]
        owned = [
            (i, s)
            for i, s in gone
            if s.owner
            and s.status == STATUS_ACTIVE
            and not s.withdrawn_by_harvest
            and (self.scope is None or s.agency_id in self.scope)
        ]
        for start in range(0, len(owned), CHUNK):
            chunk = owned[start : start + CHUNK]
            by_id = {s.dataset_id: (i, s) for i, s in chunk}
            withdrawn = dataset_batch.withdraw_datasets(self.session, list(by_id), self.actor)
            harvest_links.mark_withdrawn(self.session, self.source.id, self.job.id, list(by_id))
            note = {
                "severity": "info",
                "type": "withdrawn",
                "field": None,
                "message": "No longer listed by the source.",
            }
            records = []
            for dataset_id in withdrawn:
                identifier, state = by_id[dataset_id]
                records.append(
                    record_row(
                        self.job.id, identifier, dataset_id, "withdrawn", state.hash, None, [note],
                        None,
                    )
                )  # fmt: skip
            harvest_links.add_records(self.session, records)
            for _i, state in chunk:
                state.status, state.withdrawn_by_harvest = STATUS_WITHDRAWN, True
            self.job.withdrawn += len(withdrawn)
        foreign = [s.link_id for _i, s in gone if not s.owner and s.link_id]
        harvest_links.remove_links(self.session, foreign)
        self.session.flush()
        self.session.expire_all()
