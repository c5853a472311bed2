"""Index documents built from Dataset rows.

Only metadata every viewer may see goes in: title, description, keywords, agency, themes, access
level, distribution formats and the derived summaries. Governance fields (steward, classification,
notes) never reach the index, so no search output can reveal them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Agency, Dataset, Distribution
from search_index.schema import MULTI_SEPARATOR, conformance_band, review_state, time_key

_MEDIA_FORMATS = {
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/geo+json": "GEOJSON",
    "application/vnd.geo+json": "GEOJSON",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/rdf+xml": "RDF",
    "application/pdf": "PDF",
    "application/zip": "ZIP",
    "text/html": "HTML",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.google-earth.kml+xml": "KML",
}


@dataclass
class Record:
    """What the index needs of a dataset; the benchmark builds these directly."""

    id: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    agency: str = ""
    themes: list[str] = field(default_factory=list)
    access_level: str = "public"
    formats: list[str] = field(default_factory=list)
    conformance_score: int | None = None
    review_status: str | None = None
    modified_at: datetime | None = None
    status: str = "active"
    license: str | None = None
    updated_at: datetime | None = None
    created_at: datetime | None = None


def normalise_format(fmt: str | None, media_type: str | None) -> str | None:
    """``csv``, ``CSV`` and ``text/csv`` all become ``CSV``."""
    if fmt and fmt.strip():
        value = fmt.strip()
        if "/" in value:
            return _MEDIA_FORMATS.get(value.lower(), value.rsplit("/", 1)[-1].upper())
        return value.upper().lstrip(".")
    if media_type:
        mt = media_type.split(";", 1)[0].strip().lower()
        return _MEDIA_FORMATS.get(mt, mt.rsplit("/", 1)[-1].upper() or None)
    return None


def _formats(pairs: Iterable[tuple[str | None, str | None]]) -> list[str]:
    formats: list[str] = []
    for fmt, media_type in pairs:
        value = normalise_format(fmt, media_type)
        if value and value not in formats:
            formats.append(value)
    return formats


def _multi(values: Iterable[str]) -> str:
    cleaned = (v.replace(MULTI_SEPARATOR, " ").strip() for v in values if v)
    return MULTI_SEPARATOR.join(dict.fromkeys(v for v in cleaned if v))


def document_for(record: Record) -> dict[str, Any]:
    """What the index stores of a dataset (Whoosh's ``add_document`` takes the same dict)."""
    keywords = " ; ".join(record.keywords)
    doc: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "description": record.description,
        "keywords": keywords,
        "words": "\n".join((record.title, keywords, record.description)),
        "agency": record.agency,
        "access_level": record.access_level,
        "conformance": conformance_band(record.conformance_score),
        "review_status": review_state(record.review_status),
        "status": record.status,
        "score": record.conformance_score,
    }
    for name, value in (
        ("modified", record.modified_at),
        ("updated", record.updated_at),
        ("created", record.created_at),
    ):
        if value is not None:
            doc[name] = time_key(value)
    if record.license and record.license.strip():
        doc["license"] = record.license.strip()
    for name, values in (
        ("theme", record.themes),
        ("format", record.formats),
        ("keyword", record.keywords),
    ):
        joined = _multi(values)
        if joined:
            doc[name] = joined
    text = ("title", "description", "keywords", "words")
    return {k: v for k, v in doc.items() if v is not None and (v != "" or k in text)}


# Dataset columns a Record needs (the agency code comes from a join).
_COLUMNS = (
    "id", "title", "description", "keyword", "theme", "access_level", "conformance_score",
    "review_status", "modified_at", "status", "license", "updated_at", "created_at",
)  # fmt: skip


def iter_records(
    session: Session, ids: Iterable[str] | None = None, chunk: int = 1000
) -> Iterator[Record]:
    """Committed rows from the database, ``chunk`` at a time (all datasets when ``ids`` is None).

    Plain column queries (building ORM objects cost more than the index writes) through a
    session of its own, so the caller's session and objects are untouched.
    """
    datasets, dists, agencies = Dataset.__table__, Distribution.__table__, Agency.__table__
    with Session(bind=session.get_bind()) as reader:
        if ids is None:
            ids = reader.scalars(select(datasets.c.id).order_by(datasets.c.id))
        id_list = list(ids)
        for start in range(0, len(id_list), chunk):
            part = id_list[start : start + chunk]
            formats: dict[str, list[tuple[str | None, str | None]]] = {}
            for dataset_id, fmt, media_type in reader.execute(
                select(dists.c.dataset_id, dists.c.format, dists.c.media_type)
                .where(dists.c.dataset_id.in_(part))
                .order_by(dists.c.dataset_id, dists.c.position)
            ):
                formats.setdefault(dataset_id, []).append((fmt, media_type))
            rows = reader.execute(
                select(*(datasets.c[name] for name in _COLUMNS), agencies.c.code)
                .join(agencies, agencies.c.id == datasets.c.agency_id)
                .where(datasets.c.id.in_(part))
            )
            for *columns, agency_code in rows:
                values = dict(zip(_COLUMNS, columns, strict=True))
                yield Record(
                    id=values["id"],
                    title=values["title"] or "",
                    description=values["description"] or "",
                    keywords=[str(k) for k in values["keyword"] or []],
                    agency=agency_code,
                    themes=[str(t) for t in values["theme"] or []],
                    access_level=values["access_level"],
                    formats=_formats(formats.get(values["id"], ())),
                    conformance_score=values["conformance_score"],
                    review_status=values["review_status"],
                    modified_at=values["modified_at"],
                    status=values["status"],
                    license=values["license"],
                    updated_at=values["updated_at"],
                    created_at=values["created_at"],
                )
