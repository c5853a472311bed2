"""Per-segment sidecar: everything a search reads, as memory-mapped numpy arrays.

Written beside each Whoosh segment (``<segment>.sidecar.dat`` and ``.json``, names Whoosh's file
cleaner deletes with the segment), from the builder's arrays for new segments and read back
through Whoosh for segments its merge policy makes. Per segment, with document numbers local to
it:

* per document: id and title (string tables), sort keys (id and title as big-endian uint64
  words, dates as microseconds, the conformance score), text field lengths, facet values
  (an ordinal per document for single-valued facets, (document, ordinal) pairs for the others);
* per text field (stemmed): sorted terms, postings (documents, frequencies) and positions;
* ``words`` (exact words): sorted terms and the documents holding each;
* spelling: CRC keys of every exact word and its one-letter deletions, sorted, with the word.

Nothing here is built when a process opens the index: opening maps the files (shared by every
worker through the page cache) and reads a small manifest.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search_index.buffer import Sorted
from search_index.schema import (
    EXACT_FIELD,
    MISSING_TIME,
    MULTI_SEPARATOR,
    MULTI_VALUED,
    SINGLE_VALUED,
    TEXT_FIELDS,
)
from search_index.tables import StringTable, encode_strings, read_arrays, write_arrays
from search_index.whoosh_io import SegmentContents

VERSION = 2
NO_VALUE = np.uint32(0xFFFFFFFF)
ID_WORDS, TITLE_WORDS = 4, 3  # sort keys: the first 32 bytes of an id, 24 of a title
SPELL_MIN, SPELL_MAX = 3, 40
FACET_FIELDS = (*SINGLE_VALUED, *MULTI_VALUED)


def files(folder: Path, segment_id: str) -> tuple[Path, Path]:
    return folder / f"{segment_id}.sidecar.dat", folder / f"{segment_id}.sidecar.json"


@dataclass
class SegmentDocs:
    """Per-document values of a segment, in document order."""

    ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    columns: dict[str, list[int]] = field(
        default_factory=lambda: {"modified": [], "updated": [], "created": [], "score": []}
    )
    facets: dict[str, list[list[str]]] = field(
        default_factory=lambda: {name: [] for name in FACET_FIELDS}
    )

    def add(self, doc: dict) -> None:
        """A Whoosh document as ``documents.document_for`` makes it."""
        self.ids.append(doc["id"])
        self.titles.append(doc.get("title") or "")
        for name in ("modified", "updated", "created"):
            value = doc.get(name)
            self.columns[name].append(MISSING_TIME if value is None else value)
        score = doc.get("score")
        self.columns["score"].append(-1 if score is None else score)
        for name in FACET_FIELDS:
            value = doc.get(name)
            if not value:
                self.facets[name].append([])
            elif name in MULTI_VALUED:
                self.facets[name].append(sorted({v.strip() for v in value.split(MULTI_SEPARATOR)}))
            else:
                self.facets[name].append([value])


def build_arrays(docs: SegmentDocs, text: dict[str, Sorted], words: Sorted) -> dict:
    n = len(docs.ids)
    arrays: dict[str, np.ndarray] = {}
    _strings(arrays, "id", docs.ids)
    _strings(arrays, "title", docs.titles)
    arrays["id.key"] = byte_keys([i.encode("utf-8") for i in docs.ids], ID_WORDS)
    arrays["title.key"] = byte_keys([title_bytes(t) for t in docs.titles], TITLE_WORDS)
    for name in ("modified", "updated", "created"):
        arrays[f"col.{name}"] = np.asarray(docs.columns[name], dtype=np.int64).reshape(n)
    arrays["col.score"] = np.asarray(docs.columns["score"], dtype=np.int16).reshape(n)
    for name in FACET_FIELDS:
        values = sorted({v for row in docs.facets[name] for v in row}, key=str.encode)
        ord_of = {v: i for i, v in enumerate(values)}
        _strings(arrays, f"values.{name}", values)
        if name in SINGLE_VALUED:
            ords = [ord_of[row[0]] if row else NO_VALUE for row in docs.facets[name]]
            arrays[f"facet.{name}"] = np.asarray(ords, dtype=np.uint32).reshape(n)
        else:
            pairs = [(d, ord_of[v]) for d, row in enumerate(docs.facets[name]) for v in row]
            pairs.sort()
            flat = np.asarray(pairs, dtype=np.uint32).reshape(len(pairs), 2)
            arrays[f"pairs.{name}.doc"] = flat[:, 0].copy()
            arrays[f"pairs.{name}.ord"] = flat[:, 1].copy()
    for name in TEXT_FIELDS:
        s = text[name]
        _strings(arrays, f"terms.{name}", s.terms)
        arrays[f"terms.{name}.ptr"] = s.term_starts.astype(np.uint64)
        arrays[f"post.{name}.doc"] = s.docs.astype(np.uint32)
        arrays[f"post.{name}.tf"] = s.freq.astype(np.uint32)
        arrays[f"terms.{name}.pptr"] = s.pos_starts.astype(np.uint64)
        arrays[f"post.{name}.pos"] = s.positions.astype(np.uint32)
        lengths = np.bincount(s.docs, weights=s.freq, minlength=n) if len(s.docs) else np.zeros(n)
        arrays[f"len.{name}"] = lengths.astype(np.uint32)
    _strings(arrays, f"terms.{EXACT_FIELD}", words.terms)
    arrays[f"terms.{EXACT_FIELD}.ptr"] = words.term_starts.astype(np.uint64)
    arrays[f"post.{EXACT_FIELD}.doc"] = words.docs.astype(np.uint32)
    arrays["spell.key"], arrays["spell.word"] = spelling_keys(words.terms)
    return arrays


def from_contents(contents: SegmentContents) -> dict:
    """The sidecar arrays of a segment read back through Whoosh (``whoosh_io.read_segment``)."""
    docs = SegmentDocs()
    for stored in contents.stored:
        docs.add(dict(stored))
    facets = {name: [[] for _ in range(contents.doc_count)] for name in FACET_FIELDS}
    for name in FACET_FIELDS:
        for value, (numbers, _positions) in contents.postings.get(name, {}).items():
            for d in numbers:
                facets[name][d].append(value)
    docs.facets = {name: [sorted(row) for row in rows] for name, rows in facets.items()}
    text = {name: _sorted(contents.postings.get(name, {})) for name in TEXT_FIELDS}
    return build_arrays(docs, text, _sorted(contents.postings.get(EXACT_FIELD, {})))


def _sorted(postings: dict[str, tuple[list[int], list[list[int]] | None]]) -> Sorted:
    terms = sorted(postings, key=str.encode)
    docs: list[int] = []
    freq: list[int] = []
    positions: list[int] = []
    term_starts, pos_starts = [0], [0]
    for term in terms:
        numbers, places = postings[term]
        docs.extend(numbers)
        if places is None:
            freq.extend([1] * len(numbers))
        else:
            freq.extend(len(p) for p in places)
            for p in places:
                positions.extend(p)
        term_starts.append(len(docs))
        pos_starts.append(len(positions))
    return Sorted(
        terms=[t.encode("utf-8") for t in terms],
        term_starts=np.asarray(term_starts, dtype=np.uint64),
        docs=np.asarray(docs, dtype=np.uint32),
        freq=np.asarray(freq, dtype=np.uint32),
        weights=np.asarray(freq, dtype=np.float32),
        positions=np.asarray(positions, dtype=np.uint32),
        pos_starts=np.asarray(pos_starts, dtype=np.uint64),
        block_max_weight=[],
        block_min_length=None,
        block_max_length=None,
    )


def write(folder: Path, segment_id: str, arrays: dict, doc_count: int) -> None:
    data, manifest = files(folder, segment_id)
    write_arrays(data, manifest, arrays, version=VERSION, doc_count=doc_count)


def _strings(arrays: dict, name: str, values: list) -> None:
    arrays[f"{name}.blob"], arrays[f"{name}.off"] = encode_strings(values)


def title_bytes(title: str) -> bytes:
    return title.casefold().encode("utf-8")


def byte_keys(values: list[bytes], words: int) -> np.ndarray:
    """The first ``8 * words`` bytes of each value as big-endian words (zero-padded): ordering
    the rows lexicographically orders the values by those bytes."""
    width = 8 * words
    packed = b"".join(v[:width].ljust(width, b"\0") for v in values)
    return np.frombuffer(packed, dtype=">u8").astype(np.uint64).reshape(len(values), words)


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def spelling_key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def spelling_keys(terms: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(sorted keys, word number) for every exact word that looks like a word and its deletions."""
    keys: list[int] = []
    owners: list[int] = []
    for number, raw in enumerate(terms):
        word = raw.decode("utf-8")
        if not (SPELL_MIN <= len(word) <= SPELL_MAX and word.isalpha()):
            continue
        variants = {word} | (deletions(word) if len(word) > SPELL_MIN else set())
        keys.extend(spelling_key(v) for v in variants)
        owners.extend([number] * len(variants))
    key_array = np.asarray(keys, dtype=np.uint32)
    order = np.argsort(key_array, kind="stable")
    return key_array[order], np.asarray(owners, dtype=np.uint32)[order]


