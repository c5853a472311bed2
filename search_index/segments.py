"""Writing one new segment (and its sidecar) from documents: rebuilds and incremental batches.

Whoosh's ``add_document`` makes a ``Token`` object per word, puts every posting as a tuple into
a sorting pool (spilled to disk and merged beyond ``limitmb``), then hands postings one by one to
the codec. ``SegmentBuilder`` produces the same segment faster:

* text is analysed once (``analysis.analyse``, tested equal to the schema's Whoosh analyzers):
  stems with positions for the text fields, the exact words for ``words``;
* postings are gathered per field in compact arrays and sorted with numpy (``buffer.py``);
* each term's postings go to Whoosh's posting writer a whole block at a time
  (``whoosh_io.Writer``).

The same arrays become the segment's sidecar, written before the table of contents names the
segment. When Whoosh's merge policy folds older segments into the new one, the postings are
merged through Whoosh's own path and the sidecar is read back from the merged segment.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import numpy as np

from search_index import sidecar, whoosh_io
from search_index.analysis import analyse, stems_of
from search_index.buffer import FieldPostings, Sorted
from search_index.schema import EXACT_FIELD, MULTI_SEPARATOR, MULTI_VALUED, TEXT_FIELDS
from search_index.sidecar import FACET_FIELDS, SegmentDocs
from search_index.whoosh_io import Index

STORED = ("id", "title", "modified", "updated", "created", "score")


class SegmentBuilder:
    """Adds documents to one new segment of ``ix``; ``commit()`` writes it (one Whoosh commit)."""

    def __init__(self, ix: Index, folder: Path, timeout: float = 0.0) -> None:
        self.writer = whoosh_io.Writer(ix, timeout=timeout)
        self.folder = Path(folder)
        self._text = {name: FieldPostings(positions=True) for name in TEXT_FIELDS}
        self._terms = {
            name: FieldPostings(positions=False) for name in ("id", EXACT_FIELD, *FACET_FIELDS)
        }
        self._lengths = {name: array("I") for name in TEXT_FIELDS}
        self.docs = SegmentDocs()

    def delete_ids(self, ids: Any) -> None:
        self.writer.delete_ids(ids)

    def add_document(self, doc: dict[str, Any]) -> None:
        """``doc`` as ``documents.document_for`` makes it (what Whoosh's writer would take)."""
        docnum = self.writer.docnum
        lengths: dict[str, int] = {}
        exact: set[str] = set()
        for name in TEXT_FIELDS:
            words, start = analyse(doc.get(name) or "")
            exact.update(words)
            self._text[name].add_words(docnum, stems_of(words), start)
            self._lengths[name].append(len(words))
            lengths[name] = len(words)
        self._terms[EXACT_FIELD].add_terms(docnum, exact)
        self._terms["id"].add_terms(docnum, [doc["id"]])
        for name in FACET_FIELDS:
            value = doc.get(name)
            if value:
                values = {v.strip() for v in value.split(MULTI_SEPARATOR)}
                self._terms[name].add_terms(docnum, values if name in MULTI_VALUED else [value])
        stored = {name: doc[name] for name in STORED if doc.get(name) is not None}
        self.writer.add_document(stored, lengths)
        self.docs.add(doc)

    def _sorted(self) -> dict[str, Sorted]:
        out = {}
        for name, postings in (*self._text.items(), *self._terms.items()):
            lengths = self._lengths.get(name)
            as_array = None if lengths is None else np.frombuffer(lengths, np.uint32)
            out[name] = postings.sort(1.0, as_array)
        return out

    def commit(self, merge: bool = True, after: Any = None) -> str | None:
        """Write the segment, its sidecar and the new table of contents; returns the new
        segment's id. ``merge=False`` leaves the other segments alone; ``after()`` runs once the
        table of contents is written, before the index lock is released."""
        by_name = self._sorted()
        fields = [(name, by_name[name]) for name in sorted(by_name) if len(by_name[name].docs)]

        def write_sidecar(segment_id: str, read_back: Any) -> None:
            if read_back is None:
                arrays = sidecar.build_arrays(
                    self.docs, {n: by_name[n] for n in TEXT_FIELDS}, by_name[EXACT_FIELD]
                )
                count = len(self.docs.ids)
            else:  # merged: what Whoosh wrote is the truth
                contents = read_back()
                arrays, count = sidecar.from_contents(contents), contents.doc_count
            sidecar.write(self.folder, segment_id, arrays, count)

        return self.writer.commit(fields, merge, write_sidecar, after)

    def cancel(self) -> None:
        self.writer.cancel()
