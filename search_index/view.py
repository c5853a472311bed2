"""A searcher plus the per-searcher caches that make matching, scoring and facets cheap.

Everything here is derived from one reader generation and dropped with it:

* postings of query terms as numpy arrays, with their BM25F contributions (LRU);
* field lengths per text field, for BM25 length normalisation;
* per facet field, every (document, value) pair, so counting a facet over a result set is one
  ``bincount`` (column-like, read from the postings once per searcher);
* sort keys read once from the columns, dataset ids by document number;
* an LRU of finished results (the same query twice costs a dictionary lookup).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_index.postings import field_lengths, leaves, live_mask, segment_id, term_postings
from search_index.sidecar import Sidecar
from search_index.spelling import SpellIndex

RESULT_CACHE_SIZE = 1024
TERM_CACHE_SIZE = 2048
MAX_EXPANSIONS = 256
K1, B = 1.2, 0.75


class LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Any, compute: Any) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = compute()
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class FacetData:
    """All (document, value) pairs of one facet field."""

    def __init__(self, values: list[str], docs: np.ndarray, ords: np.ndarray) -> None:
        self.values = values
        self.docs = docs
        self.ords = ords

    def counts(self, mask: np.ndarray) -> list[tuple[str, int]]:
        hits = np.bincount(self.ords[mask[self.docs]], minlength=len(self.values))
        return [(self.values[i], int(c)) for i, c in enumerate(hits) if c]

    def mask(self, n: int, wanted: set[str]) -> np.ndarray:
        ords = [i for i, v in enumerate(self.values) if v in wanted]
        out = np.zeros(n, dtype=bool)
        if ords:
            out[self.docs[np.isin(self.ords, ords)]] = True
        return out


class IndexView:
    def __init__(
        self, searcher: Searcher, previous: IndexView | None = None, folder: Path | None = None
    ) -> None:
        self.searcher = searcher
        old = previous._spelling if previous is not None else None
        self._spelling: SpellIndex | None = old if old is not None and old.fresh else None
        self.reader = searcher.reader()
        self.n = self.reader.doc_count_all()
        self.live = live_mask(self.reader, self.n)
        ids = [segment_id(sub) for sub, _offset in leaves(self.reader)]
        self.sidecars = {i: Sidecar.open(folder, i) for i in ids if i is not None}
        self._facets: dict[str, FacetData] = {}
        self._terms: LRU = LRU(TERM_CACHE_SIZE)
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self._sort_keys: dict[str, np.ndarray] = {}
        self._ids: Any = None  # the id column reader
        self.results: LRU = LRU(RESULT_CACHE_SIZE)

    # -- facets and filters --------------------------------------------------------------------

    def facet(self, field: str) -> FacetData:
        if field not in self._facets:
            values = list(self.reader.field_terms(field)) if self.n else []
            docs, ords = [], []
            for i, value in enumerate(values):
                ids, _tf = term_postings(self.reader, field, value, self.sidecars)
                ids = ids[self.live[ids]]
                docs.append(ids)
                ords.append(np.full(len(ids), i, dtype=np.int32))
            self._facets[field] = FacetData(
                values,
                np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64),
                np.concatenate(ords) if ords else np.zeros(0, dtype=np.int32),
            )
        return self._facets[field]

    def values_mask(self, field: str, values: set[str] | tuple[str, ...]) -> np.ndarray:
        return self.facet(field).mask(self.n, set(values))

    # -- text matching and BM25F ---------------------------------------------------------------

    def _field_lengths(self, field: str) -> tuple[np.ndarray, float]:
        if field not in self._lengths:
            lengths = field_lengths(self.reader, field, self.n, self.sidecars)
            live = lengths[self.live]
            average = float(live.mean()) if len(live) and live.mean() > 0 else 1.0
            self._lengths[field] = (lengths, average)
        return self._lengths[field]

    def term_scores(self, field: str, text: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """Documents holding the term and their BM25 contribution (Whoosh's formula and idf)."""
        return self._terms.get_or((field, text, boost), lambda: self._score(field, text, boost))

    def _score(self, field: str, text: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        ids, tf = term_postings(self.reader, field, text, self.sidecars)
        keep = self.live[ids]
        ids, tf = ids[keep], tf[keep]
        if not len(ids):
            return ids, tf
        idf = np.log(self.n / (len(ids) + 1)) + 1
        lengths, average = self._field_lengths(field)
        norm = (1 - B) + B * lengths[ids] / average
        return ids, (boost * idf * (tf * (K1 + 1)) / (tf + K1 * norm)).astype(np.float32)

    def evaluate(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """(matching documents, scores) for a parsed query."""
        n = self.n
        if isinstance(q, wq.Term):
            ids, contrib = self.term_scores(q.fieldname, _text(q.text), float(q.boost))
            mask = np.zeros(n, dtype=bool)
            mask[ids] = True
            scores = np.zeros(n, dtype=np.float32)
            scores[ids] = contrib
            return mask, scores
        if isinstance(q, wq.And):
            mask, scores = self.live.copy(), np.zeros(n, dtype=np.float32)
            for sub in q.subqueries:
                m, s = self.evaluate(sub)
                mask &= m
                scores += s
            return mask, scores
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            mask, scores = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.float32)
            for sub in q.subqueries:
                m, s = self.evaluate(sub)
                mask |= m
                scores += s
            return mask, scores
        if isinstance(q, wq.AndNot):
            a_mask, a_scores = self.evaluate(q.a)
            b_mask, _ = self.evaluate(q.b)
            return a_mask & ~b_mask, a_scores
        if isinstance(q, wq.Not):
            return self.live & ~self.evaluate(q.query)[0], np.zeros(n, dtype=np.float32)
        if isinstance(q, wq.Every):
            return self.live.copy(), np.zeros(n, dtype=np.float32)
        if q is wq.NullQuery:
            return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.float32)
        if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname:
            return self._expand(q)
        # Phrases and the rest: Whoosh decides which documents match (positions), the words'
        # BM25 contributions rank them.
        mask = np.zeros(n, dtype=bool)
        mask[np.fromiter(q.docs(self.searcher), dtype=np.int64)] = True
        mask &= self.live
        scores = np.zeros(n, dtype=np.float32)
        for field, text in q.iter_all_terms():
            ids, contrib = self.term_scores(field, _text(text), float(q.boost))
            scores[ids] += contrib
        return mask, scores

    def _expand(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """A prefix or wildcard as the union of its words; the most frequent
        ``MAX_EXPANSIONS`` words when there are more (documented in docs/search.md)."""
        texts = [_text(t) for t in q._btexts(self.reader)]
        if len(texts) > MAX_EXPANSIONS:
            texts.sort(key=lambda t: -self.reader.doc_frequency(q.fieldname, t))
            texts = texts[:MAX_EXPANSIONS]
        mask, scores = np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=np.float32)
        for text in texts:
            ids, contrib = self.term_scores(q.fieldname, text, float(q.boost))
            mask[ids] = True
            scores[ids] += contrib
        return mask, scores

    def spelling(self) -> SpellIndex:
        if self._spelling is None:
            self._spelling = SpellIndex(self.reader)
        return self._spelling

    # -- sorting and ids -----------------------------------------------------------------------

    def sort_key(self, field: str) -> np.ndarray:
        """Per-document sort key from the field's column (titles as ranks)."""
        if field not in self._sort_keys:
            # Raw column values order like the values they encode (dates included); translating
            # dates would fail on the column's default for documents without one.
            values = list(self.reader.column_reader(field, translate=False)) if self.n else []
            if field == "title_sort":
                order = sorted(range(self.n), key=values.__getitem__)
                key = np.empty(self.n, dtype=np.float64)
                key[np.asarray(order, dtype=np.int64)] = np.arange(self.n)
            else:
                key = np.array([v if v is not None else -1 for v in values], dtype=np.float64)
                # Documents without a value hold the column's default: they sort last.
                missing = self.reader.schema[field].column_type.default_value()
                if isinstance(missing, int):
                    key[key == float(missing)] = -np.inf
            self._sort_keys[field] = key
        return self._sort_keys[field]

    def ids_of(self, docs: list[int]) -> list[str]:
        """Dataset ids of these documents (a page): read one by one, not the whole column."""
        if not docs:
            return []
        if self._ids is None:
            self._ids = self.reader.column_reader("id")
        return [self._ids[d] for d in docs]


def _text(text: str | bytes) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else text
