"""The job lifecycle against a plain reference: random sequences of "Run now", terminal starts,
claims, kills, finishes and recoveries on two sources. After every step each source has at most
one queued-or-running job in the database, and every job's status and attempts match the model."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import delete, select

from catalog.db import db
from catalog.models import HarvestJob, HarvestSource
from catalog.services import harvest_jobs
from catalog.services.harvest_jobs import (
    JobConflict,
    claim_job,
    queue_job,
    recover_jobs,
    start_job,
)

SOURCES = ("alpha", "beta")
MAX_ATTEMPTS = 3
# A process on this host that cannot exist (beyond Linux's largest pid): always dead.
DEAD = f"{harvest_jobs._host()}:4194305:1"


class JobLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        session = db.session
        session.execute(delete(HarvestJob))
        session.execute(delete(HarvestSource))
        self.sources = {}
        for name in SOURCES:
            source = HarvestSource(name=name, kind="dcat-us", url=f"/tmp/{name}.json")
            session.add(source)
            self.sources[name] = source
        session.commit()
        # The model: job id -> [source, status, trigger, attempts, alive]
        self.jobs: dict[int, list] = {}

    def _active(self, name: str) -> int | None:
        found = [i for i, j in self.jobs.items() if j[0] == name and j[1] in ("queued", "running")]
        assert len(found) <= 1
        return found[0] if found else None

    def _recover_model(self, names=SOURCES) -> None:
        for job in self.jobs.values():
            if job[0] in names and job[1] == "running" and not job[4]:
                resumable = job[2] in ("schedule", "web", "api") and job[3] < MAX_ATTEMPTS
                job[1] = "queued" if resumable else "failed"

    def _claim_model(self, job_id: int) -> None:
        job = self.jobs[job_id]
        job[1], job[3], job[4] = "running", job[3] + 1, True

    @rule(name=st.sampled_from(SOURCES), trigger=st.sampled_from(("web", "schedule")))
    def run_now(self, name, trigger):
        self._recover_model([name])
        active = self._active(name)
        try:
            job, new = queue_job(db.session, self.sources[name], "test", trigger=trigger)
            db.session.commit()
        except JobConflict:
            db.session.rollback()
            assert active is not None and self.jobs[active][1] == "running"
            return
        if active is None:
            assert new
            self.jobs[job.id] = [name, "queued", trigger, 0, False]
        else:
            assert (new, job.id, self.jobs[active][1]) == (False, active, "queued")

    @rule(name=st.sampled_from(SOURCES))
    def start_in_terminal(self, name):
        self._recover_model([name])
        active = self._active(name)
        try:
            job = start_job(db.session, self.sources[name])
        except JobConflict:
            db.session.rollback()
            assert active is not None and self.jobs[active][1] == "running"
            return
        if active is None:
            self.jobs[job.id] = [name, "running", "cli", 1, True]
        else:
            assert job.id == active
            self._claim_model(active)

    @rule(data=st.data())
    def claim(self, data):
        if not self.jobs:
            return
        job_id = data.draw(st.sampled_from(sorted(self.jobs)))
        claimed = claim_job(db.session, job_id)
        if self.jobs[job_id][1] == "queued":
            assert claimed is not None
            self._claim_model(job_id)
        else:
            assert claimed is None

    @rule(name=st.sampled_from(SOURCES))
    def kill(self, name):
        active = self._active(name)
        if active is None or self.jobs[active][1] != "running":
            return
        db.session.execute(
            HarvestJob.__table__.update().where(HarvestJob.id == active).values(worker=DEAD)
        )
        db.session.commit()
        self.jobs[active][4] = False

    @rule(name=st.sampled_from(SOURCES), ok=st.booleans())
    def finish(self, name, ok):
        active = self._active(name)
        if active is None or self.jobs[active][1] != "running" or not self.jobs[active][4]:
            return
        status = "succeeded" if ok else "failed"
        db.session.execute(
            HarvestJob.__table__.update().where(HarvestJob.id == active).values(status=status)
        )
        db.session.commit()
        self.jobs[active][1] = status

    @rule()
    def recover(self):
        recover_jobs(db.session, max_attempts=MAX_ATTEMPTS)
        db.session.commit()
        self._recover_model()

    @invariant()
    def database_matches_the_model(self):
        rows = db.session.execute(
            select(HarvestJob.id, HarvestJob.status, HarvestJob.attempts)
        ).all()
        assert {r.id: (r.status, r.attempts) for r in rows} == {
            i: (j[1], j[3]) for i, j in self.jobs.items()
        }


@pytest.mark.slow
def test_job_lifecycle_matches_the_model(app_ctx):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        JobLifecycle,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
