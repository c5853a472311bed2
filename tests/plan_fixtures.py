"""Fixtures for the plan's work, shared by the plan, governance and browser tests (imported by
tests/conftest.py): the frozen plan clock, signing in through the form, and two harvest sources
of one agency, its inventory (a spreadsheet the test writes) and a portal (a real data.json: the
first entries of data.cdc.gov's, unmodified), read from files."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from catalog.db import db
from catalog.models import ConformanceSnapshot, HarvestSource, PlanSnapshot
from catalog.services import plan as plan_service
from catalog.services.agreements import create_agreement
from catalog.services.conformance import take_snapshot
from catalog.services.harvest import add_source
from catalog.services.progress import submit_progress_report
from harvesters.runner import run_harvest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real"

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
def dph_sources(app: Flask, tmp_path: Path, portal_file, inventory_file):
    """``dph_sources(inventory_rows, portal_indexes)`` registers DPH's inventory and portal and
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
def harvest_named(app: Flask) -> Callable[[dict], dict]:
    """Harvest a source (a dict ``dph_sources`` returned); returns the job's counts."""

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


@pytest.fixture
def login(client):
    def _login(user, password: str = "correct horse battery"):
        token = _csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def freeze_today(monkeypatch):
    """``freeze_today(date(2018, 8, 20))``: the plan's clock says that day."""

    def _freeze(day: date) -> None:
        monkeypatch.setattr(plan_service.CLOCK, "today", lambda: day)

    return _freeze


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def snapshot_on(day: date) -> tuple[ConformanceSnapshot, PlanSnapshot]:
    """Take both snapshots now and date them ``day``, as if taken then."""
    conformance = take_snapshot(db.session)
    plan = db.session.scalar(select(PlanSnapshot).order_by(PlanSnapshot.taken_at.desc()))
    conformance.taken_on = plan.taken_on = day
    db.session.commit()
    return conformance, plan


@pytest.fixture
def period_history(app, make_user, make_dataset):
    """The 2025-2026 plan's period (2025-01-01 to 2026-12-31) with a snapshot near each end."""
    steward = make_user("steward", agencies=("DPH",), email="ado@dph.ct.gov")
    make_dataset(title="Births by town", agency="DPH")
    with app.app_context():
        first = snapshot_on(date(2025, 1, 10))
    make_dataset(title="Deaths by town", agency="DPH", keyword=["health"], description="Short.")
    make_dataset(title="Bridge inspections", agency="DOT")
    with app.app_context():
        steward = db.session.merge(steward)
        submit_progress_report(
            db.session,
            {
                "plan": "2025-2026",
                "objective": "G1.1",
                "agency": "DPH",
                "period": "2026-H2",
                "status": "on-track",
                "metric_value": 62,
                "narrative": "Private narrative.",
            },
            steward,
        )
        create_agreement(
            db.session,
            steward,
            title="Vital records for DOT safety studies",
            purpose="Road safety research",
            party_codes=["DPH", "DOT"],
            effective_on=date(2026, 1, 1),
        )
        db.session.commit()
        last = snapshot_on(date(2026, 12, 20))
        return {
            "first": (first[0].id, first[1].id),
            "last": (last[0].id, last[1].id),
        }
