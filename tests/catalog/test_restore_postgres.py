"""A SQLite catalog backed up with ``manage.py backup`` and restored into an empty PostgreSQL
database with ``manage.py restore``: every record and the audit trail identical, then the search
index rebuilt from PostgreSQL finds the datasets. Needs ``CATALOG_TEST_DATABASE_URL`` (a server
where a scratch database can be created beside the test database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import search_index
from catalog import create_app
from catalog.db import Base, db, make_engine
from catalog.services.datasets import create_dataset, update_dataset, withdraw_dataset
from catalog.services.reviews import open_review
from catalog.services.users import get_user_by_email, issue_token
from tests.conftest import dataset_payload

PROJECT = Path(__file__).resolve().parents[2]
TEST_URL = os.environ.get("CATALOG_TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not TEST_URL.startswith("postgresql"),
    reason="set CATALOG_TEST_DATABASE_URL to a PostgreSQL database to restore into PostgreSQL",
)


def manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def environment(instance: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CATALOG_")}
    env.update(
        CATALOG_INSTANCE_DIR=str(instance),
        CATALOG_DATABASE_URL=database_url,
        CATALOG_INDEX_DIR=str(instance / "index"),
    )
    return env


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    url = make_url(TEST_URL)
    name = f"{url.database}_restore_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def all_rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order decided here (collations differ)."""
    rows = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            found = [dict(r) for r in conn.execute(select(table)).mappings()]
            found.sort(key=lambda r, k=keys: json.dumps([r[c] for c in k] or r, default=str))
            rows[table.name] = [tuple(r[c.name] for c in table.columns) for r in found]
    return rows


def sqlite_catalog(instance: Path) -> tuple[str, dict[str, str]]:
    """The demo catalog (three harvests, conformance, a snapshot) plus a steward's edits, a
    withdrawal and a sharing review, so every kind of record and audit event is in the backup."""
    url = f"sqlite:///{instance / 'catalog.db'}"
    demo = manage(["demo", "--no-serve"], environment(instance, url))
    assert demo.returncode == 0, demo.stdout + demo.stderr
    app = create_app(
        {"ENV_NAME": "testing", "DATABASE_URL": url, "INSTANCE_DIR": str(instance),
         "INDEX_DIR": str(instance / "index"), "SECRET_KEY": "restore-test"}
    )  # fmt: skip
    with app.app_context():
        steward = get_user_by_email(db.session, "steward@dph.ct.gov")  # the demo's steward
        issue_token(db.session, steward)
        # The demo files its (non-Connecticut) samples under UNASSIGNED: DPH registers its own.
        ids = [
            create_dataset(db.session, dataset_payload(title=title, agency="DPH"), steward).id
            for title in ("Harbour soundings", "Beach closures")
        ]  # fmt: skip
        renamed = update_dataset(
            db.session,
            ids[0],
            {"title": "Harbour soundings of Long Island Sound", "notes": "internal note"},
            steward,
        )
        withdraw_dataset(db.session, ids[1], steward)
        open_review(
            db.session,
            ids[0],
            steward,
            purpose="DOT asks for it to plan dredging",
            public_reason="Locations of protected wrecks",
            obstacle_kinds=["security"],
            requesting_agency_code="DOT",
        )
        db.session.commit()
        found = {"renamed": renamed.id, "withdrawn": ids[1]}
        db.session.remove()
    return url, found


def test_sqlite_backup_restores_into_empty_postgresql_and_search_finds_it(
    tmp_path, empty_postgres
) -> None:
    source_dir, target_dir = tmp_path / "sqlite", tmp_path / "postgres"
    source_dir.mkdir()
    target_dir.mkdir()
    source_url, ids = sqlite_catalog(source_dir)
    backup = tmp_path / "catalog.jsonl.gz"

    saved = manage(["backup", "--out", str(backup)], environment(source_dir, source_url))
    assert saved.returncode == 0, saved.stdout + saved.stderr
    target_env = environment(target_dir, empty_postgres)
    restored = manage(["restore", str(backup)], target_env)
    assert restored.returncode == 0, restored.stdout + restored.stderr

    source, target = make_engine(source_url), make_engine(empty_postgres)
    try:
        before, after = all_rows(source), all_rows(target)
        assert {name: len(rows) for name, rows in after.items()} == {
            name: len(rows) for name, rows in before.items()
        }
        assert (
            len(before["audit_event"]) > 50 and len(before["dataset"]) == 54
        )  # the demo's 52 and DPH's 2
        # The change sequence keeps its value and starts a new epoch (indexes rebuild).
        (sequence,) = before.pop("change_sequence")
        (restored_sequence,) = after.pop("change_sequence")
        assert restored_sequence[:2] == sequence[:2] and restored_sequence[2] != sequence[2]
        for name in before:
            assert after[name] == before[name], f"table {name} differs after the restore"
        actions = {row[before_index("audit_event", "action")] for row in after["audit_event"]}
        assert {"dataset.create", "dataset.update", "dataset.withdraw", "review.open"} <= actions
    finally:
        source.dispose()
        target.dispose()

    again = manage(["restore", str(backup)], target_env)
    assert again.returncode != 0 and "not empty" in again.stdout + again.stderr

    rebuilt = manage(["index", "rebuild"], target_env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "Indexed 54 datasets" in rebuilt.stdout
    app = create_app(
        {"ENV_NAME": "testing", "DATABASE_URL": empty_postgres, "INSTANCE_DIR": str(target_dir),
         "INDEX_DIR": str(target_dir / "index"), "SECRET_KEY": "restore-test"}
    )  # fmt: skip
    client = app.test_client()
    try:
        listed = client.get("/api/v1/datasets?q=harbour+soundings").get_json()
        everything = client.get("/api/v1/datasets?per_page=100").get_json()
        page = client.get(f"/datasets/{ids['renamed']}")
    finally:
        search_index.get_store(app).close()
    assert [item["id"] for item in listed["items"]] == [ids["renamed"]]
    assert everything["total"] == 53  # the withdrawn one is not listed
    assert ids["withdrawn"] not in {item["id"] for item in everything["items"]}
    assert page.status_code == 200 and b"Harbour soundings of Long Island Sound" in page.data
    assert b"internal note" not in page.data  # governance fields stay hidden after a restore


def before_index(table: str, column: str) -> int:
    return [c.name for c in Base.metadata.tables[table].columns].index(column)
