"""Search parameters from the query string, shared by /api/v1/datasets and the search page."""

from __future__ import annotations

from flask import request

from catalog.errors import ServiceError
from search_index import FACETS, SORTS, SearchParams


def search_params(page: int, per_page: int) -> SearchParams:
    """``q``, values per facet (repeat the parameter), ``sort`` and ``include_withdrawn``."""
    sort = request.args.get("sort") or "relevance"
    if sort not in SORTS:
        raise ServiceError(
            "Bad query parameters.", {"sort": [f"Must be one of {', '.join(SORTS)}."]}
        )
    filters = {
        name: tuple(v for v in request.args.getlist(name) if v)
        for name in FACETS
        if request.args.get(name)
    }
    for name in ("agency", "format"):  # codes and formats are indexed upper-case
        if name in filters:
            filters[name] = tuple(v.upper() for v in filters[name])
    return SearchParams(
        q=(request.args.get("q") or "")[:500],
        filters=filters,
        sort=sort,
        page=page,
        per_page=per_page,
        include_withdrawn=request.args.get("include_withdrawn") in ("1", "true"),
    )
