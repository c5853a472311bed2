"""Without a broker: "Run now" queues a job, `manage.py worker` (the embedded worker) runs it,
schedules read from the database fire without a restart, and periodic tasks run when due."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text, update

from catalog.db import db
from catalog.models import ConformanceSnapshot, HarvestJob, HarvestSource, ScheduledTask
from catalog.services.harvest import update_source
from catalog.services.harvest_jobs import worker_identity
from catalog.services.schedules import dispatch, next_run, normalize_schedule
from jobs.worker import EmbeddedWorker
from tests.jobs.conftest import CDC, CDC_RECORDS, PROJECT, manage, subprocess_env

NO_TASKS: dict[str, str | None] = {}


def _next(session, source) -> datetime | None:
    return session.scalar(select(HarvestSource.next_run_at).where(HarvestSource.id == source.id))


def test_run_now_through_the_api_is_queued_then_run_by_the_embedded_worker(
    app, client, make_source, make_user, token_for
):
    make_source()
    token = token_for(make_user("steward", agencies=("DPH",)))
    response = client.post(
        "/api/v1/harvest/sources/cdc/jobs", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202
    job_id = response.json["id"]
    assert response.headers["Location"].endswith(f"/api/v1/harvest/jobs/{job_id}")
    assert client.get(f"/api/v1/harvest/jobs/{job_id}").json["status"] == "queued"

    assert EmbeddedWorker(app).run_once() == 1

    body = client.get(f"/api/v1/harvest/jobs/{job_id}").json
    assert body["status"] == "succeeded"
    assert body["counts"]["added"] == CDC_RECORDS
    assert body["trigger"] == "api" and body["attempts"] == 1
    assert body["progress"]["read"] == CDC_RECORDS
    # A second pass finds nothing queued: the job ran once.
    assert EmbeddedWorker(app).run_once() == 0


def test_run_now_refusals(app, client, make_source, make_user, token_for):
    make_source()
    other = token_for(make_user("steward", agencies=("DOT",)))
    cdo = token_for(make_user("cdo"))
    assert client.post("/api/v1/harvest/sources/cdc/jobs").status_code == 401
    refused = client.post(
        "/api/v1/harvest/sources/cdc/jobs", headers={"Authorization": f"Bearer {other}"}
    )
    assert refused.status_code == 403
    missing = client.post(
        "/api/v1/harvest/sources/nope/jobs", headers={"Authorization": f"Bearer {cdo}"}
    )
    assert missing.status_code == 404
    first = client.post(
        "/api/v1/harvest/sources/cdc/jobs", headers={"Authorization": f"Bearer {cdo}"}
    )
    again = client.post(
        "/api/v1/harvest/sources/cdc/jobs", headers={"Authorization": f"Bearer {cdo}"}
    )
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json == {"id": first.json["id"], "status": "queued", "new": False}
    with app.app_context():
        db.session.execute(
            text("UPDATE harvest_job SET status = 'running', worker = :w"),
            {"w": worker_identity()},  # this (live) process runs it
        )
        db.session.commit()
    running = client.post(
        "/api/v1/harvest/sources/cdc/jobs", headers={"Authorization": f"Bearer {cdo}"}
    )
    assert running.status_code == 409
    assert "already has a running job" in running.json["errors"]["source"][0]


@pytest.mark.parametrize(
    ("given", "stored"),
    [("0 3 * * *", "0 3 * * *"), ("@daily", "@daily"), ("Weekly", "@weekly"), ("", None),
     ("  */15  * * * * ", "*/15 * * * *")],
)  # fmt: skip
def test_schedules_accepted(given, stored):
    assert normalize_schedule(given) == stored


@pytest.mark.parametrize("given", ["every day", "61 * * * *", "0 3 * * * *", "@yearlyish"])
def test_schedules_refused_with_a_plain_reason(given):
    from catalog.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        normalize_schedule(given)
    assert "cron expression of five fields" in caught.value.errors["schedule"][0]


def test_cron_fields_are_read_in_hartford_time():
    # 3 a.m. in Hartford is 08:00 UTC in winter and 07:00 UTC in summer.
    assert next_run("0 3 * * *", datetime(2026, 12, 1, 12, 0), "America/New_York") == datetime(
        2026, 12, 2, 8, 0
    )
    assert next_run("0 3 * * *", datetime(2026, 7, 1, 12, 0), "America/New_York") == datetime(
        2026, 7, 2, 7, 0
    )


def test_dispatch_queues_a_due_source_once_however_often_it_runs(session, make_source):
    source = make_source(schedule="*/5 * * * *")
    start = datetime(2026, 12, 1, 10, 2)
    # First sight of the schedule: its first run is the next slot, nothing is queued now.
    assert dispatch(session, NO_TASKS, now=start).jobs == []
    assert _next(session, source) == datetime(2026, 12, 1, 10, 5)
    assert dispatch(session, NO_TASKS, now=datetime(2026, 12, 1, 10, 4)).jobs == []
    due = datetime(2026, 12, 1, 10, 5, 1)
    queued = dispatch(session, NO_TASKS, now=due).jobs
    assert len(queued) == 1
    # Dispatchers on other hosts, or a second delivery of the same tick: nothing more.
    assert dispatch(session, NO_TASKS, now=due).jobs == []
    assert dispatch(session, NO_TASKS, now=due + timedelta(seconds=30)).jobs == []
    job = session.get(HarvestJob, queued[0])
    assert (job.status, job.trigger) == ("queued", "schedule")
    # The next slot comes while the job still waits: one queued job per source, not two.
    assert dispatch(session, NO_TASKS, now=datetime(2026, 12, 1, 10, 10, 1)).jobs == []
    assert session.scalar(select(func.count()).select_from(HarvestJob)) == 1


def test_an_edited_schedule_takes_effect_at_the_next_dispatch(session, make_source):
    source = make_source(schedule="0 3 * * *")
    now = datetime(2026, 12, 1, 10, 0)
    dispatch(session, NO_TASKS, now=now)
    assert _next(session, source) == datetime(2026, 12, 2, 3, 0)
    update_source(session, "cdc", "test", schedule="30 10 * * *")
    session.commit()
    dispatch(session, NO_TASKS, now=now + timedelta(minutes=1))
    assert _next(session, source) == datetime(2026, 12, 1, 10, 30)
    assert len(dispatch(session, NO_TASKS, now=datetime(2026, 12, 1, 10, 30, 5)).jobs) == 1


def test_a_paused_source_is_not_queued(session, make_source):
    make_source(schedule="* * * * *")
    now = datetime(2026, 12, 1, 10, 0, 30)
    dispatch(session, NO_TASKS, now=now)
    update_source(session, "cdc", "test", paused=True)
    session.commit()
    assert dispatch(session, NO_TASKS, now=now + timedelta(minutes=5)).jobs == []


def test_periodic_tasks_run_when_due_with_their_own_schedules(app, session, make_source):
    """A snapshot every minute, link checks never: the embedded worker runs the snapshot."""
    tasks = {"snapshot": "* * * * *", "linkcheck": None}
    now = datetime(2026, 12, 1, 10, 0, 30)
    assert dispatch(session, tasks, now=now).tasks == []  # first sight: scheduled ahead
    next_at = select(ScheduledTask.next_run_at).where(ScheduledTask.name == "snapshot")
    assert session.scalar(next_at) == datetime(2026, 12, 1, 10, 1)
    assert session.get(ScheduledTask, "linkcheck") is None
    assert dispatch(session, tasks, now=datetime(2026, 12, 1, 10, 1, 2)).tasks == ["snapshot"]
    assert dispatch(session, tasks, now=datetime(2026, 12, 1, 10, 1, 3)).tasks == []

    from jobs.tasks import run_periodic

    assert "snapshot" in run_periodic(app, "snapshot")
    assert session.scalar(select(func.count()).select_from(ConformanceSnapshot)) == 1
    session.expire_all()
    assert session.get(ScheduledTask, "snapshot").last_finished_at is not None


def test_the_embedded_worker_runs_due_periodic_tasks(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULE_SNAPSHOT", "* * * * *")
    monkeypatch.setitem(app.config, "SCHEDULE_LINKCHECK", "off")
    worker = EmbeddedWorker(app)
    worker.run_once()  # the schedule is seen; its first slot is the next minute
    session.execute(update(ScheduledTask).values(next_run_at=datetime(2000, 1, 1)))
    session.commit()
    worker.run_once()
    assert session.scalar(select(func.count()).select_from(ConformanceSnapshot)) == 1


@pytest.mark.slow
def test_a_source_with_a_one_minute_schedule_is_harvested_with_nobody_typing(tmp_path):
    """`manage.py worker` (no broker) left running; `sources add --schedule '* * * * *'` only.
    Within the next minute or so the source is harvested."""
    env = subprocess_env(tmp_path, DISPATCH_SECONDS="1")
    assert manage(["init"], env).returncode == 0
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker"], cwd=PROJECT, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    database = create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        added = manage(["sources", "add", "minutely", "--kind", "dcat-us", "--url", str(CDC),
                        "--agency", "DPH", "--schedule", "* * * * *"], env)  # fmt: skip
        assert added.returncode == 0, added.stderr

        def jobs() -> list[tuple]:
            with database.connect() as conn:
                return conn.execute(
                    text("SELECT status, trigger, added, unchanged FROM harvest_job ORDER BY id")
                ).all()

        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not any(j[0] == "succeeded" for j in jobs()):
            assert worker.poll() is None, log.read_text()
            time.sleep(1)
        done = [j for j in jobs() if j[0] == "succeeded"]
        assert done, jobs()
        assert done[0] == ("succeeded", "schedule", CDC_RECORDS, 0)
        with database.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM dataset")).scalar() == CDC_RECORDS
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        database.dispose()
