"""The CKAN actions, as plain functions of a session and the request's parameters.

``package_search`` is answered by the catalog's search (``search_index``): CKAN's ``q`` and
``fq`` are read by the catalog's query language with CKAN's field names as aliases,
``facet.field``, ``sort``, ``rows`` and ``start`` map onto the same search parameters, so a
CKAN client gets exactly what ``/api/v1/datasets`` and the exports give for the same query.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.ckan.packages import dataset_id_from_name, organization_dict, package_dict
from catalog.exports.selection import datasets_by_ids
from catalog.models import STATUS_ACTIVE, Agency, Dataset
from search_index import IndexStore, QueryError, SearchParams, SortKey, search_outcome

CKAN_VERSION = "2.10.4"
ROWS_DEFAULT = 10
ROWS_MAX = 1000
# CKAN's facet names -> the index's facets.
FACET_FIELDS = {
    "organization": "agency",
    "tags": "keyword",
    "groups": "theme",
    "res_format": "format",
    "license_id": "license",
}
# Field names a CKAN client may use in q and fq ("" reads the value as words).
ALIASES = {
    **FACET_FIELDS,
    "owner_org": "agency",
    "accesslevel": "access_level",
    "id": "id",
    "title": "",
    "notes": "",
    "text": "",
    "description": "",
}
SORT_FIELDS = {
    "score": "relevance",
    "metadata_modified": "updated",
    "metadata_created": "created",
    "title_string": "title",
    "title": "title",
    "name": "title",
    "id": "id",
}
NAME_TERM = re.compile(r'\bname:("?)[a-z0-9_-]*?-?([0-9a-f]{16})\1(?=\s|$|\))')


class CkanError(Exception):
    """An error in CKAN's shape: ``__type`` and either a message or field messages."""

    def __init__(self, kind: str, status: int, message: str | None = None, **fields: Any) -> None:
        super().__init__(message or kind)
        self.kind, self.status, self.message, self.fields = kind, status, message, fields

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"__type": self.kind}
        if self.message:
            error["message"] = self.message
        error.update(self.fields)
        return error


def not_found(what: str) -> CkanError:
    return CkanError("Not Found Error", 404, f"Not found: {what}")


def validation_error(field: str, message: str) -> CkanError:
    return CkanError("Validation Error", 409, None, **{field: [message]})


def search_params(params: dict[str, Any]) -> SearchParams:
    """CKAN's package_search parameters as the catalog's search parameters."""
    facet_fields = params.get("facet.field") or []
    if isinstance(facet_fields, str):
        try:
            facet_fields = json.loads(facet_fields)
        except ValueError:
            raise validation_error("facet.field", "Must be a JSON list of field names.") from None
    if not isinstance(facet_fields, list):
        raise validation_error("facet.field", "Must be a list of field names.")
    unknown = [f for f in facet_fields if f not in FACET_FIELDS]
    if unknown:
        raise validation_error(
            "facet.field", f"Unsupported facet {unknown[0]!r}; use {', '.join(FACET_FIELDS)}."
        )
    q = str(params.get("q") or "").strip()
    rows = _int(params, "rows", ROWS_DEFAULT, 0, ROWS_MAX)
    return SearchParams(
        q="" if q == "*:*" else _names_as_ids(q),
        fq=_names_as_ids(str(params.get("fq") or "")),
        sort=_sort(str(params.get("sort") or "score desc, metadata_modified desc")),
        per_page=rows,
        start=_int(params, "start", 0, 0, 10_000_000),
        facets=tuple(FACET_FIELDS[f] for f in facet_fields),
        facet_limit=_int(params, "facet.limit", 50, -1, 1000),
        aliases=tuple(ALIASES.items()),
    )


def package_search(
    session: Session, store: IndexStore, params: dict[str, Any], site_url: str
) -> dict[str, Any]:
    """As an anonymous visitor sees it (CKAN clients do not sign in)."""
    search = search_params(params)
    try:
        page = search_outcome(store, session, search, None)
    except QueryError as exc:
        raise validation_error(exc.field, exc.message) from None
    results = [package_dict(d, site_url) for d in datasets_by_ids(session, page.ids)]
    names = {v: k for k, v in FACET_FIELDS.items()}
    facets = {}
    for field, counts in page.facets.items():
        lower = field == "agency"  # CKAN organizations are named in lower case
        facets[names[field]] = {
            (c["value"].lower() if lower else c["value"]): c["count"] for c in counts
        }
    return {
        "count": page.total,
        "sort": str(params.get("sort") or "score desc, metadata_modified desc"),
        "results": results,
        "facets": facets,
        "search_facets": {
            field: {
                "title": field,
                "items": [
                    {"name": name, "display_name": name, "count": n} for name, n in counts.items()
                ],
            }
            for field, counts in facets.items()
        },
    }


