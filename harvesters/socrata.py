"""Socrata portals (data.ct.gov): the Discovery API for one domain, paged with ``scroll_id``,
enriched from ``/api/views/<id>.json`` where the Discovery record lacks custom metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from harvesters.base import Harvester, SourceRecord
from harvesters.http import FetchError

PAGE_SIZE = 100
# Counters that change every day without the metadata changing: left out of the stored record.
VOLATILE_RESOURCE_KEYS = ("page_views", "download_count")
VIEW_KEYS = ("attribution", "category", "tags", "license", "licenseId", "metadata", "columns")
LICENSES = {
    "public domain": "https://creativecommons.org/publicdomain/mark/1.0/",
    "cc0 1.0 universal (cc0 1.0) - public domain dedication": "https://creativecommons.org/publicdomain/zero/1.0/",
    "creative commons 1.0 universal (public domain dedication)": "https://creativecommons.org/publicdomain/zero/1.0/",
    "creative commons attribution 4.0 international": "https://creativecommons.org/licenses/by/4.0/",
    "creative commons attribution | share alike 4.0 international": "https://creativecommons.org/licenses/by-sa/4.0/",
    "open data commons public domain dedication and license": "https://opendatacommons.org/licenses/pddl/1-0/",
    "open database license": "https://opendatacommons.org/licenses/odbl/1-0/",
}


class SocrataHarvester(Harvester):
    kind = "socrata"
    version = "2"  # 2: frequency words, media types (normalise.py), long text kept

    @property
    def root(self) -> str:
        return self.source.url.rstrip("/")

    @property
    def domain(self) -> str:
        return urlsplit(self.root).hostname or self.root

    def gather(self) -> Iterator[SourceRecord]:
        scroll_id: str | None = None
        while True:
            params: dict[str, Any] = {
                "domains": self.domain,
                "only": "datasets",
                "limit": PAGE_SIZE,
            }
            if scroll_id:
                params["scroll_id"] = scroll_id
            page = self.http.get_json(f"{self.root}/api/catalog/v1", params=params)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise FetchError(f"{self.root}/api/catalog/v1: not a Discovery API response")
            if isinstance(page.get("resultSetSize"), int):
                self.expected_total = page["resultSetSize"]
            results = page["results"]
            for result in results:
                if not isinstance(result, dict):
                    yield SourceRecord(None, {"value": result})  # a record error, not a crash
                    continue
                record = self._normalise(result)
                yield SourceRecord(self.identifier_for(record), record)
            if len(results) < PAGE_SIZE:
                return
            scroll_id = _mapping(_mapping(results[-1]).get("resource")).get("id")
            if not scroll_id:
                return

    def identifier_for(self, record: dict[str, Any]) -> str | None:
        resource = _mapping(record.get("resource"))
        domain = _mapping(record.get("metadata")).get("domain") or self.domain
        return f"https://{domain}/api/views/{resource['id']}" if resource.get("id") else None

    def _normalise(self, result: dict[str, Any]) -> dict[str, Any]:
        record = dict(result)
        resource = {
            k: v
            for k, v in _mapping(record.get("resource")).items()
            if k not in VOLATILE_RESOURCE_KEYS
        }
        record["resource"] = resource
        classification = _mapping(record.get("classification"))
        if not classification.get("domain_metadata") and resource.get("id"):
            domain = _mapping(record.get("metadata")).get("domain") or self.domain
            record["view"] = self._view(domain, resource["id"])
        return record

    def _view(self, domain: str, four_by_four: str) -> dict[str, Any] | None:
        scheme = urlsplit(self.root).scheme or "https"
        try:
            view = self.http.get_json(f"{scheme}://{domain}/api/views/{four_by_four}.json")
        except FetchError:
            return None  # enrichment only: the Discovery record stands on its own
        if not isinstance(view, dict):
            return None
        kept = {key: view[key] for key in VIEW_KEYS if key in view}
        metadata = kept.get("metadata") or {}
        kept["metadata"] = {"custom_fields": metadata.get("custom_fields") or {}}
        kept["columns"] = [
            {k: c.get(k) for k in ("name", "fieldName", "dataTypeName", "description")}
            for c in view.get("columns") or []
            if isinstance(c, dict)
        ]
        return kept

    def transform(self, raw: dict[str, Any]) -> dict[str, Any]:
        return transform_socrata(raw, self.domain)


def transform_socrata(raw: dict[str, Any], default_domain: str) -> dict[str, Any]:
    resource = raw.get("resource") or {}
    classification = raw.get("classification") or {}
    metadata = raw.get("metadata") or {}
    view = raw.get("view") or {}
    domain = metadata.get("domain") or default_domain
    four_by_four = resource.get("id")
    custom = _custom_fields(classification, view)
    attribution = resource.get("attribution") or view.get("attribution")
    payload: dict[str, Any] = {
        "title": resource.get("name"),
        "description": resource.get("description") or view.get("description"),
        "accessLevel": "public",
        "landingPage": raw.get("permalink") or raw.get("link"),
        "modified": _date(
            resource.get("data_updated_at")
            or resource.get("updatedAt")
            or resource.get("metadata_updated_at")
        ),
        "issued": _date(resource.get("createdAt") or resource.get("publication_date")),
    }
    agency = next((value for key, value in custom.items() if "agency" in key.lower()), None)
    publisher = agency or attribution
    if publisher:
        payload["publisher"] = {"name": publisher}
    payload["agency"] = agency
    payload["_attribution"] = attribution
    keywords = list(classification.get("tags") or []) + list(
        classification.get("domain_tags") or []
    )
    keywords += [t for t in view.get("tags") or [] if isinstance(t, str)]
    if keywords:
        payload["keyword"] = list(dict.fromkeys(k.strip() for k in keywords if k and k.strip()))
    category = classification.get("domain_category") or view.get("category")
    if category:
        payload["theme"] = [category]
    elif classification.get("categories"):
        payload["theme"] = list(classification["categories"])
    view_license = view.get("license") if isinstance(view.get("license"), dict) else {}
    license_name = metadata.get("license") or view_license.get("name")
    if license_name:
        payload["license"] = LICENSES.get(str(license_name).strip().lower(), license_name)
    email = resource.get("contact_email") or _custom(custom, "contact-email", "contact email")
    if email:
        name = _custom(custom, "contact-name", "contact name") or attribution or domain
        payload["contactPoint"] = {
            "fn": name,
            "hasEmail": f"mailto:{email.removeprefix('mailto:')}",
        }
    level = (_custom(custom, "public-access-level", "public access level") or "").strip().lower()
    if level in ("public", "restricted public", "non-public"):
        payload["accessLevel"] = level
    columns = _columns(resource, view)
    if columns:
        payload["columns"] = columns
    if four_by_four and (resource.get("type") in (None, "dataset", "filter")):
        base = f"https://{domain}/api/views/{four_by_four}"
        payload["distribution"] = [
            {
                "title": "CSV",
                "downloadURL": f"{base}/rows.csv?accessType=DOWNLOAD",
                "mediaType": "text/csv",
                "format": "CSV",
            },
            {
                "title": "JSON",
                "downloadURL": f"{base}/rows.json?accessType=DOWNLOAD",
                "mediaType": "application/json",
                "format": "JSON",
            },
            {
                "title": "SODA API",
                "accessURL": f"https://{domain}/resource/{four_by_four}.json",
                "format": "API",
            },
        ]
    return {key: value for key, value in payload.items() if value not in (None, "", [])}


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one (a malformed result fails on its own)."""
    return value if isinstance(value, dict) else {}


