"""Bulk reads of Whoosh postings and field lengths into numpy arrays.

Whoosh's matchers hand out one posting per Python call, and its BM25 scorer reads one field
length per document from disk; at 100,000 datasets a common word costs hundreds of milliseconds
that way. These helpers read whole posting blocks (ids and term frequencies) and whole length
columns once per searcher, so matching, scoring and facet counting become numpy operations.
They use the W3 codec's block attributes (whoosh-reloaded 2.7.5, pinned below 2.8), with a
slow, public-API fallback for any other matcher.
"""

from __future__ import annotations

import numpy as np
from whoosh.codec import whoosh3
from whoosh.reading import IndexReader, TermNotFound
from whoosh.util.numeric import byte_to_length

from search_index.sidecar import Sidecar

_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


def leaves(reader: IndexReader) -> list[tuple[IndexReader, int]]:
    return list(reader.leaf_readers())


def segment_of(sub: IndexReader):
    """The segment behind a leaf reader (None for an empty index's reader)."""
    try:
        return sub.segment()
    except NotImplementedError:
        return None


def segment_id(sub: IndexReader) -> str | None:
    segment = segment_of(sub)
    return segment.segment_id() if segment is not None else None


def live_mask(reader: IndexReader, n: int) -> np.ndarray:
    """True for every document not deleted, from each segment's deletion set."""
    live = np.ones(n, dtype=bool)
    for sub, offset in leaves(reader):
        segment = segment_of(sub)
        deleted = segment.deleted_docs() if segment is not None else ()
        if deleted:
            live[np.fromiter(deleted, dtype=np.int64) + offset] = False
    return live


def term_postings(
    reader: IndexReader, field: str, text: str, sidecars: dict[str, Sidecar | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of one term across all segments, deleted ones
    included (callers mask with the live documents). A segment's sidecar, when it lists the
    term, answers instead of the posting blocks."""
    ids, weights = [], []
    for sub, offset in leaves(reader):
        sidecar = (sidecars or {}).get(segment_id(sub))
        found = sidecar.postings(field, text) if sidecar is not None else None
        if found is not None:
            ids.append(found[0].astype(np.int64) + offset)
            weights.append(np.asarray(found[1], dtype=np.float32))
            continue
        fieldobj = sub.schema[field]
        btext = fieldobj.to_bytes(text)
        terms = getattr(sub, "_terms", None)
        if terms is None:  # an index with no segments yet (EmptyReader) has no postings
            continue
        try:
            matcher = terms.matcher(field, btext, fieldobj.format, scorer=None)
        except (KeyError, TermNotFound):
            continue
        if isinstance(matcher, whoosh3.W3LeafMatcher):
            while matcher.is_active():
                matcher._read_ids()
                matcher._read_weights()
                ids.append(np.asarray(matcher._ids, dtype=np.int64) + offset)
                weights.append(np.asarray(matcher._weights, dtype=np.float32))
                matcher._next_block()
        else:  # pragma: no cover - other codecs
            pairs = [(matcher.id(), matcher.weight()) for _ in _drain(matcher)]
            if pairs:
                a = np.asarray(pairs, dtype=np.float64)
                ids.append(a[:, 0].astype(np.int64) + offset)
                weights.append(a[:, 1].astype(np.float32))
    if not ids:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return np.concatenate(ids), np.concatenate(weights)


def _drain(matcher):
    while matcher.is_active():
        yield None
        matcher.next()


def field_lengths(
    reader: IndexReader, field: str, n: int, sidecars: dict[str, Sidecar | None] | None = None
) -> np.ndarray:
    """Length (in terms) of ``field`` in every document, as stored for BM25."""
    out = np.zeros(n, dtype=np.float32)
    for sub, offset in leaves(reader):
        sidecar = (sidecars or {}).get(segment_id(sub))
        if sidecar is not None and field in sidecar.lengths:
            raw = sidecar.lengths[field]
            out[offset : offset + len(raw)] = _LENGTH_OF_BYTE[raw]
            continue
        perdoc = getattr(sub, "_perdoc", None)
        column = (
            perdoc._cached_reader(whoosh3._lenfield(field), whoosh3.LENGTHS_COLUMN)
            if perdoc is not None
            else None
        )
        count = sub.doc_count_all()
        if column is not None:
            raw = np.fromiter((column[i] for i in range(count)), dtype=np.uint8, count=count)
            out[offset : offset + count] = _LENGTH_OF_BYTE[raw]
        else:  # pragma: no cover - other codecs
            for i in range(count):
                out[offset + i] = sub.doc_field_length(i, field)
    return out
