"""Conversions of single values between DCAT-US 1.0, 1.1, 3.0 and the catalog's columns.

Each function takes what a source may send (any type) and returns the catalog's form, or None
when nothing usable is left; none raises on bad input.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

# DCAT-US 1.1 accrualPeriodicity (ISO 8601 repeating durations) for the words portals and
# DCAT-US 3.0 use (3.0 allows both the words and ``R/P...``; the catalog stores the duration).
FREQUENCY_WORDS = {
    "continual": "R/PT1S", "continuous": "R/PT1S", "hourly": "R/PT1H",
    "daily": "R/P1D", "semiweekly": "R/P3.5D", "threetimesaweek": "R/P0.33W",
    "weekly": "R/P1W", "biweekly": "R/P2W", "fortnightly": "R/P2W",
    "semimonthly": "R/P0.5M", "threetimesamonth": "R/P0.33M", "monthly": "R/P1M",
    "bimonthly": "R/P2M", "quarterly": "R/P3M", "threetimesayear": "R/P4M",
    "semiannual": "R/P6M", "semiannually": "R/P6M", "biannually": "R/P6M",
    "annual": "R/P1Y", "annually": "R/P1Y", "yearly": "R/P1Y", "biennial": "R/P2Y",
    "triennial": "R/P3Y", "decennial": "R/P10Y",
    "irregular": "irregular", "asneeded": "irregular", "as needed": "irregular",
}  # fmt: skip
# The other way, for DCAT-US 3.0 output: the schema's own words where one fits.
DURATION_WORDS = {
    "R/PT1S": "continuous", "R/P1D": "daily", "R/P3.5D": "semiweekly",
    "R/P0.33W": "threeTimesAWeek", "R/P1W": "weekly", "R/P2W": "biweekly",
    "R/P0.5M": "semimonthly", "R/P0.33M": "threeTimesAMonth", "R/P1M": "monthly",
    "R/P2M": "bimonthly", "R/P3M": "quarterly", "R/P4M": "threeTimesAYear",
    "R/P6M": "semiannual", "R/P1Y": "annual", "R/P2Y": "biennial", "R/P3Y": "triennial",
    "irregular": "irregular",
}  # fmt: skip
REPEATING = re.compile(r"^R\d*/P.+$")
DATE_3 = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$"
)

# One spelling per format (the facet value, CKAN's res_format), keyed by lower-case spellings.
FORMAT_NAMES = {
    "csv": "CSV", "comma separated values": "CSV", "json": "JSON", "geojson": "GeoJSON",
    "xml": "XML", "xlsx": "XLSX", "xls": "XLS", "excel": "XLSX", "pdf": "PDF", "zip": "ZIP",
    "html": "HTML", "web page": "HTML", "rdf": "RDF", "rdf/xml": "RDF", "turtle": "Turtle",
    "ttl": "Turtle", "json-ld": "JSON-LD", "jsonld": "JSON-LD", "kml": "KML", "kmz": "KMZ",
    "tsv": "TSV", "txt": "TXT", "text": "TXT", "api": "API", "esri rest": "Esri REST",
    "arcgis geoservices rest api": "Esri REST", "shp": "SHP", "shapefile": "SHP",
    "esri shapefile": "SHP", "parquet": "Parquet", "odata": "OData", "rss": "RSS",
    "atom": "Atom", "docx": "DOCX", "doc": "DOC", "ods": "ODS", "wms": "WMS", "wfs": "WFS",
}  # fmt: skip
MEDIA_TYPE_FORMATS = {
    "text/csv": "CSV", "application/json": "JSON", "application/geo+json": "GeoJSON",
    "application/vnd.geo+json": "GeoJSON", "application/xml": "XML", "text/xml": "XML",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-excel": "XLS", "application/pdf": "PDF", "application/zip": "ZIP",
    "text/html": "HTML", "application/rdf+xml": "RDF", "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD", "application/vnd.google-earth.kml+xml": "KML",
    "application/vnd.google-earth.kmz": "KMZ", "text/tab-separated-values": "TSV",
    "text/plain": "TXT", "application/rss+xml": "RSS", "application/atom+xml": "Atom",
    "application/vnd.apache.parquet": "Parquet",
}  # fmt: skip
SHORT_FORMAT = re.compile(r"^[A-Za-z0-9]{1,10}$")
MEDIA_TYPE = re.compile(r"^[-\w.]+/[-\w.+]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: Any) -> str | None:
    """A trimmed string without control characters, or None."""
    if value is None or isinstance(value, dict | list):
        return None
    cleaned = CONTROL.sub("", str(value)).strip()
    return cleaned or None


def normalise_format(value: Any, media_type: Any = None) -> str | None:
    """One spelling per format: ``csv``, ``Csv`` and ``text/csv`` all become ``CSV``.

    Known names map to their usual spelling; another short token is upper-cased; a media type
    names its format; a missing format is taken from the media type when that is known.
    """
    name = text(value)
    if name is None:
        kind = text(media_type)
        return MEDIA_TYPE_FORMATS.get(kind.lower().split(";")[0].strip()) if kind else None
    key = name.lower()
    if key.startswith("."):
        key = key[1:]
    if key in FORMAT_NAMES:
        return FORMAT_NAMES[key]
    if key in MEDIA_TYPE_FORMATS:
        return MEDIA_TYPE_FORMATS[key]
    if SHORT_FORMAT.match(key):
        return key.upper()
    return name


def frequency(value: Any) -> str | None:
    """accrualPeriodicity as the catalog stores it: an ISO 8601 repeating duration or
    ``irregular``. Words (``Weekly``, ``annual``, 3.0's ``fortnightly``) map to durations;
    a Dublin Core frequency IRI (``http://purl.org/cld/freq/monthly``) to its word's duration."""
    word = text(value)
    if word is None:
        return None
    if REPEATING.match(word):
        return word
    key = word.rsplit("/", 1)[-1] if word.startswith("http") else word
    key = key.strip().lower().replace("_", "").replace("-", "")
    return FREQUENCY_WORDS.get(key) or FREQUENCY_WORDS.get(key.replace(" ", ""))


def frequency_v3(value: str | None) -> str | None:
    """The catalog's accrualPeriodicity for DCAT-US 3.0: its word where the schema has one,
    else the duration itself (3.0 also allows ``R/P...``)."""
    if not value:
        return None
    return DURATION_WORDS.get(value) or (value if REPEATING.match(value) else None)


def is_repeating(value: str | None) -> bool:
    return bool(value) and bool(REPEATING.match(value))


def date_v3(value: Any) -> str | None:
    """A date DCAT-US 3.0 accepts (YYYY, YYYY-MM, a date or a date-time with a zone), or None.

    A date-time without a zone is read as UTC; a repeating duration is not a date.
    """
    day = text(value)
    if day is None:
        return None
    day = day.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", day) else day
    if not DATE_3.match(day):
        return None
    if "T" in day and not re.search(r"(Z|[+-]\d{2}:?\d{2})$", day):
        day += "Z"
    return day


def period(value: Any) -> dict[str, str] | None:
    """A 1.1 ``temporal`` interval as a 3.0 PeriodOfTime: ``start/end`` gives both dates,
    ``start/duration`` only the start, ``duration/end`` only the end (GSA's migration rules);
    date-times keep only their date."""
    interval = text(value)
    if interval is None or interval.count("/") != 1:
        return None
    start, end = (part.strip() for part in interval.split("/"))
    found: dict[str, str] = {"@type": "PeriodOfTime"}
    if start and not start.startswith("P") and (day := date_v3(start.split("T")[0])):
        found["startDate"] = day
    if end and not end.startswith("P") and (day := date_v3(end.split("T")[0])):
        found["endDate"] = day
    return found if len(found) > 1 else None


def interval(period_of_time: Any) -> str | None:
    """A 3.0 PeriodOfTime as a 1.1 ``temporal`` interval. 1.1 has no open-ended interval, so a
    period with one date only has no 1.1 form (the 3.0 object keeps it)."""
    if not isinstance(period_of_time, dict):
        return None
    start, end = text(period_of_time.get("startDate")), text(period_of_time.get("endDate"))
    return f"{start}/{end}" if start and end else None


def language_v3(value: Any) -> str | None:
    """An RFC 5646 tag as the two-letter ISO 639-1 code 3.0 wants (``en-US`` -> ``en``)."""
    tag = text(value)
    if tag is None:
        return None
    primary = tag.split("-", 1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None


def bbox_polygon(value: str) -> str | None:
    """``west,south,east,north`` as a closed WKT polygon (3.0 Location ``bbox``), else None."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        return None
    return (
        f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    )


def location(value: Any) -> dict[str, Any] | None:
    """A 1.1 ``spatial`` string as a 3.0 Location: a bounding box, a URI or a place name."""
    place = text(value)
    if place is None:
        return None
    found: dict[str, Any] = {"@type": "Location"}
    polygon = bbox_polygon(place)
    if polygon:
        found["bbox"] = polygon
    elif re.match(r"^https?://\S+$", place):
        found["@id"] = place
    elif place.startswith("{"):
        found["geometry"] = place
    else:
        found["prefLabel"] = place
    return found


def place(location_: Any) -> str | None:
    """A 3.0 Location as the 1.1 ``spatial`` string (its label, box, geometry or IRI)."""
    if isinstance(location_, str):
        return text(location_)
    if not isinstance(location_, dict):
        return None
    for key in ("prefLabel", "altLabel", "label"):
        if label := text(location_.get(key)):
            return label
    for key in ("bbox", "geometry", "centroid"):
        shape = location_.get(key)
        if isinstance(shape, str) and text(shape):
            return text(shape)
        if isinstance(shape, dict):
            import json

            return json.dumps(shape, separators=(",", ":"))
    ident = location_.get("@id") or location_.get("identifier")
    return identifier_text(ident)


def identifier_text(value: Any) -> str | None:
    """A 3.0 Identifier (a string or ``{"notation", "@id", ...}``) as one string."""
    if isinstance(value, dict):
        return text(value.get("@id")) or text(value.get("notation"))
    return text(value)


def concept_label(value: Any) -> str | None:
    """A 3.0 Concept (a string or ``{"prefLabel"}``) as the 1.1 theme string."""
    if isinstance(value, dict):
        return text(value.get("prefLabel")) or text(value.get("@id"))
    return text(value)


def email(value: Any) -> str | None:
    """A vCard ``hasEmail`` as the bare address the catalog stores."""
    address = text(value)
    if address is None:
        return None
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :].strip()
    return address or None


def mailto(address: str | None) -> str | None:
    return f"mailto:{address}" if address else None


def as_uri(value: Any) -> str | None:
    """``value`` when it is an RFC 3987 URI, else percent-encoded, else None."""
    candidate = text(value)
    if candidate is None:
        return None
    if _is_uri(candidate):
        return candidate
    encoded = quote(candidate, safe=":/?#[]@!$&'()*+,;=%~")
    return encoded if _is_uri(encoded) else None


def _is_uri(value: str) -> bool:
    import rfc3987

    return rfc3987.match(value, rule="URI") is not None


def unique(values: Any) -> list[Any]:
    """Distinct values of a list, order kept (anything else: empty)."""
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(v for v in values if v is not None and v != ""))
