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
from search_index.schema import MULTI_SEPARATOR, conformance_band, review_state

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
    return MULTI_SEPARATOR.join(v.strip() for v in values if v and v.strip())


def document_for(record: Record) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "description": record.description,
        "keywords": " ; ".join(record.keywords),
        "agency": record.agency,
        "access_level": record.access_level,
        "conformance": conformance_band(record.conformance_score),
        "review_status": review_state(record.review_status),
        "status": record.status,
        "title_sort": record.title.casefold().encode("utf-8")[:200],
        "score": record.conformance_score if record.conformance_score is not None else -1,
    }
    if record.themes:
        doc["theme"] = _multi(record.themes)
    if record.formats:
        doc["format"] = _multi(record.formats)
    if record.modified_at is not None:
        doc["modified"] = record.modified_at
    return doc


# Dataset columns a Record needs (the agency code comes from a join).
_COLUMNS = (
    "id", "title", "description", "keyword", "theme", "access_level", "conformance_score",
    "review_status", "modified_at", "status",
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
                )
