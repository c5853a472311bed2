"""One generation of the index as a searcher sees it: segments, their sidecars, live documents.

Documents are numbered across segments (segment after segment, as in the table of contents).
Opening a view maps each segment's sidecar and computes only what is per generation and small:
the live mask (from Whoosh's deletion sets), N, the mean field lengths over the live documents,
and global value tables for the facets the page shows. Everything a query touches is read from
the maps; nothing is built lazily by a request except, on first use, the global value tables of
the keyword and license facets (CKAN's ``tags`` and ``license_id``).

A view never changes after it opens and holds no file handles, so any number of threads search
it at once without a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search_index import scoring
from search_index.schema import EXACT_FIELD, MULTI_VALUED, TEXT_FIELDS
from search_index.sidecar import (
    FACET_FIELDS,
    ID_WORDS,
    NO_VALUE,
    Sidecar,
    byte_keys,
    deletions,
    spelling_key,
)
from search_index.whoosh_io import SegmentInfo

EAGER_FACETS = tuple(f for f in FACET_FIELDS if f not in ("keyword", "license"))
MASK_CACHE = 64


def _among(ords: np.ndarray, wanted: list[int]) -> np.ndarray:
    if len(wanted) == 1:
        return ords == wanted[0]
    return np.isin(ords, wanted)


@dataclass
class Segment:
    info: SegmentInfo
    sidecar: Sidecar
    offset: int
    live: np.ndarray  # bool per local document

    @property
    def stop(self) -> int:
        return self.offset + self.info.doc_count


@dataclass
class FacetTable:
    values: list[str]
    remaps: list[np.ndarray]  # per segment: local ordinal -> global ordinal


class IndexView:
    def __init__(
        self,
        folder: Path,
        generation: int,
        segments: list[SegmentInfo],
        previous: IndexView | None = None,
    ) -> None:
        self.folder = folder
        self.generation = generation
        self.segments: list[Segment] = []
        # Segments the previous view already mapped are shared with it (their files never
        # change); only new ones are mapped, and only they need warming.
        mapped = {}
        if previous is not None and previous.folder == folder:
            mapped = {s.info.id: s.sidecar for s in previous.segments}
        self.new_segments: list[Segment] = []
        offset = 0
        for info in segments:
            live = np.ones(info.doc_count, dtype=bool)
            if info.deleted:
                live[np.fromiter(info.deleted, dtype=np.int64)] = False
            sidecar = mapped.get(info.id)
            segment = Segment(info, sidecar or Sidecar(folder, info.id), offset, live)
            self.segments.append(segment)
            if sidecar is None:
                self.new_segments.append(segment)
            offset += info.doc_count
        self.n = offset
        self.live = (
            np.concatenate([s.live for s in self.segments]) if self.segments else np.zeros(0, bool)
        )
        self.n_live = int(self.live.sum())
        self.avg = {}
        for name in TEXT_FIELDS:
            total = sum(
                int(s.sidecar[f"len.{name}"][s.live].sum(dtype=np.int64)) for s in self.segments
            )
            self.avg[name] = scoring.average(total, self.n_live)
        self._facets: dict[str, FacetTable] = {}
        self._masks: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()
        for name in EAGER_FACETS:
            self.facet_table(name)

    # -- text ----------------------------------------------------------------------------------

    def stem_postings(self, field: str, stem: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live (documents, frequencies, field lengths) of a stem in a text field."""
        key = stem.encode("utf-8")
        docs, tfs, lengths = [], [], []
        for s in self.segments:
            term = s.sidecar.terms[field].find(key)
            if term < 0:
                continue
            local, tf = s.sidecar.postings(field, term)
            keep = s.live[local]
            local = local[keep]
            docs.append(local.astype(np.int64) + s.offset)
            tfs.append(tf[keep].astype(np.float64))
            lengths.append(s.sidecar[f"len.{field}"][local].astype(np.float64))
        if not docs:
            empty = np.zeros(0)
            return empty.astype(np.int64), empty, empty
        return np.concatenate(docs), np.concatenate(tfs), np.concatenate(lengths)

    def stem_cost(self, stem: str) -> int:
        key = stem.encode("utf-8")
        cost = 0
        for s in self.segments:
            for field in TEXT_FIELDS:
                term = s.sidecar.terms[field].find(key)
                if term >= 0:
                    cost += s.sidecar.postings_size(field, term, term + 1)
        return cost

    def word_docs(self, word: str) -> np.ndarray:
        """Live documents holding the exact word."""
        key = word.encode("utf-8")
        out = []
        for s in self.segments:
            term = s.sidecar.terms[EXACT_FIELD].find(key)
            if term >= 0:
                local, _ = s.sidecar.postings(EXACT_FIELD, term)
                out.append(local[s.live[local]].astype(np.int64) + s.offset)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def prefix_cost(self, prefix: str) -> int:
        key = prefix.encode("utf-8")
        cost = 0
        for s in self.segments:
            start, stop = s.sidecar.terms[EXACT_FIELD].span(key)
            cost += s.sidecar.postings_size(EXACT_FIELD, start, stop)
        return cost

    def prefix_words(self, prefix: str) -> dict[str, int]:
        """Exact words beginning with ``prefix`` held by live documents, with how many hold each."""
        key = prefix.encode("utf-8")
        found: dict[str, int] = {}
        for s in self.segments:
            table = s.sidecar.terms[EXACT_FIELD]
            start, stop = table.span(key)
            if start >= stop:
                continue
            ptr = s.sidecar[f"terms.{EXACT_FIELD}.ptr"]
            first, last = int(ptr[start]), int(ptr[stop])
            alive = s.live[s.sidecar[f"post.{EXACT_FIELD}.doc"][first:last]].astype(np.int64)
            bounds = ptr[start:stop].astype(np.int64) - first
            counts = np.add.reduceat(alive, bounds) if len(alive) else np.zeros(0, np.int64)
            for i, count in enumerate(counts.tolist()):
                if count:
                    word = table[start + i]
                    found[word] = found.get(word, 0) + count
        return found

    def phrase_docs(self, field: str, stems: tuple[str, ...]) -> np.ndarray:
        """Live documents where the stems follow each other in ``field``."""
        out = []
        k = len(stems)
        for s in self.segments:
            keys = None
            for i, stem in enumerate(stems):
                term = s.sidecar.terms[field].find(stem.encode("utf-8"))
                if term < 0:
                    keys = None
                    break
                local, tf = s.sidecar.postings(field, term)
                positions = s.sidecar.positions(field, term).astype(np.int64)
                docs = np.repeat(local.astype(np.int64), tf.astype(np.int64))
                here = np.unique((docs << 32) | (positions + (k - i)))
                keys = here if keys is None else np.intersect1d(keys, here, assume_unique=True)
                if not len(keys):
                    break
            if keys is not None and len(keys):
                local = np.unique(keys >> 32)
                out.append(local[s.live[local]] + s.offset)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def phrase_cost(self, stems: tuple[str, ...]) -> int:
        cost = 0
        for s in self.segments:
            for field in TEXT_FIELDS:
                for stem in stems:
                    term = s.sidecar.terms[field].find(stem.encode("utf-8"))
                    if term >= 0:
                        pptr = s.sidecar[f"terms.{field}.pptr"]
                        cost += int(pptr[term + 1]) - int(pptr[term])
        return cost

    # -- facets and per-document columns -------------------------------------------------------

    def facet_table(self, name: str) -> FacetTable:
        table = self._facets.get(name)
        if table is None:
            with self._lock:
                table = self._facets.get(name)
                if table is None:
                    per_segment = [s.sidecar.values[name].all() for s in self.segments]
                    values = sorted(set().union(*per_segment), key=str.encode)
                    number = {v: i for i, v in enumerate(values)}
                    remaps = [
                        np.asarray([number[v] for v in seg], dtype=np.int64) for seg in per_segment
                    ]
                    table = self._facets[name] = FacetTable(values, remaps)
        return table

    def facet_mask(self, name: str, values: set[str] | frozenset[str]) -> np.ndarray:
        """Documents with any of ``values`` in facet ``name`` (deleted ones included). The
        answer is shared: callers must not change it."""
        key = (name, frozenset(values))
        mask = self._masks.get(key)
        if mask is None:
            mask = self._facet_mask(name, values)
            mask.flags.writeable = False
            if len(self._masks) >= MASK_CACHE:
                self._masks.clear()
            self._masks[key] = mask
        return mask

    def _facet_mask(self, name: str, values: set[str] | frozenset[str]) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        for s in self.segments:
            table = s.sidecar.values[name]
            wanted = [i for v in values if (i := table.find(v.encode("utf-8"))) >= 0]
            if not wanted:
                continue
            if name in MULTI_VALUED:
                docs = s.sidecar[f"pairs.{name}.doc"]
                hit = docs[_among(s.sidecar[f"pairs.{name}.ord"], wanted)]
                mask[hit.astype(np.int64) + s.offset] = True
            else:
                mask[s.offset : s.stop] = _among(s.sidecar[f"facet.{name}"], wanted)
        return mask

    def facet_counts(
        self, name: str, mask: np.ndarray, docs: np.ndarray | None = None
    ) -> list[tuple[str, int]]:
        """(value, documents) for every value held by the documents in ``mask`` (``docs``: the
        same documents as numbers, when the caller has them: gathering a few is cheaper than
        scanning the mask)."""
        table = self.facet_table(name)
        counts = np.zeros(len(table.values), dtype=np.int64)
        sparse = docs is not None and len(docs) * 8 < self.n
        for s, remap in zip(self.segments, table.remaps, strict=True):
            if name in MULTI_VALUED:
                here = mask[s.offset : s.stop]
                ords = s.sidecar[f"pairs.{name}.ord"][here[s.sidecar[f"pairs.{name}.doc"]]]
            elif sparse:
                local = docs[(docs >= s.offset) & (docs < s.stop)] - s.offset
                ords = s.sidecar[f"facet.{name}"][local]
            else:
                ords = s.sidecar[f"facet.{name}"][mask[s.offset : s.stop]]
            if name not in MULTI_VALUED:
                ords = ords[ords != NO_VALUE]
            if len(ords):
                counts += np.bincount(remap[ords], minlength=len(table.values))
        return [(table.values[i], int(counts[i])) for i in np.flatnonzero(counts).tolist()]

    def id_mask(self, ids: set[str]) -> np.ndarray:
        keys = byte_keys([i.encode("utf-8") for i in ids], ID_WORDS)
        mask = np.zeros(self.n, dtype=bool)
        for s in self.segments:
            own = s.sidecar["id.key"]
            for key in keys:
                mask[s.offset : s.stop] |= (own == key).all(axis=1)
        return mask

    def gather(self, name: str, docs: np.ndarray) -> np.ndarray:
        """Per-document column ``name`` (``col.modified``, ``id.key``...) for these documents."""
        if len(self.segments) == 1:
            return np.asarray(self.segments[0].sidecar[name][docs])
        first = self.segments[0].sidecar[name]
        out = np.empty((len(docs), *first.shape[1:]), dtype=first.dtype)
        starts = np.asarray([s.offset for s in self.segments])
        which = np.searchsorted(starts, docs, side="right") - 1
        for number, s in enumerate(self.segments):
            pick = which == number
            if pick.any():
                out[pick] = s.sidecar[name][docs[pick] - s.offset]
        return out

    def strings(self, table: str, docs: list[int] | np.ndarray) -> list[str]:
        """Ids (``table="id"``) or titles of these documents, in order."""
        docs = np.asarray(docs, dtype=np.int64)
        starts = np.asarray([s.offset for s in self.segments], dtype=np.int64)
        which = np.searchsorted(starts, docs, side="right") - 1
        tables = [s.sidecar.ids if table == "id" else s.sidecar.titles for s in self.segments]
        return [
            tables[w][d - starts[w]] for w, d in zip(which.tolist(), docs.tolist(), strict=True)
        ]

    def live_ids(self) -> set[str]:
        """Every dataset id the view holds (tests and benchmarks)."""
        return set(self.strings("id", np.flatnonzero(self.live)))

    # -- spelling ------------------------------------------------------------------------------

    def known(self, word: str) -> bool:
        key = word.encode("utf-8")
        return any(s.sidecar.terms[EXACT_FIELD].find(key) >= 0 for s in self.segments)

    def correction(self, word: str) -> str | None:
        """The most frequent indexed word within one edit of ``word`` (ties: alphabetical)."""
        probes = {word} | deletions(word)
        freq: dict[str, int] = {}
        for s in self.segments:
            table = s.sidecar.terms[EXACT_FIELD]
            ptr = s.sidecar[f"terms.{EXACT_FIELD}.ptr"]
            numbers = set()
            for probe in probes:
                numbers.update(s.sidecar.spelling(spelling_key(probe)).tolist())
            for number in numbers:
                candidate = table[number]
                if candidate != word and probes & ({candidate} | deletions(candidate)):
                    freq[candidate] = freq.get(candidate, 0) + int(ptr[number + 1] - ptr[number])
        if not freq:
            return None
        return max(freq, key=lambda w: (freq[w], w))
