"""A harvest of several batches indexes them in a second process; everything it saved is
searchable when the job returns, also when that process fails."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

import search_index.lifecycle
from catalog.db import db
from catalog.models import Dataset
from search_index import get_store, rebuild
from search_index.background import BackgroundIndexer
from tests.conftest import FIXTURES
from tests.harvesters.conftest import dead_worker
from tests.harvesters.test_lifecycle import _run_with_batch

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"


@pytest.fixture
def started(monkeypatch) -> list[BackgroundIndexer]:
    """The background indexers that started a worker process."""
    starts: list[BackgroundIndexer] = []
    real_start = BackgroundIndexer._start

    def spy(self: BackgroundIndexer) -> bool:
        starts.append(self)
        return real_start(self)

    monkeypatch.setattr(BackgroundIndexer, "_start", spy)
    return starts


def indexed_ids(app) -> set[str]:
    store = get_store(app)
    store.invalidate()
    view = store.view()
    return view.live_ids() if view is not None else set()


def dataset_ids() -> set[str]:
    return set(db.session.scalars(select(Dataset.id)))


def test_every_batch_is_searchable_when_the_harvest_returns(
    app_ctx, client, make_source, started
) -> None:
    rebuild(get_store(app_ctx), db.session)  # a catalog in service has an index
    job = _run_with_batch(make_source(url=str(CDC)), batch_size=10)

    assert job.status == "succeeded"
    assert len(started) == 1, "six batches: the later ones go to one worker process"
    assert db.session.scalar(select(func.count(Dataset.id))) == 60
    assert indexed_ids(app_ctx) == dataset_ids()
    found = client.get("/api/v1/datasets", query_string={"q": "tobacco", "per_page": 100}).json
    assert found["total"] > 0
    assert all("tobacco" in (i["title"] + i["description"]).lower() for i in found["items"])


def test_a_failed_worker_is_made_good_inline(app_ctx, make_source, started, monkeypatch, caplog):
    rebuild(get_store(app_ctx), db.session)
    # The worker cannot open this database, so it dies on its first batch.
    monkeypatch.setattr(
        search_index.lifecycle, "database_url_for", lambda _bind: "sqlite:////nonexistent/x.db"
    )
    with caplog.at_level(logging.ERROR, logger="search_index.background"):
        job = _run_with_batch(make_source(url=str(CDC)), batch_size=10)

    assert job.status == "succeeded"
    assert len(started) == 1
    assert "catching up inline" in caplog.text
    assert indexed_ids(app_ctx) == dataset_ids()
    assert len(dataset_ids()) == 60


def test_no_worker_without_an_index_or_for_a_single_batch(app_ctx, make_source, started) -> None:
    # No index yet: nothing to keep in step (the first search builds it).
    _run_with_batch(make_source("first", url=str(CDC)), batch_size=10)
    assert started == []
    # One batch: indexed inline, no process started.
    rebuild(get_store(app_ctx), db.session)
    _run_with_batch(make_source("second", url=str(CDC)), batch_size=1000)
    assert started == []
    assert indexed_ids(app_ctx) == dataset_ids()


def test_a_killed_jobs_saved_batches_are_searchable_without_another_run(
    app_ctx, client, make_source, harvest, monkeypatch
) -> None:
    """A process killed after committing batches but before indexing them: the next process
    that searches catches the index up with the change sequence those commits stamped."""
    rebuild(get_store(app_ctx), db.session)
    app_ctx.config["INDEX_IN_BACKGROUND"] = False
    lost: list[set[str]] = []
    monkeypatch.setattr(
        search_index.lifecycle, "_catch_up", lambda _s, _store, stamp: lost.append(stamp[2])
    )
    source = make_source(url=str(CDC))
    killed = _run_with_batch(source, batch_size=10)
    killed.status, killed.worker = "running", dead_worker()
    db.session.commit()
    assert sum(len(ids) for ids in lost) == 60
    assert indexed_ids(app_ctx) == set()
    monkeypatch.undo()  # a new process: its first search catches up
    assert client.get("/api/v1/datasets").json["total"] == 60
    assert indexed_ids(app_ctx) == dataset_ids()

    app_ctx.config["INDEX_IN_BACKGROUND"] = True
    job = harvest(source)
    assert (job.status, job.unchanged) == ("succeeded", 60)
    assert indexed_ids(app_ctx) == dataset_ids()
