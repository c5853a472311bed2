"""Run a source's harvest with the app's settings: the entry point of the CLI, the demo, uploads
and the queue's workers. The job's row is kept alive by a heartbeat thread while it runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from catalog.db import analyze, db
from catalog.models import HarvestJob, HarvestSource
from catalog.services.conformance import take_snapshot
from catalog.services.harvest_jobs import (
    DEFAULT_DEAD_AFTER,
    beat,
    claim_job,
    worker_identity,
)
from catalog.services.notices import notify_harvest_failed
from harvesters.base import JobLost, start_job_or_fail
from harvesters.http import HttpClient, HttpSettings
from harvesters.writer import ANALYZED_TABLES

log = logging.getLogger(__name__)
DEFAULT_HEARTBEAT_SECONDS = 10


def run_harvest(
    session: Session,
    source: HarvestSource,
    config: Any,
    *,
    job: HarvestJob | None = None,
    trigger: str = "cli",
    requested_by: str = "cli",
    progress: Callable[[int, int | None], None] | None = None,
    http: HttpClient | None = None,
    location: str | None = None,
) -> HarvestJob:
    """Harvest ``source`` once, in this process. ``config`` is the app config (HARVEST_* and
    JOB_* settings, CONFIG_DIR). ``job`` is a queued job this process claimed; without one a job
    is started here (``HarvestFailed`` when the source already has one running).
    ``location`` makes an inventory source read that file this once (a steward's upload)."""
    from harvesters.registry import harvester_for

    if job is None:
        job = start_job_or_fail(
            session,
            source,
            trigger=trigger,
            requested_by=requested_by,
            dead_after=dead_after(config),
        )
    client = http or HttpClient(HttpSettings.from_config(config))
    heartbeat = Heartbeat(
        db.engine, job.id, job.worker or worker_identity(), heartbeat_seconds(config)
    )
    try:
        harvester = harvester_for(source, http=client, config=config, location=location)
        with heartbeat:
            job = harvester.run(
                session,
                job=job,
                config_dir=config.get("CONFIG_DIR"),
                progress=heartbeat.wrap(progress),
            )
    finally:
        if http is None:
            client.close()
    job.progress, job.expected = heartbeat.progress, heartbeat.expected or job.expected
    session.commit()
    if job.status != "succeeded":
        notify_harvest_failed(session, job)
        session.commit()
    if job.added or job.updated or job.withdrawn:
        analyze(session, *ANALYZED_TABLES, "harvest_record", "audit_event")
        # Conformance adoption is charted from snapshots: record where this harvest left it.
        take_snapshot(session)
        session.commit()
    return job


def run_job(session: Session, job_id: int, config: Any) -> HarvestJob | None:
    """What a worker does with a queued job's id: claim it and run it. None when it is not
    queued (another worker took it, it finished, or a duplicate delivery): delivery is at least
    once, so the same id may arrive twice and the second does nothing."""
    job = claim_job(session, job_id)
    if job is None:
        return None
    try:
        return run_harvest(session, job.source, config, job=job)
    except JobLost:
        log.warning("harvest job %s was taken over by another worker", job_id)
        return None


def dead_after(config: Any) -> int:
    return int(config.get("HARVEST_JOB_TIMEOUT_SECONDS") or DEFAULT_DEAD_AFTER)


def heartbeat_seconds(config: Any) -> float:
    return float(config.get("JOB_HEARTBEAT_SECONDS") or DEFAULT_HEARTBEAT_SECONDS)


class Heartbeat:
    """A thread that stamps the job's row every ``interval`` seconds (with the records read so
    far), on its own connection, so a slow page or a long batch never looks like a dead job."""

    def __init__(self, engine: Engine, job_id: int, worker: str, interval: float) -> None:
        self.engine, self.job_id, self.worker, self.interval = engine, job_id, worker, interval
        self.progress, self.expected = 0, None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def wrap(
        self, progress: Callable[[int, int | None], None] | None
    ) -> Callable[[int, int | None], None]:
        def report(done: int, total: int | None) -> None:
            self.progress, self.expected = done, total
            if self.lost:
                raise JobLost(f"job {self.job_id} belongs to another worker now")
            if progress:
                progress(done, total)

        return report

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.connect() as connection:
                    mine = beat(connection, self.job_id, self.worker, self.progress, self.expected)
            except Exception:  # a busy database must not end the harvest; try again later
                log.exception("heartbeat of harvest job %s failed", self.job_id)
                continue
            if not mine:
                self.lost = True
                return
