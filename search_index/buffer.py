"""One field's postings for a new segment, gathered as flat arrays and sorted with numpy.

Per document, a field only appends term ids, document numbers and positions to arrays (C loops:
``map(vocab.setdefault, ...)``, ``array.extend``). At commit one stable argsort groups them by
term (in byte order, as Whoosh's term table needs) and document, and block statistics come from
``reduceat``: the per-word Python work of Whoosh's pool (tuples, pickling, sorting) is gone.
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass

import numpy as np

BLOCK = 128  # postings per block in Whoosh's W3 codec (checked when a builder starts)


@dataclass
class Sorted:
    """A field's postings grouped by term (byte order), then document."""

    terms: list[bytes]
    term_starts: np.ndarray  # index of each term's first posting; one extra entry at the end
    docs: np.ndarray  # uint32 segment document numbers
    freq: np.ndarray  # uint32 occurrences per posting (1 for presence fields)
    weights: np.ndarray  # float32: freq x field boost
    positions: np.ndarray | None  # uint32, posting after posting (text fields)
    pos_starts: np.ndarray | None  # index of each term's first position; one extra at the end
    block_max_weight: list[float]
    block_min_length: list[int] | None
    block_max_length: list[int] | None


class FieldPostings:
    """Words with positions (text fields) or a set of terms per document (everything else)."""

    def __init__(self, positions: bool) -> None:
        self.positions = positions
        self.vocab: dict[str, int] = {}
        self._ids = itertools.count()
        self.tids = array("I")
        self.docs = array("I")
        self.pos = array("I")

    def add_words(self, docnum: int, words: list[str], start: int) -> None:
        """Words in order; positions follow on from ``start``."""
        self.tids.extend(map(self.vocab.setdefault, words, self._ids))
        self.docs.extend(itertools.repeat(docnum, len(words)))
        self.pos.extend(range(start, start + len(words)))

    def add_terms(self, docnum: int, terms: set[str] | list[str]) -> None:
        """Distinct terms of one document."""
        self.tids.extend(map(self.vocab.setdefault, terms, self._ids))
        self.docs.extend(itertools.repeat(docnum, len(terms)))

    def __len__(self) -> int:
        return len(self.tids)

    def sort(self, boost: float, lengths: np.ndarray | None) -> Sorted:
        keys = list(self.vocab)
        vids = np.fromiter(self.vocab.values(), dtype=np.int64, count=len(keys))
        term_bytes = [k.encode("utf-8") for k in keys]
        terms = sorted(term_bytes)
        rank_of = {t: i for i, t in enumerate(terms)}
        entry_rank = np.array([rank_of[t] for t in term_bytes], dtype=np.int64)
        by_vid = np.argsort(vids)
        entry = by_vid[np.searchsorted(vids[by_vid], np.frombuffer(self.tids, dtype=np.uint32))]
        rank = entry_rank[entry]
        order = np.argsort(rank, kind="stable")  # documents (and positions) stay in order
        docs = np.frombuffer(self.docs, dtype=np.uint32)[order]
        rank = rank[order]
        n = len(rank)
        new = np.ones(n, dtype=bool)
        new[1:] = (rank[1:] != rank[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(new)
        freq = np.diff(np.append(starts, n)).astype(np.uint32)
        rank, docs = rank[starts], docs[starts]
        term_first = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]]) if len(rank) else starts
        positions = pos_starts = None
        if self.positions:
            positions = np.frombuffer(self.pos, dtype=np.uint32)[order]
            pos_starts = np.append(starts[term_first], n).astype(np.uint64)
        weights = (freq * boost).astype(np.float32)
        counts = np.diff(np.append(term_first, len(rank)))
        nblocks = -(-counts // BLOCK)
        block_term_first = np.repeat(term_first, nblocks)
        within = np.arange(int(nblocks.sum())) - np.repeat(np.cumsum(nblocks) - nblocks, nblocks)
        block_starts = block_term_first + BLOCK * within
        out = Sorted(
            terms=[terms[r] for r in rank[term_first].tolist()],
            term_starts=np.append(term_first, len(rank)).astype(np.uint64),
            docs=docs,
            freq=freq,
            weights=weights,
            positions=positions,
            pos_starts=pos_starts,
            block_max_weight=np.maximum.reduceat(weights, block_starts).tolist()
            if len(block_starts)
            else [],
            block_min_length=None,
            block_max_length=None,
        )
        if lengths is not None and len(block_starts):
            doc_lengths = lengths[docs]
            out.block_min_length = np.minimum.reduceat(doc_lengths, block_starts).tolist()
            out.block_max_length = np.maximum.reduceat(doc_lengths, block_starts).tolist()
        return out
