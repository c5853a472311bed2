"""What each viewer may see of a record. Used by pages, the API and exports alike.

The DCAT part comes from the one mapping (``catalog.dcat.v11``); this adds the catalog's own
fields and leaves out what the viewer may not see.
"""

from __future__ import annotations

from typing import Any

from catalog.dcat.records import record_of
from catalog.dcat.v11 import NON_PUBLIC_HIDDEN_FIELDS, to_v11
from catalog.models import Dataset, User
from catalog.permissions import can_see_internal


def present_dataset(dataset: Dataset, viewer: User | None) -> dict[str, Any]:
    """The dataset as DCAT-US JSON, with internal details only for those allowed to see them."""
    record = record_of(dataset)
    doc: dict[str, Any] = {"id": dataset.id, **to_v11(record)}
    for key, value in (
        ("columns", dataset.columns),
        ("dcat3", dataset.dcat3),
        ("agency", dataset.agency.code),
        ("status", dataset.status),
        ("version", dataset.version),
        ("created", _utc(dataset.created_at)),
        ("updated", _utc(dataset.updated_at)),
        ("withdrawn", _utc(dataset.withdrawn_at)),
    ):
        if value not in (None, [], {}):
            doc[key] = value
    if can_see_internal(viewer, dataset):
        steward = {
            k: v for k, v in (("name", dataset.steward_name), ("email", dataset.steward_email)) if v
        }
        for key, value in (
            ("steward", steward),
            ("classification", dataset.classification),
            ("notes", dataset.governance_notes),
        ):
            if value:
                doc[key] = value
    elif dataset.access_level != "public":
        for key in NON_PUBLIC_HIDDEN_FIELDS:
            doc.pop(key, None)
    return doc


def _utc(value: Any) -> str | None:
    """Stored times are naive UTC; they go out as RFC 3339 with a Z."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else None
