"""Harvested DCAT-US records (1.0, 1.1, 3.0) as DCAT-US 1.1 payloads for the catalog's input
schema (``validate_dataset``), which stays the one validation boundary.

A 3.0 record's values richer than 1.1 (every period, location and contact point, Identifier and
Agent objects, accessRights, the rights list...) travel in ``payload["dcat3"]``, keyed by 3.0
property name; the 1.1 keys carry what the catalog's columns hold (see ``v3.RICH``).
"""

from __future__ import annotations

from typing import Any

from catalog.dcat import values
from catalog.dcat.v3 import PASS_THROUGH

# 1.1 keys that 3.0 dropped but a converted catalog may still carry (GSA's converter keeps them).
V11_EXTENSIONS = (
    "accessLevel", "bureauCode", "programCode", "isPartOf", "dataQuality", "systemOfRecords",
    "primaryITInvestmentUII", "references",
)  # fmt: skip
LIST_KEYS = ("keyword", "theme", "language", "references", "bureauCode", "programCode")


def version_of(raw: dict[str, Any], catalog_says_v3: bool = False) -> str:
    """``"3.0"``, ``"1.1"`` or ``"1.0"`` for one record: by the catalog's ``conformsTo`` when
    it names 3.0, else by shape (3.0 types are bare, its lists and objects differ from 1.1)."""
    if catalog_says_v3 or looks_v3(raw):
        return "3.0"
    if ("conformsTo" in raw and "@type" in raw) or isinstance(raw.get("publisher"), dict):
        return "1.1"
    if isinstance(raw.get("contactPoint"), dict):
        return "1.1"
    return "1.0"


def looks_v3(raw: dict[str, Any]) -> bool:
    if raw.get("@type") in ("Dataset", "DatasetSeries"):
        return True
    shapes = (
        isinstance(raw.get("contactPoint"), list),
        isinstance(raw.get("temporal"), list),
        isinstance(raw.get("spatial"), dict | list),
        isinstance(raw.get("identifier"), dict),
        isinstance(raw.get("landingPage"), dict),
        isinstance(raw.get("rights"), list),
        isinstance(raw.get("conformsTo"), list),
        isinstance(raw.get("describedBy"), dict),
        "inSeries" in raw or "accessRights" in raw,
    )
    return any(shapes)


def catalog_is_v3(conforms_to: Any) -> bool:
    """Whether a catalog's ``conformsTo`` names DCAT-US 3 (a Standard object or an IRI)."""
    if isinstance(conforms_to, dict):
        named = " ".join(
            str(conforms_to.get(k) or "") for k in ("title", "identifier", "@id")
        ).lower()
    else:
        named = str(conforms_to or "").lower()
    return "dcat-us 3" in named or "dcat-us/3" in named or "dcat-us-3" in named


def record_identifier(raw: dict[str, Any]) -> str | None:
    """The identifier a harvest keys a record by (3.0 Identifier objects and ``@id`` too)."""
    return values.identifier_text(raw.get("identifier")) or values.text(raw.get("@id"))


# ----------------------------------------------------------------------------------------------
# 1.1 and 1.0


def from_v11(raw: dict[str, Any], dataset_keys: set[str], distribution_keys: set[str]) -> dict:
    """A 1.1 entry as a payload: only the keys the input schema knows, lists from strings."""
    payload = {key: value for key, value in raw.items() if key in dataset_keys}
    payload.pop("@type", None)
    if isinstance(payload.get("distribution"), list):
        payload["distribution"] = [
            {k: v for k, v in dist.items() if k in distribution_keys and k != "@type"}
            for dist in payload["distribution"]
            if isinstance(dist, dict)
        ]
    for key in LIST_KEYS:
        if isinstance(payload.get(key), str):
            payload[key] = [part.strip() for part in payload[key].split(",") if part.strip()]
    if isinstance(payload.get("publisher"), dict):
        payload["publisher"] = {"name": payload["publisher"].get("name")}
    if isinstance(payload.get("accessLevel"), str):
        payload["accessLevel"] = payload["accessLevel"].strip().lower()
    return payload


