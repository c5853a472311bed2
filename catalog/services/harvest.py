"""Harvest sources and jobs: register, edit, pause, list, remove, read outcomes, errors as CSV,
and where a dataset comes from. (A job's lifecycle, queued to finished, is in ``harvest_jobs``.)"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path, PureWindowsPath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalog.guards.cells import csv_row
from catalog.models import (
    SOURCE_KINDS,
    SOURCE_ROLES,
    Agency,
    AuditEvent,
    HarvestJob,
    HarvestLink,
    HarvestRecord,
    HarvestSource,
    User,
)
from catalog.models.harvest import default_role
from catalog.permissions import can_edit_sources
from catalog.services.audit import record_event
from catalog.services.schedules import normalize_schedule

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
# The audit event of a job run on a spreadsheet a steward uploaded (harvesters/upload.py).
UPLOAD_EVENT = "harvest_job.upload"


def add_source(
    session: Session,
    name: str,
    kind: str,
    url: str,
    actor: User | str,
    *,
    agency_code: str | None = None,
    mapping_path: str | Path | None = None,
    schedule: str | None = None,
    paused: bool = False,
    role: str | None = None,
) -> HarvestSource:
    """Register a harvest source. Inventories need a mapping file (TOML). ``schedule`` is a
    cron expression or @hourly/@daily/@weekly/@monthly; the dispatcher reads it each minute.
    ``role`` says whether the source lists an agency's inventory or a portal's publications (by
    kind when omitted)."""
    _require_editor(actor)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip().lower()
    # The name becomes part of file names (uploads, annotated copies): start with a letter or digit.
    if not name or not set(name) <= NAME_CHARS or len(name) > 100 or not name[0].isalnum():
        errors["name"] = [
            "Use 1-100 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit."
        ]
    if kind not in SOURCE_KINDS:
        errors["kind"] = [f"Must be one of: {', '.join(SOURCE_KINDS)}."]
    role = role or default_role(kind)
    if role not in SOURCE_ROLES:
        errors["role"] = [f"Must be one of: {', '.join(SOURCE_ROLES)}."]
    mapping = _read_mapping(mapping_path, errors)
    if not mapping_path and kind == "inventory":
        errors["mapping"] = ["Inventories need --mapping FILE (see config/inventory_mappings/)."]
    url, agency_code, schedule = _check_common(session, url, agency_code, schedule, errors)
    if errors:
        raise InvalidInput(errors)
    if session.scalar(select(HarvestSource.id).where(HarvestSource.name == name)):
        raise Conflict(f"A source named {name!r} exists.", {"name": ["Already used."]})
    source = HarvestSource(
        name=name,
        kind=kind,
        role=role,
        url=url,
        agency_code=agency_code,
        mapping=mapping,
        schedule=schedule,
        paused=paused,
    )
    session.add(source)
    session.flush()
    record_event(
        session, actor, "harvest_source.create", "harvest_source", source.id, None,
        _described(source),
    )  # fmt: skip
    return source


def update_source(
    session: Session,
    name: str,
    actor: User | str,
    *,
    url: str | None = None,
    agency_code: str | object | None = ...,
    schedule: str | object | None = ...,
    paused: bool | None = None,
    mapping_path: str | Path | None = None,
    role: str | None = None,
) -> HarvestSource:
    """Change a source's address, default agency, role, schedule or mapping, or pause it. A new
    schedule (or a resumed source) fires next from now on: the next dispatcher minute picks it
    up."""
    _require_editor(actor)
    source = get_source(session, name)
    before = _described(source)
    errors: dict[str, list[str]] = {}
    mapping = _read_mapping(mapping_path, errors) if mapping_path else None
    if role is not None and role not in SOURCE_ROLES:
        errors["role"] = [f"Must be one of: {', '.join(SOURCE_ROLES)}."]
    new_url, new_agency, new_schedule = _check_common(
        session,
        source.url if url is None else url,
        source.agency_code if agency_code is ... else agency_code,
        source.schedule if schedule is ... else schedule,
        errors,
    )
    if errors:
        raise InvalidInput(errors)
    if new_schedule != source.schedule or (paused is False and source.paused):
        source.next_run_at = None
    source.url, source.agency_code, source.schedule = new_url, new_agency, new_schedule
    if paused is not None:
        source.paused = paused
    if role is not None:
        source.role = role
    if mapping is not None:
        source.mapping = mapping
    after = _described(source)
    if after != before:
        record_event(
            session, actor, "harvest_source.update", "harvest_source", source.id, before, after
        )
    session.flush()
    return source


def _require_editor(actor: User | str) -> None:
    if isinstance(actor, User) and not can_edit_sources(actor):
        raise PermissionDenied("Only the CDO and admins add, change or remove harvest sources.")


def _read_mapping(mapping_path: str | Path | None, errors: dict[str, list[str]]) -> dict:
    if not mapping_path:
        return {}
    try:
        with Path(mapping_path).open("rb") as handle:
            mapping = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        errors["mapping"] = [f"Cannot read the mapping file: {exc}"]
        return {}
    if "title" not in (mapping.get("columns") or {}):
        errors["mapping"] = ["A mapping needs a [columns] table that maps at least `title`."]
    return mapping


def _check_common(
    session: Session,
    url: str | None,
    agency_code: str | None,
    schedule: str | None,
    errors: dict[str, list[str]],
) -> tuple[str, str | None, str | None]:
    url = (url or "").strip()
    if not url:
        errors["url"] = ["Required: an address or a local path."]
    elif len(url) > 2048:
        errors["url"] = ["At most 2,048 characters."]
    agency_code = (agency_code or "").strip().upper() or None
    if agency_code and session.scalar(select(Agency.id).where(Agency.code == agency_code)) is None:
        errors["agency"] = [f"Unknown agency code {agency_code!r}."]
    try:
        schedule = normalize_schedule(schedule)
    except InvalidInput as exc:
        errors.update(exc.errors)
    return url, agency_code, schedule


def _described(source: HarvestSource) -> dict[str, Any]:
    return {
        "name": source.name,
        "kind": source.kind,
        "role": source.role,
        "url": source.url,
        "agency": source.agency_code,
        "schedule": source.schedule,
        "paused": source.paused,
    }


def get_source(session: Session, name: str) -> HarvestSource:
    source = session.scalar(select(HarvestSource).where(HarvestSource.name == name.strip().lower()))
    if source is None:
        raise NotFound(f"No harvest source named {name!r}.")
    return source


def list_sources(session: Session) -> list[HarvestSource]:
    return list(session.scalars(select(HarvestSource).order_by(HarvestSource.name)))


def remove_source(session: Session, name: str, actor: User | str) -> None:
    """Remove a source and its job history. Its datasets stay in the catalog. A source whose
    job is running cannot be removed until it ends (pause it to stop further runs)."""
    _require_editor(actor)
    source = get_source(session, name)
    running = session.scalar(
        select(HarvestJob.id).where(
            HarvestJob.source_id == source.id, HarvestJob.status == "running"
        )
    )
    if running:
        raise Conflict(
            f"{source.name} has a running job (#{running}); remove it when the job ends.",
            {"source": [f"Job #{running} is running."]},
        )
    record_event(
        session,
        actor,
        "harvest_source.delete",
        "harvest_source",
        source.id,
        {"name": source.name, "kind": source.kind, "url": source.url},
        None,
    )
    session.delete(source)
    session.flush()


def last_jobs(session: Session, source_ids: list[int]) -> dict[int, HarvestJob]:
    if not source_ids:
        return {}
    latest = (
        select(func.max(HarvestJob.id))
        .where(HarvestJob.source_id.in_(source_ids))
        .group_by(HarvestJob.source_id)
    )
    return {
        job.source_id: job
        for job in session.scalars(select(HarvestJob).where(HarvestJob.id.in_(latest)))
    }


def get_job(session: Session, job_id: int) -> HarvestJob:
    job = session.get(HarvestJob, job_id)
    if job is None:
        raise NotFound(f"No harvest job {job_id}.")
    return job


def recent_jobs(session: Session, source: HarvestSource, limit: int = 20) -> list[HarvestJob]:
    return list(
        session.scalars(
            select(HarvestJob)
            .where(HarvestJob.source_id == source.id)
            .order_by(HarvestJob.id.desc())
            .limit(limit)
        )
    )


def job_upload(session: Session, job: HarvestJob) -> dict[str, Any] | None:
    """Who uploaded the spreadsheet this job read, and its name; None for a scheduled/CLI run."""
    event = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == UPLOAD_EVENT,
            AuditEvent.entity_type == "harvest_job",
            AuditEvent.entity_id == str(job.id),
            # Not an event of an earlier job with the same id (SQLite may reuse deleted ids).
            AuditEvent.occurred_at >= job.started_at,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    return {"by": event.actor_label, "filename": (event.after or {}).get("filename")}


def annotated_file(job: HarvestJob, instance_dir: str | Path) -> Path | None:
    """The job's annotated spreadsheet, if it exists under the instance's harvest folder."""
    if not job.annotated_path:
        return None
    path = Path(job.annotated_path).resolve()
    folder = (Path(instance_dir) / "harvest").resolve()
    return path if path.is_relative_to(folder) and path.is_file() else None


def job_records(
    session: Session,
    job: HarvestJob,
    *,
    outcome: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[HarvestRecord]]:
    query = select(HarvestRecord).where(HarvestRecord.job_id == job.id)
    if outcome:
        query = query.where(HarvestRecord.outcome == outcome)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(HarvestRecord.id).limit(limit).offset(offset))
    return total, list(rows)


def error_groups(session: Session, job: HarvestJob) -> dict[str, list[dict[str, Any]]]:
    """Every issue of a job's records, grouped by type (e.g. ``duplicate-identifier``)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    rows = session.execute(
        select(
            HarvestRecord.identifier,
            HarvestRecord.title,
            HarvestRecord.dataset_id,
            HarvestRecord.outcome,
            HarvestRecord.errors,
        )
        .where(HarvestRecord.job_id == job.id)
        .order_by(HarvestRecord.id)
    )
    for identifier, title, dataset_id, outcome, errors in rows:
        for problem in errors or []:
            if problem.get("severity") == "info":
                continue
            groups.setdefault(problem.get("type") or "other", []).append(
                {
                    "identifier": identifier,
                    "title": title,
                    "dataset_id": dataset_id,
                    "outcome": outcome,
                    "severity": problem.get("severity"),
                    "field": problem.get("field"),
                    "message": problem.get("message"),
                }
            )
    return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def errors_csv(session: Session, job: HarvestJob) -> str:
    """The job's errors as CSV, grouped by type, one row per issue."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["type", "severity", "identifier", "title", "field", "message", "outcome", "dataset_id"]
    )
    for type_, items in error_groups(session, job).items():
        for item in items:
            writer.writerow(
                csv_row(
                    (
                        type_,
                        item["severity"],
                        item["identifier"],
                        item["title"],
                        item["field"],
                        item["message"],
                        item["outcome"],
                        item["dataset_id"],
                    )
                )
            )
    return out.getvalue()


def dataset_provenance(session: Session, dataset_id: str) -> list[dict[str, Any]]:
    """Where a dataset comes from: each source that lists it (the owner first), the source's
    last job, and the last thing a harvest did to this dataset."""
    links = session.execute(
        select(HarvestLink, HarvestSource)
        .join(HarvestSource, HarvestSource.id == HarvestLink.source_id)
        .where(HarvestLink.dataset_id == dataset_id)
        .order_by(HarvestLink.owner.desc(), HarvestSource.name)
    ).all()
    jobs = last_jobs(session, [source.id for _link, source in links])
    found = []
    for link, source in links:
        record = session.scalar(
            select(HarvestRecord)
            .join(HarvestJob, HarvestJob.id == HarvestRecord.job_id)
            .where(HarvestRecord.dataset_id == dataset_id, HarvestJob.source_id == source.id)
            .order_by(HarvestRecord.id.desc())
            .limit(1)
        )
        found.append(
            {
                "source": source,
                "identifier": link.identifier,
                "owner": link.owner,
                "last_job": jobs.get(source.id),
                "last_record": record,
                "withdrawn_by_harvest": link.withdrawn_by_harvest,
            }
        )
    return found


def original_name(filename: str | None) -> str:
    """The name the steward's computer gave the file, without any folders, for display only."""
    name = PureWindowsPath(filename or "").name  # splits on both "\\" and "/"
    return name.strip()[:255] or "upload"
