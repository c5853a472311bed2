"""Per-segment sidecar: frequent terms' postings and the field lengths as plain numpy arrays.

A searcher that has not read a term yet (the "cold" case) would decode its Whoosh posting blocks:
for a common word that is hundreds of blocks, each unzipped and unpickled with its positions. The
segment builder already holds every posting as arrays, so it also writes, next to the segment:

    <segment id>.sidecar.json   {"terms": {field: {term: [start, stop]}}, "fields": [...]}
    <segment id>.sidecar.docs   uint32 segment document numbers, term after term
    <segment id>.sidecar.tf     float32 term frequencies, aligned with the numbers
    <segment id>.sidecar.len    uint8 Whoosh length bytes, one row per text field

A searcher memory-maps these when it opens (about a millisecond) and slices a term's postings out.
Only terms with at least ``MIN_POSTINGS`` postings are listed (rarer ones decode quickly).
The names match Whoosh's segment-file pattern, so Whoosh deletes them with their segment; they
are written after the segment is assembled and before the table of contents names it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from whoosh.util.numeric import _length_byte_cache

MIN_POSTINGS = 128
_LENGTH_LIMITS = np.asarray(_length_byte_cache, dtype=np.int64)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """``whoosh.util.numeric.length_to_byte`` over an array."""
    found = np.minimum(np.searchsorted(_LENGTH_LIMITS, lengths, side="left"), 255)
    return np.where(lengths >= 106374, 255, found).astype(np.uint8)


class SidecarWriter:
    """Collects postings while the segment builder writes terms (``on_term``)."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.terms: dict[str, dict[str, list[int]]] = {}
        self._docs: list[np.ndarray] = []
        self._tf: list[np.ndarray] = []
        self._size = 0

    def on_term(self, field: str, term: bytes, docs: np.ndarray, weights: np.ndarray) -> None:
        if field in self.fields and len(docs) >= MIN_POSTINGS:
            self.terms.setdefault(field, {})[term.decode("utf-8")] = [
                self._size,
                self._size + len(docs),
            ]
            self._docs.append(docs.astype(np.uint32))
            self._tf.append(weights.astype(np.float32))
            self._size += len(docs)

    def write(self, folder: Path, segment_id: str, lengths: dict[str, np.ndarray]) -> None:
        names = sorted(lengths)
        arrays = {
            "docs": np.concatenate(self._docs) if self._docs else np.zeros(0, np.uint32),
            "tf": np.concatenate(self._tf) if self._tf else np.zeros(0, np.float32),
            "len": np.stack([length_bytes(lengths[n]) for n in names])
            if names
            else np.zeros((0, 0), np.uint8),
        }
        for suffix, data in arrays.items():
            _write_atomic(folder / f"{segment_id}.sidecar.{suffix}", data.tobytes())
        meta = {"terms": self.terms, "fields": names, "doc_count": int(arrays["len"].shape[-1])}
        # The directory last: a sidecar counts only once its directory exists.
        _write_atomic(folder / f"{segment_id}.sidecar.json", json.dumps(meta).encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.parent / f".{path.name}.tmp"  # a leading dot: Whoosh's file cleaner skips it
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Sidecar:
    """A segment's sidecar, memory-mapped."""

    def __init__(self, folder: Path, segment_id: str) -> None:
        meta = json.loads((folder / f"{segment_id}.sidecar.json").read_text())
        self.terms: dict[str, dict[str, list[int]]] = meta["terms"]
        self.docs = _map(folder / f"{segment_id}.sidecar.docs", np.uint32)
        self.tf = _map(folder / f"{segment_id}.sidecar.tf", np.float32)
        fields = meta["fields"]
        lengths = _map(folder / f"{segment_id}.sidecar.len", np.uint8)
        count = meta["doc_count"]
        self.lengths = {f: lengths[i * count : (i + 1) * count] for i, f in enumerate(fields)}

    @classmethod
    def open(cls, folder: Path | None, segment_id: str) -> Sidecar | None:
        if folder is None or not (folder / f"{segment_id}.sidecar.json").exists():
            return None
        try:
            return cls(folder, segment_id)
        except (OSError, ValueError, KeyError):
            return None  # removed with its segment meanwhile: read the segment itself

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        span = self.terms.get(field, {}).get(text)
        if span is None:
            return None
        start, stop = span
        return self.docs[start:stop], self.tf[start:stop]


def _map(path: Path, dtype: type) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")
