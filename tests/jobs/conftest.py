"""Helpers for job tests: sources on the real CDC fixture, a worker subprocess environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from catalog.db import db
from catalog.services.harvest import add_source
from tests.conftest import FIXTURES

PROJECT = Path(__file__).resolve().parents[2]
CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
CDC_RECORDS = 60


@pytest.fixture
def make_source(app_ctx: Flask) -> Callable[..., object]:
    def _make(name: str = "cdc", url: str = str(CDC), **kwargs: object):
        kwargs.setdefault("agency_code", "DPH")
        source = add_source(db.session, name, "dcat-us", url, "test", **kwargs)
        db.session.commit()
        return source

    return _make


def subprocess_env(instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a `manage.py` subprocess on its own SQLite catalog in ``instance``."""
    env = {
        **os.environ,
        "CATALOG_INSTANCE_DIR": str(instance),
        "CATALOG_HARVEST_ALLOW_PRIVATE": "1",
    }
    for key in ("CATALOG_DATABASE_URL", "CATALOG_ENV", "CATALOG_INDEX_DIR", "CATALOG_BROKER_URL",
                "CATALOG_QUEUE_NAME", "CATALOG_HARVEST_JOB_TIMEOUT_SECONDS"):  # fmt: skip
        env.pop(key, None)
    env.update({f"CATALOG_{key}": value for key, value in settings.items()})
    return env


def manage(
    args: list[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip
