"""Search as the catalog's callers use it: pages, API, CKAN, exports and autocomplete.

``search_datasets`` gives a page of rows (ids from the index, rows from the database in one
query, index order kept) with facets and highlighted snippets; ``search_ids`` gives every
matching id in order (the CSV/XLSX exports). Both run ``engine.run`` with the viewer's
``Visibility``: one query path, one visibility rule.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from flask import current_app, has_app_context
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import highlight

from catalog.errors import ServiceError
from catalog.models import Dataset, User
from search_index import engine, follow
from search_index.analysis import whoosh_analyzer
from search_index.params import ANONYMOUS, SearchParams, Visibility
from search_index.store import IndexStore
from search_index.view import IndexView

log = logging.getLogger(__name__)

_ANALYZER = whoosh_analyzer(stemming=True)
_FRAGMENTER = highlight.ContextFragmenter(maxchars=240, surround=60)
_FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")
RESULT_CACHE_SIZE = 512


class IndexUnavailable(ServiceError):
    """No usable index yet (the follower is building it): searches answer 503."""

    status = 503


@dataclass
class SearchHit:
    dataset: Dataset
    snippet: Markup


@dataclass
class SearchPage:
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]
    facets: dict[str, list[dict]]
    suggestion: str | None = None
    relaxed: bool = False
    params: SearchParams = field(default_factory=SearchParams)


def visibility_for(viewer: User | None) -> Visibility:
    """The one visibility rule: what this viewer may learn from the index."""
    if viewer is None or not viewer.is_active:
        return ANONYMOUS
    if viewer.is_cdo_or_admin:
        return Visibility(all_formats=True)
    return Visibility(agencies=frozenset(a.code for a in viewer.agencies))


def current_view(store: IndexStore, session: Session) -> IndexView:
    """The view to search. Following in the background (production), the follower keeps it
    current; otherwise (tests) catch up here first, building a missing index."""
    following = has_app_context() and current_app.config.get("INDEX_FOLLOW_SECONDS", 0) > 0
    if following:
        from search_index import ensure_follower

        ensure_follower(current_app._get_current_object())
    else:
        follow.catch_up(store, session.get_bind())
    view = store.view()
    if view is None:
        raise IndexUnavailable("The search index is being built; try again in a minute.")
    return view


def outcome_for(view: IndexView, params: SearchParams, visibility: Visibility) -> engine.Outcome:
    """Pages of results, cached per view (a view never changes)."""
    cache = _cache(view)
    key = (params.key, visibility.key)
    with cache[1]:
        found = cache[0].get(key)
        if found is not None:
            cache[0].move_to_end(key)
            return found
    found = engine.run(view, params, visibility)
    with cache[1]:
        cache[0][key] = found
        while len(cache[0]) > RESULT_CACHE_SIZE:
            cache[0].popitem(last=False)
    return found


def _cache(view: IndexView) -> tuple[OrderedDict, Lock]:
    cache = getattr(view, "_results", None)
    if cache is None:
        cache = view.__dict__.setdefault("_results", (OrderedDict(), Lock()))
    return cache


def search_outcome(
    store: IndexStore, session: Session, params: SearchParams, viewer: User | None
) -> engine.Outcome:
    """A page of ids with the total and facets (CKAN's package_search loads its own rows)."""
    return outcome_for(current_view(store, session), params, visibility_for(viewer))


def search_datasets(
    store: IndexStore, session: Session, params: SearchParams, viewer: User | None
) -> SearchPage:
    outcome = search_outcome(store, session, params, viewer)
    rows = {}
    if outcome.ids:
        rows = {
            d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(outcome.ids)))
        }
    hits = [
        SearchHit(rows[i], snippet_for(rows[i], outcome.stems)) for i in outcome.ids if i in rows
    ]
    return SearchPage(
        total=outcome.total,
        page=params.page,
        per_page=params.per_page,
        hits=hits,
        facets=outcome.facets,
        suggestion=outcome.suggestion,
        relaxed=outcome.relaxed,
        params=params,
    )


def search_ids(
    store: IndexStore, session: Session, params: SearchParams, viewer: User | None
) -> list[str]:
    """Every id matching ``params`` (from its offset), in the search's order."""
    view = current_view(store, session)
    params = dataclasses.replace(params, facets=())
    return engine.run(view, params, visibility_for(viewer), limit=view.n).ids


def snippet_for(dataset: Dataset, stems: frozenset[str]) -> Markup:
    """Highlighted text from the public description (or title); HTML-escaped."""
    text = dataset.description or ""
    if stems and text:
        html = highlight.highlight(text, stems, _ANALYZER, _FRAGMENTER, _FORMATTER, top=2)
        if html:
            return Markup(html)  # noqa: S704 - HtmlFormatter escapes the text it copies
    if len(text) > 240:
        text = text[:240].rsplit(" ", 1)[0] + " …"
    return escape(text)


def suggest(store: IndexStore, session: Session, text: str, limit: int = 8) -> list[dict]:
    return engine.complete(current_view(store, session), text, limit)


def rebuild(store: IndexStore, session: Session, progress=None) -> int:
    """Rebuild from every dataset row (``manage.py index rebuild``, the demo, benchmarks)."""
    with store.exclusive_build():
        return follow.rebuild(store, session.get_bind(), progress=progress)