def _names_as_ids(text: str) -> str:
    """``name:<package name>`` becomes ``id:<the id inside it>``."""
    return NAME_TERM.sub(lambda m: f"id:{m.group(2)}", text)


def _sort(text: str) -> tuple[SortKey, ...]:
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        name = SORT_FIELDS.get(words[0])
        if name is None:
            raise validation_error("sort", f"Cannot sort by {words[0]!r}.")
        descending = len(words) > 1 and words[1].lower() == "desc"
        keys.append(SortKey(name, descending))
    return tuple(keys) or (SortKey("relevance", True), SortKey("updated", True))


def package_show(session: Session, params: dict[str, Any], site_url: str) -> dict[str, Any]:
    name_or_id = str(params.get("id") or params.get("name") or "").strip()
    if not name_or_id:
        raise validation_error("id", "Missing value")
    dataset = session.get(Dataset, dataset_id_from_name(name_or_id))
    if dataset is None or dataset.status != STATUS_ACTIVE:
        raise not_found("Dataset")
    return package_dict(dataset, site_url)


def organization_list(session: Session, params: dict[str, Any]) -> list[Any]:
    counts = _agency_counts(session)
    agencies = list(session.scalars(select(Agency).order_by(Agency.code)))
    if not _truthy(params.get("all_fields")):
        return [a.code.lower() for a in agencies]
    return [organization_dict(a, counts.get(a.id, 0)) for a in agencies]


def organization_show(session: Session, params: dict[str, Any], site_url: str) -> dict[str, Any]:
    code = str(params.get("id") or "").strip()
    if not code:
        raise validation_error("id", "Missing value")
    agency = session.scalar(select(Agency).where(func.upper(Agency.code) == code.upper()))
    if agency is None:
        raise not_found("Organization")
    org = organization_dict(agency, _agency_counts(session).get(agency.id, 0))
    if _truthy(params.get("include_datasets")):
        query = (
            select(Dataset)
            .where(Dataset.agency_id == agency.id, Dataset.status == STATUS_ACTIVE)
            .order_by(Dataset.updated_at.desc(), Dataset.id)
            .limit(10)
        )
        org["packages"] = [package_dict(d, site_url) for d in session.scalars(query)]
    return org


def tag_list(session: Session, params: dict[str, Any]) -> list[Any]:
    """Every keyword of an active dataset, sorted; ``query`` keeps those containing it."""
    needle = str(params.get("query") or "").lower()
    tags: set[str] = set()
    rows = session.execute(
        select(Dataset.keyword)
        .where(Dataset.status == STATUS_ACTIVE)
        .execution_options(yield_per=2000)
    )
    for (keywords,) in rows:
        tags.update(t for t in keywords or [] if needle in t.lower())
    names = sorted(tags)
    if _truthy(params.get("all_fields")):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in names]
    return names


def status_show(site_url: str, site_title: str) -> dict[str, Any]:
    return {
        "site_title": site_title,
        "site_description": "The inventory of Connecticut executive-branch data.",
        "site_url": site_url.rstrip("/"),
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "en",
        "extensions": [],
    }


# ----------------------------------------------------------------------------------------------


def _agency_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Dataset.agency_id, func.count(Dataset.id))
        .where(Dataset.status == STATUS_ACTIVE)
        .group_by(Dataset.agency_id)
    )
    return dict(rows.all())


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise validation_error(name, "Invalid integer") from None
    if value < low:
        raise validation_error(name, f"Must be a positive integer (at least {low}).")
    return min(value, high)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def package_list(session: Session, params: dict[str, Any]) -> list[str]:
    """Names of active datasets: all of them, as CKAN answers, or a page (``limit``,
    ``offset``)."""
    from catalog.ckan.packages import package_name

    offset = _int(params, "offset", 0, 0, 10_000_000)
    query = (
        select(Dataset.id, Dataset.title)
        .where(Dataset.status == STATUS_ACTIVE)
        .order_by(Dataset.id)
        .offset(offset)
    )
    if params.get("limit") not in (None, ""):
        query = query.limit(_int(params, "limit", 1000, 1, 1_000_000))
    return [package_name(Dataset(id=i, title=t)) for i, t in session.execute(query)]
