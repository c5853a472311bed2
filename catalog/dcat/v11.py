"""Records to and from DCAT-US 1.1 (the API's dataset JSON and ``/data.json``), and DCAT-US 1.0
(Project Open Data's older top-level array) into 1.1 for harvests."""

from __future__ import annotations

from typing import Any

from catalog.dcat import values
from catalog.dcat.records import ExportContext

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_CATALOG_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"

# (DCAT-US key, record attribute, kind) in the order Project Open Data lists dataset keys.
# ``kind`` is what the OpenAPI document says of the value: str, list, bool or object.
DATASET_KEYS = (
    ("title", "title", "str"), ("description", "description", "str"),
    ("keyword", "keyword", "list"), ("modified", "modified", "str"),
    ("publisher", None, "object"), ("contactPoint", None, "object"),
    ("identifier", "identifier", "str"), ("accessLevel", "access_level", "str"),
    ("bureauCode", "bureau_code", "list"), ("programCode", "program_code", "list"),
    ("license", "license", "str"), ("rights", "rights", "str"), ("spatial", "spatial", "str"),
    ("temporal", "temporal", "str"), ("distribution", None, "list"),
    ("accrualPeriodicity", "accrual_periodicity", "str"), ("conformsTo", "conforms_to", "str"),
    ("dataQuality", "data_quality", "bool"), ("describedBy", "described_by", "str"),
    ("describedByType", "described_by_type", "str"), ("isPartOf", "is_part_of", "str"),
    ("issued", "issued", "str"), ("language", "language", "list"),
    ("landingPage", "landing_page", "str"),
    ("primaryITInvestmentUII", "primary_it_investment_uii", "str"),
    ("references", "references", "list"), ("systemOfRecords", "system_of_records", "str"),
    ("theme", "theme", "list"),
)  # fmt: skip
DISTRIBUTION_KEYS = (
    ("title", "title"), ("description", "description"), ("accessURL", "access_url"),
    ("downloadURL", "download_url"), ("mediaType", "media_type"), ("format", "format"),
    ("conformsTo", "conforms_to"), ("describedBy", "described_by"),
    ("describedByType", "described_by_type"),
)  # fmt: skip
# Left out of what anonymous users see of a dataset that is not public.
NON_PUBLIC_HIDDEN_FIELDS = ("distribution", "columns", "systemOfRecords", "describedBy")
URI_KEYS = ("license", "landingPage", "describedBy", "conformsTo")
DIST_URI_KEYS = ("accessURL", "downloadURL", "conformsTo", "describedBy")
RIGHTS_MAX = 255
_ORDER = ("@type", *(key for key, _attr, _kind in DATASET_KEYS))


def to_v11(record: dict[str, Any]) -> dict[str, Any]:
    """Every DCAT-US 1.1 key the record has a value for (what its stewards see)."""
    doc: dict[str, Any] = {"@type": "dcat:Dataset"}
    for key, attr, _kind in DATASET_KEYS:
        if attr is not None:
            value = record.get(attr)
            if value is not None and value != []:
                doc[key] = value
    doc["publisher"] = {
        "@type": "org:Organization",
        "name": record.get("publisher_name") or record.get("agency_name") or "",
    }
    if record.get("contact_name") or record.get("contact_email"):
        contact = {
            "@type": "vcard:Contact",
            "fn": record.get("contact_name") or doc["publisher"]["name"],
        }
        if record.get("contact_email"):
            contact["hasEmail"] = f"mailto:{record['contact_email']}"
        doc["contactPoint"] = contact
    distributions = [distribution_v11(d) for d in record.get("distributions") or ()]
    if distributions:
        doc["distribution"] = distributions
    return {key: doc[key] for key in _ORDER if key in doc}


def distribution_v11(dist: dict[str, Any]) -> dict[str, Any]:
    out = {"@type": "dcat:Distribution"}
    out.update({key: dist[attr] for key, attr in DISTRIBUTION_KEYS if dist.get(attr) is not None})
    return out


def public_v11(record: dict[str, Any]) -> dict[str, Any]:
    """What anyone may see: no access paths of a dataset that is not public."""
    doc = to_v11(record)
    if record.get("access_level") != "public":
        for key in NON_PUBLIC_HIDDEN_FIELDS:
            doc.pop(key, None)
    return doc


def export_v11(record: dict[str, Any], ctx: ExportContext) -> dict[str, Any]:
    """A ``/data.json`` entry: the public view, completed and cleaned so the catalog validates
    against the official non-federal 1.1 schema."""
    entry = public_v11(record)
    if not entry.get("description"):
        entry["description"] = default_description(record)
    if "contactPoint" not in entry:
        name, email = fallback_contact(record, ctx)
        entry["contactPoint"] = {"@type": "vcard:Contact", "fn": name}
        if email:
            entry["contactPoint"]["hasEmail"] = f"mailto:{email}"
    if record.get("access_level") != "public":
        entry["rights"] = (entry.get("rights") or default_rights(record))[:RIGHTS_MAX]
        if "landingPage" not in entry:
            entry["landingPage"] = ctx.page_url(record["id"])  # where access is requested
    for key in URI_KEYS:
        _clean_uri(entry, key)
    if "references" in entry:
        refs = values.unique([values.as_uri(r) for r in entry["references"]])
        if refs:
            entry["references"] = refs
        else:
            del entry["references"]
    for key in ("theme", "bureauCode", "programCode"):
        if key in entry:
            entry[key] = values.unique(entry[key])
    if "distribution" in entry:
        entry["distribution"] = [_clean_distribution(d) for d in entry["distribution"]]
    return entry


def catalog_header_v11(catalog_url: str) -> dict[str, Any]:
    return {
        "@context": POD_CONTEXT,
        "@id": catalog_url,
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": POD_CATALOG_SCHEMA,
    }


def default_description(record: dict[str, Any]) -> str:
    return f"No description has been provided yet. Contact {record['agency_name']} for details."


def default_rights(record: dict[str, Any]) -> str:
    who = record.get("agency_officer_email") or record["agency_name"]
    return (
        f"This dataset is {record.get('access_level')}. To request access, contact {who} "
        f"({record['agency_code']}) and name the dataset identifier."
    )


def fallback_contact(record: dict[str, Any], ctx: ExportContext) -> tuple[str, str | None]:
    """The agency's data officer, else the agency (with the catalog's contact address)."""
    if record.get("agency_officer_email"):
        return record.get("agency_officer_name") or record["agency_name"], record[
            "agency_officer_email"
        ]
    return record.get("agency_officer_name") or record["agency_name"], ctx.contact_email


def _clean_uri(entry: dict[str, Any], key: str) -> None:
    if key in entry:
        value = values.as_uri(entry[key])
        if value:
            entry[key] = value
        else:
            del entry[key]


def _clean_distribution(dist: dict[str, Any]) -> dict[str, Any]:
    dist = dict(dist)
    for key in DIST_URI_KEYS:
        _clean_uri(dist, key)
    if "downloadURL" in dist and not dist.get("mediaType"):
        # The schema needs a media type beside a download; keep the link as an access URL.
        dist.setdefault("accessURL", dist.pop("downloadURL"))
        dist.pop("downloadURL", None)
    return dist
