"""Jobs that recover: one active job per source enforced by the database, dead processes
noticed at once, queued jobs of a dead worker resumed with nothing lost or duplicated."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.db import db
from catalog.models import AuditEvent, Dataset, HarvestJob, HarvestLink, HarvestRecord
from catalog.services import harvest_jobs
from catalog.services.harvest_jobs import (
    JobConflict,
    claim_job,
    process_alive,
    queue_job,
    recover_jobs,
    start_job,
    worker_identity,
)
from harvesters.base import JobLost
from harvesters.registry import harvester_for
from harvesters.runner import Heartbeat, run_job
from tests.conftest import FIXTURES
from tests.harvesters.conftest import dead_worker

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
CDC_RECORDS = 60


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_starts_at_once_one_runs_and_the_other_gets_a_clear_message(
    app_ctx, make_source, monkeypatch
) -> None:
    """Both starts pass the "no active job" check before either inserts (forced with a
    barrier): the database's unique index lets one insert, the other gets JobConflict."""
    source = make_source(url=str(CDC))
    barrier = threading.Barrier(2, timeout=10)
    original = harvest_jobs.active_job
    first_look: set[int] = set()

    def racing_active_job(session, src):
        found = original(session, src)
        if threading.get_ident() not in first_look:
            first_look.add(threading.get_ident())
            barrier.wait()  # both threads have looked and seen no job
        return found

    monkeypatch.setattr(harvest_jobs, "active_job", racing_active_job)
    outcomes: list[object] = []

    def start() -> None:
        with app_ctx.app_context():
            session = Session(bind=db.engine, expire_on_commit=False)
            try:
                outcomes.append(start_job(session, session.get(type(source), source.id)).id)
            except Exception as exc:
                outcomes.append(exc)
            finally:
                session.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    started = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], JobConflict)
    assert f"already has a running job (#{started[0]})" in refused[0].message
    assert count(HarvestJob) == 1


def test_a_job_whose_process_is_gone_is_failed_at_once_and_the_source_runs(
    make_source, harvest
) -> None:
    """Its heartbeat is fresh (the kill was a second ago): the process check decides."""
    source = make_source(url=str(CDC))
    killed = HarvestJob(source_id=source.id, status="running", worker=dead_worker(), attempts=1)
    db.session.add(killed)
    db.session.commit()
    job = harvest(source)
    assert job.status == "succeeded"
    db.session.refresh(killed)
    assert killed.status == "failed" and "process is gone" in killed.error


def test_process_identity_tells_live_dead_and_unknown() -> None:
    assert process_alive(worker_identity()) is True
    assert process_alive(dead_worker()) is False
    assert process_alive("elsewhere/0000:1:1") is None  # another host: ask the heartbeat
    pid, start = worker_identity().rsplit(":", 2)[1:]
    reused = worker_identity().replace(f":{pid}:{start}", f":{pid}:{int(start) + 1}")
    assert process_alive(reused) is False  # same pid, another process


def test_queue_twice_gives_the_same_job_and_a_running_source_refuses(
    app_ctx, make_source, make_user
) -> None:
    source = make_source(url=str(CDC))
    cdo = db.session.merge(make_user("cdo"))
    first, new = queue_job(db.session, source, cdo)
    db.session.commit()
    again, new_again = queue_job(db.session, source, cdo)
    assert (new, new_again, again.id) == (True, False, first.id)
    assert claim_job(db.session, first.id) is not None
    with pytest.raises(JobConflict, match="running job"):
        queue_job(db.session, source, cdo)
    assert claim_job(db.session, first.id) is None  # a second delivery of the id does nothing


def _kill_after_batches(app, source, job, batches: int) -> None:
    """Run ``job`` in small batches and stop it the way SIGKILL would: committed batches stay,
    the row stays 'running' under a worker that no longer exists."""
    seen = 0

    def progress(done, total):
        nonlocal seen
        seen += 1
        if seen >= batches:
            raise KeyboardInterrupt

    harvester = harvester_for(source, config=app.config)
    with pytest.raises(KeyboardInterrupt):
        harvester.run(db.session, job=job, batch_size=10, progress=progress)
    db.session.execute(
        HarvestJob.__table__.update()
        .where(HarvestJob.id == job.id)
        .values(status="running", worker=dead_worker(), error=None, finished_at=None)
    )
    db.session.commit()


