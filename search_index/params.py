"""What a search asks for, and what the person asking may see: shared by every caller.

The pages, ``/api/v1/datasets``, CKAN's ``package_search`` and the CSV/XLSX exports all build a
``SearchParams`` and a ``Visibility``; ``engine.run`` answers them all, so the same query and
filters give the same datasets everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalog.errors import ServiceError
from search_index.language import MAX_CHARS, normalise_value
from search_index.schema import FACETS

SORTS = ("relevance", "modified", "title", "score")  # what the page and the API offer
SORT_NAMES = ("relevance", "modified", "updated", "created", "title", "score", "id")


@dataclass(frozen=True)
class SortKey:
    name: str  # one of SORT_NAMES
    descending: bool


# Each named sort, and the direction a bare name means.
DEFAULT_DIRECTION = {
    "relevance": True,
    "modified": True,
    "updated": True,
    "created": True,
    "title": False,
    "score": True,
    "id": False,
}


@dataclass(frozen=True)
class Visibility:
    """What a viewer may learn from the index beyond public metadata: distribution formats of
    datasets that are not public, which anonymous users never see (so they neither match nor
    count). Stewards see their agencies' formats; the CDO and admins see all."""

    all_formats: bool = False
    agencies: frozenset[str] = frozenset()

    @property
    def key(self) -> tuple:
        return (self.all_formats, tuple(sorted(self.agencies)))


ANONYMOUS = Visibility()


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> any of values
    fq: str = ""  # more filters in the query language (CKAN's fq): they match, never score
    sort: str | tuple[SortKey, ...] = "relevance"
    page: int = 1
    per_page: int = 20
    start: int | None = None  # an offset that need not fall on a page (CKAN's start)
    include_withdrawn: bool = False
    facets: tuple[str, ...] = tuple(FACETS)
    facet_limit: int = -1  # values per facet, most frequent first (-1: all)
    aliases: tuple[tuple[str, str], ...] = ()  # extra field names for field:value

    @property
    def offset(self) -> int:
        return self.start if self.start is not None else (self.page - 1) * self.per_page

    @property
    def sort_keys(self) -> tuple[SortKey, ...]:
        if isinstance(self.sort, str):
            return (SortKey(self.sort, DEFAULT_DIRECTION[self.sort]),)
        return self.sort

    @property
    def key(self) -> tuple:
        filters = tuple(sorted((k, tuple(sorted(v))) for k, v in self.filters.items() if v))
        return (
            self.q.strip(),
            filters,
            self.fq.strip(),
            self.sort_keys,
            self.offset,
            self.per_page,
            self.include_withdrawn,
            self.facets,
            self.facet_limit,
            self.aliases,
        )


def from_args(args: Mapping[str, Any], page: int = 1, per_page: int = 20) -> SearchParams:
    """The search a query string asks for (the page, ``/api/v1/datasets``, the exports): ``q``,
    values per facet (repeat a parameter to OR values), ``sort`` and ``include_withdrawn``."""
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise ServiceError(
            "Bad query parameters.", {"sort": [f"Must be one of {', '.join(SORTS)}."]}
        )
    getlist = getattr(args, "getlist", None) or (lambda name: [args[name]] if name in args else [])
    filters = {
        name: tuple(normalise_value(name, v) for v in getlist(name) if v and v.strip())
        for name in FACETS
    }
    q = args.get("q") or ""
    if len(q) > MAX_CHARS:
        message = f"Your search is too long: keep it under {MAX_CHARS} characters."
        raise ServiceError(message, {"q": [message]})
    return SearchParams(
        q=q,
        filters={name: values for name, values in filters.items() if values},
        sort=sort,
        page=page,
        per_page=per_page,
        include_withdrawn=str(args.get("include_withdrawn", "")).lower() in ("1", "true"),
    )
