"""``manage.py worker``: a Celery worker (with a beat thread) when a broker is configured, or
the embedded worker, which runs the dispatcher and the queued jobs in this one process."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from flask import Flask

from jobs import tasks

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0


def run_celery_worker(app: Flask, *, beat: bool = True, loglevel: str = "INFO") -> None:
    """One Celery worker process that takes one job at a time (``solo`` pool: a harvest runs
    in this process and may start its own validation and index processes). Run as many as
    there are cores to spare, on as many hosts as needed."""
    from celery.beat import EmbeddedService

    celery = app.extensions["job_queue"].celery
    service = None
    if beat:
        # A beat thread per worker: the dispatch it sends is idempotent, so several beats on
        # several hosts are safe, and a host that dies takes its beat with it.
        service = EmbeddedService(celery, thread=True, scheduler_cls="celery.beat:Scheduler")
        service.start()
    worker = celery.Worker(
        queues=[app.config["QUEUE_NAME"]],
        pool="solo",
        concurrency=1,
        loglevel=loglevel,
        hostname=f"catalog-{os.getpid()}@%h",
        without_mingle=True,
        without_gossip=True,
    )
    try:
        worker.start()
    finally:
        if service is not None:
            service.stop()


class EmbeddedWorker:
    """Dispatch every ``DISPATCH_SECONDS``, run the periodic tasks due, then the queued harvest
    jobs one by one (claimed through the database, so several embedded workers on one
    database share the work). Stops between jobs on SIGTERM or SIGINT."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stopping = threading.Event()
        self.interval = float(app.config.get("DISPATCH_SECONDS") or 60)

    def stop(self, *_args: object) -> None:
        self.stopping.set()

    def run_once(self) -> int:
        """One dispatch, then everything due and queued. Returns how many jobs ran."""
        ran = 0
        work = tasks.run_dispatch(self.app)
        for name in work.tasks:
            try:
                tasks.run_periodic(self.app, name)
            except Exception:
                log.exception("periodic task %s failed", name)
        for job_id in tasks.queued_job_ids(self.app):
            if self.stopping.is_set():
                break
            if tasks.run_harvest_job(self.app, job_id) is not None:
                ran += 1
        return ran

    def run_forever(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        next_dispatch = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_dispatch:
                next_dispatch = time.monotonic() + self.interval
                self.run_once()
                continue
            # Between dispatches, pick up jobs queued by the web ("Run now") within seconds.
            for job_id in tasks.queued_job_ids(self.app):
                if self.stopping.is_set():
                    break
                tasks.run_harvest_job(self.app, job_id)
            self.stopping.wait(min(POLL_SECONDS, max(0.0, next_dispatch - time.monotonic())))
