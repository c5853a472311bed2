"""Datasets built from the real CDC data.json (DCAT-US 1.1, 60 entries, public and not)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from catalog.db import db
from catalog.errors import InvalidInput
from catalog.models import Dataset
from catalog.services.datasets import create_dataset
from tests.conftest import FIXTURES

CDC = FIXTURES / "socrata" / "data-json" / "data.cdc.gov_data.json_subset.json"
AGENCIES = ("DPH", "DOT", "DCF")
SCORES = (None, 95, 85, 70, 55, 30, 10)
REVIEWS = (None, None, "identified", "in_review", "resolved_agreement", "restricted")


def cdc_entries() -> list[dict]:
    return json.loads(CDC.read_text())["dataset"]


@pytest.fixture
def cdc_catalog(app):
    """The CDC entries saved through the dataset service (one commit, so one index batch),
    spread over three agencies, with conformance scores and review states set the way the
    conformance and review services do (Core UPDATE)."""
    with app.app_context():
        saved, skipped = [], []
        for n, entry in enumerate(cdc_entries()):
            payload = {k: v for k, v in entry.items() if k not in ("@type", "publisher")}
            payload["agency"] = AGENCIES[n % len(AGENCIES)]
            if payload.get("accessLevel") != "public" and not payload.get("rights"):
                payload["rights"] = "Restricted by the agency."
            for _attempt in range(6):
                try:
                    with db.session.begin_nested():
                        saved.append(create_dataset(db.session, payload, "harvest:cdc"))
                    break
                except InvalidInput as exc:
                    # As a harvester would: drop what does not validate, keep the record.
                    skipped.append(exc.errors)
                    for key in exc.errors:
                        top = key.split(".")[0]
                        if top == "description":
                            payload["description"] = payload["title"]
                        else:
                            payload.pop(top, None)
        for n, dataset in enumerate(saved):
            db.session.execute(
                update(Dataset)
                .where(Dataset.id == dataset.id)
                .values(
                    conformance_score=SCORES[n % len(SCORES)],
                    review_status=REVIEWS[n % len(REVIEWS)],
                    updated_at=Dataset.updated_at,
                )
            )
        db.session.commit()
        assert len(saved) >= 45, skipped
        ids = [d.id for d in saved]
    # The Core updates send no event; the conformance service announces its batch like this.
    with app.app_context():
        from catalog import events

        events.datasets_changed.send("conformance", ids=ids)
        db.session.commit()
    return ids
