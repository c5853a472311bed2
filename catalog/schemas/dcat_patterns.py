"""Patterns taken from the official DCAT-US 1.1 (non-federal) JSON Schema shipped in config/schemas.

Reading them from the schema keeps our validation identical to the standard's own definition.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from config.settings import CONFIG_DIR

SCHEMA_DIR = Path(CONFIG_DIR) / "schemas" / "dcat-us-1.1" / "non-federal"


@cache
def _dataset_properties() -> dict:
    schema = json.loads((SCHEMA_DIR / "dataset-non-federal.json").read_text())
    return schema["properties"]


def _patterns(prop: str) -> list[re.Pattern[str]]:
    spec = _dataset_properties()[prop]
    options = spec.get("anyOf", [spec])
    found = [option["pattern"] for option in options if "pattern" in option]
    found += [
        option["items"]["pattern"] for option in options if "pattern" in option.get("items", {})
    ]
    return [re.compile(p) for p in found]


@cache
def patterns(prop: str) -> tuple[re.Pattern[str], ...]:
    """Compiled patterns the official schema allows for a dataset property."""
    return tuple(_patterns(prop))


@cache
def allowed_values(prop: str) -> frozenset[str]:
    """Literal values the official schema lists for a property (e.g. ``irregular``)."""
    spec = _dataset_properties()[prop]
    return frozenset(v for option in spec.get("anyOf", [spec]) for v in option.get("enum", []))


def matches(prop: str, value: str) -> bool:
    return value in allowed_values(prop) or any(p.search(value) for p in patterns(prop))


MEDIA_TYPE = re.compile(r"^[-\w]+/[-\w]+(\.[-\w]+)*([+][-\w]+)?$")
