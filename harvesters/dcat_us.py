"""DCAT-US ``data.json``: version 1.1 (a catalog object) and the older 1.0 form (a top-level
array), from an address or a local path, parsed as a stream (ijson) so memory stays flat."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from catalog.guards.text import SurrogateEscapeFilter
from catalog.schemas.dataset import DatasetInputSchema, DistributionInputSchema
from harvesters.base import Harvester, SourceRecord
from harvesters.http import looks_like_markup, not_json

# Keys the input schema accepts (governance keys and the catalog's own keys left out).
DATASET_KEYS = {
    f.data_key or name for name, f in DatasetInputSchema().fields.items() if not f.dump_only
} - {"steward", "classification", "notes", "agency", "columns"}
DISTRIBUTION_KEYS = {
    f.data_key or name for name, f in DistributionInputSchema().fields.items() if not f.dump_only
}
FREQUENCIES = {
    "daily": "R/P1D",
    "weekly": "R/P1W",
    "biweekly": "R/P2W",
    "monthly": "R/P1M",
    "quarterly": "R/P3M",
    "semiannual": "R/P6M",
    "annual": "R/P1Y",
    "annually": "R/P1Y",
    "yearly": "R/P1Y",
    "irregular": "irregular",
    "as needed": "irregular",
    "continuous": "R/PT1S",
}


class PrefixedReader:
    """A reader that first returns bytes already peeked at, then the rest of the stream."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self.head, self.rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        if self.head:
            head, self.head = self.head, b""
            return head
        return self.rest.read(n if n and n > 0 else 65536)


def open_source(harvester: Harvester, location: str) -> Any:
    """A binary reader over a local path or an http(s) address."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", location):
        return harvester.http.stream(location)
    return Path(location).expanduser().open("rb")


def stream_entries(reader: Any) -> Iterator[dict[str, Any]]:
    """Dataset entries from a data.json of either form."""
    head = b""
    while True:
        chunk = reader.read(65536)
        if not chunk:
            break
        head += chunk
        if head.strip():
            break
    if looks_like_markup(head):
        location = getattr(reader, "url", None) or getattr(reader, "name", "data.json")
        raise not_json(str(location), getattr(reader, "content_type", None))
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    prefix = "item" if stripped.startswith(b"[") else "dataset.item"
    source = SurrogateEscapeFilter(PrefixedReader(head, reader))
    yield from ijson.items(source, prefix, use_float=True)


class DcatUsHarvester(Harvester):
    kind = "dcat-us"
    version = "1"

    def gather(self) -> Iterator[SourceRecord]:
        reader = open_source(self, self.source.url)
        try:
            for entry in stream_entries(reader):
                if not isinstance(entry, dict):
                    yield SourceRecord(None, {"value": entry})
                    continue
                yield SourceRecord(_text(entry.get("identifier")), entry)
        finally:
            reader.close()

    def transform(self, raw: dict[str, Any]) -> dict[str, Any]:
        if ("conformsTo" in raw and "@type" in raw) or _looks_v11(raw):
            return transform_v11(raw)
        return transform_v10(raw)


def _looks_v11(raw: dict[str, Any]) -> bool:
    return isinstance(raw.get("publisher"), dict) or isinstance(raw.get("contactPoint"), dict)


def transform_v11(raw: dict[str, Any]) -> dict[str, Any]:
    payload = {key: value for key, value in raw.items() if key in DATASET_KEYS}
    payload.pop("@type", None)
    if isinstance(payload.get("distribution"), list):
        payload["distribution"] = [
            {k: v for k, v in dist.items() if k in DISTRIBUTION_KEYS and k != "@type"}
            for dist in payload["distribution"]
            if isinstance(dist, dict)
        ]
    for key in ("keyword", "theme", "language", "references", "bureauCode", "programCode"):
        if isinstance(payload.get(key), str):
            payload[key] = [part.strip() for part in payload[key].split(",") if part.strip()]
    if isinstance(payload.get("publisher"), dict):
        payload["publisher"] = {"name": payload["publisher"].get("name")}
    if isinstance(payload.get("accessLevel"), str):
        payload["accessLevel"] = payload["accessLevel"].strip().lower()
    return payload


def transform_v10(raw: dict[str, Any]) -> dict[str, Any]:
    """Project Open Data 1.0 (e.g. Socrata's 2013 data.json) to DCAT-US 1.1.

    Values of an unexpected type are passed on as they are, so validation drops them with a
    warning and keeps the record, rather than the mapping failing the whole record.
    """
    access = raw.get("accessLevel") or "public"
    payload: dict[str, Any] = {
        "title": raw.get("title"),
        "description": raw.get("description"),
        "modified": raw.get("modified"),
        "accessLevel": access.strip().lower() if isinstance(access, str) else access,
    }
    keywords = raw.get("keywords") or raw.get("keyword")
    if isinstance(keywords, str):
        keywords = [part.strip() for part in keywords.split(",")]
    if isinstance(keywords, list):
        keywords = [k for k in keywords if k]
    if keywords:
        payload["keyword"] = keywords
    if isinstance(raw.get("publisher"), str):
        payload["publisher"] = {"name": raw["publisher"]}
    contact = raw.get("contactPoint")
    if isinstance(contact, str) and contact.strip():
        payload["contactPoint"] = {"fn": contact}
        if raw.get("mbox"):
            payload["contactPoint"]["hasEmail"] = f"mailto:{raw['mbox']}"
    issued = raw.get("issued") or raw.get("releaseDate") or raw.get("created")
    if issued:
        payload["issued"] = issued
    frequency = str(raw.get("accrualPeriodicity") or raw.get("frequency") or "").strip().lower()
    if frequency in FREQUENCIES:
        payload["accrualPeriodicity"] = FREQUENCIES[frequency]
    for old, new in (
        ("license", "license"),
        ("landingPage", "landingPage"),
        ("spatial", "spatial"),
        ("temporal", "temporal"),
        ("dataDictionary", "describedBy"),
        ("accessLevelComment", "rights"),
        ("systemOfRecords", "systemOfRecords"),
    ):
        if raw.get(old):
            payload[new] = raw[old]
    if raw.get("theme"):
        theme = raw["theme"]
        payload["theme"] = [theme] if isinstance(theme, str) else theme
    distributions = _distributions_v10(raw)
    if distributions:
        payload["distribution"] = distributions
    return {key: value for key, value in payload.items() if value not in (None, "", [])}


def _distributions_v10(raw: dict[str, Any]) -> Any:
    listed = raw.get("distribution")
    if listed and not isinstance(listed, list):
        return listed  # not a list: validation reports and drops it
    distributions = []
    for dist in listed or []:
        if not isinstance(dist, dict) or not dist.get("accessURL"):
            continue
        formats = dist.get("formats")
        first = formats[0] if isinstance(formats, list) and formats else {}
        first = first if isinstance(first, dict) else {}
        entry = {"accessURL": dist["accessURL"]}
        if first.get("value"):
            entry["mediaType"] = first["value"]
        if first.get("label"):
            entry["format"] = first["label"]
        distributions.append(entry)
    if not distributions and raw.get("accessURL"):
        distributions.append({"accessURL": raw["accessURL"]})
        if raw.get("format"):
            distributions[0]["mediaType"] = raw["format"]
    return distributions


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)
