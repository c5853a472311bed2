"""Helpers for harvester tests: sources, runs with a test HTTP client, table counts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import AuditEvent, Dataset, Distribution, HarvestJob, HarvestLink, HarvestRecord
from catalog.services.harvest import add_source
from catalog.services.harvest_jobs import worker_identity
from harvesters.http import HttpClient, HttpSettings
from harvesters.runner import run_harvest

PORTAL = "https://data.example.gov"


@pytest.fixture
def http() -> HttpClient:
    """The harvest client as configured, without backoff sleeps (tests still see the retries)."""
    return HttpClient(HttpSettings(timeout=5, allow_private=True, retries=3, backoff=0))


@pytest.fixture
def make_source(app_ctx: Flask) -> Callable[..., object]:
    def _make(
        name: str = "src", kind: str = "dcat-us", url: str = f"{PORTAL}/data.json", **kwargs: object
    ):
        source = add_source(db.session, name, kind, url, "test", **kwargs)
        db.session.commit()
        return source

    return _make


@pytest.fixture
def harvest(app_ctx: Flask, http: HttpClient) -> Callable[..., HarvestJob]:
    def _run(source: object, client: HttpClient | None = None, **kwargs: object) -> HarvestJob:
        return run_harvest(db.session, source, app_ctx.config, http=client or http, **kwargs)

    return _run


def dead_worker() -> str:
    """The identity of a process on this host that has exited (as a killed worker leaves)."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                               stdin=subprocess.PIPE)  # fmt: skip
    identity = worker_identity(process.pid)
    process.communicate(b"")
    return identity


def table_counts() -> dict[str, int]:
    tables = (Dataset, Distribution, AuditEvent, HarvestLink, HarvestRecord)
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in tables}


def dataset_by_identifier(identifier: str) -> Dataset:
    return db.session.scalar(select(Dataset).where(Dataset.identifier == identifier))
