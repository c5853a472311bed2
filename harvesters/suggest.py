"""``sources suggest-mapping``: a column mapping guessed from an inventory's headers and, where
the headers say too little, from what its cells hold (emails, links, file formats, yes/no).

The steward checks the result and saves it as the source's TOML mapping.
"""

from __future__ import annotations

import re
from typing import Any

import tomli_w

# Whole header names (normalised) -> DCAT-US field.
COMMON_HEADERS = {
    "identifier": (
        "identifier", "id", "dataset id", "unique identifier", "uid", "inventory id",
        "record id", "asset id", "inventory number", "dataset number",
    ),
    "title": ("title", "name", "dataset name", "dataset title", "dataset", "data set name"),
    "description": ("description", "notes", "summary", "abstract", "dataset description"),
    "keyword": ("keyword", "keywords", "tags", "tag"),
    "modified": ("modified", "last updated", "updated", "last modified", "date updated"),
    "publisher": ("publisher", "agency", "department", "organization", "owner agency"),
    "contactPoint.fn": ("contact", "contact name", "steward", "data steward", "owner", "custodian"),
    "contactPoint.hasEmail": ("email", "e-mail", "contact email", "steward email", "owner email"),
    "accessLevel": ("access level", "access", "public", "is public", "public?", "accesslevel"),
    "rights": ("rights", "restrictions", "access restrictions"),
    "license": ("license", "licence"),
    "spatial": ("spatial", "geography", "geographic coverage"),
    "temporal": ("temporal", "time period", "temporal coverage"),
    "accrualPeriodicity": ("frequency", "update frequency", "cadence", "accrual periodicity"),
    "theme": ("theme", "category", "topic"),
    "landingPage": ("landing page", "item page", "webpage", "web page", "homepage"),
    "distribution.downloadURL": ("download url", "download link", "download"),
    "distribution.accessURL": ("url", "access url", "endpoint", "link", "dataset link"),
    "distribution.format": ("format", "formats", "file format", "file type", "data format"),
}  # fmt: skip
# Words inside a header -> field, for headers no whole name matches (first match wins).
HEADER_WORDS = (
    (("email", "e-mail", "mail"), "contactPoint.hasEmail"),
    (("identifier",), "identifier"),
    (("format", "file type"), "distribution.format"),
    (("download",), "distribution.downloadURL"),
    (("url", "link", "address", "website"), "distribution.accessURL"),
    (("description", "summary", "abstract"), "description"),
    (("frequency", "cadence", "refresh"), "accrualPeriodicity"),
    (("keyword", "tag"), "keyword"),
    (("updated", "modified"), "modified"),
    (("contact", "steward", "custodian", "owner"), "contactPoint.fn"),
    (("access", "public"), "accessLevel"),
    (("agency", "department", "publisher"), "publisher"),
    (("title", "name"), "title"),
)
ACCESS_VOCABULARY = {
    "yes": "public",
    "public": "public",
    "no": "non-public",
    "restricted": "restricted public",
    "non-public": "non-public",
    "restricted public": "restricted public",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
URL = re.compile(r"^(https?|ftp)://\S+$", re.IGNORECASE)
FORMAT_WORDS = {"csv", "xlsx", "xls", "json", "xml", "pdf", "zip", "shapefile", "geojson", "api"}


def suggest_mapping(headers: list[str], rows: list[dict[str, Any]] | None = None) -> dict:
    """A mapping for these headers; ``rows`` (a sample of the sheet) lets the cells decide for
    columns whose header says nothing known."""
    columns: dict[str, str] = {}
    unplaced = []
    for header in headers:
        field = _by_name(_norm(header), columns)
        if field:
            columns[field] = header
        else:
            unplaced.append(header)
    for header in list(unplaced):
        field = _by_words(_norm(header), columns) or _by_cells(header, rows or [], columns)
        if field:
            columns[field] = header
            unplaced.remove(header)
    mapping: dict[str, Any] = {}
    if "identifier" not in columns and "title" in columns:
        # Without an id column the dataset name identifies a row; a link makes it unique
        # where a name repeats (one service, several layers).
        link = columns.get("distribution.accessURL") or columns.get("distribution.downloadURL")
        parts = [c for c in (link, columns["title"]) if c]
        mapping["source"] = {"identifier": list(dict.fromkeys(parts))}
    mapping["columns"] = columns
    mapping["defaults"] = {}
    if "accessLevel" in columns:
        mapping["vocabularies"] = {"accessLevel": _access_vocabulary(columns["accessLevel"], rows)}
    return mapping


def mapping_to_toml(mapping: dict[str, Any]) -> str:
    return tomli_w.dumps(mapping)


def _by_name(key: str, taken: dict[str, str]) -> str | None:
    for field, names in COMMON_HEADERS.items():
        if key in names and field not in taken:
            return field
    return None


def _by_words(key: str, taken: dict[str, str]) -> str | None:
    words = set(re.split(r"[^a-z0-9#-]+", key))
    for needles, field in HEADER_WORDS:
        if field not in taken and any(n in words or (len(n) > 4 and n in key) for n in needles):
            return field
    if words & {"id", "no", "number", "#"} and "identifier" not in taken:
        return "identifier"
    return None


def _by_cells(header: str, rows: list[dict[str, Any]], taken: dict[str, str]) -> str | None:
    values = [str(r.get(header) or "").strip() for r in rows]
    values = [v for v in values if v]
    if not values:
        return None

    def share(test: Any) -> float:
        return sum(1 for v in values if test(v)) / len(values)

    guesses = (
        ("contactPoint.hasEmail", lambda v: EMAIL.match(v.removeprefix("mailto:"))),
        ("distribution.accessURL", URL.match),
        ("landingPage", URL.match),
        ("distribution.format", lambda v: v.lower() in FORMAT_WORDS),
    )
    for field, test in guesses:
        if field not in taken and share(test) >= 0.8:
            return field
    return None


def _access_vocabulary(column: str, rows: list[dict[str, Any]] | None) -> dict[str, str]:
    vocabulary = dict(ACCESS_VOCABULARY)
    for row in rows or []:
        value = str(row.get(column) or "").strip()
        key = _norm(value)
        if not value or any(key.startswith(_norm(known)) for known in vocabulary):
            continue  # matched already: a vocabulary also matches on the start of a value
        if key.startswith(("public", "yes", "open")):
            vocabulary[value] = "public"
        elif key.startswith(("restricted", "limited", "registration")):
            vocabulary[value] = "restricted public"
        elif key.startswith(("no", "non", "private", "internal", "confidential")):
            vocabulary[value] = "non-public"
    return vocabulary


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[_:]", " ", str(text).casefold()).split())