def _custom_fields(classification: dict[str, Any], view: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in classification.get("domain_metadata") or []:
        if isinstance(item, dict) and item.get("key") and item.get("value"):
            fields[str(item["key"])] = str(item["value"])
    custom = (view.get("metadata") or {}).get("custom_fields") or {}
    for group, values in custom.items():
        if isinstance(values, dict):
            for key, value in values.items():
                if value:
                    fields[f"{group}_{key}"] = str(value)
    return fields


def _custom(custom: dict[str, str], *suffixes: str) -> str | None:
    for key, value in custom.items():
        if key.lower().endswith(suffixes):
            return value
    return None


def _columns(resource: dict[str, Any], view: dict[str, Any]) -> list[dict[str, str]]:
    if view.get("columns"):
        return [
            {
                k: v
                for k, v in {
                    "name": c.get("name") or c.get("fieldName"),
                    "type": c.get("dataTypeName"),
                    "description": c.get("description"),
                }.items()
                if v
            }
            for c in view["columns"]
            if c.get("name") or c.get("fieldName")
        ]
    names = resource.get("columns_name") or []
    types = resource.get("columns_datatype") or []
    descriptions = resource.get("columns_description") or []
    columns = []
    for index, name in enumerate(names):
        if not name:
            continue
        column = {"name": str(name)[:255]}
        if index < len(types) and types[index]:
            column["type"] = str(types[index])[:64]
        if index < len(descriptions) and descriptions[index]:
            column["description"] = str(descriptions[index])
        columns.append(column)
    return columns


def _date(value: Any) -> str | None:
    """Socrata's ``2025-08-25T15:46:41.000Z`` as ``2025-08-25T15:46:41Z``; epoch seconds too."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    if "." in text and text.endswith("Z"):
        text = text.split(".")[0] + "Z"
    return text
