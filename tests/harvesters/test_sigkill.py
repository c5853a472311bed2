"""A harvest process killed with SIGKILL halfway, then run again at once: nothing lost or
duplicated, and the source is not locked (the killed job is found dead by its process, not
after a timeout)."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from search_index import IndexStore

PROJECT = Path(__file__).resolve().parents[2]
RECORDS = 6000

pytestmark = pytest.mark.slow


def _generator():
    spec = importlib.util.spec_from_file_location("bench_harvest", PROJECT / "bench" / "harvest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def _manage(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip


def test_sigkill_halfway_then_rerun_finishes_the_work(tmp_path):
    env = {**os.environ, "CATALOG_INSTANCE_DIR": str(tmp_path)}
    # The default heartbeat timeout (60 s) stays: the rerun must not have to wait for it.
    for key in ("CATALOG_DATABASE_URL", "CATALOG_ENV", "CATALOG_INDEX_DIR",
                "CATALOG_HARVEST_JOB_TIMEOUT_SECONDS", "CATALOG_BROKER_URL"):  # fmt: skip
        env.pop(key, None)
    data_json = tmp_path / "data.json"
    _generator()(data_json, RECORDS)
    assert _manage(["init"], env).returncode == 0
    assert _manage(["index", "rebuild"], env).returncode == 0  # a catalog in service has one
    added = _manage(["sources", "add", "big", "--kind", "dcat-us", "--url", str(data_json),
                     "--agency", "DPH"], env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    database = create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")

    def scalar(sql: str) -> int:
        with database.connect() as conn:
            return conn.execute(text(sql)).scalar()

    process = subprocess.Popen(
        [sys.executable, "manage.py", "harvest", "big"], cwd=PROJECT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while scalar("SELECT count(*) FROM dataset") < 1000 and time.monotonic() < deadline:
        assert process.poll() is None, "the harvest finished before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    saved = scalar("SELECT count(*) FROM dataset")
    assert 0 < saved < RECORDS
    # Whole batches only: every saved dataset has its source link and its audit event.
    assert scalar("SELECT count(*) FROM harvest_link") == saved
    assert scalar("SELECT count(*) FROM audit_event WHERE action='dataset.create'") == saved
    assert scalar("SELECT status FROM harvest_job ORDER BY id LIMIT 1") == "running"

    rerun = _manage(["harvest", "big"], env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "already has a running job" not in rerun.stderr

    assert scalar("SELECT count(*) FROM dataset") == RECORDS
    assert scalar("SELECT count(DISTINCT identifier) FROM dataset") == RECORDS
    assert scalar("SELECT status FROM harvest_job ORDER BY id LIMIT 1") == "failed"
    assert "process is gone" in scalar("SELECT error FROM harvest_job ORDER BY id LIMIT 1")
    last = "SELECT {} FROM harvest_job ORDER BY id DESC LIMIT 1"
    assert scalar(last.format("status")) == "succeeded"
    assert scalar(last.format("added")) == RECORDS - saved
    assert scalar(last.format("unchanged")) == saved
    database.dispose()
    # Every dataset, those the killed run saved included, is in the search index.
    store = IndexStore(tmp_path / "index")
    assert store.view().n_live == RECORDS
    store.close()