class Sidecar:
    """A segment's sidecar, memory-mapped."""

    def __init__(self, folder: Path, segment_id: str) -> None:
        self.segment_id = segment_id
        self.arrays, meta = read_arrays(*files(folder, segment_id))
        if meta.get("version") != VERSION:
            raise ValueError(f"sidecar version {meta.get('version')} of {segment_id}")
        self.doc_count: int = meta["doc_count"]
        a = self.arrays
        self.ids = StringTable.of(a, "id")
        self.titles = StringTable.of(a, "title")
        self.terms = {
            name: StringTable.of(a, f"terms.{name}") for name in (*TEXT_FIELDS, EXACT_FIELD)
        }
        self.values = {name: StringTable.of(a, f"values.{name}") for name in FACET_FIELDS}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def postings(self, field: str, term: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(local documents, frequencies) of term number ``term`` (no frequencies for words)."""
        ptr = self.arrays[f"terms.{field}.ptr"]
        start, stop = int(ptr[term]), int(ptr[term + 1])
        docs = self.arrays[f"post.{field}.doc"][start:stop]
        if field == EXACT_FIELD:
            return docs, None
        return docs, self.arrays[f"post.{field}.tf"][start:stop]

    def postings_size(self, field: str, start: int, stop: int) -> int:
        """Postings of terms ``start``..``stop`` (a prefix's span) together."""
        ptr = self.arrays[f"terms.{field}.ptr"]
        return int(ptr[stop]) - int(ptr[start]) if stop > start else 0

    def positions(self, field: str, term: int) -> np.ndarray:
        """Positions of term number ``term``, posting after posting."""
        pptr = self.arrays[f"terms.{field}.pptr"]
        return self.arrays[f"post.{field}.pos"][int(pptr[term]) : int(pptr[term + 1])]

    def spelling(self, key: int) -> np.ndarray:
        keys = self.arrays["spell.key"]
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        return self.arrays["spell.word"][lo:hi]


def open_sidecar(folder: Path, segment_id: str) -> Sidecar:
    return Sidecar(folder, segment_id)
