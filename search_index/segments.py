"""Writing Whoosh segments from pre-tokenised postings: rebuilds and incremental batches.

Whoosh's ``add_document`` makes a ``Token`` object per word, puts every posting as a tuple into
a sorting pool (spilled to disk and merged beyond ``limitmb``), then hands postings one by one to
the codec. ``SegmentBuilder`` produces the same segment faster:

* text fields are tokenised with one compiled regex, giving exactly the terms, positions,
  frequencies and field lengths of the schema's ``StandardAnalyzer`` (tested against it);
* postings are gathered per term in compact arrays (no pool, no sort of postings);
* each term's postings go to the W3 posting writer a whole block (128) at a time.

Per-document data (stored fields, field lengths, columns) still goes through Whoosh's own
per-document writer, deletions and merges through its ``SegmentWriter``; the result is an
ordinary W3 segment any Whoosh reader opens. When Whoosh's merge policy folds older segments into
the new one (incremental commits), their postings are merged with ours through Whoosh's own path.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.index import Index
from whoosh.writing import SegmentWriter

from search_index.buffer import BLOCK, FieldPostings, Sorted, analyse
from search_index.schema import FACETS, TEXT_FIELDS
from search_index.sidecar import SidecarWriter

SIDECAR_FIELDS = (*TEXT_FIELDS, *FACETS.values(), "status")

CACHE_LIMIT = 50_000


class SegmentBuilder:
    """Adds documents to one new segment of ``ix``; ``commit()`` writes it (one Whoosh commit)."""

    def __init__(self, ix: Index, **writer_kwargs: Any) -> None:
        self.writer: SegmentWriter = ix.writer(**writer_kwargs)
        self.schema = self.writer.schema
        assert self.writer.codec._blocklimit == BLOCK, "written blocks must match the codec's"
        self._text = {
            name
            for name in TEXT_FIELDS
            if isinstance(self.schema[name], TEXT) and type(self.schema[name].format) is Positions
        }
        self._postings: dict[str, FieldPostings] = {
            name: FieldPostings(text=name in self._text)
            for name in self.schema.names()
            if self.schema[name].indexed
        }
        self._lengths: dict[str, array] = {name: array("I") for name in self._text}
        self._item_cache: dict[tuple[str, Any], tuple[list[int], int]] = {}
        self._column_cache: dict[tuple[str, Any], Any] = {}
        # Called with (field, term bytes, doc numbers, weights) as each term is written.
        self.sidecar = SidecarWriter(SIDECAR_FIELDS)
        self.on_term: Callable[[str, bytes, np.ndarray, np.ndarray], None] | None = (
            self.sidecar.on_term
        )

    def delete_by_term(self, fieldname: str, text: str) -> None:
        # A term-table lookup first: most ids in a harvest batch are new, and Whoosh would build a
        # query matcher over every segment for each of them.
        if (fieldname, text) in self.writer.searcher().reader():
            self.writer.delete_by_term(fieldname, text)

    def add_document(self, doc: dict[str, Any]) -> None:
        """What ``SegmentWriter.add_document(**doc)`` does, with the postings kept here."""
        w, schema = self.writer, self.schema
        docnum = w.docnum
        pdw = w.perdocwriter
        pdw.start_doc(docnum)
        try:
            for name in self._text:
                if doc.get(name) is None:
                    self._lengths[name].append(0)
            for name in sorted(doc):
                value = doc[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if name in self._text:
                    words, start = analyse(value)
                    length = len(words)
                    self._lengths[name].append(length)
                    self._postings[name].add_words(docnum, words, start)
                elif field.indexed:
                    ids, length = self._items(name, field, value)
                    self._postings[name].add_ids(docnum, ids)
                pdw.add_field(name, field, value if field.stored else None, length)
                if field.column_type is not None:
                    pdw.add_column_value(name, field.column_type, self._column(name, field, value))
        except Exception:
            pdw.cancel_doc()
            raise
        pdw.finish_doc()
        w._added = True
        w.docnum += 1

    def _items(self, name: str, field: Any, value: Any) -> tuple[list[int], int]:
        """Posting ids and field length of ``field.index(value)``, remembered per value:
        facets, dates and scores repeat a lot (unique ids are not cached)."""
        key = (name, value)
        found = None if field.unique else self._item_cache.get(key)
        if found is None:
            items = list(field.index(value))
            length = sum(freq for _t, freq, _w, _v in items) if field.scorable else 0
            found = (self._postings[name].item_ids(items), length)
            if not field.unique:
                if len(self._item_cache) > CACHE_LIMIT:
                    self._item_cache.clear()
                self._item_cache[key] = found
        return found

    def _column(self, name: str, field: Any, value: Any) -> Any:
        if field.unique or name in self._text:
            return field.to_column_value(value)
        key = (name, value)
        if key not in self._column_cache:
            if len(self._column_cache) > CACHE_LIMIT:
                self._column_cache.clear()
            self._column_cache[key] = field.to_column_value(value)
        return self._column_cache[key]

    # -- writing -------------------------------------------------------------------------------

    def _sorted(self) -> Iterator[tuple[str, Sorted]]:
        """Each field with postings, in name order (as Whoosh writes them)."""
        for name in sorted(self._postings):
            postings = self._postings[name]
            if len(postings):
                lengths = self._lengths.get(name)
                array_lengths = None if lengths is None else np.frombuffer(lengths, np.uint32)
                yield name, postings.sort(self.schema[name].format.field_boost, array_lengths)

    def _write_blocks(self) -> None:
        fw = self.writer.fieldwriter
        for name, s in self._sorted():
            fw.start_field(name, self.schema[name])
            ids = array("I", s.docs.astype(np.uint32).tobytes())
            weights = array("f", s.weights.astype(np.float32).tobytes())
            keep_values = self.schema[name].format.fixed_value_size() != 0
            b = 0
            for t, term in enumerate(s.terms):
                first, end = s.term_starts[t], s.term_starts[t + 1]
                fw.start_term(term)
                pw = fw._postwriter
                for start in range(first, end, BLOCK):
                    if start != first:
                        pw._write_block()
                    stop = min(start + BLOCK, end)
                    pw._ids = ids[start:stop]
                    pw._weights = weights[start:stop]
                    pw._values = s.values[start:stop] if keep_values else []
                    pw._maxweight = s.block_max_weight[b]
                    if s.block_min_length is not None:
                        pw._minlength = s.block_min_length[b]
                        pw._maxlength = s.block_max_length[b]
                    b += 1
                fw.finish_term()
                if self.on_term is not None:
                    self.on_term(name, term, s.docs[first:end], s.weights[first:end])
            fw.finish_field()

    def _tuples(self) -> Iterator[tuple]:
        for name, s in self._sorted():
            for t, term in enumerate(s.terms):
                for i in range(s.term_starts[t], s.term_starts[t + 1]):
                    yield (name, term, int(s.docs[i]), float(s.weights[i]), s.values[i])

    def commit(self, merge: bool = True) -> str | None:
        """Write the segment and the new table of contents; returns the new segment's id.
        ``merge=False`` leaves the other segments alone (Whoosh may otherwise fold some in)."""
        w = self.writer
        try:
            segments = w._merge_segments(None, None, merge)  # may fold small segments into w.pool
            new_id = None
            if w._added:
                w.perdocwriter.close()
                fast = not (w.pool.current or w.pool.runs)
                if fast:
                    self._write_blocks()
                else:  # merged segments' postings (sorted by Whoosh) plus ours; no sidecar
                    pdr = w.per_document_reader()
                    merged = heapq.merge(self._tuples(), w.pool.iter_postings())
                    w.fieldwriter.add_postings(self.schema, pdr, merged)
                    pdr.close()
                w._close_segment()
                w._assemble_segment()
                segment = w.get_segment()
                folder = getattr(w.storage, "folder", None)
                if fast and folder is not None:
                    lengths = {n: np.frombuffer(a, np.uint32) for n, a in self._lengths.items()}
                    self.sidecar.write(Path(folder), segment.segment_id(), lengths)
                segments.append(segment)
                new_id = segment.segment_id()
            else:
                w._close_segment()
            w._commit_toc(segments)
        except BaseException:
            self.cancel()
            raise
        w._finish()
        return new_id

    def cancel(self) -> None:
        if not self.writer.is_closed:
            self.writer.cancel()
