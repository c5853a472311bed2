"""Two harvest sources of one agency: its inventory (a spreadsheet the test writes) and a
portal (a real data.json: the first entries of data.cdc.gov's, unmodified), read from files."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from catalog.db import db
from catalog.models import HarvestSource
from catalog.services.harvest import add_source
from harvesters.runner import run_harvest
from tests.conftest import FIXTURES
from tests.plan.conftest import freeze_today, login  # noqa: F401  (fixtures shared with plan)

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
CDC_ENTRIES = json.loads(CDC.read_text(encoding="utf-8"))["dataset"]
MAPPING = """
[columns]
identifier = "identifier"
title = "name"
description = "description"
accessLevel = "access"

[defaults]
rights = "Held under the agency's confidentiality rules; ask its data officer."
"""


def cdc(index: int) -> dict:
    return CDC_ENTRIES[index]


@pytest.fixture
def portal_file(tmp_path: Path) -> Callable[[list[int]], Path]:
    """A data.json with the CDC entries at these positions, unmodified."""

    def _write(indexes: list[int]) -> Path:
        catalog = json.loads(CDC.read_text(encoding="utf-8"))
        catalog["dataset"] = [CDC_ENTRIES[i] for i in indexes]
        path = tmp_path / "portal-data.json"
        path.write_text(json.dumps(catalog), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def inventory_file(tmp_path: Path) -> Callable[[list[tuple[str, str, str]]], Path]:
    """An agency inventory CSV: (identifier, title, access) rows."""

    def _write(rows: list[tuple[str, str, str]]) -> Path:
        path = tmp_path / "inventory.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["identifier", "name", "description", "access"])
            for identifier, title, access in rows:
                writer.writerow([identifier, title, f"{title}, as the agency lists it.", access])
        return path

    return _write


@pytest.fixture
def sources(app: Flask, tmp_path: Path, portal_file, inventory_file):
    """``sources(inventory_rows, portal_indexes)`` registers DPH's inventory and portal and
    returns their names and roles. (Each call has its own app context: a context kept open
    across requests would share ``g`` between them.)"""

    def _make(rows: list[tuple[str, str, str]], indexes: list[int]) -> dict[str, dict]:
        mapping = tmp_path / "mapping.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        with app.app_context():
            inventory = add_source(
                db.session,
                "dph-inventory",
                "inventory",
                str(inventory_file(rows)),
                "test",
                agency_code="DPH",
                mapping_path=mapping,
            )
            portal = add_source(
                db.session,
                "dph-portal",
                "dcat-us",
                str(portal_file(indexes)),
                "test",
                agency_code="DPH",
                role="portal",
            )
            db.session.commit()
            return {
                "inventory": {"name": inventory.name, "role": inventory.role},
                "portal": {"name": portal.name, "role": portal.role},
            }

    return _make


@pytest.fixture
def harvest(app: Flask) -> Callable[[dict], dict]:
    """Harvest a source (by the dict ``sources`` returned); returns the job's counts."""

    def _run(source: dict) -> dict:
        with app.app_context():
            record = db.session.scalar(
                select(HarvestSource).where(HarvestSource.name == source["name"])
            )
            job = run_harvest(db.session, record, app.config)
            assert job.status == "succeeded", job.error
            counts = job.counts
            db.session.remove()
            return counts

    return _run
