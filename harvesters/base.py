"""The base class that owns a harvest run: gather -> compare by hash -> transform -> validate ->
save -> report. Each source kind only says how to list its records and how to map one to DCAT-US.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from catalog import events
from catalog.errors import InvalidInput
from catalog.guards.text import scrub
from catalog.models import HarvestJob, HarvestSource
from catalog.models._common import utcnow
from catalog.models.harvest import JOB_FAILED, JOB_SUCCEEDED
from catalog.services.datasets import validate_dataset
from catalog.services.harvest_jobs import JobConflict, recorded_identifiers, start_job
from harvesters.agencies import AgencyResolver
from harvesters.http import FetchError, HttpClient
from harvesters.normalise import normalise_payload
from harvesters.writer import BatchWriter, Pending

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
# Batches smaller than this are validated in-process (a pool only pays off on big harvests).
POOL_MIN_BATCH = 500
# Fields a source may lack: the record is kept and conformance flags the gap.
# Schema field names (not DCAT keys) a source may lack; a missing accessLevel is saved non-public.
PARTIAL = ("description", "contactPoint", "rights", "access_level")
# DCAT-US 1.1 required fields (non-federal): a missing one is a warning on the record.
DCAT_REQUIRED = ("description", "keyword", "modified", "publisher", "contactPoint", "accessLevel")
FATAL_FIELDS = ("title", "identifier", "_schema")
# Problems the annotated spreadsheet leaves out: a DCAT-US field the mapping has no column for is
# not something the steward can fix in a row.
UNFLAGGED = ("missing-field",)


class Outcome(enum.StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"
    LINKED = "linked"  # reached through another source first; linked, counted as unchanged


class HarvestFailed(Exception):
    """The job cannot go on (bad source, partial gather): it fails and withdraws nothing."""


class JobLost(Exception):
    """This process's job was found dead (no heartbeat) and handed to another worker."""


def start_job_or_fail(session: Session, source: HarvestSource, **kwargs: Any) -> HarvestJob:
    """Start a job of ``source`` in this process; ``HarvestFailed`` when one is active."""
    try:
        return start_job(session, source, **kwargs)
    except JobConflict as exc:
        raise HarvestFailed(exc.message) from exc


@dataclass
class SourceRecord:
    """One record as listed by the source: its identifier and the raw JSON-able dict."""

    identifier: str | None
    raw: dict[str, Any]
    # Set by gatherers that already know a record is bad (e.g. an unreadable spreadsheet row).
    errors: list[dict[str, Any]] = field(default_factory=list)
    row: int | None = None


def issue(severity: str, type_: str, message: str, field_name: str | None = None) -> dict:
    return {"severity": severity, "type": type_, "field": field_name, "message": message}


