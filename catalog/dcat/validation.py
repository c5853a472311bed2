"""Validation against the official schemas shipped in ``config/schemas`` (offline: every file is
registered under its id, so ``$ref``s resolve locally), with a real IRI/URI format checker.

DCAT-US 1.1: the non-federal Draft 4 set (``dcat-us-1.1/non-federal``). DCAT-US 3.0: GSA's Draft
2020-12 definitions (``dcat-us-3.0/definitions``), one file per class.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from config.settings import CONFIG_DIR

SCHEMAS = Path(CONFIG_DIR) / "schemas"
V11_DIR = SCHEMAS / "dcat-us-1.1" / "non-federal"
V3_DIR = SCHEMAS / "dcat-us-3.0" / "definitions"
V3_ID = "https://resources.data.gov/dcat-us/3.0.0/definitions/"


@cache
def _v11_validator() -> Any:
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    resources = []
    for path in V11_DIR.glob("*.json"):
        resource = Resource.from_contents(json.loads(path.read_text()), DRAFT4)
        resources.append((f"https://project-open-data.cio.gov/v1.1/schema/{path.name}", resource))
    schema = json.loads((V11_DIR / "catalog.json").read_text())
    return Draft4Validator(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )


@cache
def _v3_registry() -> Any:
    from referencing import Registry, Resource

    registry = Registry()
    for path in V3_DIR.glob("*.json"):
        registry = Resource.from_contents(json.loads(path.read_text())) @ registry
    return registry


@cache
def _v3_validator(cls: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        {"$ref": V3_ID + cls},
        registry=_v3_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def v3_schema(cls: str) -> dict[str, Any]:
    """The raw 3.0 definition of a class (``dataset``, ``catalog``, ``dataservice``...)."""
    return _v3_registry().contents(V3_ID + cls)


def _messages(errors: Any) -> list[tuple[list[Any], str]]:
    found = []
    for error in errors:
        found.append((list(error.absolute_path), _best_message(error)))
    found.sort(key=lambda item: [str(p) for p in item[0]])
    return found


def _best_message(error: Any) -> str:
    """The most specific reason under anyOf/oneOf (skipping the "is not null" alternatives)."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        useful = [
            e for e in error.context if not (e.validator == "type" and e.validator_value == "null")
        ]
        if useful:
            deepest = max(useful, key=lambda e: len(e.absolute_path))
            return _best_message(deepest)
    return error.message if len(error.message) < 200 else error.message[:197] + "..."


def v11_errors(document: dict[str, Any]) -> list[str]:
    """Readable schema errors of a DCAT-US 1.1 catalog (empty when valid)."""
    return [
        f"{'/'.join(map(str, path)) or '(root)'}: {message}"
        for path, message in _messages(_v11_validator().iter_errors(document))
    ]


def v3_errors(document: Any, cls: str = "catalog") -> list[str]:
    """Readable schema errors of a DCAT-US 3.0 document of class ``cls`` (empty when valid)."""
    return [
        f"{'/'.join(map(str, path)) or '(root)'}: {message}"
        for path, message in _messages(_v3_validator(cls).iter_errors(document))
    ]


def v3_field_errors(document: Any, cls: str = "dataset") -> dict[str, list[str]]:
    """3.0 schema errors of one record grouped by its top-level property (``_schema`` for the
    record as a whole, e.g. a missing required property, which names itself in the message)."""
    grouped: dict[str, list[str]] = {}
    for path, message in _messages(_v3_validator(cls).iter_errors(document)):
        key = str(path[0]) if path else "_schema"
        if key == "_schema" and "is a required property" in message:
            key = message.split("'")[1]
        grouped.setdefault(key, []).append(
            f"{'/'.join(map(str, path[1:]))}: {message}" if len(path) > 1 else message
        )
    return grouped


def v3_property_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """Errors of 3.0 dataset property values given on their own (unknown properties too)."""
    known = v3_schema("dataset")["properties"]
    errors = {key: ["Not a DCAT-US 3.0 dataset property."] for key in values if key not in known}
    found = v3_field_errors({k: v for k, v in values.items() if k in known})
    errors.update({key: found[key] for key in values if key in found})
    return errors
