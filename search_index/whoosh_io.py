"""Every use of Whoosh's internals, in one place, for one tested version.

The catalog writes ordinary Whoosh (W3 codec) segments, but faster than Whoosh's own writer does
(``segments.SegmentBuilder`` hands the posting writer whole blocks), and reads what it searches
from per-segment sidecars (``sidecar.py``). Both lean on private parts of Whoosh: the segment
writer's per-document writer, field writer and posting writer, its merge step, the table of
contents. Those parts changed between Whoosh releases and nothing promises them, so:

* ``check_version()`` refuses to start on any Whoosh other than the one tested here (called by
  ``search_index.init_app`` and when this module is imported by a worker process);
* tests compare segments built here, including multi-block terms and merged segments, with the
  ones Whoosh's own writer makes (``tests/search/test_segments.py``).

Two fixes are applied on import (see ``_random_id`` and ``_cached_reader``).
"""

from __future__ import annotations

import heapq
import importlib.metadata
import pickle
import secrets
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import whoosh
from whoosh.codec import base as codec_base
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, EmptyIndexError, Index, LockError
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.util import IDCHARS
from whoosh.writing import SegmentWriter

from search_index.buffer import BLOCK, Sorted

TESTED = {("whoosh-reloaded", "2.7.5")}
__all__ = [
    "Index",
    "LockError",
    "SegmentInfo",
    "Writer",
    "check_version",
    "read_segment",
    "read_segments",
]
INDEX_NAME = "MAIN"


class UntestedWhoosh(RuntimeError):
    pass


def installed_version() -> tuple[str, str]:
    for dist in ("whoosh-reloaded", "Whoosh-Reloaded", "whoosh", "Whoosh"):
        try:
            return dist.lower(), importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown", whoosh.versionstring()  # pragma: no cover - a source checkout


def check_version() -> None:
    """Fail loudly on a Whoosh this code was not tested with: no silent fallback."""
    found = installed_version()
    if found not in TESTED or whoosh.versionstring() != found[1]:
        raise UntestedWhoosh(
            f"search_index was tested with {sorted(TESTED)}; found {found[0]} {found[1]}. "
            "Install the tested version (requirements.txt) or test this one and add it."
        )


# -- fixes -------------------------------------------------------------------------------------
# 1. Whoosh names segments with the global ``random`` module; anything that re-seeds it
#    (Hypothesis does, before every example) makes two commits draw the same name and the second
#    fails in ``create_compound_file``. Names come from ``secrets`` instead.
# 2. While postings are written, the per-document reader is asked for the new segment's length
#    column once per posting, with a filesystem ``stat`` each time; the "no" is remembered.

_original_cached_reader = whoosh3.W3PerDocReader._cached_reader
_MISSING = "_search_index_missing_columns"


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    missing = self.__dict__.setdefault(_MISSING, set())
    if fieldname in missing:
        return None
    reader = _original_cached_reader(self, fieldname, column)
    if reader is None:
        missing.add(fieldname)
    return reader


def _random_id(cls: Any, size: int = 16) -> str:
    return "".join(secrets.choice(IDCHARS) for _ in range(size))


def _apply_fixes() -> None:
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
    codec_base.Segment._random_id = classmethod(_random_id)


check_version()
_apply_fixes()


# -- indexes and their table of contents -------------------------------------------------------


def create_index(folder: Path, schema: Any) -> Index:
    return FileStorage(str(folder), supports_mmap=False).create_index(schema, INDEX_NAME)


def open_index(folder: Path) -> Index | None:
    try:
        return FileStorage(str(folder), supports_mmap=False).open_index(INDEX_NAME)
    except EmptyIndexError:
        return None


@dataclass(frozen=True)
class SegmentInfo:
    id: str
    doc_count: int
    deleted: frozenset[int]


def read_segments(folder: Path) -> tuple[int, list[SegmentInfo]]:
    """(generation, segments) from the latest table of contents; (-1, []) when there is none."""
    storage = FileStorage(str(folder), supports_mmap=False)
    try:
        toc = TOC.read(storage, INDEX_NAME)
    except EmptyIndexError:
        return -1, []
    segments = [
        SegmentInfo(s.segment_id(), s.doc_count_all(), frozenset(s.deleted_docs() or ()))
        for s in toc.segments
    ]
    return toc.generation, segments


