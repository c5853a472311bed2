"""A harvest job's life: queued, claimed by one worker, kept alive by its heartbeat, finished or
found dead and handed to another worker.

The database is the judge. At most one job per source is queued or running (a partial unique
index, so two starts a millisecond apart cannot both insert one); a worker takes a queued job with
an update that only one claimant can win; a running job carries the identity of the process that
runs it, so a job whose process is gone is noticed at once on its own host (the process is
checked directly) and after ``dead_after`` seconds without a heartbeat from another host.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import events
from catalog.errors import Conflict, PermissionDenied
from catalog.models import HarvestJob, HarvestRecord, HarvestSource, User
from catalog.models._common import utcnow
from catalog.models.harvest import JOB_ACTIVE, JOB_FAILED, JOB_QUEUED, JOB_RUNNING
from catalog.permissions import can_run_source
from catalog.services.audit import record_event

log = logging.getLogger(__name__)

# Jobs that a queue delivered: when their worker dies another worker resumes them. A run typed
# at a terminal, or an upload answered in a web request, belongs to its caller: it fails instead.
RESUMABLE_TRIGGERS = ("schedule", "web", "api")
DEFAULT_DEAD_AFTER = 60
DEFAULT_MAX_ATTEMPTS = 3
# Outcomes written for records: a resumed attempt skips the identifiers an earlier one recorded.
RECORDED_OUTCOMES = ("added", "updated", "failed", "linked", "withdrawn")


class JobConflict(Conflict):
    """The source already has a queued or running job."""

    def __init__(self, source: HarvestSource, job: HarvestJob | None) -> None:
        what = f"a {job.status} job (#{job.id})" if job else "a job starting"
        super().__init__(
            f"Source {source.name!r} already has {what}; wait for it to finish.",
            {"source": [f"{source.name} already has {what}."]},
        )
        self.job = job


# -- which process runs a job --------------------------------------------------------------------


@cache
def _host() -> str:
    """This machine: its name and the kernel's boot id (a rebooted host is another host)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        boot = "-"
    return f"{socket.gethostname()}/{boot}"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (tells a reused pid apart)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # a zombie has exited: it only waits for its parent
        return None
    return fields[19]


def worker_identity(pid: int | None = None) -> str:
    """``host/boot:pid:start`` of this process (or of ``pid`` on this host)."""
    pid = pid or os.getpid()
    return f"{_host()}:{pid}:{_start_time(pid) or '-'}"


def process_alive(identity: str | None) -> bool | None:
    """Whether the process named by ``identity`` still runs: True or False on this host, None
    (unknown: ask the heartbeat) for another host or an identity without a start time."""
    if not identity:
        return None
    try:
        host, pid, start = identity.rsplit(":", 2)
        pid_number = int(pid)
    except ValueError:
        return None
    if host != _host() or start == "-":
        return None
    return _start_time(pid_number) == start


# -- queueing and starting -------------------------------------------------------------------------


def active_job(session: Session, source: HarvestSource) -> HarvestJob | None:
    return session.scalar(
        select(HarvestJob)
        .where(HarvestJob.source_id == source.id, HarvestJob.status.in_(JOB_ACTIVE))
        .execution_options(populate_existing=True)
    )


def queue_job(
    session: Session,
    source: HarvestSource,
    actor: User | str,
    *,
    trigger: str = "web",
    dead_after: int = DEFAULT_DEAD_AFTER,
) -> tuple[HarvestJob, bool]:
    """Queue a harvest of ``source``; returns the job and whether it is new. A source whose job
    is already queued gets that job back (pressing "Run now" twice queues one run); one whose
    job is running raises ``JobConflict``. The caller commits, then hands the id to the queue."""
    if isinstance(actor, User) and not can_run_source(actor, source):
        raise PermissionDenied(
            f"Only stewards of {source.agency_code or 'its agency'} and the CDO may run "
            f"{source.name}."
        )
    recover_jobs(session, source_ids=[source.id], dead_after=dead_after)
    existing = active_job(session, source)
    if existing is not None:
        if existing.status == JOB_QUEUED:
            return existing, False
        raise JobConflict(source, existing)
    label = actor.email if isinstance(actor, User) else actor
    job = HarvestJob(
        source_id=source.id, status=JOB_QUEUED, trigger=trigger, requested_by=label, attempts=0
    )
    if not _insert(session, job):
        existing = active_job(session, source)
        if existing is not None and existing.status == JOB_QUEUED:
            return existing, False
        raise JobConflict(source, existing)
    record_event(
        session, actor, "harvest_job.queue", "harvest_job", job.id, None,
        {"source": source.name, "trigger": trigger},
    )  # fmt: skip
    return job, True


def start_job(
    session: Session,
    source: HarvestSource,
    *,
    trigger: str = "cli",
    requested_by: str = "cli",
    dead_after: int = DEFAULT_DEAD_AFTER,
) -> HarvestJob:
    """Start a harvest in this process now (a terminal, an upload): take the source's queued job
    if it has one, else insert a running one. Commits. ``JobConflict`` when one is running."""
    recover_jobs(session, source_ids=[source.id], dead_after=dead_after)
    session.commit()
    existing = active_job(session, source)
    if existing is not None and existing.status == JOB_QUEUED:
        claimed = claim_job(session, existing.id)
        if claimed is not None:
            return claimed
        existing = active_job(session, source)
    if existing is not None:
        raise JobConflict(source, existing)
    job = HarvestJob(
        source_id=source.id,
        status=JOB_RUNNING,
        trigger=trigger,
        requested_by=requested_by,
        worker=worker_identity(),
        attempts=1,
    )
    if not _insert(session, job):
        session.rollback()
        raise JobConflict(source, active_job(session, source))
    session.commit()
    return job


