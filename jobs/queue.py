"""Handing work to the workers: Celery messages when a broker is configured, nothing otherwise
(the embedded worker reads queued jobs from the database)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)


class JobQueue:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._celery: Celery | None = None

    @property
    def distributed(self) -> bool:
        return bool(self.app.config.get("BROKER_URL"))

    @property
    def celery(self) -> Celery:
        if self._celery is None:
            from jobs.celery_app import make_celery

            self._celery = make_celery(self.app)
        return self._celery

    def enqueue_harvest(self, job_id: int) -> None:
        """Hand a queued harvest job (committed first) to the workers. A failed send is logged,
        not raised: the job stays queued and the dispatcher hands it over again later."""
        self._send("catalog.harvest", job_id)

    def enqueue_task(self, name: str) -> None:
        self._send("catalog.periodic", name)

    def _send(self, task: str, argument: object) -> None:
        if not self.distributed:
            return
        try:
            self.celery.send_task(task, args=[argument], queue=self.app.config["QUEUE_NAME"])
        except Exception:  # the broker is down: the dispatcher resends queued jobs later
            log.exception("could not send %s(%r) to the queue", task, argument)

    def close(self) -> None:
        if self._celery is not None:
            self._celery.close()
