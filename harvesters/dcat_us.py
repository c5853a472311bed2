"""DCAT-US ``data.json``: version 1.1 (a catalog object) and the older 1.0 form (a top-level
array), from an address or a local path, parsed as a stream (ijson) so memory stays flat."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from catalog.dcat import incoming
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
    yield from ijson.items(PrefixedReader(head, reader), prefix, use_float=True)


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
        if incoming.version_of(raw) == "1.0":
            return incoming.from_v10(raw)
        return incoming.from_v11(raw, DATASET_KEYS, DISTRIBUTION_KEYS)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)