def generation(folder: Path) -> int:
    """The latest table of contents' generation (-1: none): changes with every commit."""
    return TOC._latest_generation(FileStorage(str(folder), supports_mmap=False), INDEX_NAME)


# -- writing segments --------------------------------------------------------------------------


def encode_positions(positions: list[int]) -> bytes:
    """``whoosh.formats.Positions.encode``: the count, then the pickled position deltas."""
    deltas, last = [], 0
    for pos in positions:
        deltas.append(pos - last)
        last = pos
    return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


def posting_values(s: Sorted) -> list[bytes]:
    """The encoded value of every posting: positions for text fields, nothing otherwise."""
    if s.positions is None:
        return [b""] * len(s.docs)
    starts = _posting_pos_starts(s)
    first = s.positions[starts]
    # Most postings hold one position: encode each position value once.
    table = [pack_uint(1) + pickle.dumps([p], 2) for p in range(int(first.max(initial=0)) + 1)]
    values = [table[p] for p in first.tolist()]
    for i in np.flatnonzero(s.freq > 1).tolist():
        begin = int(starts[i])
        values[i] = encode_positions(s.positions[begin : begin + int(s.freq[i])].tolist())
    return values


def _posting_pos_starts(s: Sorted) -> np.ndarray:
    starts = np.zeros(len(s.freq), dtype=np.int64)
    np.cumsum(s.freq[:-1], out=starts[1:])
    return starts


class Writer:
    """A Whoosh ``SegmentWriter`` driven the way ``SegmentBuilder`` needs (one new segment)."""

    def __init__(self, ix: Index, timeout: float = 0.0) -> None:
        self.w: SegmentWriter = ix.writer(timeout=timeout)
        self.schema = self.w.schema
        if self.w.codec._blocklimit != BLOCK:
            raise UntestedWhoosh("the W3 codec's block size is not the one the builder writes")
        self._checked = None

    @property
    def docnum(self) -> int:
        return self.w.docnum

    # per document: stored fields and field lengths go through Whoosh's per-document writer
    def add_document(self, stored: dict[str, Any], lengths: dict[str, int]) -> None:
        w, schema = self.w, self.schema
        pdw = w.perdocwriter
        pdw.start_doc(w.docnum)
        try:
            for name in sorted(set(stored) | set(lengths)):
                pdw.add_field(name, schema[name], stored.get(name), lengths.get(name, 0))
        except Exception:
            pdw.cancel_doc()
            raise
        pdw.finish_doc()
        w._added = True
        w.docnum += 1

    def delete_ids(self, ids: Iterable[str]) -> None:
        # A term-table lookup first: most ids of a batch are new, and Whoosh would build a query
        # matcher over every segment for each of them.
        reader = self.w.searcher().reader()
        for dataset_id in ids:
            if ("id", dataset_id) in reader:
                self.w.delete_by_term("id", dataset_id)

    def commit(
        self,
        fields: Iterable[tuple[str, Sorted]],
        merge: bool,
        on_segment: Callable[[str, Callable[[], SegmentContents] | None], None],
        on_committed: Callable[[], None] | None = None,
    ) -> str | None:
        """Write the new segment, call ``on_segment(id, read_back)`` before the table of contents
        names it (``read_back`` is None unless Whoosh's merge policy folded older segments in:
        then it reads the merged segment's contents), write the table of contents, then call
        ``on_committed()`` while the index is still locked."""
        w = self.w
        fields = list(fields)
        try:
            segments = w._merge_segments(None, None, merge)  # may fold small segments into w.pool
            merged = bool(w.pool.current or w.pool.runs)
            new_id = None
            if w._added:
                w.perdocwriter.close()
                if merged:  # the merged segments' postings (sorted by Whoosh) plus ours
                    pdr = w.per_document_reader()
                    postings = heapq.merge(_tuples(fields), w.pool.iter_postings())
                    w.fieldwriter.add_postings(self.schema, pdr, postings)
                    pdr.close()
                else:
                    self._write_blocks(fields)
                w._close_segment()
                w._assemble_segment()
                segment = w.get_segment()
                new_id = segment.segment_id()
                read_back = None
                if merged:
                    storage, schema = w.storage, self.schema

                    def read_back() -> SegmentContents:
                        reader = SegmentReader(storage, schema, segment)
                        try:
                            return _contents(reader)
                        finally:
                            reader.close()

                on_segment(new_id, read_back)
                segments.append(segment)
            else:
                w._close_segment()
            w._commit_toc(segments)
            if on_committed is not None:
                on_committed()
        except BaseException:
            self.cancel()
            raise
        w._finish()
        return new_id

    def _write_blocks(self, fields: list[tuple[str, Sorted]]) -> None:
        fw = self.w.fieldwriter
        for name, s in fields:
            fieldobj = self.schema[name]
            fw.start_field(name, fieldobj)
            ids = array("I", s.docs.astype(np.uint32).tobytes())
            weights = array("f", s.weights.astype(np.float32).tobytes())
            values = posting_values(s) if fieldobj.format.fixed_value_size() != 0 else None
            starts = s.term_starts.tolist()
            b = 0
            for t, term in enumerate(s.terms):
                first, end = starts[t], starts[t + 1]
                fw.start_term(term)
                pw = fw._postwriter
                for start in range(first, end, BLOCK):
                    if start != first:
                        pw._write_block()
                    stop = min(start + BLOCK, end)
                    pw._ids = ids[start:stop]
                    pw._weights = weights[start:stop]
                    pw._values = values[start:stop] if values is not None else []
                    pw._maxweight = s.block_max_weight[b]
                    if s.block_min_length is not None:
                        pw._minlength = s.block_min_length[b]
                        pw._maxlength = s.block_max_length[b]
                    b += 1
                fw.finish_term()
            fw.finish_field()

    def cancel(self) -> None:
        if not self.w.is_closed:
            self.w.cancel()