def test_a_queued_job_of_a_dead_worker_is_queued_again_and_finished_whole(
    app_ctx, make_source
) -> None:
    source = make_source(url=str(CDC))
    job, _new = queue_job(db.session, source, "schedule", trigger="schedule")
    db.session.commit()
    job = claim_job(db.session, job.id)
    _kill_after_batches(app_ctx, source, job, batches=3)
    saved = count(Dataset)
    assert 0 < saved < CDC_RECORDS

    recovered = recover_jobs(db.session)
    db.session.commit()
    assert recovered.requeued == [job.id]
    finished = run_job(db.session, job.id, app_ctx.config)

    assert (finished.id, finished.status, finished.attempts) == (job.id, "succeeded", 2)
    assert count(Dataset) == CDC_RECORDS
    assert count(HarvestLink) == CDC_RECORDS
    assert count(AuditEvent, AuditEvent.action == "dataset.create") == CDC_RECORDS
    # One job, every record counted once, one outcome row per record.
    assert finished.added == CDC_RECORDS and finished.unchanged == 0
    identifiers = list(
        db.session.scalars(select(HarvestRecord.identifier).where(HarvestRecord.job_id == job.id))
    )
    assert len(identifiers) == len(set(identifiers)) == CDC_RECORDS


def test_a_cli_job_of_a_dead_process_fails_rather_than_waiting_for_a_worker(
    app_ctx, make_source
) -> None:
    source = make_source(url=str(CDC))
    job = start_job(db.session, source)
    _kill_after_batches(app_ctx, source, job, batches=2)
    recovered = recover_jobs(db.session)
    db.session.commit()
    assert recovered.failed == [job.id] and recovered.requeued == []


def test_a_job_that_keeps_dying_is_failed_after_its_attempts(app_ctx, make_source) -> None:
    source = make_source(url=str(CDC))
    job, _new = queue_job(db.session, source, "schedule", trigger="schedule")
    db.session.commit()
    for _attempt in range(3):
        assert claim_job(db.session, job.id) is not None
        db.session.execute(
            HarvestJob.__table__.update()
            .where(HarvestJob.id == job.id)
            .values(worker=dead_worker())
        )
        db.session.commit()
        recover_jobs(db.session, max_attempts=3)
        db.session.commit()
    db.session.refresh(job)
    assert job.status == "failed" and "after 3 attempt(s)" in job.error


def test_heartbeat_stamps_the_row_and_notices_a_takeover(app_ctx, make_source) -> None:
    source = make_source(url=str(CDC))
    job = start_job(db.session, source)
    before = job.heartbeat_at
    heartbeat = Heartbeat(db.engine, job.id, job.worker, interval=0.05)
    report = heartbeat.wrap(None)
    with heartbeat:
        report(7, 60)
        time.sleep(0.3)
        db.session.refresh(job)
        assert job.heartbeat_at > before and (job.progress, job.expected) == (7, 60)
        # Found dead elsewhere and handed to another worker: this one must stop.
        db.session.execute(
            HarvestJob.__table__.update().where(HarvestJob.id == job.id).values(worker="other")
        )
        db.session.commit()
        deadline = time.monotonic() + 5
        while not heartbeat.lost and time.monotonic() < deadline:
            time.sleep(0.05)
    with pytest.raises(JobLost):
        report(8, 60)


def test_a_heartbeat_after_the_job_finished_is_not_a_takeover(app_ctx, make_source) -> None:
    """The job commits its end, then the heartbeat thread beats once more: still its own job
    (a harvest that finished must not fail with JobLost at its last progress report)."""
    from catalog.services.harvest_jobs import beat

    source = make_source(url=str(CDC))
    job = start_job(db.session, source)
    job.status = "succeeded"
    db.session.commit()
    with db.engine.connect() as connection:
        assert beat(connection, job.id, job.worker, 60, 60) is True
        assert beat(connection, job.id, "someone-else:1:1", 60, 60) is False
