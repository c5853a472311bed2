"""Source dialects every harvester meets, turned into DCAT-US before validation (one place for
all source kinds): frequency words (with the DCAT mapping's table, ``catalog.dcat.values``), media
types with parameters or none at all."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlsplit

from catalog.dcat.values import frequency
from catalog.schemas.dcat_patterns import MEDIA_TYPE

# Formats ``mimetypes`` does not know by extension.
FORMAT_MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "shapefile": "application/zip",
    "shp": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
    "kmz": "application/vnd.google-earth.kmz",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "excel": "application/vnd.ms-excel",
    "rdf": "application/rdf+xml",
}


def normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` (DCAT-US keys) with frequency words as ISO 8601 durations ("Weekly" ->
    "R/P1W", as the timeliness rule reads them) and each distribution's media type stripped of
    parameters ("application/zip; charset=binary") or inferred from its format or file name."""
    declared = payload.get("accrualPeriodicity")
    if isinstance(declared, str):
        payload["accrualPeriodicity"] = frequency(declared) or declared
    distributions = payload.get("distribution")
    if isinstance(distributions, list):
        payload["distribution"] = [
            _distribution(d) if isinstance(d, dict) else d for d in distributions
        ]
    return payload


def _distribution(dist: dict[str, Any]) -> dict[str, Any]:
    media = dist.get("mediaType")
    if isinstance(media, str) and ";" in media:
        return {**dist, "mediaType": media.split(";", 1)[0].strip()}
    if media in (None, ""):
        guessed = guess_media_type(dist.get("format"), dist.get("downloadURL"))
        if guessed:
            return {**dist, "mediaType": guessed}
    return dist


def guess_media_type(format_: Any, url: Any) -> str | None:
    """The media type a format name ("CSV", "text/csv") or a file name (``.../rows.xlsx``) says."""
    if isinstance(format_, str) and format_.strip():
        name = format_.strip().lower()
        if MEDIA_TYPE.match(name):
            return name
        for word in dict.fromkeys((name, name.split()[0].strip(".,;:"))):  # "ZIP of CSV (...)"
            known = FORMAT_MEDIA_TYPES.get(word) or mimetypes.guess_type(f"file.{word}")[0]
            if known:
                return known
    if isinstance(url, str) and url:
        path = urlsplit(url).path
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        if suffix:
            return FORMAT_MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0]
    return None
