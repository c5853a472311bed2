"""Datasets made from the real CDC data.json entries (``tests/fixtures/real``)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache

import pytest
from flask import Flask

from catalog.db import db
from catalog.models import Dataset
from catalog.services.conformance import dataset_conformance
from catalog.services.datasets import create_dataset
from catalog.standards import current_rule_set
from tests.conftest import FIXTURES

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
# Entries of the CDC subset used below (all load through the input schema):
GOOD_PUBLIC = 16  # keywords, ODC-By license, describedBy, four distributions
BARE_PUBLIC = 0  # no keywords, no license, no data dictionary
YEARLY = 24  # accrualPeriodicity R/P1Y, modified 2018
NON_PUBLIC = 38


@cache
def _cdc_entries() -> list[dict]:
    return json.loads(CDC.read_text())["dataset"]


def cdc_payload(index: int, **overrides: object) -> dict:
    """CDC entry ``index`` as a catalog payload for DPH; an override of None drops the key."""
    payload = copy.deepcopy(_cdc_entries()[index])
    payload.pop("publisher", None)
    payload["agency"] = "DPH"
    for key, value in overrides.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


@pytest.fixture
def cdc_dataset(app: Flask) -> Callable[..., Dataset]:
    """Create a dataset from a CDC entry through the dataset service (harvest-style, partial)."""

    def _make(index: int = GOOD_PUBLIC, **overrides: object) -> Dataset:
        with app.app_context():
            dataset = create_dataset(
                db.session, cdc_payload(index, **overrides), "harvest:test", partial=True
            )
            db.session.commit()
            return dataset

    return _make


@pytest.fixture
def results(app: Flask) -> Callable[[str], dict]:
    """``results(dataset_id)`` -> {"score", "by_rule": {rule_id: (status, message)}}."""

    def _read(dataset_id: str) -> dict:
        with app.app_context():
            data = dataset_conformance(db.session, dataset_id, current_rule_set())
        return {
            "score": data["score"],
            "by_rule": {
                item["rule"]: (item["status"], item["message"]) for item in data["results"]
            },
        }

    return _read
