"""The demo's sample datasets, saved through the same services as any registration."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput
from catalog.models import Dataset
from catalog.services.datasets import create_dataset

ACTOR = "demo"


def load_sample_catalog(session: Session, path: Path, agency_code: str) -> tuple[int, int]:
    """Register the datasets of a DCAT-US ``data.json`` not yet in the catalog.

    Returns (added, skipped as already present).
    """
    document = json.loads(path.read_text())
    added = skipped = 0
    for entry in document["dataset"]:
        present = session.scalar(
            select(Dataset.id).where(Dataset.identifier == entry["identifier"])
        )
        if present:
            skipped += 1
            continue
        payload = {key: value for key, value in entry.items() if key != "@type"}
        payload["agency"] = agency_code
        try:
            create_dataset(session, payload, ACTOR)
        except InvalidInput as exc:
            errors = {f"{entry['identifier']}.{k}": v for k, v in exc.errors.items()}
            raise InvalidInput(errors) from None
        added += 1
    return added, skipped
