"""The CKAN actions, as plain functions of a session and the request's parameters.

Search is SQL over the database for now (``catalog.exports.selection``); the search index can
take over ``q`` later by replacing ``_matching_query`` with a query on ids it returns.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.ckan.packages import dataset_id_from_name, organization_dict, package_dict
from catalog.exports.selection import (
    DatasetFilters,
    filtered_query,
    format_match,
    json_list_contains,
)
from catalog.models import STATUS_ACTIVE, Agency, Dataset, Distribution

CKAN_VERSION = "2.10.4"
ROWS_DEFAULT = 10
ROWS_MAX = 1000
FACET_FIELDS = ("organization", "tags", "groups", "res_format", "license_id")
FILTER_FIELDS = (*FACET_FIELDS, "owner_org", "name", "id", "access_level", "accessLevel")
TEXT_FIELDS = ("title", "notes", "text", "description")
SORT_FIELDS = {
    "metadata_modified": Dataset.updated_at,
    "metadata_created": Dataset.created_at,
    "title_string": Dataset.title,
    "title": Dataset.title,
    "name": Dataset.title,
    "id": Dataset.id,
}
FQ_TERM = re.compile(r'([+-]?)([A-Za-z_.]+):(?:"([^"]*)"|(\S+))')


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


@dataclass
class Search:
    q: str | None
    filters: list[tuple[bool, str, str]]  # (negated, field, value)
    rows: int
    start: int
    sort: str
    facet_fields: list[str]
    facet_limit: int


def parse_search(params: dict[str, Any]) -> Search:
    q = str(params.get("q") or "").strip()
    filters = _parse_fq(str(params.get("fq") or ""))
    # Field terms written into q (organization:dph) act as filters, as Solr would treat them.
    if q and ":" in q and q != "*:*":
        # Text fields (title:, notes:, text:) become words; other field terms act as filters.
        words = [
            quoted or bare
            for _sign, field, quoted, bare in FQ_TERM.findall(q)
            if field in TEXT_FIELDS
        ]
        filters += _parse_fq(FQ_TERM.sub(_keep_filter_term, q))
        q = " ".join([FQ_TERM.sub(" ", q).strip(), *words]).strip()
    rows = _int(params, "rows", ROWS_DEFAULT, 0, ROWS_MAX)
    start = _int(params, "start", 0, 0, 10_000_000)
    facet_limit = _int(params, "facet.limit", 50, -1, 1000)
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
    return Search(
        q=None if q in ("", "*:*") else q,
        filters=filters,
        rows=rows,
        start=start,
        sort=str(params.get("sort") or "score desc, metadata_modified desc"),
        facet_fields=facet_fields,
        facet_limit=facet_limit,
    )


def package_search(session: Session, params: dict[str, Any], site_url: str) -> dict[str, Any]:
    search = parse_search(params)
    query = _matching_query(search)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(*_order(search.sort)).limit(search.rows).offset(search.start)
    results = [package_dict(d, site_url) for d in session.scalars(ordered)]
    facets = {
        field: _facet(session, query, field, search.facet_limit) for field in search.facet_fields
    }
    return {
        "count": count,
        "sort": search.sort,
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


def _matching_query(search: Search) -> Any:
    query = filtered_query(DatasetFilters(q=search.q))
    for negated, field, value in search.filters:
        clause = _filter_clause(field, value)
        query = query.where(~clause if negated else clause)
    return query


def _filter_clause(field: str, value: str) -> Any:
    if field in ("organization", "owner_org"):
        agency_ids = select(Agency.id).where(func.upper(Agency.code) == value.upper())
        return Dataset.agency_id.in_(agency_ids.scalar_subquery())
    if field == "tags":
        return json_list_contains(Dataset.keyword, value)
    if field == "groups":
        return json_list_contains(Dataset.theme, value)
    if field == "res_format":
        return format_match(value, anonymous=True)
    if field == "license_id":
        return Dataset.license == value
    if field in ("access_level", "accessLevel"):
        return Dataset.access_level == value
    if field in ("id", "name"):
        return Dataset.id == dataset_id_from_name(value)
    raise validation_error(
        "fq", f"Unsupported filter field {field!r}; use {', '.join(FILTER_FIELDS)}."
    )


def _keep_filter_term(match: re.Match[str]) -> str:
    return " " if match.group(2) in TEXT_FIELDS else match.group(0)


def _parse_fq(text: str) -> list[tuple[bool, str, str]]:
    terms = []
    for sign, field, quoted, bare in FQ_TERM.findall(text):
        if field not in FILTER_FIELDS:
            raise validation_error(
                "fq", f"Unsupported filter field {field!r}; use {', '.join(FILTER_FIELDS)}."
            )
        terms.append((sign == "-", field, quoted if quoted else bare))
    return terms


def _order(sort: str) -> list[Any]:
    order = []
    for part in sort.split(","):
        words = part.split()
        if not words or words[0] == "score":
            continue
        column = SORT_FIELDS.get(words[0])
        if column is None:
            raise validation_error("sort", f"Cannot sort by {words[0]!r}.")
        descending = len(words) > 1 and words[1].lower() == "desc"
        order.append(column.desc() if descending else column.asc())
    if not order:
        order.append(Dataset.updated_at.desc())
    return [*order, Dataset.id]


def _facet(session: Session, query: Any, field: str, limit: int) -> dict[str, int]:
    ids = query.with_only_columns(Dataset.id).scalar_subquery()
    counts: Counter[str] = Counter()
    if field == "organization":
        rows = session.execute(
            select(Agency.code, func.count(Dataset.id))
            .join(Dataset, Dataset.agency_id == Agency.id)
            .where(Dataset.id.in_(ids))
            .group_by(Agency.code)
        )
        counts.update({code.lower(): n for code, n in rows})
    elif field == "license_id":
        rows = session.execute(
            select(Dataset.license, func.count(Dataset.id))
            .where(Dataset.id.in_(ids), Dataset.license.is_not(None))
            .group_by(Dataset.license)
        )
        counts.update(dict(rows.all()))
    elif field == "res_format":
        rows = session.execute(
            select(Distribution.format, func.count(func.distinct(Distribution.dataset_id)))
            .join(Dataset, Dataset.id == Distribution.dataset_id)
            .where(
                Dataset.id.in_(ids),
                Dataset.access_level == "public",
                Distribution.format.is_not(None),
            )
            .group_by(Distribution.format)
        )
        counts.update(dict(rows.all()))
    else:
        column = Dataset.keyword if field == "tags" else Dataset.theme
        rows = session.execute(
            select(column).where(Dataset.id.in_(ids)).execution_options(yield_per=2000)
        )
        for (values,) in rows:
            counts.update(set(values or []))
    top = counts.most_common(None if limit < 0 else limit)
    return dict(top)


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
