"""A brute-force reference for search, computed from the database rows alone.

It shares with the engine only what defines the answers: the analyser (``analysis``), the BM25F
formula (``scoring``), the format names (``normalise_format``) and the query tree classes. It
reads every dataset, analyses every text, counts every stem, and evaluates a query tree by
walking all documents; no index, no sidecar, no cleverness. The order is the catalog's: exact
tier, BM25F score, then the dataset id (or the sort asked for, then the id).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalog.models import Dataset
from search_index import scoring
from search_index.analysis import analyse, stem
from search_index.documents import normalise_format
from search_index.language import And, Everything, Field, Not, Or, Phrase, Prefix, Word
from search_index.params import Visibility
from search_index.schema import (
    FACETS,
    FIELD_BOOSTS,
    MISSING_TIME,
    TEXT_FIELDS,
    conformance_band,
    review_state,
    time_key,
)

TEXT_LEAVES = (Word, Phrase, Prefix)
MAX_EXPANSIONS = 50


def _values(values) -> list[str]:
    cleaned = [v.replace("\x1f", " ").strip() for v in values or [] if v]
    return list(dict.fromkeys(v for v in cleaned if v))


@dataclass
class Doc:
    id: str
    status: str
    facets: dict[str, set[str]]
    stems: dict[str, list[str]]  # text field -> stems in order
    exact: set[str]
    title: str
    modified: int
    score: int


@dataclass
class Reference:
    docs: list[Doc]
    avg: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Reference:
        docs = []
        rows = session.scalars(
            select(Dataset).options(selectinload(Dataset.distributions)).order_by(Dataset.id)
        )
        for d in rows:
            texts = {
                "title": d.title or "",
                "keywords": " ; ".join(str(k) for k in d.keyword or []),
                "description": d.description or "",
            }
            stems, exact = {}, set()
            for name, text in texts.items():
                words, _first = analyse(text)
                stems[name] = [stem(w) for w in words]
                exact.update(words)
            formats = {normalise_format(x.format, x.media_type) for x in d.distributions}
            facets = {
                "agency": {d.agency.code},
                "access_level": {d.access_level},
                "conformance": {conformance_band(d.conformance_score)},
                "review_status": {review_state(d.review_status)},
                "theme": set(_values(d.theme)),
                "format": {f for f in formats if f},
                "keyword": set(_values(d.keyword)),
                "license": {d.license.strip()} if d.license and d.license.strip() else set(),
            }
            score = -1 if d.conformance_score is None else d.conformance_score
            docs.append(
                Doc(d.id, d.status, facets, stems, exact, d.title, time_key(d.modified_at), score)
            )
        ref = cls(docs)
        n = len(docs)
        for name in TEXT_FIELDS:
            ref.avg[name] = scoring.average(sum(len(x.stems[name]) for x in docs), n)
        return ref

    # -- matching ------------------------------------------------------------------------------

    @property
    def n(self) -> int:
        return len(self.docs)

    def format_visible(self, visibility: Visibility) -> np.ndarray:
        return np.array(
            [
                visibility.all_formats
                or "public" in d.facets["access_level"]
                or bool(d.facets["agency"] & visibility.agencies)
                for d in self.docs
            ],
            dtype=bool,
        )

    def field_mask(self, name: str, values: set[str], visibility: Visibility) -> np.ndarray:
        if name == "id":
            return np.array([d.id in values for d in self.docs], dtype=bool)
        mask = np.array([bool(d.facets[name] & values) for d in self.docs], dtype=bool)
        return mask & self.format_visible(visibility) if name == "format" else mask

    def stem_score(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        score = np.zeros(self.n)
        mask = np.zeros(self.n, dtype=bool)
        for name in TEXT_FIELDS:
            docs = [i for i, d in enumerate(self.docs) if term in d.stems[name]]
            if not docs:
                continue
            tf = np.array([self.docs[i].stems[name].count(term) for i in docs], dtype=np.float64)
            lengths = np.array([len(self.docs[i].stems[name]) for i in docs], dtype=np.float64)
            weight = scoring.idf(self.n, len(docs))
            score[docs] += scoring.contributions(
                tf, lengths, self.avg[name], weight, FIELD_BOOSTS[name]
            )
            mask[docs] = True
        return mask, score

    def exact(self, word: str) -> np.ndarray:
        return np.array([word in d.exact for d in self.docs], dtype=bool)

    def expansions(self, prefix: str) -> list[str]:
        counts = Counter(w for d in self.docs for w in d.exact if w.startswith(prefix))
        ranked = sorted(counts, key=lambda w: (-counts[w], w))[:MAX_EXPANSIONS]
        return sorted(ranked)

    def _sum(self, stems, mask: np.ndarray) -> np.ndarray:
        score = np.zeros(self.n)
        for term in stems:
            score = score + self.stem_score(term)[1]
        return np.where(mask, score, 0.0)

    def evaluate(self, node, visibility: Visibility):
        """(mask, score or None, tier or None) over every document."""
        n = self.n
        live = np.ones(n, dtype=bool)
        if isinstance(node, Word):
            mask, score = self.stem_score(stem(node.text))
            return mask, score, (mask & self.exact(node.text)).astype(np.int32)
        if isinstance(node, Phrase):
            stems = [stem(w) for w in node.words]
            k = len(stems)
            mask = np.array(
                [
                    any(
                        s[i : i + k] == stems
                        for s in d.stems.values()
                        for i in range(len(s) - k + 1)
                    )
                    for d in self.docs
                ],
                dtype=bool,
            )
            exact = mask.copy()
            for word in node.words:
                exact &= self.exact(word)
            return mask, self._sum(stems, mask), exact.astype(np.int32)
        if isinstance(node, Prefix):
            words = self.expansions(node.text)
            mask = np.array([bool(d.exact & set(words)) for d in self.docs], dtype=bool)
            stems = sorted({stem(w) for w in words})
            return mask, self._sum(stems, mask), mask.astype(np.int32)
        if isinstance(node, Field):
            return self.field_mask(node.name, {node.value}, visibility), None, None
        if isinstance(node, Everything):
            return live, None, None
        if isinstance(node, Not):
            return live & ~self.evaluate(node.item, visibility)[0], None, None
        parts = [self.evaluate(x, visibility) for x in node.items]
        if isinstance(node, And):
            mask = live.copy()
            for m, _s, _t in parts:
                mask &= m
        else:
            mask = np.zeros(n, dtype=bool)
            for m, _s, _t in parts:
                mask |= m
        score = tier = None
        for m, s, t in parts:
            if s is not None:
                c = np.where(m, s, 0.0)
                score = c if score is None else score + c
            if t is not None:
                c = np.where(m, t, 0)
                tier = c if tier is None else tier + c
        return mask, score, tier

    # -- a whole search ------------------------------------------------------------------------

    def search(
        self,
        node,
        *,
        filters: dict[str, set[str]],
        visibility: Visibility,
        include_withdrawn: bool = False,
        sort: str = "relevance",
    ) -> tuple[list[str], dict[str, list[dict]], bool]:
        """(every matching id in order, facets, relaxed)."""
        scope = np.array([include_withdrawn or d.status == "active" for d in self.docs], bool)
        for name, values in filters.items():
            scope &= self.field_mask(name, values, visibility)
        mask, score, tier = scope, None, None
        was_relaxed = False
        if node is not None:
            m, score, tier = self.evaluate(node, visibility)
            mask = m & scope
            wider = relaxed(node)
            if not mask.any() and wider is not None:
                m2, s2, t2 = self.evaluate(wider, visibility)
                if (m2 & scope).any():
                    mask, score, tier, was_relaxed = m2 & scope, s2, t2, True
        docs = [i for i in range(self.n) if mask[i]]
        facets = {}
        visible = self.format_visible(visibility)
        for name in FACETS:
            counts = Counter(
                v for i in docs if name != "format" or visible[i] for v in self.docs[i].facets[name]
            )
            facets[name] = [
                {"value": v, "count": c}
                for v, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
            ]

        def key(i: int):
            d = self.docs[i]
            ident = d.id.encode("utf-8")
            if sort == "relevance" and score is not None:
                return (-int(tier[i]), -float(score[i]), ident)
            if sort in ("relevance", "modified"):
                return (-d.modified if d.modified != MISSING_TIME else float("inf"), ident)
            if sort == "title":
                return (d.title.casefold().encode("utf-8"), ident)
            return (-d.score, ident)  # conformance score, unscored (-1) last

        docs.sort(key=key)
        return [self.docs[i].id for i in docs], facets, was_relaxed


def relaxed(node):
    """The engine's rule: side-by-side text terms OR-ed, the rest still required."""
    if not isinstance(node, And) or not node.implicit:
        return None
    text = tuple(x for x in node.items if isinstance(x, TEXT_LEAVES))
    if len(text) < 2:
        return None
    rest = tuple(x for x in node.items if not isinstance(x, TEXT_LEAVES))
    return And((Or(text), *rest), implicit=False) if rest else Or(text)
