"""A harvest writing batches in its own process while the site serves searches and dataset pages.

The harvest is ``manage.py harvest`` on the test database (SQLite in WAL mode, or PostgreSQL with
``CATALOG_TEST_DATABASE_URL``) and the test's search index, as a cron job would run beside the
web workers; readers are threads calling the live server over HTTP. Every response must be a 200,
every search self-consistent (facet counts add up to the total, the first page is full, totals
never go back), and every dataset a search returns must open. No lock timeout may surface.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from catalog.db import db
from catalog.services.harvest import add_source

PROJECT = Path(__file__).resolve().parents[2]
RECORDS = 3000
BATCH = 1000  # the harvest commits (and indexes) in batches of this many
READERS = 4

pytestmark = pytest.mark.slow


def generate(path: Path, n: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_harvest", PROJECT / "bench" / "harvest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(path, n)


class Reader(threading.Thread):
    """Searches (API and page) and opens what it finds until told to stop; notes every problem."""

    QUERIES = (
        "/api/v1/datasets?q=inspections&per_page=20",
        "/api/v1/datasets?q=topic-7&per_page=20",
        "/api/v1/datasets?q=benchmark&theme=Health&per_page=20",
        "/api/v1/datasets?per_page=20&sort=title",
    )

    def __init__(self, base: str, harvest: subprocess.Popen, number: int) -> None:
        super().__init__(name=f"reader-{number}", daemon=True)
        self.base, self.harvest, self.number = base, harvest, number
        self.stop = threading.Event()
        self.problems: list[str] = []
        self.requests = 0
        self.during_harvest = 0
        self.totals: dict[str, list[int]] = {q: [] for q in self.QUERIES}
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response | None:
        try:
            response = self.http.get(self.base + path, timeout=60)
        except requests.RequestException as exc:
            self.problems.append(f"{path}: {type(exc).__name__}: {exc}")
            return None
        self.requests += 1
        if self.harvest.poll() is None:
            self.during_harvest += 1
        if response.status_code != 200:
            self.problems.append(f"{path}: HTTP {response.status_code} {response.text[:200]}")
            return None
        return response

    def run(self) -> None:
        turn = self.number
        while not self.stop.is_set():
            query = self.QUERIES[turn % len(self.QUERIES)]
            turn += 1
            response = self.get(query)
            if response is not None:
                self.check_search(query, response.json())
            page = self.get(f"/?q=inspections&page={1 + turn % 3}")
            if page is not None and b"<main" not in page.content:
                self.problems.append("/: the search page has no main landmark")
        self.http.close()

    def check_search(self, query: str, body: dict) -> None:
        total, items = body["total"], body["items"]
        if len(items) != min(20, total):
            self.problems.append(f"{query}: {len(items)} items on page 1 of {total}")
        for facet in ("access_level", "conformance"):
            counted = sum(value["count"] for value in body["facets"][facet])
            if counted != total:
                self.problems.append(f"{query}: {facet} facet counts {counted}, total {total}")
        seen = self.totals[query]
        if seen and total < seen[-1]:
            self.problems.append(f"{query}: total went back from {seen[-1]} to {total}")
        seen.append(total)
        for item in items[:2]:
            if item["status"] != "active":
                self.problems.append(f"{query}: {item['id']} is {item['status']}")
            detail = self.get(f"/api/v1/datasets/{item['id']}")
            if detail is not None and detail.json()["title"] != item["title"]:
                self.problems.append(f"{item['id']}: title differs between search and record")
            page = self.get(f"/datasets/{item['id']}")
            if page is not None and item["title"].encode() not in page.content:
                self.problems.append(f"/datasets/{item['id']}: title missing from the page")


def test_harvest_in_another_process_while_searches_and_pages_are_served(
    app, live_server, tmp_path
) -> None:
    data_json = tmp_path / "data.json"
    generate(data_json, RECORDS)
    with app.app_context():
        add_source(db.session, "big", "dcat-us", str(data_json), "test", agency_code="DPH")
        db.session.commit()
    first = requests.get(f"{live_server}/api/v1/datasets", timeout=60)
    assert first.status_code == 200 and first.json()["total"] == 0  # the index exists, empty

    env = {key: value for key, value in os.environ.items() if not key.startswith("CATALOG_")}
    env.update(
        CATALOG_ENV="testing",
        CATALOG_INSTANCE_DIR=str(tmp_path),
        CATALOG_DATABASE_URL=app.config["DATABASE_URL"],
        CATALOG_INDEX_DIR=app.config["INDEX_DIR"],
    )
    harvest = subprocess.Popen(
        [sys.executable, "manage.py", "harvest", "big"], cwd=PROJECT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    readers = [Reader(live_server, harvest, n) for n in range(READERS)]
    for reader in readers:
        reader.start()
    try:
        output, _ = harvest.communicate(timeout=600)
    finally:
        for reader in readers:
            reader.stop.set()
        for reader in readers:
            reader.join(120)
    assert harvest.returncode == 0, output
    assert "succeeded" in output and f" {RECORDS} " in output, output

    problems = [p for reader in readers for p in reader.problems]
    assert problems == []
    assert sum(reader.during_harvest for reader in readers) >= READERS, "no overlap happened"

    # The index catches up with the other process's last batch (searchers recheck within 1 s).
    deadline = time.monotonic() + 30
    while True:
        body = requests.get(f"{live_server}/api/v1/datasets?q=inspections", timeout=60).json()
        if body["total"] == RECORDS or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert body["total"] == RECORDS
    # Queries every record matches saw whole batches only, never a batch half indexed.
    everything = (
        "/api/v1/datasets?q=inspections&per_page=20",
        "/api/v1/datasets?per_page=20&sort=title",
    )
    seen = {t for reader in readers for q in everything for t in reader.totals[q]}
    assert seen <= set(range(0, RECORDS + 1, BATCH)), sorted(seen)
