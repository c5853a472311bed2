"""Records as DCAT-US 3.0 (``/catalog/dcat-us-3.json``), converting 1.1 values the way GSA's
migration notes do: a repeating ``modified`` moves to ``accrualPeriodicity`` and ``modified``
becomes a date; a ``temporal`` interval becomes a PeriodOfTime; ``spatial`` a Location; language
tags their two-letter code; ``rights`` a list; ``accessRights`` follows ``accessLevel``;
``landingPage``, ``describedBy`` and ``conformsTo`` become Document, Distribution and Standard
objects.

Values a 3.0 source gave in richer form are kept in ``Dataset.dcat3`` (see ``rich``) and used
while the 1.1 column still says what was derived from them; once a steward edits the column, the
column wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalog.dcat import values
from catalog.dcat.records import ExportContext
from catalog.dcat.v11 import default_description, default_rights, fallback_contact

DCAT_US_3 = "https://resources.data.gov/dcat-us/3.0.0"
CATALOG_DESCRIPTION = "The inventory of Connecticut executive-branch data (State Data Plan)."
KIND_EMAIL = r"^mailto:[\w\_\~\!\$\&\'\(\)\*\+\,\;\=\:.-]+@[\w.-]+\.[\w.-]+?$"
ACCESS_RIGHTS = {
    "public": "public",
    "restricted public": "Access is restricted. Contact the publisher to request access.",
    "non-public": "Not available to the public. Contact the publisher for more information.",
}
# 3.0 properties a source may give that no 1.1 column holds: kept as given (validated).
PASS_THROUGH = (
    "otherIdentifier", "accessRights", "version", "versionNotes", "created", "creator",
    "contributor", "purpose", "provenance", "relation", "isReferencedBy", "page", "category",
    "subject", "status", "spatialResolutionInMeters", "temporalResolution", "rightsHolder",
    "qualifiedAttribution", "wasAttributedTo", "liabilityStatement", "hasQualityMeasurement",
    "image", "scopeNote",
)  # fmt: skip


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _contact_key(kind: Any) -> tuple[str | None, str | None]:
    if not isinstance(kind, dict):
        return None, None
    return values.text(kind.get("fn")), values.email(kind.get("hasEmail"))


def _name(value: Any) -> str | None:
    return values.text(value.get("name")) if isinstance(value, dict) else None


def _access_url(value: Any) -> str | None:
    return values.text(value.get("accessURL")) if isinstance(value, dict) else None


def _standard_id(value: Any) -> str | None:
    first = _first(value)
    if not isinstance(first, dict):
        return None
    return values.identifier_text(first.get("identifier") or first.get("@id"))


def _labels(value: Any) -> list[str | None] | None:
    return [values.concept_label(c) for c in value] if isinstance(value, list) else None


# Rich 3.0 value -> the 1.1 column value it was stored as. A rich value is used on output only
# while ``flatten(rich) == column``.
RICH: dict[str, tuple[str | tuple[str, ...], Callable[[Any], Any]]] = {
    "identifier": ("identifier", values.identifier_text),
    "publisher": ("publisher_name", _name),
    "contactPoint": (("contact_name", "contact_email"), lambda v: _contact_key(_first(v))),
    "temporal": ("temporal", lambda v: values.interval(_first(v))),
    "spatial": ("spatial", lambda v: values.place(_first(v))),
    "rights": ("rights", lambda v: values.text(_first(v))),
    "landingPage": ("landing_page", _access_url),
    "conformsTo": ("conforms_to", _standard_id),
    "theme": ("theme", _labels),
}


def rich(record: dict[str, Any], prop: str) -> Any:
    """The 3.0 value a source gave for ``prop``, if the record's 1.1 column still matches it."""
    extra = (record.get("dcat3") or {}).get(prop)
    if extra is None:
        return None
    columns, flatten = RICH[prop]
    current = (
        tuple(record.get(c) for c in columns) if isinstance(columns, tuple) else record.get(columns)
    )
    return extra if flatten(extra) == current else None


