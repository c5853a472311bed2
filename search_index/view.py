"""A searcher plus the per-searcher caches that make facets and sorting cheap.

Everything here is derived from one reader generation and thrown away with it: term postings as
numpy boolean masks (facet counts are ``count_nonzero(result & value_mask)``), sort keys read
once from the columns, dataset ids by document number, and an LRU of finished results.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from search_index.schema import FACETS

RESULT_CACHE_SIZE = 1024
TERM_CACHE_SIZE = 4096


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


class IndexView:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.n = self.reader.doc_count_all()
        live = np.zeros(self.n, dtype=bool)
        live[np.fromiter(self.reader.all_doc_ids(), dtype=np.int64)] = True
        self.live = live
        self._facet_values: dict[str, dict[str, np.ndarray]] = {}
        self._terms: LRU = LRU(TERM_CACHE_SIZE)
        self._sort_keys: dict[str, np.ndarray] = {}
        self._ids: list[str] | None = None
        self.results: LRU = LRU(RESULT_CACHE_SIZE)

    # -- masks ---------------------------------------------------------------------------------

    def term_mask(self, field: str, text: str) -> np.ndarray:
        return self._terms.get_or((field, text), lambda: self._postings_mask(field, text))

    def _postings_mask(self, field: str, text: str) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        try:
            matcher = self.reader.postings(field, text)
        except Exception:
            return mask
        ids = np.fromiter(matcher.all_ids(), dtype=np.int64)
        mask[ids] = True
        return mask & self.live

    def facet_values(self, field: str) -> dict[str, np.ndarray]:
        """Every value of a facet field with the mask of documents holding it."""
        if field not in self._facet_values:
            self._facet_values[field] = {
                value: self.term_mask(field, value) for value in self.reader.field_terms(field)
            }
        return self._facet_values[field]

    def query_mask(self, q: wq.Query) -> np.ndarray:
        """Documents matching ``q``, computed with masks for terms, And, Or and Not."""
        if isinstance(q, wq.Term):
            return self.term_mask(q.fieldname, q.text)
        if isinstance(q, wq.And):
            mask = self.live.copy()
            for sub in q.subqueries:
                mask &= self.query_mask(sub)
            return mask
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            mask = np.zeros(self.n, dtype=bool)
            for sub in q.subqueries:
                mask |= self.query_mask(sub)
            return mask
        if isinstance(q, wq.AndNot):
            return self.query_mask(q.a) & ~self.query_mask(q.b)
        if isinstance(q, wq.Not):
            return self.live & ~self.query_mask(q.query)
        if isinstance(q, wq.Every):
            return self.live.copy()
        if q is wq.NullQuery:
            return np.zeros(self.n, dtype=bool)
        if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname:
            mask = np.zeros(self.n, dtype=bool)
            for text in q._btexts(self.reader):
                mask |= self.term_mask(q.fieldname, text.decode("utf-8"))
            return mask
        # Phrases and anything else: ask Whoosh for the matching documents.
        mask = np.zeros(self.n, dtype=bool)
        ids = np.fromiter(q.docs(self.searcher), dtype=np.int64)
        mask[ids] = True
        return mask & self.live

    # -- sorting and ids -----------------------------------------------------------------------

    def sort_key(self, field: str) -> np.ndarray:
        """Per-document sort key from the field's column (titles as ranks)."""
        if field not in self._sort_keys:
            values = list(self.reader.column_reader(field)) if self.n else []
            if field == "title_sort":
                order = sorted(range(self.n), key=values.__getitem__)
                key = np.empty(self.n, dtype=np.int64)
                key[np.asarray(order, dtype=np.int64)] = np.arange(self.n)
            elif field == "modified":
                key = np.array(
                    [v.timestamp() if v is not None else -1e18 for v in values], dtype=np.float64
                )
            else:
                key = np.array([v if v is not None else -1 for v in values], dtype=np.float64)
            self._sort_keys[field] = key
        return self._sort_keys[field]

    def ids(self) -> list[str]:
        if self._ids is None:
            self._ids = list(self.reader.column_reader("id")) if self.n else []
        return self._ids

    def facet_fields(self) -> dict[str, str]:
        return FACETS
