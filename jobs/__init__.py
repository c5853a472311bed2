"""Jobs: harvests, link checks, snapshots, notices, mail and reports, run by workers.

With ``CATALOG_BROKER_URL`` (Redis) they go through Celery: any number of ``manage.py worker``
processes on any number of hosts take them, and a beat in each worker sends the per-minute
dispatch that reads the schedules from the database. Without a broker, ``manage.py worker`` runs
the same jobs and schedules in its own process. Either way the database decides who runs what
(see ``catalog.services.harvest_jobs``), so every job may be delivered more than once.

The web reaches this package only through ``app.extensions["job_queue"]``.
"""

from __future__ import annotations

from flask import Flask

from jobs.queue import JobQueue


def init_app(app: Flask) -> None:
    app.extensions["job_queue"] = JobQueue(app)
