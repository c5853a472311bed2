"""With Redis: real Celery workers (`manage.py worker` with CATALOG_BROKER_URL) on one catalog.

Each run uses its own queue name, which is also the prefix of every Redis key the queue writes,
and deletes its keys at the end: other test runs share this Redis. Skipped only when no Redis
answers at 127.0.0.1:6379 (or CATALOG_TEST_REDIS_URL).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from catalog import create_app
from catalog.db import db
from catalog.services.harvest import get_source
from catalog.services.harvest_jobs import queue_job
from tests.jobs.conftest import CDC, CDC_RECORDS, PROJECT, manage, subprocess_env

REDIS_URL = os.environ.get("CATALOG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
pytestmark = pytest.mark.slow


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    return client


@pytest.fixture
def catalog(tmp_path) -> Iterator[dict]:
    """A catalog (SQLite in ``tmp_path``) with its own queue on the shared Redis."""
    redis = _redis()
    queue = f"catalog-test-{uuid.uuid4().hex[:12]}"
    env = subprocess_env(
        tmp_path, BROKER_URL=REDIS_URL, QUEUE_NAME=queue, DISPATCH_SECONDS="1",
        JOB_HEARTBEAT_SECONDS="1",
    )  # fmt: skip
    assert manage(["init"], env).returncode == 0
    assert manage(["index", "rebuild"], env).returncode == 0
    database = create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    workers: list[subprocess.Popen] = []

    def start_worker() -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(workers)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--loglevel", "WARNING"], cwd=PROJECT,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        workers.append(process)
        return process

    def scalar(sql: str, **params):
        with database.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    app = create_app(
        {
            "ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}",
            "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x", "BROKER_URL": REDIS_URL,
            "QUEUE_NAME": queue,
        }
    )  # fmt: skip
    try:
        yield {"env": env, "app": app, "start_worker": start_worker, "scalar": scalar,
               "tmp": tmp_path, "workers": workers}  # fmt: skip
    finally:
        for process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        app.extensions["job_queue"].close()
        database.dispose()
        for key in redis.scan_iter(match=f"{queue}:*", count=1000):
            redis.delete(key)
        redis.close()


def _add_source(catalog: dict, name: str, url: Path) -> None:
    added = manage(["sources", "add", name, "--kind", "dcat-us", "--url", str(url),
                    "--agency", "DPH"], catalog["env"])  # fmt: skip
    assert added.returncode == 0, added.stderr


def _queue(catalog: dict, name: str, copies: int = 1) -> int:
    """Queue a job as "Run now" does, and send its id ``copies`` times (duplicate deliveries)."""
    app = catalog["app"]
    with app.app_context():
        job, _new = queue_job(db.session, get_source(db.session, name), "test", trigger="api")
        db.session.commit()
        for _ in range(copies):
            app.extensions["job_queue"].enqueue_harvest(job.id)
        db.session.remove()
    return job.id


def _wait(catalog: dict, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process in catalog["workers"]:
            if process.poll() is not None and process.returncode != -signal.SIGKILL:
                logs = "\n".join(p.read_text()[-3000:] for p in catalog["tmp"].glob("worker-*.log"))
                pytest.fail(f"a worker exited ({process.returncode}):\n{logs}")
        time.sleep(0.2)
    logs = "\n".join(p.read_text()[-3000:] for p in catalog["tmp"].glob("worker-*.log"))
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def _generate(path: Path, records: int, tag: str) -> Path:
    """A generated data.json whose identifiers are this source's own."""
    spec = importlib.util.spec_from_file_location("bench_harvest", PROJECT / "bench" / "harvest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plain = path.with_suffix(".plain.json")
    module.generate(plain, records)
    path.write_text(plain.read_text().replace("-bench", f"-{tag}"))
    plain.unlink()
    return path


def test_each_job_runs_once_however_many_workers_listen_and_deliveries_repeat(catalog):
    for _ in range(2):
        catalog["start_worker"]()
    names = ["alpha", "beta", "gamma"]
    for name in names:
        _add_source(catalog, name, _generate(catalog["tmp"] / f"{name}.json", 300, name))
    # Every id sent three times: at-least-once delivery, as after a broker redelivery.
    jobs = [_queue(catalog, name, copies=3) for name in names]
    scalar = catalog["scalar"]

    def finished() -> bool:
        return scalar("SELECT count(*) FROM harvest_job WHERE status = 'succeeded'") == len(jobs)

    _wait(catalog, finished, 240, "three jobs to succeed")
    time.sleep(2)  # let the duplicate deliveries arrive and be refused
    assert scalar("SELECT count(*) FROM harvest_job") == len(jobs)
    assert scalar("SELECT max(attempts) FROM harvest_job") == 1
    assert scalar("SELECT sum(added) FROM harvest_job") == 900
    assert scalar("SELECT count(*) FROM dataset") == 900
    assert scalar("SELECT count(*) FROM audit_event WHERE action = 'dataset.create'") == 900


def test_a_worker_killed_mid_harvest_leaves_the_job_to_another_that_finishes_it(catalog):
    """SIGKILL to the worker running the harvest (its whole process group: validation and
    index processes too). The other worker's dispatcher finds the job's process gone, queues
    it again, and takes it: whole batches kept, nothing duplicated, one job."""
    records = 6000
    _add_source(catalog, "big", _generate(catalog["tmp"] / "big.json", records, "big"))
    first = catalog["start_worker"]()
    scalar = catalog["scalar"]
    job_id = _queue(catalog, "big")
    _wait(catalog, lambda: scalar("SELECT count(*) FROM dataset") >= 1000, 240, "first batches")
    second = catalog["start_worker"]()
    worker = scalar("SELECT worker FROM harvest_job WHERE id = :id", id=job_id)
    assert worker and int(worker.rsplit(":", 2)[1]) == first.pid
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    saved = scalar("SELECT count(*) FROM dataset")
    assert 0 < saved < records
    # Whole batches only: every saved dataset has its link and its audit event.
    assert scalar("SELECT count(*) FROM harvest_link") == saved
    assert scalar("SELECT count(*) FROM audit_event WHERE action = 'dataset.create'") == saved

    def done() -> bool:
        return scalar("SELECT status FROM harvest_job WHERE id = :id", id=job_id) == "succeeded"

    _wait(catalog, done, 300, "the second worker to finish the job")
    finisher = scalar("SELECT worker FROM harvest_job WHERE id = :id", id=job_id)
    assert int(finisher.rsplit(":", 2)[1]) == second.pid
    assert scalar("SELECT count(*) FROM harvest_job") == 1
    assert scalar("SELECT attempts FROM harvest_job") == 2
    assert scalar("SELECT added FROM harvest_job") == records
    assert scalar("SELECT count(*) FROM dataset") == records
    assert scalar("SELECT count(DISTINCT identifier) FROM dataset") == records
    assert scalar("SELECT count(*) FROM harvest_link") == records
    assert scalar("SELECT count(*) FROM audit_event WHERE action = 'dataset.create'") == records
    assert scalar("SELECT count(*) FROM harvest_record WHERE job_id = :id", id=job_id) == records
    assert scalar("SELECT count(DISTINCT identifier) FROM harvest_record") == records


def test_run_now_in_the_web_reaches_a_celery_worker(catalog):
    catalog["start_worker"]()
    _add_source(catalog, "cdc", CDC)
    app = catalog["app"]
    with app.app_context():
        from catalog.services.users import create_user, issue_token

        cdo = create_user(db.session, "cdo@example.ct.gov", "cdo")
        token = issue_token(db.session, cdo)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    response = client.post(
        "/api/v1/harvest/sources/cdc/jobs", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202
    job_url = f"/api/v1/harvest/jobs/{response.json['id']}"
    _wait(
        catalog,
        lambda: client.get(job_url).json["status"] == "succeeded",
        120,
        "the queued job to succeed",
    )
    assert client.get(job_url).json["counts"]["added"] == CDC_RECORDS