def _insert(session: Session, job: HarvestJob) -> bool:
    """Insert ``job``; False when the one-active-job index refuses it."""
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        if job in session:
            session.expunge(job)
        return False
    return True


def claim_job(session: Session, job_id: int) -> HarvestJob | None:
    """Take a queued job for this process; None when another worker took it first (or it is
    no longer queued). Commits. A resumed job starts a new attempt: it keeps what earlier
    attempts saved and counted, except ``unchanged``, which the new attempt counts again."""
    now = utcnow()
    won = session.execute(
        update(HarvestJob)
        .where(HarvestJob.id == job_id, HarvestJob.status == JOB_QUEUED)
        .values(
            status=JOB_RUNNING,
            worker=worker_identity(),
            heartbeat_at=now,
            attempts=HarvestJob.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        session.rollback()
        return None
    job = session.get(HarvestJob, job_id, populate_existing=True)
    if job.attempts == 1:
        job.started_at = now
    else:
        linked = session.scalar(
            select(func.count())
            .select_from(HarvestRecord)
            .where(HarvestRecord.job_id == job.id, HarvestRecord.outcome == "linked")
        )
        job.unchanged = linked or 0
    session.commit()
    return job


def recorded_identifiers(session: Session, job: HarvestJob) -> set[str]:
    """Identifiers earlier attempts of ``job`` saved or failed (a resumed attempt skips them)."""
    if job.attempts <= 1:
        return set()
    return set(
        session.scalars(
            select(HarvestRecord.identifier).where(
                HarvestRecord.job_id == job.id,
                HarvestRecord.identifier.is_not(None),
                HarvestRecord.outcome.in_(RECORDED_OUTCOMES),
            )
        )
    )


def beat(
    connection: Connection, job_id: int, worker: str, progress: int, expected: int | None
) -> bool:
    """Record that ``worker`` still runs ``job_id`` (on its own connection, from a thread beside
    the harvest). False when the job is no longer this worker's (found dead and handed to
    another); True too when this worker has just finished it."""
    with connection.begin():
        result = connection.execute(
            update(HarvestJob)
            .where(
                HarvestJob.id == job_id,
                HarvestJob.worker == worker,
                HarvestJob.status == JOB_RUNNING,
            )
            .values(heartbeat_at=utcnow(), progress=progress, expected=expected)
        )
        if result.rowcount == 1:
            return True
        owner = connection.execute(
            select(HarvestJob.worker, HarvestJob.status).where(HarvestJob.id == job_id)
        ).first()
    return owner is not None and owner.worker == worker and owner.status != JOB_QUEUED


# -- finding the dead ------------------------------------------------------------------------------


@dataclass
class Recovered:
    requeued: list[int]
    failed: list[int]


def recover_jobs(
    session: Session,
    *,
    dead_after: int = DEFAULT_DEAD_AFTER,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    source_ids: Iterable[int] | None = None,
) -> Recovered:
    """Running jobs whose process is gone: queued again for another worker (jobs a queue
    delivered, up to ``max_attempts`` runs) or failed. Flushes; the caller commits and hands
    the requeued ids to the queue."""
    query = (
        select(HarvestJob)
        .where(HarvestJob.status == JOB_RUNNING)
        .execution_options(populate_existing=True)
    )
    if source_ids is not None:
        query = query.where(HarvestJob.source_id.in_(list(source_ids)))
    cutoff = utcnow() - timedelta(seconds=dead_after)
    result = Recovered([], [])
    for job in session.scalars(query).all():
        alive = process_alive(job.worker)
        if alive or (alive is None and job.heartbeat_at >= cutoff):
            continue
        why = "its process is gone" if alive is False else f"no heartbeat for {dead_after}s"
        requeue = job.trigger in RESUMABLE_TRIGGERS and job.attempts < max_attempts
        values: dict = (
            {"status": JOB_QUEUED, "worker": None}
            if requeue
            else {
                "status": JOB_FAILED,
                "finished_at": utcnow(),
                "error": f"Stopped: {why} (killed or crashed) after {job.attempts} attempt(s).",
            }
        )
        same_worker = (
            HarvestJob.worker.is_(None) if job.worker is None else HarvestJob.worker == job.worker
        )
        taken = session.execute(
            update(HarvestJob)
            .where(HarvestJob.id == job.id, HarvestJob.status == JOB_RUNNING, same_worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not taken:
            continue  # another dispatcher got there first, or the job moved on
        session.expire(job)
        log.warning("harvest job %s: %s; %s", job.id, why, "queued again" if requeue else "failed")
        (result.requeued if requeue else result.failed).append(job.id)
    if result.failed or result.requeued:
        _announce_saved(session, result.failed + result.requeued)
    return result


def _announce_saved(session: Session, job_ids: list[int]) -> None:
    """A killed job's committed batches may not have reached the search index (that happens
    after each commit, or in a background process that died with it): announce them again."""
    touched = list(
        session.scalars(
            select(HarvestRecord.dataset_id)
            .where(
                HarvestRecord.job_id.in_(job_ids),
                HarvestRecord.dataset_id.is_not(None),
                HarvestRecord.outcome.in_(("added", "updated", "withdrawn")),
            )
            .distinct()
        )
    )
    for start in range(0, len(touched), 1000):
        events.datasets_changed.send("harvest", ids=touched[start : start + 1000], session=session)
