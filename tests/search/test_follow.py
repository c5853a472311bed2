"""The index follows the database's change sequence: after kills, across hosts, in order."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import create_app
from catalog.db import db
from catalog.models import ChangeSequence, DatasetChange
from catalog.services import changes
from catalog.services.datasets import create_dataset
from search_index import ANONYMOUS, SearchParams, get_store
from search_index.engine import run
from search_index.follow import catch_up
from search_index.store import IndexStore
from tests.conftest import dataset_payload

PROJECT = Path(__file__).resolve().parents[2]


def _total(client, **params) -> int:
    response = client.get("/api/v1/datasets", query_string=params)
    assert response.status_code == 200, response.json
    return response.json["total"]


def _env(app) -> dict[str, str]:
    return {
        **os.environ,
        "CATALOG_ENV": "testing",
        "CATALOG_DATABASE_URL": app.config["DATABASE_URL"],
        "CATALOG_INSTANCE_DIR": app.config["INSTANCE_DIR"],
        "CATALOG_INDEX_DIR": app.config["INDEX_DIR"],
        "CATALOG_SECRET_KEY": "test-secret-key",
    }


def test_a_server_killed_right_after_its_commit_leaves_nothing_out(app, client, make_dataset):
    make_dataset(title="Harbor survey")
    assert _total(client, q="harbor") == 1
    # Another process saves a dataset and is killed (SIGKILL) before it can index it.
    script = textwrap.dedent(
        """
        import os, signal
        import search_index.lifecycle
        from catalog import create_app
        from catalog.db import db
        from catalog.services.datasets import create_dataset
        from tests.conftest import dataset_payload

        search_index.lifecycle._catch_up = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
        app = create_app()
        with app.app_context():
            create_dataset(db.session, dataset_payload(title="Estuary survey"), "test")
            db.session.commit()
        """
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, env=_env(app), timeout=120, check=False
    )
    assert killed.returncode == -9
    with app.app_context():
        assert "Estuary survey" in {d.title for d in db.session.scalars(select(_dataset()))}
    # The next search (of this process, or any other) catches the index up.
    assert _total(client, q="estuary") == 1
    assert _total(client, q="survey") == 2


def _dataset():
    from catalog.models import Dataset

    return Dataset


def test_two_hosts_each_with_its_own_index_follow_one_database(app, client, make_dataset):
    make_dataset(title="Harbor survey")
    other = IndexStore(Path(app.config["INSTANCE_DIR"]) / "second-host-index")
    bind = app.extensions["catalog_db"]
    try:
        assert catch_up(other, bind) == "rebuilt"  # a new host builds its index
        for title in ("Estuary survey", "Marsh survey"):
            make_dataset(title=title)  # written through the first host
        assert catch_up(other, bind) == "updated"
        assert catch_up(other, bind) == "current"
        found = run(other.view(), SearchParams(q="survey"), ANONYMOUS)
        assert found.total == 3 == _total(client, q="survey")
    finally:
        other.clear()


def test_a_follower_thread_picks_up_another_process_commits(app, client, make_dataset):
    make_dataset(title="Harbor survey")
    assert _total(client, q="survey") == 1
    # A second "worker" that follows in the background and never catches up in requests.
    worker = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INSTANCE_DIR": app.config["INSTANCE_DIR"],
            "INDEX_DIR": app.config["INDEX_DIR"],
            "SECRET_KEY": "test-secret-key",
            "INDEX_FOLLOW_SECONDS": 0.1,
        }
    )
    import search_index

    search_index.warm_up(worker, timeout=30)
    follower = worker.extensions["search_index_follower"]
    try:
        # Committed by a process that does not index (it was killed, say).
        with app.app_context():
            create_dataset(db.session, dataset_payload(title="Estuary survey"), "test")
            original = search_index.lifecycle._catch_up
            search_index.lifecycle._catch_up = lambda *args: None
            try:
                db.session.commit()
            finally:
                search_index.lifecycle._catch_up = original
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = worker.test_client().get("/api/v1/datasets?q=survey").json
            if body["total"] == 2:
                break
            time.sleep(0.05)
        assert body["total"] == 2
    finally:
        follower.stop()
        follower.join(timeout=10)
        worker.extensions["catalog_db"].dispose()


def test_stamps_become_visible_in_the_order_they_were_taken(app, make_dataset):
    """A writer that took value S holds the counter until it commits: a second writer takes
    S + 1 only afterwards, so a follower never reads S + 1 while S is still uncommitted."""
    make_dataset(title="First")
    bind = app.extensions["catalog_db"]
    events: list[tuple[str, int]] = []
    first_stamped = threading.Event()

    def slow_writer() -> None:
        with Session(bind=bind) as session:
            _epoch, value = changes.stamp(session.connection(), ["slow"])
            events.append(("slow stamped", value))
            first_stamped.set()
            time.sleep(0.5)
            events.append(("slow commits", value))
            session.commit()

    def fast_writer() -> None:
        first_stamped.wait(10)
        with Session(bind=bind) as session:
            _epoch, value = changes.stamp(session.connection(), ["fast"])
            session.commit()
            events.append(("fast committed", value))

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=fast_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    kinds = [kind for kind, _value in events]
    assert kinds == ["slow stamped", "slow commits", "fast committed"], events
    assert events[2][1] == events[0][1] + 1
    with app.app_context():
        stamped = dict(
            db.session.execute(select(DatasetChange.dataset_id, DatasetChange.seq)).all()
        )
        assert stamped["slow"] < stamped["fast"]
        assert db.session.get(ChangeSequence, 1).value == stamped["fast"]


def test_an_emptied_database_is_a_new_epoch_and_the_index_starts_again(app, client, make_dataset):
    make_dataset(title="Harbor survey")
    assert _total(client, q="harbor") == 1
    store = get_store(app)
    held = store.state()
    with app.app_context():
        for model in (DatasetChange, ChangeSequence):
            db.session.query(model).delete()
        db.session.commit()
    make_dataset(title="Estuary survey")  # a new sequence, from 1 again
    assert store.state().epoch != held.epoch
    assert _total(client, q="survey") == 2
