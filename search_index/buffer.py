"""One field's postings for a new segment, gathered as flat arrays and sorted with numpy.

Per document, a field only appends term ids, document numbers and positions to arrays (C loops:
``map(vocab.setdefault, ...)``, ``array.extend``). At commit one stable argsort groups them by
term (in byte order, as Whoosh's term table needs) and document, and block statistics come from
``reduceat``: the per-word Python work of Whoosh's pool (tuples, pickling, sorting) is gone.
"""

from __future__ import annotations

import itertools
import re
from array import array
from dataclasses import dataclass
from pickle import dumps

import numpy as np
from whoosh.analysis import RegexTokenizer, StopFilter
from whoosh.system import pack_uint

from search_index.schema import build_schema

BLOCK = 128  # the W3 codec's postings per block


def _stop_words() -> frozenset[str]:
    """The stop list of the schema's text analyzer, whose other parts ``analyse`` mirrors:
    RegexTokenizer (default pattern) | LowercaseFilter | StopFilter(minsize=1)."""
    tokenizer, _lower, stop = build_schema()["description"].analyzer.items
    assert isinstance(tokenizer, RegexTokenizer) and isinstance(stop, StopFilter)
    assert tokenizer.expression.pattern == r"[\w\*]+(\.?[\w\*]+)*" and not tokenizer.gaps
    assert stop.min <= 1 and stop.max is None and stop.renumber
    return stop.stops


_TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")
_STOP = _stop_words()


def analyse(text: str) -> tuple[list[str], int]:
    """Indexed words of ``text`` in order (stop words removed) and the position of the first.

    Positions then follow on from the first: Whoosh's StopFilter renumbers the kept words
    consecutively, starting from the first kept word's original position.
    """
    if text.isascii():
        words = _TOKEN.findall(text.lower())
    else:  # lowercasing first could change what the regex sees (e.g. "İ")
        words = [w.lower() for w in _TOKEN.findall(text)]
    kept = [w for w in words if w not in _STOP]
    if not kept:
        return kept, 0
    first = 0
    while words[first] in _STOP:
        first += 1
    return kept, first


def encode_positions(positions: list[int]) -> bytes:
    """``whoosh.formats.Positions.encode``: the count, then the pickled position deltas."""
    deltas, base = [], 0
    for pos in positions:
        deltas.append(pos - base)
        base = pos
    return pack_uint(len(deltas)) + dumps(deltas, 2)


@dataclass
class Sorted:
    """A field's postings grouped by term (byte order), then document."""

    terms: list[bytes]
    term_starts: list[int]  # index of each term's first posting; one extra entry at the end
    docs: np.ndarray  # uint32 segment document numbers
    weights: np.ndarray  # float32
    values: list[bytes]
    block_starts: list[int]
    block_max_weight: list[float]
    block_min_length: list[int] | None
    block_max_length: list[int] | None


class FieldPostings:
    """Text fields add words (positions kept); other fields add Whoosh's own index items."""

    def __init__(self, text: bool) -> None:
        self.text = text
        self.vocab: dict = {}  # text: word -> id; others: (term bytes, weight, value) -> id
        self._ids = itertools.count()
        self.tids = array("I")
        self.docs = array("I")
        self.pos = array("I")

    def add_words(self, docnum: int, words: list[str], start: int) -> None:
        self.tids.extend(map(self.vocab.setdefault, words, self._ids))
        self.docs.extend(itertools.repeat(docnum, len(words)))
        self.pos.extend(range(start, start + len(words)))

    def item_ids(self, items: list[tuple]) -> list[int]:
        """Ids for (term bytes, freq, weight, value) items; cache them per field value."""
        return [self.vocab.setdefault((t, w, v), next(self._ids)) for t, _f, w, v in items]

    def add_ids(self, docnum: int, ids: list[int]) -> None:
        self.tids.extend(ids)
        self.docs.extend(itertools.repeat(docnum, len(ids)))

    def __len__(self) -> int:
        return len(self.tids)

    def sort(self, boost: float, lengths: np.ndarray | None) -> Sorted:
        keys = list(self.vocab)
        vids = np.fromiter(self.vocab.values(), dtype=np.int64, count=len(keys))
        term_bytes = [k.encode("utf-8") for k in keys] if self.text else [k[0] for k in keys]
        terms = sorted(set(term_bytes))
        rank_of = {t: i for i, t in enumerate(terms)}
        entry_rank = np.array([rank_of[t] for t in term_bytes], dtype=np.int64)
        by_vid = np.argsort(vids)
        entry = by_vid[np.searchsorted(vids[by_vid], np.frombuffer(self.tids, dtype=np.uint32))]
        rank = entry_rank[entry]
        order = np.argsort(rank, kind="stable")  # documents (and positions) stay in order
        docs = np.frombuffer(self.docs, dtype=np.uint32)[order]
        rank, entry = rank[order], entry[order]
        n = len(rank)
        new = np.ones(n, dtype=bool)
        new[1:] = (rank[1:] != rank[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(new)
        rank, docs = rank[starts], docs[starts]
        if self.text:
            pos = np.frombuffer(self.pos, dtype=np.uint32)[order]
            freq = np.diff(np.append(starts, n))
            first = pos[starts]
            table = [pack_uint(1) + dumps([p], 2) for p in range(int(first.max()) + 1)]
            values = [table[p] for p in first.tolist()]
            for i in np.flatnonzero(freq > 1).tolist():
                s = int(starts[i])
                values[i] = encode_positions(pos[s : s + int(freq[i])].tolist())
            weights = (freq * boost).astype(np.float32)
        else:
            entry = entry[starts]
            weights = np.array([k[1] for k in keys], dtype=np.float32)[entry]
            values = [keys[e][2] for e in entry.tolist()]
        term_first = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]])
        counts = np.diff(np.append(term_first, len(rank)))
        nblocks = -(-counts // BLOCK)
        block_term_first = np.repeat(term_first, nblocks)
        within = np.arange(int(nblocks.sum())) - np.repeat(np.cumsum(nblocks) - nblocks, nblocks)
        block_starts = block_term_first + BLOCK * within
        out = Sorted(
            terms=[terms[r] for r in rank[term_first].tolist()],
            term_starts=[*term_first.tolist(), len(rank)],
            docs=docs,
            weights=weights,
            values=values,
            block_starts=block_starts.tolist(),
            block_max_weight=np.maximum.reduceat(weights, block_starts).tolist(),
            block_min_length=None,
            block_max_length=None,
        )
        if lengths is not None:
            doc_lengths = lengths[docs]
            out.block_min_length = np.minimum.reduceat(doc_lengths, block_starts).tolist()
            out.block_max_length = np.maximum.reduceat(doc_lengths, block_starts).tolist()
        return out
