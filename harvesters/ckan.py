"""CKAN portals: ``package_search`` paged with ``start``/``rows``; CKAN fields and the DCAT-US
extras that data.gov-style harvests leave on packages mapped to DCAT-US 1.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harvesters.base import Harvester, SourceRecord
from harvesters.http import FetchError

PAGE_SIZE = 100
VOLATILE_KEYS = (
    "tracking_summary",
    "revision_id",
    "revision_timestamp",
    "num_tags",
    "num_resources",
)


class CkanHarvester(Harvester):
    kind = "ckan"
    version = "2"  # 2: frequency words, media types (normalise.py), long text kept

    @property
    def root(self) -> str:
        return self.source.url.rstrip("/")

    def gather(self) -> Iterator[SourceRecord]:
        start = 0
        while True:
            url = f"{self.root}/api/3/action/package_search"
            body = self.http.get_json(url, params={"start": start, "rows": PAGE_SIZE})
            result = body.get("result") if isinstance(body, dict) else None
            if (
                not isinstance(body, dict)
                or body.get("success") is False
                or not isinstance(result, dict)
            ):
                raise FetchError(f"{url}: not a CKAN package_search response")
            packages = result.get("results")
            if not isinstance(packages, list):
                raise FetchError(f"{url}: no results list")
            if isinstance(result.get("count"), int):
                self.expected_total = result["count"]
            for package in packages:
                if not isinstance(package, dict):
                    yield SourceRecord(None, {"value": package})  # a record error, not a crash
                    continue
                record = {k: v for k, v in package.items() if k not in VOLATILE_KEYS}
                record["resources"] = [
                    {k: v for k, v in r.items() if k not in ("tracking_summary", "archiver", "qa")}
                    for r in package.get("resources") or []
                    if isinstance(r, dict)
                ]
                yield SourceRecord(self.identifier_for(record), record)
            start += len(packages)
            if not packages or len(packages) < PAGE_SIZE:
                return
            if self.expected_total is not None and start >= self.expected_total:
                return

    def identifier_for(self, package: dict[str, Any]) -> str | None:
        extras = _extras(package)
        if extras.get("identifier"):
            return str(extras["identifier"])
        if package.get("id"):
            return f"{self.root}/dataset/{package['id']}"
        return None

    def transform(self, raw: dict[str, Any]) -> dict[str, Any]:
        return transform_ckan(raw, self.root)


def transform_ckan(package: dict[str, Any], root: str) -> dict[str, Any]:
    extras = _extras(package)
    organization = package.get("organization") or {}
    publisher = extras.get("publisher") or organization.get("title")
    payload: dict[str, Any] = {
        "title": package.get("title") or package.get("name"),
        "description": package.get("notes"),
        "keyword": [
            t.get("display_name") or t.get("name")
            for t in package.get("tags") or []
            if isinstance(t, dict) and (t.get("name") or t.get("display_name"))
        ],
        "modified": extras.get("modified") or _date(package.get("metadata_modified")),
        "issued": extras.get("issued") or _date(package.get("metadata_created")),
        "accessLevel": (
            extras.get("accessLevel") or ("non-public" if package.get("private") else "public")
        ).lower(),
        "landingPage": extras.get("landingPage")
        or f"{root}/dataset/{package.get('name') or package.get('id')}",
        "license": extras.get("license") or package.get("license_url"),
        "rights": extras.get("rights"),
        "spatial": extras.get("spatial"),
        "temporal": extras.get("temporal"),
        "accrualPeriodicity": extras.get("accrualPeriodicity"),
        "describedBy": extras.get("describedBy"),
        "systemOfRecords": extras.get("systemOfRecords"),
        "isPartOf": extras.get("isPartOf"),
        "conformsTo": extras.get("conformsTo"),
        "bureauCode": _list(extras.get("bureauCode")),
        "programCode": _list(extras.get("programCode")),
        "theme": _list(extras.get("theme"))
        or [
            g.get("title")
            for g in package.get("groups") or []
            if isinstance(g, dict) and g.get("title")
        ],
        "language": _list(extras.get("language")),
    }
    if publisher:
        payload["publisher"] = {"name": publisher}
    payload["_attribution"] = organization.get("title")
    name = extras.get("contact_name") or package.get("maintainer") or package.get("author")
    email = (
        extras.get("contact_email")
        or package.get("maintainer_email")
        or package.get("author_email")
    )
    if name or email:
        payload["contactPoint"] = {"fn": name or publisher or "Contact"}
        if email:
            payload["contactPoint"]["hasEmail"] = (
                email if email.startswith("mailto:") else f"mailto:{email}"
            )
    distributions = []
    for resource in package.get("resources") or []:
        if not resource.get("url"):
            continue
        dist = {
            "title": resource.get("name") or None,
            "description": resource.get("description") or None,
            "accessURL": resource["url"],
            "format": resource.get("format") or None,
        }
        if resource.get("mimetype"):
            dist["mediaType"] = resource["mimetype"]
        distributions.append({k: v for k, v in dist.items() if v})
    payload["distribution"] = distributions
    return {key: value for key, value in payload.items() if value not in (None, "", [])}


def _extras(package: dict[str, Any]) -> dict[str, Any]:
    return {
        e["key"]: e.get("value")
        for e in package.get("extras") or []
        if isinstance(e, dict) and e.get("key")
    }


def _list(value: Any) -> list[str] | None:
    if value in (None, ""):
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        import json

        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [part.strip() for part in text.split(",") if part.strip()]


def _date(value: Any) -> str | None:
    if not value:
        return None
    return str(value).split(".")[0]
