"""Jobs killed halfway, stuck jobs, and a source that already has a running job."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import responses
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import AuditEvent, Dataset, HarvestJob, HarvestLink
from catalog.models._common import utcnow
from catalog.services.harvest_jobs import worker_identity
from harvesters import HarvestFailed
from harvesters.dcat_us import DcatUsHarvester
from tests.conftest import FIXTURES

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_job_killed_halfway_leaves_a_consistent_database_and_the_next_run_finishes(
    make_source,
    harvest,
    monkeypatch,
) -> None:
    source = make_source(url=str(CDC))
    real_gather = DcatUsHarvester.gather

    def dies_after_25(self):
        for index, record in enumerate(real_gather(self)):
            if index == 25:
                raise KeyboardInterrupt  # the process is stopped mid-run
            yield record

    monkeypatch.setattr(DcatUsHarvester, "gather", dies_after_25)
    with pytest.raises(KeyboardInterrupt):
        _run_with_batch(source, 10)
    job = db.session.scalar(select(HarvestJob).order_by(HarvestJob.id.desc()))
    assert job.status == "failed"
    # Two batches of ten were committed, whole: every dataset has its link and its audit event.
    assert count(Dataset) == count(HarvestLink) == 20
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "dataset.create")) == 20
    )

    monkeypatch.setattr(DcatUsHarvester, "gather", real_gather)
    job = harvest(source)
    assert (job.status, job.added, job.unchanged, job.withdrawn) == ("succeeded", 40, 20, 0)
    assert count(Dataset) == 60


def _run_with_batch(source, batch_size: int) -> HarvestJob:
    from flask import current_app

    from harvesters.http import HttpClient
    from harvesters.registry import harvester_for

    harvester = harvester_for(source, http=HttpClient(), config=current_app.config)
    return harvester.run(
        db.session, config_dir=current_app.config["CONFIG_DIR"], batch_size=batch_size
    )


def test_job_silent_past_the_timeout_is_marked_failed_and_the_source_runs_again(
    make_source, harvest
) -> None:
    """A job run from a terminal on another host (its process cannot be checked from here)
    whose heartbeat stopped: failed once the heartbeat is older than the timeout (60 s)."""
    source = make_source(url=str(CDC))
    stuck = HarvestJob(
        source_id=source.id,
        status="running",
        worker="another-host/0000:4242:123",
        started_at=utcnow() - timedelta(minutes=3),
        heartbeat_at=utcnow() - timedelta(seconds=61),
    )
    db.session.add(stuck)
    db.session.commit()
    job = harvest(source)
    assert job.status == "succeeded"
    db.session.refresh(stuck)
    assert stuck.status == "failed" and "no heartbeat for 60s" in stuck.error


def test_a_source_with_a_live_running_job_is_not_started_twice(make_source, harvest) -> None:
    source = make_source(url=str(CDC))
    db.session.add(
        HarvestJob(source_id=source.id, status="running", worker=worker_identity(os.getpid()))
    )
    db.session.commit()
    with pytest.raises(HarvestFailed, match="already has a running job"):
        harvest(source)


@responses.activate
def test_records_failing_validation_are_per_record_errors(make_source, harvest) -> None:
    import json

    document = json.loads(CDC.read_text())
    document["dataset"][0]["title"] = "   "
    document["dataset"][1]["license"] = "not a url"
    responses.add(responses.GET, "https://data.example.gov/data.json", json=document)
    job = harvest(make_source())
    assert (job.status, job.added, job.failed) == ("succeeded", 59, 1)
    from catalog.services.harvest import error_groups, errors_csv

    groups = error_groups(db.session, job)
    assert any(
        item["field"] == "title" and item["severity"] == "error" for item in groups["invalid-value"]
    )
    assert any(
        item["field"] == "license" and item["severity"] == "warning"
        for item in groups["invalid-value"]
    )
    csv_text = errors_csv(db.session, job)
    assert csv_text.splitlines()[0].startswith("type,severity,identifier,title,field,message")


def test_validation_in_worker_processes_gives_the_same_outcome(
    make_source, harvest, app, monkeypatch
) -> None:
    chicago = FIXTURES / "socrata" / "data-json-v1.0-2013" / "data.cityofchicago.org_data.json"
    monkeypatch.setitem(app.config, "HARVEST_WORKERS", 2)
    job = harvest(make_source(url=str(chicago)))
    assert job.status == "succeeded"
    assert job.added + job.failed == 514 and job.added > 500
    assert count(Dataset) == job.added