def from_v10(raw: dict[str, Any]) -> dict[str, Any]:
    """Project Open Data 1.0 (e.g. Socrata's 2013 data.json) as a 1.1 payload.

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
    frequency = values.frequency(raw.get("accrualPeriodicity") or raw.get("frequency"))
    if frequency:
        payload["accrualPeriodicity"] = frequency
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


# ----------------------------------------------------------------------------------------------
# 3.0


def from_v3(raw: dict[str, Any]) -> dict[str, Any]:
    """A DCAT-US 3.0 Dataset as a payload (1.1 keys) plus ``dcat3``, its richer values."""
    rich: dict[str, Any] = {}
    payload: dict[str, Any] = {
        "title": raw.get("title"),
        "description": raw.get("description"),
        "modified": values.text(raw.get("modified")),
        "issued": values.text(raw.get("issued")),
        "license": values.text(raw.get("license")),
    }
    if isinstance(raw.get("identifier"), dict):
        rich["identifier"] = raw["identifier"]
    keywords = raw.get("keyword")
    payload["keyword"] = [keywords] if isinstance(keywords, str) else keywords
    publisher = raw.get("publisher")
    if isinstance(publisher, dict):
        payload["publisher"] = {"name": publisher.get("name")}
        if set(publisher) - {"name", "@type"}:
            rich["publisher"] = publisher
    elif isinstance(publisher, str):  # an IRI naming the publisher (3.0 drafts)
        payload["publisher"] = {"name": publisher}
    contacts = raw.get("contactPoint")
    contacts = [contacts] if isinstance(contacts, dict) else contacts
    if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
        payload["contactPoint"] = {
            key: contacts[0][key] for key in ("fn", "hasEmail") if contacts[0].get(key)
        }
        if len(contacts) > 1 or set(contacts[0]) - {"fn", "hasEmail", "@type"}:
            rich["contactPoint"] = contacts
    payload["accessLevel"] = _access_level(raw)
    if values.text(raw.get("accessRights")):
        rich["accessRights"] = raw["accessRights"]
    rights = raw.get("rights")
    if isinstance(rights, list) and rights:
        payload["rights"] = rights[0]
        if len(rights) > 1:
            rich["rights"] = rights
    elif isinstance(rights, str):
        payload["rights"] = rights
    _listed_objects(raw, "temporal", values.interval, payload, rich)
    spatial = raw.get("spatial")
    _listed_objects(
        {"spatial": [spatial] if isinstance(spatial, dict) else spatial},
        "spatial", values.place, payload, rich,
    )  # fmt: skip
    payload["accrualPeriodicity"] = values.frequency(raw.get("accrualPeriodicity")) or raw.get(
        "accrualPeriodicity"
    )
    themes = raw.get("theme")
    if isinstance(themes, list):
        payload["theme"] = [values.concept_label(t) for t in themes]
        if any(isinstance(t, dict) for t in themes):
            rich["theme"] = themes
    landing = raw.get("landingPage")
    if isinstance(landing, dict):
        payload["landingPage"] = values.text(landing.get("accessURL"))
        rich["landingPage"] = landing
    elif isinstance(landing, str):
        payload["landingPage"] = landing
    described = raw.get("describedBy")
    if isinstance(described, dict):
        payload["describedBy"] = values.text(
            described.get("accessURL") or described.get("downloadURL")
        )
        payload["describedByType"] = values.text(described.get("mediaType"))
    standards = raw.get("conformsTo")
    if isinstance(standards, list) and standards and isinstance(standards[0], dict):
        first = standards[0]
        payload["conformsTo"] = values.identifier_text(first.get("identifier") or first.get("@id"))
        rich["conformsTo"] = standards
    language = raw.get("language")
    payload["language"] = [language] if isinstance(language, str) else language
    for key in V11_EXTENSIONS:
        if key in raw and key != "accessLevel":
            payload[key] = raw[key]
    for key in PASS_THROUGH:
        if raw.get(key) not in (None, "", []) and key not in rich:
            rich[key] = raw[key]
    if isinstance(raw.get("distribution"), list):
        payload["distribution"] = [
            _distribution_v3(d) for d in raw["distribution"] if isinstance(d, dict)
        ]
    if rich:
        payload["dcat3"] = rich
    return {key: value for key, value in payload.items() if value not in (None, "", [])}


def _access_level(raw: dict[str, Any]) -> str | None:
    """``accessLevel`` when a converted catalog kept it, else read from ``accessRights``."""
    level = values.text(raw.get("accessLevel"))
    if level:
        return level.lower()
    rights = (values.text(raw.get("accessRights")) or "").lower()
    if not rights:
        return None
    if rights == "public" or rights.startswith("public"):
        return "public"
    if "restricted" in rights:
        return "restricted public"
    return "non-public"


def _listed_objects(raw: dict, key: str, flatten: Any, payload: dict, rich: dict) -> None:
    items = raw.get(key)
    if isinstance(items, list) and items:
        payload[key] = flatten(items[0])
        rich[key] = items


def _distribution_v3(dist: dict[str, Any]) -> dict[str, Any]:
    out = {
        "title": values.text(dist.get("title")),
        "description": values.text(dist.get("description")),
        "accessURL": values.text(dist.get("accessURL")),
        "downloadURL": values.text(dist.get("downloadURL")),
        "mediaType": values.text(dist.get("mediaType")),
        "format": values.text(dist.get("format")),
    }
    standards = dist.get("conformsTo")
    if isinstance(standards, list) and standards and isinstance(standards[0], dict):
        out["conformsTo"] = values.identifier_text(
            standards[0].get("identifier") or standards[0].get("@id")
        )
    described = dist.get("describedBy")
    if isinstance(described, dict):
        out["describedBy"] = values.text(described.get("accessURL") or described.get("downloadURL"))
        out["describedByType"] = values.text(described.get("mediaType"))
    return {key: value for key, value in out.items() if value is not None}


def derived_identifier(raw: dict[str, Any]) -> str:
    """A key for a 3.0 record with neither ``identifier`` nor ``@id`` (3.0 drafts allowed it):
    its title and publisher, hashed."""
    import hashlib

    publisher = raw.get("publisher")
    name = publisher.get("name") if isinstance(publisher, dict) else publisher
    text = f"{values.text(raw.get('title'))}\x1f{values.text(name)}"
    return "urn:dcat-us-3:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def resource_identifier(document: dict[str, Any]) -> str | None:
    """How a harvest keys a data service or dataset series: its identifier, ``@id`` or title."""
    return (
        values.identifier_text(document.get("identifier"))
        or values.text(document.get("@id"))
        or values.text(document.get("title"))
    )
