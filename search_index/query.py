"""Queries: parsing, matching, facets, sorting, pagination and spelling suggestions.

``run_search`` is the engine-level function the API, the page and the benchmark all use; it
returns dataset ids in order plus counts. ``search_datasets`` (in ``search_index.service``) adds
the database rows and snippets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh import qparser
from whoosh import query as wq

from search_index.schema import FACETS, FIELD_BOOSTS, TEXT_FIELDS, build_schema
from search_index.view import IndexView

SORTS = ("relevance", "modified", "title", "score")
_SORT_FIELDS = {"modified": "modified", "title": "title_sort", "score": "score"}
MAX_QUERY_LENGTH = 500
_SCHEMA = build_schema()


@dataclass(frozen=True)
class Visibility:
    """What a viewer may learn from the index beyond public metadata.

    Distribution formats of a non-public dataset are hidden from anonymous users, so the format
    facet and filter only consider datasets whose formats the viewer may see.
    """

    all_formats: bool = False
    agencies: frozenset[str] = frozenset()

    @property
    def key(self) -> tuple:
        return (self.all_formats, tuple(sorted(self.agencies)))


ANONYMOUS = Visibility()


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    include_withdrawn: bool = False

    @property
    def key(self) -> tuple:
        filters = tuple(sorted((k, tuple(sorted(v))) for k, v in self.filters.items() if v))
        return (
            self.q.strip(),
            filters,
            self.sort,
            self.page,
            self.per_page,
            self.include_withdrawn,
        )


@dataclass
class SearchOutcome:
    total: int
    ids: list[str]
    facets: dict[str, list[dict]]
    suggestion: str | None = None
    relaxed: bool = False
    terms: frozenset[tuple[str, str]] = frozenset()


def _parser(group: type) -> qparser.MultifieldParser:
    parser = qparser.MultifieldParser(
        list(TEXT_FIELDS), _SCHEMA, fieldboosts=FIELD_BOOSTS, group=group
    )
    # Field filters such as agency:DPH work; fuzzy and range syntax stay off.
    parser.remove_plugin_class(qparser.PlusMinusPlugin)
    return parser


_AND = _parser(qparser.AndGroup)
_OR = _parser(qparser.OrGroup)


def parse(text: str, relaxed: bool = False) -> wq.Query:
    return (_OR if relaxed else _AND).parse(text[:MAX_QUERY_LENGTH])


def run_search(
    view: IndexView, params: SearchParams, visibility: Visibility = ANONYMOUS
) -> SearchOutcome:
    key = (params.key, visibility.key)
    return view.results.get_or(key, lambda: _run(view, params, visibility))


def _run(view: IndexView, params: SearchParams, visibility: Visibility) -> SearchOutcome:
    base = view.live.copy()
    if not params.include_withdrawn:
        base &= view.values_mask("status", ("active",))
    format_visible = _format_visible(view, visibility)

    text = params.q.strip()
    query: wq.Query | None = None
    scores = None
    relaxed = False
    if text:
        query = parse(text)
        matched, scores = view.evaluate(query)
        matched &= base
        if not matched.any():
            relaxed_query = parse(text, relaxed=True)
            relaxed_matched, relaxed_scores = view.evaluate(relaxed_query)
            relaxed_matched &= base
            if relaxed_matched.any():
                query, matched, scores, relaxed = (
                    relaxed_query,
                    relaxed_matched,
                    relaxed_scores,
                    True,
                )
        base = matched

    for name, values in params.filters.items():
        if not values or name not in FACETS:
            continue
        wanted = view.values_mask(FACETS[name], values)
        if name == "format":
            wanted &= format_visible
        base &= wanted

    total = int(np.count_nonzero(base))
    facets = {}
    for name, fieldname in FACETS.items():
        scope = base & format_visible if name == "format" else base
        counts = view.facet(fieldname).counts(scope)
        counts.sort(key=lambda c: (-c[1], c[0]))
        facets[name] = [{"value": value, "count": count} for value, count in counts]

    start = (params.page - 1) * params.per_page
    stop = start + params.per_page
    if start >= total:
        page_docs: list[int] = []
    elif params.sort == "relevance" and scores is not None:
        page_docs = _top_k(base, scores, stop)[start:stop]
    else:
        page_docs = _sorted_docs(view, base, params.sort, stop)[start:stop]

    suggestion = None
    if text and (total == 0 or relaxed):
        suggestion = did_you_mean(view, text)
    terms = frozenset()
    if query is not None:
        terms = frozenset(
            (f, t.decode("utf-8") if isinstance(t, bytes) else t)
            for f, t in query.iter_all_terms()
            if f in TEXT_FIELDS
        )
    return SearchOutcome(
        total=total,
        ids=view.ids_of(page_docs),
        facets=facets,
        suggestion=suggestion,
        relaxed=relaxed,
        terms=terms,
    )


def _format_visible(view: IndexView, visibility: Visibility) -> np.ndarray:
    if visibility.all_formats:
        return view.live
    mask = view.values_mask("access_level", ("public",))
    if visibility.agencies:
        mask |= view.values_mask("agency", tuple(visibility.agencies))
    return mask


def _top_k(mask: np.ndarray, scores: np.ndarray, k: int) -> list[int]:
    """Best ``k`` by BM25F score (ties: index order), without sorting the whole result."""
    docs = np.flatnonzero(mask)
    key = -scores[docs]
    if len(docs) > k:
        part = np.argpartition(key, k - 1)[:k]
        docs, key = docs[part], key[part]
    return docs[np.lexsort((docs, key))].tolist()


def _sorted_docs(view: IndexView, mask: np.ndarray, sort: str, k: int) -> list[int]:
    docs = np.flatnonzero(mask)
    if sort == "title":
        key = view.sort_key("title_sort")[docs]
    else:
        # Newest / best first; relevance without a query means newest first.
        key = -view.sort_key(_SORT_FIELDS.get(sort, "modified"))[docs]
    if len(docs) > k:
        part = np.argpartition(key, k - 1)[:k]
        docs, key = docs[part], key[part]
    return docs[np.lexsort((docs, key))].tolist()


def did_you_mean(view: IndexView, text: str) -> str | None:
    """The query with each unknown word replaced by the closest indexed word, if any changed."""
    spelling = view.spelling()
    changed = False
    out = []
    for word in text.split():
        plain = word.strip('"*').lower()
        if ":" in word or not plain.isalpha() or spelling.known(plain):
            out.append(word)
            continue
        best = spelling.correct(plain)
        if best:
            out.append(best)
            changed = True
        else:
            out.append(word)
    return " ".join(out) if changed else None


def suggest_completions(view: IndexView, text: str, limit: int = 8) -> list[dict]:
    """Autocomplete: titles whose words start with what was typed, then matching keywords."""
    words = [w for w in text.lower().split() if w.isalnum() or w.replace("-", "").isalnum()]
    if not words:
        return []
    *full, last = words
    parts: list[wq.Query] = [wq.Term("title", w) for w in full]
    parts.append(wq.Prefix("title", last))
    mask, scores = view.evaluate(wq.And(parts))
    mask &= view.values_mask("status", ("active",))
    out = []
    for doc in _top_k(mask, scores, limit):
        stored = view.searcher.stored_fields(doc)
        out.append({"value": stored["title"], "kind": "title", "id": stored["id"]})
    keywords = sorted(
        (
            (view.reader.doc_frequency("keywords", term), term)
            for term in view.reader.expand_prefix("keywords", last)
        ),
        reverse=True,
    )[: max(limit - len(out), 3)]
    prefix = " ".join(full)
    for _freq, term in keywords:
        term = term.decode("utf-8") if isinstance(term, bytes) else term
        out.append({"value": f"{prefix} {term}".strip(), "kind": "keyword"})
    return out
