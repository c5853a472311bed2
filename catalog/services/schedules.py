"""Schedules read from the database each minute: sources' cron expressions and the periodic
tasks' (link checks, snapshots, notices, mail, reports), turned into work for the queue.

``dispatch`` may run on every worker host at once, and more than once a minute: a source's run
is queued by whichever dispatcher moves its ``next_run_at`` on from the value it read (a
compare-and-set update), and the one-active-job index refuses a second job for the source. So a
schedule edited on the web, or a source added with ``--schedule``, takes effect at the next
minute without a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput
from catalog.models import HarvestJob, HarvestSource, ScheduledTask
from catalog.models._common import utcnow
from catalog.models.harvest import JOB_QUEUED
from catalog.services.harvest_jobs import (
    DEFAULT_DEAD_AFTER,
    DEFAULT_MAX_ATTEMPTS,
    JobConflict,
    queue_job,
    recover_jobs,
)

log = logging.getLogger(__name__)
ALIASES = ("@hourly", "@daily", "@weekly", "@monthly")
# A queued job not taken within this long is handed to the queue again (a message lost with a
# broker restart, or a web process that died between its commit and the send).
RESEND_AFTER = timedelta(minutes=10)


def normalize_schedule(text: str | None) -> str | None:
    """A cron expression (five fields) or @hourly/@daily/@weekly/@monthly; "daily" and the
    like are read as their @ form. Empty means no schedule. ``InvalidInput`` otherwise."""
    value = " ".join((text or "").split())
    if not value:
        return None
    if value.lower() in ("hourly", "daily", "weekly", "monthly"):
        value = "@" + value.lower()
    if value.lower() in ALIASES:
        return value.lower()
    if len(value.split(" ")) == 5 and croniter.is_valid(value):
        return value
    raise InvalidInput(
        {
            "schedule": [
                "Give a cron expression of five fields (minute hour day month weekday, e.g. "
                "'0 3 * * *' for 3 a.m. every day) or @hourly, @daily, @weekly, @monthly."
            ]
        }
    )


def next_run(schedule: str, after: datetime, timezone: str = "UTC") -> datetime:
    """The first time strictly after ``after`` (naive UTC) at which ``schedule`` fires, with the
    cron fields read in ``timezone`` (3 a.m. means 3 a.m. in Hartford). Naive UTC."""
    zone = ZoneInfo(timezone)
    local = after.replace(tzinfo=UTC).astimezone(zone)
    fire = croniter(schedule, local).get_next(datetime)
    return fire.astimezone(UTC).replace(tzinfo=None)


@dataclass
class Work:
    """What one dispatch found to do: harvest jobs to hand to the queue, periodic tasks due."""

    jobs: list[int] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


def dispatch(
    session: Session,
    tasks: dict[str, str | None],
    *,
    timezone: str = "UTC",
    now: datetime | None = None,
    dead_after: int = DEFAULT_DEAD_AFTER,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Work:
    """Find the work due now. ``tasks`` maps each periodic task to its schedule (None: off).
    Commits; the caller hands the result to the queue (or runs it, in the embedded worker)."""
    now = now or utcnow()
    work = Work()
    recovered = recover_jobs(session, dead_after=dead_after, max_attempts=max_attempts)
    session.commit()
    work.jobs += recovered.requeued
    work.jobs += _due_sources(session, now, timezone, dead_after)
    work.jobs += _unsent_jobs(session, now, exclude=set(work.jobs))
    work.tasks += _due_tasks(session, tasks, now, timezone)
    return work


def _due_sources(session: Session, now: datetime, timezone: str, dead_after: int) -> list[int]:
    queued: list[int] = []
    rows = session.execute(
        select(HarvestSource.id, HarvestSource.schedule, HarvestSource.next_run_at).where(
            HarvestSource.schedule.is_not(None), HarvestSource.paused.is_(False)
        )
    ).all()
    for source_id, schedule, next_at in rows:
        if next_at is not None and next_at > now:
            continue
        try:
            following = next_run(schedule, now, timezone)
        except (ValueError, KeyError) as exc:
            log.warning("source %s: schedule %r is not valid (%s)", source_id, schedule, exc)
            continue
        same = (
            HarvestSource.next_run_at.is_(None)
            if next_at is None
            else HarvestSource.next_run_at == next_at
        )
        won = session.execute(
            update(HarvestSource)
            .where(HarvestSource.id == source_id, same)
            .values(next_run_at=following)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not won or next_at is None:
            continue  # another dispatcher moved it; or a new schedule: its first run is ahead
        source = session.get(HarvestSource, source_id)
        try:
            job, new = queue_job(
                session, source, "schedule", trigger="schedule", dead_after=dead_after
            )
        except JobConflict as exc:
            session.rollback()
            log.info("scheduled run of %s skipped: %s", source.name, exc.message)
            continue
        job.heartbeat_at = now
        session.commit()
        if new:
            queued.append(job.id)
    return queued


def _unsent_jobs(session: Session, now: datetime, exclude: set[int]) -> list[int]:
    """Queued jobs nobody took for a while: hand them to the queue again (at least once)."""
    stale = now - RESEND_AFTER
    ids = list(
        session.scalars(
            select(HarvestJob.id).where(
                HarvestJob.status == JOB_QUEUED, HarvestJob.heartbeat_at < stale
            )
        )
    )
    resent = []
    for job_id in ids:
        if job_id in exclude:
            continue
        won = session.execute(
            update(HarvestJob)
            .where(
                HarvestJob.id == job_id,
                HarvestJob.status == JOB_QUEUED,
                HarvestJob.heartbeat_at < stale,
            )
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            resent.append(job_id)
    session.commit()
    return resent


def _due_tasks(
    session: Session, tasks: dict[str, str | None], now: datetime, timezone: str
) -> list[str]:
    due: list[str] = []
    rows = {row.name: row for row in session.scalars(select(ScheduledTask))}
    for name, schedule in sorted(tasks.items()):
        if not schedule:
            continue
        row = rows.get(name)
        if row is None or row.schedule != schedule:
            # First sight of the task, or its schedule changed: its next run is ahead of now.
            values = {"schedule": schedule, "next_run_at": next_run(schedule, now, timezone)}
            if row is None:
                session.add(ScheduledTask(name=name, **values))
            else:
                row.schedule, row.next_run_at = values["schedule"], values["next_run_at"]
            try:
                session.commit()
            except IntegrityError:  # another dispatcher inserted it first
                session.rollback()
            continue
        if row.next_run_at > now:
            continue
        won = session.execute(
            update(ScheduledTask)
            .where(ScheduledTask.name == name, ScheduledTask.next_run_at == row.next_run_at)
            .values(next_run_at=next_run(schedule, now, timezone), last_queued_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if won:
            due.append(name)
    return due


def task_finished(session: Session, name: str, error: str | None = None) -> None:
    """Record how a periodic task's last run ended (shown by ``manage.py worker --status``)."""
    session.execute(
        update(ScheduledTask)
        .where(ScheduledTask.name == name)
        .values(last_finished_at=utcnow(), last_error=error[:4000] if error else None)
    )
