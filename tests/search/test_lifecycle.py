"""The index's life: batching, concurrent writes, rebuilds, deleted folders, old schema versions."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from sqlalchemy import select

from catalog import events
from catalog.db import db
from catalog.models import Dataset
from catalog.services.datasets import create_dataset
from search_index import SCHEMA_VERSION, get_store
from search_index.cli import index as index_commands
from search_index.documents import iter_records
from search_index.store import POINTER, IndexStore
from tests.conftest import dataset_payload


def _total(client, **params) -> int:
    return client.get("/api/v1/datasets", query_string=params).json["total"]


def test_one_index_commit_per_request_or_harvest_batch(app, client, monkeypatch):
    _total(client)  # the (empty) index exists
    calls = []
    original = IndexStore.update

    def counting(self, records, delete_ids=(), **kwargs):
        records = list(records)
        calls.append(len(records))
        return original(self, records, delete_ids, **kwargs)

    monkeypatch.setattr(IndexStore, "update", counting)
    with app.app_context():
        for n in range(5):
            create_dataset(db.session, dataset_payload(title=f"Batch dataset {n}"), "harvest:test")
        db.session.commit()
    assert calls == [5]
    assert _total(client, q="batch") == 5


def test_searches_keep_working_while_the_index_is_written(app, client, cdc_catalog):
    store = get_store(app)
    expected = _total(client, q="health")
    total_all = _total(client)
    with app.app_context():
        records = list(iter_records(db.session, cdc_catalog))
    errors: list[BaseException] = []
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def write() -> None:
        try:
            for _ in range(5):
                store.update(records)  # a harvest re-saving every dataset, batch after batch
            with app.app_context():
                from search_index.service import rebuild

                rebuild(store, db.session)  # and a full rebuild, swapped in at the end
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    def search() -> None:
        reader = app.test_client()
        try:
            while not stop.is_set():
                body = reader.get("/api/v1/datasets?q=health").json
                everything = reader.get("/api/v1/datasets").json
                seen.add((body["total"], everything["total"]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=search) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    # Never a half-built index: every answer counted the whole catalog.
    assert seen == {(expected, total_all)}


def test_deleting_the_index_folder_and_rebuilding_loses_nothing(app, client, runner, cdc_catalog):
    before = client.get("/api/v1/datasets?q=survey&per_page=100").json
    shutil.rmtree(app.config["INDEX_DIR"])
    result = runner.invoke(index_commands, ["rebuild"])
    assert result.exit_code == 0, result.output
    assert f"Indexed {len(cdc_catalog)} datasets" in result.output
    after = client.get("/api/v1/datasets?q=survey&per_page=100").json
    assert after["total"] == before["total"]
    assert after["facets"] == before["facets"]
    assert [i["id"] for i in after["items"]] == [i["id"] for i in before["items"]]


def test_a_missing_index_is_rebuilt_on_the_first_search(app, client, cdc_catalog):
    expected = _total(client, q="survey")
    shutil.rmtree(app.config["INDEX_DIR"])
    assert _total(client, q="survey") == expected


def test_an_index_from_an_older_schema_version_is_detected_and_rebuilt(app, client, cdc_catalog):
    expected = _total(client, q="survey")
    store = get_store(app)
    pointer_file = Path(app.config["INDEX_DIR"]) / POINTER
    pointer = json.loads(pointer_file.read_text())
    old_folder = pointer["dir"]
    pointer["schema_version"] = SCHEMA_VERSION - 1
    pointer_file.write_text(json.dumps(pointer))
    store.invalidate()
    assert store.status() == "stale"

    assert _total(client, q="survey") == expected
    assert store.status() == "ok"
    assert json.loads(pointer_file.read_text())["dir"] != old_folder


def test_deleted_datasets_leave_the_index(app, client, cdc_catalog):
    with app.app_context():
        target = db.session.scalars(select(Dataset).where(Dataset.title.like("%Tobacco%"))).first()
        before = _total(client, q="tobacco")
        db.session.delete(target)
        events.datasets_deleted.send("test", ids=[target.id])
        db.session.commit()
    assert _total(client, q="tobacco") == before - 1


def test_rebuild_command_reports_failure_in_one_line(app, runner, monkeypatch):
    def broken(*_a, **_k):
        from catalog.errors import ServiceError

        raise ServiceError("The index folder is not writable.")

    monkeypatch.setattr("search_index.service.rebuild", broken)
    result = runner.invoke(index_commands, ["rebuild"])
    assert result.exit_code != 0
    assert "not writable" in result.output
