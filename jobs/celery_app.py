"""The Celery application: three tasks that call ``jobs.tasks`` inside the Flask app.

Why Celery and not RQ: a task is acknowledged only when it ends (``acks_late``), so a message
whose worker dies is delivered again; beat ships with it; and it runs on Redis with every key
under one prefix (``global_keyprefix``), so several catalogs or test runs share a Redis. RQ
would do too, but a job of a dead RQ worker lands in its failed registry and needs a retry
policy and the separate rq-scheduler for cron-like runs. Either way the database, not the
broker, decides whether a delivered job still needs running (see ``jobs/__init__.py``).
"""

from __future__ import annotations

import logging

from celery import Celery
from flask import Flask

from jobs import tasks

log = logging.getLogger(__name__)


def make_celery(app: Flask) -> Celery:
    queue = app.config["QUEUE_NAME"]
    celery = Celery("catalog", broker=app.config["BROKER_URL"], set_as_current=False)
    celery.conf.update(
        task_default_queue=queue,
        # Acknowledge when the task ends: a worker killed mid-harvest leaves the message to be
        # delivered again (the database's claim makes a second delivery of a finished job a
        # no-op). One message at a time per worker process, so a long harvest holds no others.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "global_keyprefix": f"{queue}:",
            # Unacknowledged messages come back after this long: longer than most harvests;
            # a dead worker's job is recovered sooner by the dispatcher anyway.
            "visibility_timeout": 3600,
        },
        worker_hijack_root_logger=False,
        beat_schedule={
            "dispatch": {
                "task": "catalog.dispatch",
                "schedule": float(app.config.get("DISPATCH_SECONDS") or 60),
                "options": {"queue": queue, "expires": 300},
            }
        },
    )

    @celery.task(name="catalog.harvest")
    def harvest(job_id: int) -> None:
        tasks.run_harvest_job(app, job_id)

    @celery.task(name="catalog.periodic")
    def periodic(name: str) -> None:
        tasks.run_periodic(app, name)

    @celery.task(name="catalog.dispatch")
    def dispatch() -> None:
        work = tasks.run_dispatch(app)
        for job_id in work.jobs:
            harvest.apply_async((job_id,), queue=queue)
        for name in work.tasks:
            periodic.apply_async((name,), queue=queue)
        if work.jobs or work.tasks:
            log.info("dispatched jobs %s, tasks %s", work.jobs, work.tasks)

    return celery
