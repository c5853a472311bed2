"""Search as the web page and the API use it: ids from the index, rows from the database."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import highlight

from catalog.models import Dataset, User
from search_index.documents import iter_records
from search_index.query import ANONYMOUS, SearchOutcome, SearchParams, Visibility, run_search
from search_index.query import suggest_completions as _complete
from search_index.schema import TEXT_FIELDS, build_schema
from search_index.store import IndexStore

log = logging.getLogger(__name__)

_ANALYZER = build_schema()["description"].analyzer
_FRAGMENTER = highlight.ContextFragmenter(maxchars=240, surround=60)
_FORMATTER = highlight.HtmlFormatter(tagname="mark", between=" … ")


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
    if viewer is None or not viewer.is_active:
        return ANONYMOUS
    if viewer.is_cdo_or_admin:
        return Visibility(all_formats=True)
    return Visibility(agencies=frozenset(a.code for a in viewer.agencies))


def ensure_index(store: IndexStore, session: Session) -> None:
    """Build the index from the database when it is missing or from an older schema version."""
    if store.status() == "ok":
        return
    with store.exclusive_build():
        state = store.status()
        if state == "ok":  # another thread built it meanwhile
            return
        log.warning("Search index %s at %s: rebuilding from the database.", state, store.root)
        rebuild(store, session)


def rebuild(store: IndexStore, session: Session, progress=None) -> int:
    """Rebuild from every dataset row, then catch up with what changed meanwhile."""
    count, changed = store.build(iter_records(session), progress=progress)
    if changed:
        reindex(store, session, changed)
    return count


def reindex(
    store: IndexStore,
    session: Session,
    ids: set[str],
    deleted: set[str] = frozenset(),
    *,
    merge: bool = True,
) -> None:
    """Index these datasets afresh from the database (ids no longer there are removed)."""
    records = list(iter_records(session, sorted(ids))) if ids else []
    found = {r.id for r in records}
    store.update(records, delete_ids=sorted((set(ids) - found) | set(deleted)), merge=merge)


def search_datasets(
    store: IndexStore, session: Session, params: SearchParams, viewer: User | None
) -> SearchPage:
    ensure_index(store, session)
    with store.view() as view:
        if view is None:  # removed between the check and now: try once more
            outcome = SearchOutcome(total=0, ids=[], facets={})
        else:
            outcome = run_search(view, params, visibility_for(viewer))
    rows = {}
    if outcome.ids:
        rows = {
            d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_(outcome.ids)))
        }
    terms = {text for _field, text in outcome.terms}
    hits = [SearchHit(rows[i], snippet_for(rows[i], terms)) for i in outcome.ids if i in rows]
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


def snippet_for(dataset: Dataset, terms: set[str]) -> Markup:
    """Highlighted text from the public description (or title); HTML-escaped."""
    text = dataset.description or ""
    if terms and text:
        html = highlight.highlight(text, terms, _ANALYZER, _FRAGMENTER, _FORMATTER, top=2)
        if html:
            return Markup(html)  # noqa: S704 - HtmlFormatter escapes the text it copies
    if len(text) > 240:
        text = text[:240].rsplit(" ", 1)[0] + " …"
    return escape(text)


def suggest(store: IndexStore, session: Session, text: str, limit: int = 8) -> list[dict]:
    ensure_index(store, session)
    with store.view() as view:
        return [] if view is None else _complete(view, text, limit)


__all__ = ["TEXT_FIELDS", "SearchHit", "SearchPage", "rebuild", "search_datasets", "suggest"]
