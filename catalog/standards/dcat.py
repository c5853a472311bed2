"""A dataset record (plain dict of model attribute names) as a DCAT-US 1.1 document.

The same shape as ``DatasetOutputSchema`` for the DCAT fields, built without marshmallow because the
evaluator checks every dataset in the catalog.
"""

from __future__ import annotations

from typing import Any

_SCALARS = (
    ("identifier", "identifier"), ("title", "title"), ("description", "description"),
    ("modified", "modified"), ("access_level", "accessLevel"), ("rights", "rights"),
    ("license", "license"), ("spatial", "spatial"), ("temporal", "temporal"),
    ("accrual_periodicity", "accrualPeriodicity"), ("landing_page", "landingPage"),
    ("described_by", "describedBy"), ("described_by_type", "describedByType"), ("issued", "issued"),
    ("data_quality", "dataQuality"), ("system_of_records", "systemOfRecords"),
    ("conforms_to", "conformsTo"), ("is_part_of", "isPartOf"),
    ("primary_it_investment_uii", "primaryITInvestmentUII"),
)  # fmt: skip
_LISTS = (
    ("keyword", "keyword"), ("theme", "theme"), ("language", "language"),
    ("references", "references"), ("bureau_code", "bureauCode"), ("program_code", "programCode"),
)  # fmt: skip
_DIST = (
    ("title", "title"), ("description", "description"), ("access_url", "accessURL"),
    ("download_url", "downloadURL"), ("media_type", "mediaType"), ("format", "format"),
    ("conforms_to", "conformsTo"), ("described_by", "describedBy"),
    ("described_by_type", "describedByType"),
)  # fmt: skip


def dcat_document(record: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"@type": "dcat:Dataset"}
    for attr, key in _SCALARS:
        value = record.get(attr)
        if value is not None:
            doc[key] = value
    for attr, key in _LISTS:
        value = record.get(attr)
        if value:
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
    distributions = []
    for dist in record.get("distributions") or ():
        item = {"@type": "dcat:Distribution"}
        item.update({key: dist[attr] for attr, key in _DIST if dist.get(attr) is not None})
        distributions.append(item)
    if distributions:
        doc["distribution"] = distributions
    return doc