def _tuples(fields: list[tuple[str, Sorted]]) -> Iterator[tuple]:
    for name, s in fields:
        values = posting_values(s)
        starts = s.term_starts.tolist()
        docs, weights = s.docs.tolist(), s.weights.tolist()
        for t, term in enumerate(s.terms):
            for i in range(starts[t], starts[t + 1]):
                yield (name, term, docs[i], weights[i], values[i])


# -- reading a segment back (merged segments' sidecars, and the tests) -------------------------


@dataclass
class SegmentContents:
    doc_count: int
    stored: list[dict[str, Any]]
    # field -> term -> (documents, positions per document or None)
    postings: dict[str, dict[str, tuple[list[int], list[list[int]] | None]]]


def read_segment(folder: Path, segment_id: str) -> SegmentContents:
    """Everything a segment holds, through Whoosh's reader (slow: for small merged segments)."""
    ix = open_index(folder)
    if ix is None:
        raise FileNotFoundError(folder)
    try:
        with ix.reader() as reader:
            for sub, _offset in reader.leaf_readers():
                if sub.segment().segment_id() == segment_id:
                    return _contents(sub)
    finally:
        ix.close()
    raise FileNotFoundError(f"{folder}/{segment_id}")


def _contents(sub: Any) -> SegmentContents:
    count = sub.doc_count_all()
    stored = [sub.stored_fields(d) for d in range(count)]
    postings: dict[str, dict[str, tuple[list[int], list[list[int]] | None]]] = {}
    for name in sub.indexed_field_names():
        fieldobj = sub.schema[name]
        positional = fieldobj.format.supports("positions")
        terms: dict[str, tuple[list[int], list[list[int]] | None]] = {}
        for btext in sub.lexicon(name):
            # The segment's own postings: deleted documents included, as in the sidecar.
            matcher = sub._terms.matcher(name, btext, fieldobj.format)
            if positional:
                items = list(matcher.items_as("positions"))
                terms[btext.decode("utf-8")] = ([d for d, _ in items], [list(p) for _, p in items])
            else:
                terms[btext.decode("utf-8")] = (list(matcher.all_ids()), None)
        postings[name] = terms
    return SegmentContents(count, stored, postings)
