"""Answering a search on one view: matching, BM25F, visibility, facets, order and pages.

Every search of the catalog (pages, API, CKAN, exports) comes here with ``SearchParams`` and a
``Visibility``. The query tree (``language.py``) is evaluated over dense per-document arrays:

* a word matches documents holding its stem in a text field and scores the stem's BM25F
  (``scoring.py``); a phrase matches where its stems follow each other in one field; a prefix
  matches the exact words beginning with it (the ``MAX_EXPANSIONS`` held by most live documents,
  ties by word) and scores their stems; ``field:value`` matches and never scores;
* AND and OR add their parts' scores (in query order), NOT matches what its part does not;
* the *exact tier* of a document is the number of (not negated) text terms it matches without
  stemming: relevance orders by tier, then score, so ``child`` ranks "Child care" above
  "Children's health";
* every order ends with the dataset id, so equal scores, dates and titles always fall the
  same way and pages partition the results exactly;
* ``Visibility`` is applied here and only here: formats of datasets a viewer may not see
  neither match nor count.

Before evaluating, the query's cost (postings and positions it would read) is added up; more
than ``MAX_COST`` is refused with a plain message. Nothing is locked: views are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from search_index import scoring
from search_index.analysis import stem, words_of
from search_index.language import (
    And,
    Everything,
    Field,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    Word,
    parse,
    relaxed,
)
from search_index.params import SearchParams, SortKey, Visibility
from search_index.schema import FIELD_BOOSTS, TEXT_FIELDS
from search_index.sidecar import title_bytes
from search_index.view import IndexView

MAX_EXPANSIONS = 50
MAX_COST = 12_000_000  # postings and positions read by one query (about half a second)
SMALL = 4096  # results this small are sorted outright


@dataclass
class Outcome:
    total: int
    ids: list[str]
    facets: dict[str, list[dict]]
    suggestion: str | None = None
    relaxed: bool = False
    stems: frozenset[str] = frozenset()


@dataclass
class Match:
    mask: np.ndarray
    score: np.ndarray | None = None  # None: zero everywhere
    tier: np.ndarray | None = None


@dataclass
class Evaluator:
    view: IndexView
    visibility: Visibility
    cost: int = 0
    stems: set[str] = field(default_factory=set)
    _expansions: dict[str, list[str]] = field(default_factory=dict)

    # -- cost ----------------------------------------------------------------------------------

    def check(self, node: Node) -> None:
        self.cost += self._cost(node)
        if self.cost > MAX_COST:
            raise QueryError(
                "Your search is too broad to answer quickly: use fewer words or wildcards, "
                "or longer prefixes."
            )

    def _cost(self, node: Node) -> int:
        """Postings and positions the node reads, plus its passes over every document (filling
        and adding dense arrays: ``n // 16`` a pass, in the units of postings)."""
        v = self.view
        dense = v.n // 16 + 1
        if isinstance(node, Word):
            return v.stem_cost(stem(node.text)) + 4 * dense
        if isinstance(node, Phrase):
            stems = tuple(stem(w) for w in node.words)
            own = sum(v.stem_cost(s) + 3 * dense for s in stems)
            return own + v.phrase_cost(stems) + 8 * dense
        if isinstance(node, Prefix):
            stems = {stem(w) for w in self.expansions(node.text)}
            own = sum(v.stem_cost(s) + 3 * dense for s in stems)
            return v.prefix_cost(node.text) + own + 8 * dense
        if isinstance(node, (And, Or)):
            return sum(self._cost(x) for x in node.items) + 6 * dense
        if isinstance(node, Not):
            return self._cost(node.item) + 2 * dense
        return 2 * dense  # a field or everything: a pass over per-document values

    def expansions(self, prefix: str) -> list[str]:
        if prefix not in self._expansions:
            found = self.view.prefix_words(prefix)
            ranked = sorted(found, key=lambda w: (-found[w], w))[:MAX_EXPANSIONS]
            self._expansions[prefix] = sorted(ranked)
        return self._expansions[prefix]

    # -- matching ------------------------------------------------------------------------------

    def stem_score(self, term: str, out: np.ndarray) -> None:
        """``out`` = the stem's BM25F score of every document (0 without it), its fields
        added in ``TEXT_FIELDS`` order. Scores are positive where the stem is."""
        v = self.view
        out.fill(0.0)
        for name in TEXT_FIELDS:
            docs, tf, lengths = v.stem_postings(name, term)
            if len(docs):
                weight = scoring.idf(v.n_live, len(docs))
                out[docs] += scoring.contributions(
                    tf, lengths, v.avg[name], weight, FIELD_BOOSTS[name]
                )
        self.stems.add(term)

    def exact(self, word: str) -> np.ndarray:
        mask = np.zeros(self.view.n, dtype=bool)
        mask[self.view.word_docs(word)] = True
        return mask

    def evaluate(self, node: Node) -> Match:
        v = self.view
        if isinstance(node, Word):
            score = np.empty(v.n)
            self.stem_score(stem(node.text), score)
            mask = score > 0
            return Match(mask, score, (mask & self.exact(node.text)).astype(np.int32))
        if isinstance(node, Phrase):
            stems = tuple(stem(w) for w in node.words)
            mask = np.zeros(v.n, dtype=bool)
            for name in TEXT_FIELDS:
                mask[v.phrase_docs(name, stems)] = True
            exact = mask.copy()
            for word in node.words:
                exact &= self.exact(word)
            return Match(mask, self._sum(stems, mask), exact.astype(np.int32))
        if isinstance(node, Prefix):
            mask = np.zeros(v.n, dtype=bool)
            words = self.expansions(node.text)
            for word in words:
                mask[v.word_docs(word)] = True
            stems = sorted({stem(w) for w in words})
            return Match(mask, self._sum(stems, mask), mask.astype(np.int32))
        if isinstance(node, Field):
            return Match(self.field_mask(node.name, {node.value}))
        if isinstance(node, Everything):
            return Match(v.live.copy())
        if isinstance(node, Not):
            return Match(v.live & ~self.evaluate(node.item).mask)
        # AND and OR fold each part in as soon as it is evaluated (one part in memory at once).
        conjunction = isinstance(node, And)
        mask = v.live.copy() if conjunction else np.zeros(v.n, dtype=bool)
        score = tier = None
        for item in node.items:
            part = self.evaluate(item)
            if conjunction:
                mask &= part.mask
            else:
                mask |= part.mask
            if part.score is not None:
                contribution = np.where(part.mask, part.score, 0.0)
                score = contribution if score is None else score + contribution
            if part.tier is not None:
                counted = np.where(part.mask, part.tier, 0)
                tier = counted if tier is None else tier + counted
        return Match(mask, score, tier)

    def _sum(self, stems: list[str] | tuple[str, ...], mask: np.ndarray) -> np.ndarray:
        """The stems' scores added in order, where ``mask`` holds (0 elsewhere)."""
        score = np.zeros(self.view.n)
        one = np.empty(self.view.n)  # reused: one stem's scores at a time
        for term in stems:
            self.stem_score(term, one)
            score += one
        return np.where(mask, score, 0.0)

    def field_mask(self, name: str, values: set[str]) -> np.ndarray:
        if name == "id":
            return self.view.id_mask(values)
        mask = self.view.facet_mask(name, values)
        if name == "format":
            mask = mask & format_visible(self.view, self.visibility)
        return mask


def format_visible(view: IndexView, visibility: Visibility) -> np.ndarray:
    """Documents whose distribution formats this viewer may see (and so match and count)."""
    if visibility.all_formats:
        return view.live
    mask = view.facet_mask("access_level", {"public"})
    if visibility.agencies:
        mask = mask | view.facet_mask("agency", set(visibility.agencies))
    return mask


def run(view: IndexView, params: SearchParams, visibility: Visibility, *, limit=None) -> Outcome:
    """The page ``params`` asks for (``limit``: that many from the offset instead; exports
    ask for every match)."""
    aliases = dict(params.aliases)
    evaluator = Evaluator(view, visibility)
    scope = view.live.copy()
    if not params.include_withdrawn:
        scope &= view.facet_mask("status", {"active"})
    for name, values in params.filters.items():
        if values:
            scope &= evaluator.field_mask(name, set(values))
    try:
        fq = parse(params.fq, aliases, strict=True) if params.fq.strip() else None
        if fq is not None:
            evaluator.check(fq)
            scope &= evaluator.evaluate(fq).mask
    except QueryError as exc:
        raise QueryError(exc.message, field="fq") from None
    node = parse(params.q, aliases)
    match = Match(scope)
    was_relaxed = False
    if node is not None:
        evaluator.check(node)
        found = evaluator.evaluate(node)
        match = Match(found.mask & scope, found.score, found.tier)
        if not match.mask.any() and (wider := relaxed(node)) is not None:
            found = evaluator.evaluate(wider)
            if (found.mask & scope).any():
                match, was_relaxed = Match(found.mask & scope, found.score, found.tier), True
    total = int(np.count_nonzero(match.mask))
    facets = {}
    matched = np.flatnonzero(match.mask) if params.facets else None
    for name in params.facets:
        if name == "format":  # only where the viewer may see the formats
            counts = view.facet_counts(name, match.mask & format_visible(view, visibility))
        else:
            counts = view.facet_counts(name, match.mask, matched)
        counts.sort(key=lambda c: (-c[1], c[0]))
        if params.facet_limit >= 0:
            counts = counts[: params.facet_limit]
        facets[name] = [{"value": value, "count": count} for value, count in counts]
    count = params.per_page if limit is None else limit
    docs = order(view, match, params.sort_keys, params.offset + count)[params.offset :]
    suggestion = None
    if params.q.strip() and (total == 0 or was_relaxed):
        suggestion = did_you_mean(view, params.q)
    return Outcome(
        total=total,
        ids=view.strings("id", docs),
        facets=facets,
        suggestion=suggestion,
        relaxed=was_relaxed,
        stems=frozenset(evaluator.stems),
    )


# -- order ---------------------------------------------------------------------------------------


def order(view: IndexView, match: Match, keys: tuple[SortKey, ...], k: int) -> np.ndarray:
    """The first ``k`` matching documents in order: the sort keys, then the dataset id."""
    docs = np.flatnonzero(match.mask)
    if k <= 0 or not len(docs):
        return docs[:0]
    columns = [c for key in keys for c in _columns(view, match, key)]
    columns += [_column(view, "id.key", j, False) for j in range(4)]
    chosen = _select(docs, columns, np.arange(len(docs)), min(k, len(docs)))
    picked = docs[chosen]
    values = [c(picked) for c in columns]
    return picked[np.lexsort(values[::-1])[:k]]


Column = Callable[[np.ndarray], np.ndarray]


def _columns(view: IndexView, match: Match, key: SortKey) -> list[Column]:
    """Functions giving, for some documents, values that order them (smaller first)."""
    name, desc = key.name, key.descending
    if name == "relevance":
        if match.score is None:  # nothing to rank by: newest first
            return _columns(view, match, SortKey("modified", True))
        tier = match.tier if match.tier is not None else np.zeros(view.n, np.int32)
        sign = -1 if desc else 1
        return [lambda d: sign * tier[d], lambda d: sign * match.score[d]]
    if name == "title":  # the first 24 bytes as numbers, then the whole title where they tie
        return [*(_column(view, "title.key", j, desc) for j in range(3)), _title_rank(view, desc)]
    if name == "id":
        return [_column(view, "id.key", j, desc) for j in range(4)]
    if name == "score":
        return [lambda d: view.gather("col.score", d).astype(np.int32) * (-1 if desc else 1)]
    column = f"col.{name}"  # modified, updated, created (missing: the smallest value)
    return [lambda d: ~view.gather(column, d) if desc else view.gather(column, d)]


def _column(view: IndexView, name: str, j: int, desc: bool) -> Column:
    def values(docs: np.ndarray) -> np.ndarray:
        column = view.gather(name, docs)[:, j]
        return ~column if desc else column

    return values


def _title_rank(view: IndexView, desc: bool) -> Column:
    def ranks(docs: np.ndarray) -> np.ndarray:
        keys = np.array([title_bytes(t) for t in view.strings("title", docs)], dtype=object)
        if not len(keys):
            return np.zeros(0, dtype=np.int64)
        rank = np.unique(keys, return_inverse=True)[1].astype(np.int64)
        return -rank if desc else rank

    return ranks


def _select(docs: np.ndarray, columns: list[Column], idx: np.ndarray, k: int) -> np.ndarray:
    """Indices (into ``docs``) of a set holding the first ``k`` of ``idx`` in column order."""
    if k >= len(idx) or len(idx) <= SMALL or not columns:
        return idx
    values = columns[0](docs[idx])
    kth = np.partition(values, k - 1)[k - 1]
    better = idx[values < kth]
    tied = idx[values == kth]
    return np.concatenate([better, _select(docs, columns[1:], tied, k - len(better))])


# -- spelling and autocomplete -------------------------------------------------------------------


def did_you_mean(view: IndexView, text: str) -> str | None:
    """The query with each unknown word replaced by the closest indexed word, if any changed."""
    changed = False
    out = []
    for token in text.split():
        plain = token.strip('"*()-+').lower()
        if ":" in token or not plain.isalpha() or view.known(plain):
            out.append(token)
            continue
        best = view.correction(plain)
        out.append(best or token)
        changed = changed or best is not None
    return " ".join(out) if changed else None


def complete(view: IndexView, text: str, limit: int = 8) -> list[dict]:
    """Autocomplete: active datasets' titles holding the typed words (the last one as a
    prefix), then the most used keywords beginning with the last word."""
    tokens = text.lower().split()
    last = words_of(tokens[-1]) if tokens else []
    if not last:
        return []
    partial = last[-1]
    full = words_of(" ".join(tokens[:-1])) + last[:-1]
    evaluator = Evaluator(view, Visibility())
    active = view.live & view.facet_mask("status", {"active"})
    node: Node = And((*(Word(w) for w in full), Prefix(partial))) if full else Prefix(partial)
    try:
        evaluator.check(node)
    except QueryError:
        return []
    found = evaluator.evaluate(node)
    match = Match(found.mask & active, found.score, found.tier)
    out: list[dict] = []
    seen: set[str] = set()
    docs = order(view, match, (SortKey("relevance", True),), 50)
    for doc, title in zip(docs.tolist(), view.strings("title", docs), strict=True):
        words = set(words_of(title))
        if title in seen or not set(full) <= words or not any(w.startswith(partial) for w in words):
            continue
        seen.add(title)
        out.append({"value": title, "kind": "title", "id": view.strings("id", [doc])[0]})
        if len(out) >= limit:
            break
    keywords = [
        (count, value)
        for value, count in view.facet_counts("keyword", active)
        if value.lower().startswith(partial)
    ]
    keywords.sort(key=lambda c: (-c[0], c[1]))
    prefix = " ".join(tokens[:-1])
    for _count, value in keywords[: max(limit - len(out), 3)]:
        out.append({"value": f"{prefix} {value}".strip(), "kind": "keyword"})
    return out