class Harvester:
    """Subclasses set ``kind`` and implement ``gather`` and ``transform``."""

    kind: ClassVar[str] = ""
    # Identifiers earlier attempts of a resumed job recorded (set by ``run``).
    resumed: set[str] | frozenset[str] = frozenset()
    # Bumped when a transform changes, so that every record is re-mapped on the next run.
    version: ClassVar[str] = "1"

    def __init__(
        self, source: HarvestSource, http: HttpClient | None = None, config: Any = None
    ) -> None:
        self.source = source
        self.http = http or HttpClient()
        self.config = config or {}
        # Gatherers set this when the source states how many records it has.
        self.expected_total: int | None = None
        # During ``run``: the job's session, and why the gather failed (None: it was complete).
        self.session: Session | None = None
        self.gather_error: str | None = None

    # -- what each kind provides ---------------------------------------------------------------

    def gather(self) -> Iterator[SourceRecord]:
        raise NotImplementedError

    def transform(self, raw: dict[str, Any]) -> dict[str, Any]:
        """A DCAT-US 1.1 payload (camelCase keys) for one raw record."""
        raise NotImplementedError

    def finish(self, job: HarvestJob, failures: dict[int, list[dict]]) -> None:
        """Called after the records are saved (inventories write their annotated copy here)."""

    # -- the lifecycle -------------------------------------------------------------------------

    def hashed_form(self, raw: dict[str, Any]) -> Any:
        """What a record's hash covers (inventories add their mapping)."""
        return raw

    def fingerprint(self, raw: dict[str, Any]) -> tuple[str, bool]:
        """The hash of the normalised record, and whether it may hold text the database cannot
        store (NUL, or a ``\\udXXX`` escape: a lone surrogate, or a pair, which is fine)."""
        text = json.dumps(self.hashed_form(raw), sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha1(text.encode(), usedforsecurity=False)
        digest.update(self.version.encode())
        return digest.hexdigest(), "\\u0000" in text or "\\ud" in text

    def run(
        self,
        session: Session,
        *,
        job: HarvestJob | None = None,
        config_dir: Any = None,
        progress: Callable[[int, int | None], None] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> HarvestJob:
        """Run one job to the end and return it (status succeeded or failed). Commits in batches."""
        if job is None:  # called directly (tests, scripts): start a job in this process
            job = start_job_or_fail(session, self.source)
        # A resumed job (its first worker died) skips what earlier attempts already recorded.
        self.resumed = recorded_identifiers(session, job)
        self.session = session
        resolver = AgencyResolver(session, config_dir, self.source.agency_code)
        writer = BatchWriter(session, self.source, job, resolver)
        seen: set[str] = set()
        failures: dict[int, list[dict]] = {}
        gathered = 0
        error: str | None = None
        candidates: list[Candidate] = []
        pool = _validation_pool(int(self.config.get("HARVEST_WORKERS", 1)))
        # Validation of one batch runs in the pool while the previous batch is written.
        inflight: tuple[list[Candidate], Any] | None = None

        def complete() -> None:
            nonlocal inflight
            if inflight is None:
                return
            batch, pending = inflight
            inflight = None
            results = pending.get() if pending is not None else None
            self._save(batch, writer, failures, results)
            writer.flush()
            job.heartbeat_at = utcnow()
            session.commit()
            if progress:
                progress(gathered, self.expected_total)

        def dispatch(batch: list[Candidate]) -> None:
            nonlocal inflight
            pending = None
            if pool is not None and len(batch) >= POOL_MIN_BATCH:
                payloads = [c.payload for c in batch]
                pending = pool.map_async(validate_record, payloads, chunksize=64)
            complete()  # the previous batch is written while this one is validated
            inflight = (batch, pending)

        # Index writes of later batches run in a second process while this one saves.
        with events.bulk_writes("harvest", session):
            try:
                try:
                    for record in self.gather():
                        gathered += 1
                        candidate = self._process(record, writer, seen, failures)
                        if candidate is not None:
                            candidates.append(candidate)
                        if writer.size + len(candidates) >= batch_size:
                            dispatch(candidates)
                            candidates = []
                            if inflight is not None and inflight[1] is None:
                                complete()  # validated in-process: write it now
                    if self.expected_total is not None and gathered < self.expected_total:
                        raise HarvestFailed(
                            f"Partial gather: the source reported {self.expected_total} records, "
                            f"{gathered} were read."
                        )
                except (FetchError, HarvestFailed) as exc:
                    error = str(exc)
                except Exception as exc:
                    if not _is_parse_error(exc):
                        raise
                    error = f"Invalid or truncated source: {type(exc).__name__}: {exc}"
                dispatch(candidates)
                complete()
                if error is None and gathered == 0 and writer.active_owned > 0:
                    error = (
                        f"The source listed no records where there were {writer.active_owned}; "
                        "treated as a failed gather, nothing withdrawn."
                    )
                if error is None:
                    writer.withdraw_missing(seen)
                self.gather_error = error
                self.finish(job, failures)
                job.status = JOB_FAILED if error else JOB_SUCCEEDED
                job.error = error
                job.finished_at = job.heartbeat_at = utcnow()
                session.commit()
            except BaseException as exc:
                session.rollback()
                if isinstance(exc, JobLost):
                    raise  # another worker owns the job now: leave its row alone
                job = session.get(HarvestJob, job.id)
                job.status = JOB_FAILED
                job.error = f"{type(exc).__name__}: {exc}"[:4000]
                job.finished_at = utcnow()
                session.commit()
                raise
            finally:
                if pool is not None:
                    pool.terminate()
        if progress:
            progress(gathered, gathered)
        log.info("harvest %s job %s: %s %s", self.source.name, job.id, job.status, job.counts)
        return job

    def _process(
        self,
        record: SourceRecord,
        writer: BatchWriter,
        seen: set[str],
        failures: dict[int, list[dict]],
    ) -> Candidate | None:
        identifier = (str(record.identifier).strip() if record.identifier is not None else "")[:512]
        digest, suspect = self.fingerprint(record.raw)
        notes: list[dict] = []
        if suspect and (cleaned := scrub(record.raw)) != record.raw:
            # No database stores NUL or a lone surrogate; a stray one must not sink the batch.
            record = replace(record, raw=cleaned)
            identifier = scrub(identifier)
            notes.append(
                issue(
                    "warning",
                    "invalid-character",
                    "NUL characters were removed and lone surrogates replaced (U+FFFD).",
                )
            )
        raw = record.raw
        if identifier in self.resumed and identifier not in seen:
            seen.add(identifier)  # an earlier attempt of this job saved or failed it
            return None

        def fail(errors: list[dict]) -> None:
            writer.fail(identifier or None, raw, errors, title=_title(raw))
            if record.row is not None:
                failures[record.row] = errors

        if record.errors:
            return fail(record.errors)
        if not identifier:
            return fail(
                [
                    issue(
                        "error", "missing-identifier", "The record has no identifier.", "identifier"
                    )
                ]
            )
        if identifier in seen:
            return fail(
                [
                    issue(
                        "error",
                        "duplicate-identifier",
                        f"Identifier {identifier!r} appears more than once in this source.",
                        "identifier",
                    )
                ]
            )
        seen.add(identifier)
        if writer.is_unchanged(identifier, digest):
            return None
        try:
            payload = self.transform(raw)
        except Exception as exc:
            return fail(
                [
                    issue(
                        "error",
                        getattr(exc, "error_type", "transform"),
                        f"Could not map the record: {exc}",
                        getattr(exc, "field", None),
                    )
                ]
            )
        payload = normalise_payload(payload)
        payload["identifier"] = identifier
        notes += payload.pop("_problems", [])  # found by the mapping (e.g. 3.0 schema warnings)
        hints = {
            "agency": payload.pop("agency", None),
            "attribution": payload.pop("_attribution", None),
        }
        return Candidate(record, identifier, digest, payload, hints, notes)

    def _save(
        self,
        candidates: list[Candidate],
        writer: BatchWriter,
        failures: dict[int, list[dict]],
        results: list[tuple[dict | None, list[dict]]] | None = None,
    ) -> None:
        """Hand a validated batch to the writer (validating here when no pool did)."""
        if results is None:
            results = [validate_record(c.payload) for c in candidates]
        for candidate, (data, problems) in zip(candidates, results, strict=True):
            row = candidate.record.row
            problems = candidate.notes + problems
            if data is None:
                writer.fail(
                    candidate.identifier,
                    candidate.record.raw,
                    problems,
                    title=_title(candidate.record.raw),
                )
                if row is not None:
                    failures[row] = problems
                continue
            flagged = [p for p in problems if p["type"] not in UNFLAGGED]
            if row is not None and flagged:  # the annotated copy shows dropped values too
                failures[row] = flagged
            writer.save(
                Pending(
                    candidate.identifier,
                    candidate.digest,
                    candidate.record.raw,
                    data,
                    problems,
                    candidate.hints,
                )
            )


@dataclass
class Candidate:
    """A record that is new or changed, mapped and waiting for validation."""

    record: SourceRecord
    identifier: str
    digest: str
    payload: dict[str, Any]
    hints: dict[str, Any]
    notes: list[dict] = field(default_factory=list)  # problems found before validation


def _validation_pool(workers: int) -> Any:
    """Worker processes for validation on multi-core machines, or None.

    Forked from a small server process that has imported only the validation code (forkserver),
    not from the harvest process: a worker forked from a harvest that had grown to 400 MB wrote
    its new objects into the free slots of those inherited pages and so copied most of them
    (a second 400 MB during a re-harvest)."""
    if workers < 1:
        return None
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["harvesters.base"])
    elif "fork" in methods:
        context = multiprocessing.get_context("fork")
    else:
        return None
    return context.Pool(workers)


def validate_record(payload: dict[str, Any]) -> tuple[dict | None, list[dict]]:
    """Validate through the catalog's input schema. Bad optional values are dropped with a
    warning; a bad title or identifier fails the record. Missing DCAT-US fields are warnings."""
    payload = dict(payload)
    problems = [
        issue("warning", "missing-field", "Required by DCAT-US 1.1; missing from the source.", name)
        for name in DCAT_REQUIRED
        if payload.get(name) in (None, "", [], {})
    ]
    for _attempt in range(6):
        try:
            return validate_dataset(payload, partial=PARTIAL), problems
        except InvalidInput as exc:
            fatal = [key for key in exc.errors if key.split(".")[0] in FATAL_FIELDS]
            for key, messages in exc.errors.items():
                severity = "error" if key in fatal else "warning"
                note = "" if severity == "error" else " (value dropped)"
                problems.append(
                    issue(severity, "invalid-value", "; ".join(map(str, messages)) + note, key)
                )
            if fatal:
                return None, problems
            before = len(payload)
            _drop(payload, exc.errors)
            if len(payload) == before and not _has_list_errors(exc.errors):
                break  # nothing left to drop: dropping again would not help
    problems.append(
        issue("error", "invalid-record", "Still invalid after dropping the values above.", None)
    )
    return None, problems


def _has_list_errors(errors: dict[str, list]) -> bool:
    return any("." in key for key in errors)


def _drop(payload: dict[str, Any], errors: dict[str, list]) -> None:
    drop_dists: set[int] = set()
    for key in errors:
        parts = key.split(".")
        if parts[0] == "distribution" and len(parts) > 1 and parts[1].isdigit():
            drop_dists.add(int(parts[1]))
        elif parts[0] in ("keyword", "theme", "language", "references") and len(parts) > 1:
            values = payload.get(parts[0])
            if isinstance(values, list) and parts[1].isdigit() and int(parts[1]) < len(values):
                values[int(parts[1])] = None
        else:
            payload.pop(parts[0], None)
    for name in ("keyword", "theme", "language", "references"):
        if isinstance(payload.get(name), list):
            payload[name] = [v for v in payload[name] if v is not None]
    if drop_dists and isinstance(payload.get("distribution"), list):
        payload["distribution"] = [
            d for i, d in enumerate(payload["distribution"]) if i not in drop_dists
        ]


def _title(raw: dict[str, Any]) -> str | None:
    for key in ("title", "name"):
        value = raw.get(key)
        if isinstance(value, str):
            return value[:500]
    resource = raw.get("resource")
    if isinstance(resource, dict) and isinstance(resource.get("name"), str):
        return resource["name"][:500]
    return None


def _is_parse_error(exc: Exception) -> bool:
    import ijson

    return isinstance(exc, ijson.JSONError | ValueError | UnicodeDecodeError)