def to_v3(record: dict[str, Any], ctx: ExportContext, *, complete: bool = True) -> dict[str, Any]:
    """A public DCAT-US 3.0 Dataset that validates against the official schema.

    ``complete=False`` leaves out what the catalog fills in for a record that lacks it (a
    description, a contact address, the rights of a non-public dataset): what the record itself
    says, for the readiness rules.
    """
    public = record.get("access_level") == "public"
    title = record.get("title") or record.get("identifier")
    doc: dict[str, Any] = {
        "@id": ctx.page_url(record["id"]),
        "@type": "Dataset",
        "title": title,
        "description": record.get("description")
        or (default_description(record) if complete else None),
        "identifier": rich(record, "identifier") or record["identifier"],
        "publisher": rich(record, "publisher")
        or {"@type": "Organization", "name": record.get("publisher_name") or record["agency_name"]},
        "contactPoint": rich(record, "contactPoint") or [_contact(record, ctx, complete)],
    }
    if doc["description"] is None:
        del doc["description"]
    if record.get("keyword"):
        doc["keyword"] = [k for k in values.unique(record["keyword"]) if isinstance(k, str)]
    _dates(record, doc)
    if temporal := rich(record, "temporal") or _listed(values.period(record.get("temporal"))):
        doc["temporal"] = temporal
    if spatial := rich(record, "spatial") or _listed(values.location(record.get("spatial"))):
        doc["spatial"] = spatial
    doc["accessLevel"] = record.get("access_level")
    doc["accessRights"] = (record.get("dcat3") or {}).get("accessRights") or ACCESS_RIGHTS.get(
        record.get("access_level") or "", ACCESS_RIGHTS["non-public"]
    )
    rights = record.get("rights") or (None if public or not complete else default_rights(record))
    if rights:
        doc["rights"] = rich(record, "rights") or [rights]
    if license_ := values.as_uri(record.get("license")):
        doc["license"] = license_
    if landing := values.as_uri(record.get("landing_page")):
        doc["landingPage"] = rich(record, "landingPage") or {
            "@type": "Document",
            "title": title,
            "accessURL": landing,
        }
    elif not public:
        doc["landingPage"] = {
            "@type": "Document",
            "title": f"How to request access: {title}",
            "accessURL": ctx.page_url(record["id"]),
        }
    if public and (described := values.as_uri(record.get("described_by"))):
        doc["describedBy"] = _described_by(described, record.get("described_by_type"))
    if conforms := values.as_uri(record.get("conforms_to")):
        doc["conformsTo"] = rich(record, "conformsTo") or [
            {"@type": "Standard", "identifier": conforms}
        ]
    if record.get("theme"):
        doc["theme"] = rich(record, "theme") or values.unique(record["theme"])
    languages = values.unique([values.language_v3(t) for t in record.get("language") or []])
    if languages:
        doc["language"] = languages
    # 1.1 keys 3.0 dropped, kept as extensions (the schema allows them) so nothing is lost.
    for key, attr in (
        ("bureauCode", "bureau_code"), ("programCode", "program_code"),
        ("isPartOf", "is_part_of"), ("dataQuality", "data_quality"),
        ("primaryITInvestmentUII", "primary_it_investment_uii"),
    ):  # fmt: skip
        if record.get(attr) not in (None, []):
            doc[key] = record[attr]
    if public and record.get("system_of_records"):
        doc["systemOfRecords"] = record["system_of_records"]
    if refs := values.unique([values.as_uri(r) for r in record.get("references") or []]):
        doc["references"] = refs
    for key in PASS_THROUGH:
        value = (record.get("dcat3") or {}).get(key)
        if value not in (None, [], "") and key not in doc:
            doc[key] = value
    if record.get("series"):
        doc["inSeries"] = list(record["series"])
    if public:
        distributions = [_distribution(d) for d in record.get("distributions") or ()]
        if distributions:
            doc["distribution"] = distributions
    return doc


def stub_v3(record: dict[str, Any], ctx: ExportContext) -> dict[str, Any]:
    """The required part of a dataset, to name it inside a DataService's ``servesDataset``."""
    full = to_v3(record, ctx)
    keys = ("@id", "@type", "title", "description", "identifier", "publisher", "contactPoint")
    return {key: full[key] for key in keys}


def catalog_header_v3(catalog_url: str, site_url: str, title: str) -> dict[str, Any]:
    return {
        "@id": catalog_url,
        "@type": "Catalog",
        "conformsTo": {"@type": "Standard", "title": "DCAT-US 3.0", "identifier": DCAT_US_3},
        "title": title,
        "description": CATALOG_DESCRIPTION,
        "publisher": {"@type": "Agent", "name": "State of Connecticut"},
        "homepage": {"@type": "Document", "title": title, "accessURL": site_url},
        "language": ["en"],
    }


def _contact(record: dict[str, Any], ctx: ExportContext, complete: bool) -> dict[str, str]:
    import re

    name, email = record.get("contact_name"), record.get("contact_email")
    if complete and (not email or not re.match(KIND_EMAIL, f"mailto:{email}")):
        fallback_name, email = fallback_contact(record, ctx)
        name = name or fallback_name
    contact = {"@type": "Kind", "fn": name or record["agency_name"]}
    if email:
        contact["hasEmail"] = f"mailto:{email}"
    return contact


def _dates(record: dict[str, Any], doc: dict[str, Any]) -> None:
    modified = record.get("modified")
    periodicity = record.get("accrual_periodicity")
    if values.is_repeating(modified):
        # GSA: a repeating interval in `modified` is the update frequency; the date becomes the
        # last time the catalog saw the dataset change.
        periodicity = periodicity or modified
        updated = record.get("updated_at")
        modified = updated.date().isoformat() if updated else None
    if day := values.date_v3(modified):
        doc["modified"] = day
    if day := values.date_v3(record.get("issued")):
        doc["issued"] = day
    if frequency := values.frequency_v3(values.frequency(periodicity)):
        doc["accrualPeriodicity"] = frequency


def _described_by(url: str, media_type: str | None) -> dict[str, Any]:
    described = {"@type": "Distribution", "accessURL": url}
    if media_type:
        described["mediaType"] = media_type
    return described


def _distribution(dist: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Distribution"}
    for key, attr in (("title", "title"), ("description", "description")):
        if dist.get(attr):
            out[key] = dist[attr]
    for key, attr in (("accessURL", "access_url"), ("downloadURL", "download_url")):
        if url := values.as_uri(dist.get(attr)):
            out[key] = url
    if dist.get("media_type"):
        out["mediaType"] = dist["media_type"]
    if dist.get("format"):
        out["format"] = dist["format"]
    if conforms := values.as_uri(dist.get("conforms_to")):
        out["conformsTo"] = [{"@type": "Standard", "identifier": conforms}]
    if described := values.as_uri(dist.get("described_by")):
        out["describedBy"] = _described_by(described, dist.get("described_by_type"))
    return out


def _listed(value: Any) -> list[Any] | None:
    return [value] if value else None
