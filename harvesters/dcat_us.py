"""DCAT-US catalogs: 3.0 (recognised by the catalog's ``conformsTo`` or a record's shape), 1.1
(``data.json``, a catalog object) and the older 1.0 form (a top-level array), from an address or a
local path, parsed as a stream (ijson) so memory stays flat.

From 3.0 catalogs the harvest also keeps data services (``service``, a distribution's
``accessService``) and dataset series (``inSeries``, ``datasetSeries``), linked to the datasets
they serve or hold, and reads the datasets of ``hasPart`` sub-catalogs."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from catalog.dcat import incoming, validation
from catalog.guards.text import SurrogateEscapeFilter
from catalog.schemas.dataset import DatasetInputSchema, DistributionInputSchema
from catalog.services.dcat_resources import ResourceEntry, save_resources
from harvesters.base import Harvester, SourceRecord, issue
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


def _head(reader: Any) -> bytes:
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
    return head


def stream_entries(reader: Any) -> Iterator[dict[str, Any]]:
    """Dataset entries from a data.json of either form (1.0 array or catalog)."""
    for part, value in stream_catalog(reader):
        if part == "dataset":
            yield value


# Parts of a catalog object read as a stream: its datasets, and for DCAT-US 3.0 its data services,
# dataset series, sub-catalogs (hasPart) and conformsTo.
CATALOG_PARTS = {
    "conformsTo": "conformsTo",  # first: within a chunk, it is known before the datasets
    "dataset.item": "dataset",
    "service.item": "service",
    "datasetSeries.item": "series",
    "hasPart.item": "subcatalog",
}


def stream_catalog(reader: Any) -> Iterator[tuple[str, Any]]:
    """``(part, value)`` pairs in document order: ``dataset`` entries (a 1.0 array's items too),
    and for a catalog its ``service``, ``series`` (``datasetSeries``), ``subcatalog``
    (``hasPart``) items and ``conformsTo``: one C-level parse per part, fed the same chunks,
    unless the catalog declares DCAT-US 1.1 before its datasets."""
    head = _head(reader)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    source = SurrogateEscapeFilter(PrefixedReader(head, reader))
    if stripped.startswith(b"["):
        entries = ijson.items(source, "item", use_float=True)
        yield from (("dataset", e) for e in entries)
        return
    declared = _declared_standard(head)
    if isinstance(declared, str) and not incoming.catalog_is_v3(declared):
        # A 1.1 catalog that says so before its datasets: one parse, datasets only (a coroutine
        # parse per part costs ten times as much, which a 100,000-record data.json would feel).
        yield ("conformsTo", declared)
        entries = ijson.items(source, "dataset.item", use_float=True)
        yield from (("dataset", e) for e in entries)
        return
    found: list[tuple[str, Any]] = []
    coroutines = [
        ijson.items_coro(_Collector(found, part), prefix, use_float=True)
        for prefix, part in CATALOG_PARTS.items()
    ]
    while chunk := source.read(65536):
        for coroutine in coroutines:
            coroutine.send(chunk)
        yield from found
        found.clear()
    for coroutine in coroutines:
        coroutine.close()
    yield from found


def _declared_standard(head: bytes) -> Any:
    """The catalog's ``conformsTo`` when the first chunk gives it before the datasets (a string,
    or a dict for a 3.0 Standard), else None."""
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if prefix == "conformsTo":
                return value if event == "string" else {} if event == "start_map" else None
            if prefix == "dataset" and event == "start_array":
                return None
    except ijson.JSONError:
        return None
    return None


class _Collector:
    """An ijson coroutine target that tags each item with its part of the catalog."""

    def __init__(self, found: list[tuple[str, Any]], part: str) -> None:
        self.found, self.part = found, part

    def send(self, value: Any) -> None:
        self.found.append((self.part, value))


class DcatUsHarvester(Harvester):
    kind = "dcat-us"
    version = "2"

    def gather(self) -> Iterator[SourceRecord]:
        self.catalog_v3 = False
        self.resources: dict[tuple[str, str], ResourceEntry] = {}
        self.yielded: set[str] = set()  # dataset identifiers gathered so far
        self.from_series: set[str] = set()  # ...of which first met as a series member
        reader = open_source(self, self.source.url)
        try:
            for part, value in stream_catalog(reader):
                if part == "conformsTo":
                    self.catalog_v3 = incoming.catalog_is_v3(value)
                elif part == "service" and isinstance(value, dict):
                    self._keep_service(value)
                elif part == "series" and isinstance(value, dict):
                    yield from self._series(value)
                elif part == "subcatalog" and isinstance(value, dict):
                    yield from self._subcatalog(value)
                elif part == "dataset":
                    yield from self._dataset(value)
        finally:
            reader.close()

    def _dataset(self, entry: Any) -> Iterator[SourceRecord]:
        if not isinstance(entry, dict):
            yield SourceRecord(None, {"value": entry})
            return
        if entry.get("@type") == "DatasetSeries":
            yield from self._series(entry)
            return
        identifier = incoming.record_identifier(entry)
        if identifier in self.from_series:
            return  # already gathered as a member of its series
        if incoming.version_of(entry, self.catalog_v3) == "3.0":
            identifier = identifier or incoming.derived_identifier(entry)
            for series in entry.get("inSeries") or []:
                if isinstance(series, dict):
                    self._keep("series", series, identifier)
            for dist in entry.get("distribution") or []:
                for service in (dist.get("accessService") or []) if isinstance(dist, dict) else []:
                    if isinstance(service, dict):
                        self._keep("service", service, identifier)
        if identifier:
            self.yielded.add(identifier)
        yield SourceRecord(identifier, entry)

    def _series(self, series: dict[str, Any]) -> Iterator[SourceRecord]:
        members = [m for m in series.get("seriesMember") or [] if isinstance(m, dict)]
        for member in members:
            member_id = incoming.record_identifier(member) or incoming.derived_identifier(member)
            self._keep("series", series, member_id)
        if not members:
            self._keep("series", series, None)
        # Members listed only inside the series are datasets of this catalog too.
        for member in members:
            key = incoming.record_identifier(member) or incoming.derived_identifier(member)
            if key not in self.yielded:
                yield from self._dataset(member)
                self.from_series.add(key)

    def _subcatalog(self, catalog: dict[str, Any]) -> Iterator[SourceRecord]:
        """The datasets of a ``hasPart`` sub-catalog (and of its own sub-catalogs)."""
        for entry in catalog.get("dataset") or []:
            yield from self._dataset(entry)
        for service in catalog.get("service") or []:
            if isinstance(service, dict):
                self._keep_service(service)
        for part in catalog.get("hasPart") or []:
            if isinstance(part, dict):
                yield from self._subcatalog(part)

    def _keep_service(self, service: dict[str, Any]) -> None:
        served = [d for d in service.get("servesDataset") or [] if isinstance(d, dict)]
        self._keep("service", service, None)
        for dataset in served:
            self._keep("service", service, incoming.record_identifier(dataset))

    def _keep(self, kind: str, document: dict[str, Any], dataset_identifier: str | None) -> None:
        key = incoming.resource_identifier(document)
        if key is None:
            return
        nested = "servesDataset" if kind == "service" else "seriesMember"
        entry = self.resources.get((kind, key))
        if entry is None:
            title = incoming.values.text(document.get("title")) or key
            entry = ResourceEntry(kind, key, title, _without(document, nested))
            self.resources[(kind, key)] = entry
        if dataset_identifier:
            entry.dataset_identifiers.add(dataset_identifier)

    def transform(self, raw: dict[str, Any]) -> dict[str, Any]:
        version = incoming.version_of(raw, self.catalog_v3)
        if version == "1.0":
            return incoming.from_v10(raw)
        if version == "1.1":
            return incoming.from_v11(raw, DATASET_KEYS, DISTRIBUTION_KEYS)
        return transform_v3(raw)

    def finish(self, job: Any, failures: dict[int, list[dict]]) -> None:
        """Keep the data services and dataset series the source listed, linked to the datasets
        they serve or hold (after the datasets are saved, so links find them)."""
        if getattr(self, "gather_error", None) is not None or self.session is None:
            return
        if not self.resources and not self._had_resources():
            return
        save_resources(
            self.session,
            self.source.id,
            list(self.resources.values()),
            f"harvest:{self.source.name}",
            complete=True,
        )

    def _had_resources(self) -> bool:
        from sqlalchemy import select

        from catalog.models import DcatResource

        return (
            self.session.scalar(
                select(DcatResource.id).where(DcatResource.source_id == self.source.id).limit(1)
            )
            is not None
        )


def transform_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """A 3.0 record as a payload, with its 3.0 schema problems as field-level warnings: values
    the schema rejects are left out of what the catalog keeps of the record's 3.0 form."""
    payload = incoming.from_v3(raw)
    problems = []
    errors = validation.v3_field_errors(raw, "dataset")
    for field_name, messages in errors.items():
        problems.append(
            issue(
                "warning",
                "dcat-us-3.0",
                "Not valid DCAT-US 3.0: " + "; ".join(messages),
                field_name,
            )
        )
        if isinstance(payload.get("dcat3"), dict):
            payload["dcat3"].pop(field_name, None)
    if not incoming.record_identifier(raw):
        problems.append(
            issue(
                "warning",
                "derived-identifier",
                "No identifier or @id: the record is keyed by its title and publisher, so a "
                "change to either makes it a new dataset.",
                "identifier",
            )
        )
    # Always sent, so richer values the source no longer gives do not linger.
    payload["dcat3"] = payload.get("dcat3") or None
    payload["_problems"] = problems
    return payload


def _without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)
