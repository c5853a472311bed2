"""Datasets and agencies as CKAN package and organization dicts (what CKAN 2.10 returns)."""

from __future__ import annotations

import json
import re
from typing import Any

from catalog.dcat.records import record_of
from catalog.dcat.v11 import public_v11
from catalog.models import Agency, Dataset

# DCAT-US keys carried as CKAN extras (ckanext-dcat / datajson harvester names).
EXTRA_KEYS = (
    "identifier", "accessLevel", "rights", "modified", "issued", "accrualPeriodicity",
    "spatial", "temporal", "theme", "language", "conformsTo", "describedBy", "describedByType",
    "isPartOf", "references", "dataQuality", "systemOfRecords", "bureauCode", "programCode",
    "primaryITInvestmentUII",
)  # fmt: skip
NAME_ID = re.compile(r"-([0-9a-f]{16})$")


def _iso(value: Any) -> str | None:
    return value.replace(microsecond=0).isoformat() if value else None


def package_name(dataset: Dataset) -> str:
    """A CKAN name (lowercase, ``a-z0-9-_``, ≤100 chars) ending in the catalog's id."""
    slug = re.sub(r"[^a-z0-9]+", "-", dataset.title.lower()).strip("-")[:80].strip("-")
    return f"{slug}-{dataset.id}" if slug else dataset.id


def dataset_id_from_name(name_or_id: str) -> str:
    """The catalog id inside a package name (or the id itself)."""
    match = NAME_ID.search(name_or_id)
    return match.group(1) if match else name_or_id


def organization_dict(agency: Agency, package_count: int | None = None) -> dict[str, Any]:
    org = {
        "id": agency.code.lower(),
        "name": agency.code.lower(),
        "title": agency.name,
        "display_name": agency.name,
        "description": "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": None,
    }
    if package_count is not None:
        org["package_count"] = package_count
    return org


def package_dict(dataset: Dataset, site_url: str) -> dict[str, Any]:
    """A dataset as a CKAN package, with what an anonymous visitor may see."""
    doc = public_v11(record_of(dataset))
    contact = doc.get("contactPoint") or {}
    email = contact.get("hasEmail", "")
    email = email[len("mailto:") :] if email.startswith("mailto:") else email or None
    license_url = doc.get("license")
    tags = [
        {"id": tag, "name": tag, "display_name": tag, "state": "active", "vocabulary_id": None}
        for tag in doc.get("keyword", [])
    ]
    resources = [
        _resource(dataset, index, dist) for index, dist in enumerate(doc.get("distribution", []))
    ]
    extras = []
    for key in EXTRA_KEYS:
        value = doc.get(key)
        if value is None or value == []:
            continue
        if isinstance(value, list | bool):
            value = json.dumps(value)
        extras.append({"key": key, "value": value})
    extras.append({"key": "publisher", "value": (doc.get("publisher") or {}).get("name")})
    return {
        "id": dataset.id,
        "name": package_name(dataset),
        "title": dataset.title,
        "notes": doc.get("description") or "",
        "url": doc.get("landingPage") or f"{site_url}datasets/{dataset.id}",
        "type": "dataset",
        "state": "active" if dataset.status == "active" else "deleted",
        "private": False,
        "version": None,
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.updated_at),
        "author": (doc.get("publisher") or {}).get("name"),
        "author_email": None,
        "maintainer": contact.get("fn"),
        "maintainer_email": email,
        "license_id": license_url,
        "license_title": license_url,
        "license_url": license_url,
        "owner_org": dataset.agency.code.lower(),
        "organization": organization_dict(dataset.agency),
        "groups": [
            {
                "id": slug(theme),
                "name": slug(theme),
                "title": theme,
                "display_name": theme,
                "description": "",
                "image_display_url": "",
            }
            for theme in doc.get("theme", [])
        ],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": extras,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def _resource(dataset: Dataset, index: int, dist: dict[str, Any]) -> dict[str, Any]:
    url = dist.get("downloadURL") or dist.get("accessURL") or ""
    return {
        "id": f"{dataset.id}-{index}",
        "package_id": dataset.id,
        "position": index,
        "name": dist.get("title") or dist.get("format") or f"Resource {index + 1}",
        "description": dist.get("description") or "",
        "url": url,
        "format": dist.get("format") or "",
        "mimetype": dist.get("mediaType"),
        "url_type": None,
        "state": "active",
        "resource_type": "file" if dist.get("downloadURL") else "api",
        "access_url": dist.get("accessURL"),
        "download_url": dist.get("downloadURL"),
        "conforms_to": dist.get("conformsTo"),
        "described_by": dist.get("describedBy"),
    }


def slug(text: str) -> str:
    """A theme's CKAN group name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "theme"
