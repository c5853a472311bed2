"""What each viewer may see of a record. Used by pages, the API and exports alike."""

from __future__ import annotations

from typing import Any

from catalog.models import Dataset, User
from catalog.permissions import can_see_internal
from catalog.schemas.dataset import INTERNAL_FIELDS, NON_PUBLIC_HIDDEN_FIELDS, DatasetOutputSchema

_FULL = DatasetOutputSchema()
_PUBLIC = DatasetOutputSchema(exclude=INTERNAL_FIELDS)
_NON_PUBLIC = DatasetOutputSchema(exclude=INTERNAL_FIELDS + NON_PUBLIC_HIDDEN_FIELDS)


def dataset_view_schema(dataset: Dataset, viewer: User | None) -> DatasetOutputSchema:
    if can_see_internal(viewer, dataset):
        return _FULL
    return _PUBLIC if dataset.access_level == "public" else _NON_PUBLIC


def present_dataset(dataset: Dataset, viewer: User | None) -> dict[str, Any]:
    """The dataset as DCAT-US JSON, with internal details only for those allowed to see them."""
    return dataset_view_schema(dataset, viewer).dump(dataset)
