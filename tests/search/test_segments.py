"""Segments and sidecars written by ``SegmentBuilder`` equal what Whoosh's own writer makes.

Equal in content, not byte for byte: a block pickles repeated position values as one shared
object, so our blocks are a little smaller and posting offsets differ. Covered: terms with more
than one block of postings (> 128), segments Whoosh's merge policy folds together, deletions,
and each segment's sidecar against the segment Whoosh wrote for the same documents.
"""

from __future__ import annotations

import random
from datetime import datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import W3TermInfo

from search_index import sidecar, whoosh_io
from search_index.analysis import analyse, stem, whoosh_analyzer
from search_index.documents import Record, document_for
from search_index.schema import build_schema
from search_index.segments import SegmentBuilder
from tests.search.conftest import cdc_entries

TRICKY = [
    "The U.S. census, 2010-2020: 1.5% of ages 0-4 (a, an, the) and *wildcards* here.",
    "İstanbul ŞEHİR straße ǅemal Σίσυφος ΣΊΣΥΦΟΣ naïve café 東京 data_set x.y.z",
    "the of and to a",  # only stop words
    "",
    "   ...   ",
    "Repeat repeat REPEAT words words, then the end of the repeat",
    "Children's hospitals, running surveys; women and men",
]
EXACT, STEMMED = whoosh_analyzer(stemming=False), whoosh_analyzer(stemming=True)


def _whoosh(analyzer, text: str) -> tuple[list[str], list[int]]:
    tokens = [(t.text, t.pos) for t in analyzer(text, positions=True)]
    return [w for w, _ in tokens], [p for _, p in tokens]


def _ours(text: str, stemming: bool) -> tuple[list[str], list[int]]:
    words, start = analyse(text)
    return [stem(w) for w in words] if stemming else words, list(range(start, start + len(words)))


def test_the_fast_analyser_gives_whooshs_terms_and_positions():
    for text in TRICKY + [e.get("description", "") for e in cdc_entries()]:
        assert _ours(text, False) == _whoosh(EXACT, text), text
        assert _ours(text, True) == _whoosh(STEMMED, text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_the_fast_analyser_on_any_text(text):
    assert _ours(text, False) == _whoosh(EXACT, text)
    assert _ours(text, True) == _whoosh(STEMMED, text)


def _records(count: int, seed: int = 7, prefix: str = "d") -> list[Record]:
    """CDC texts plus a small vocabulary, so common stems get several blocks of postings."""
    rng = random.Random(seed)
    entries = cdc_entries()
    common = ["health", "survey", "children", "child", "data", "county", "rates", "rate"]
    out = []
    for n in range(count):
        e = entries[n % len(entries)]
        words = " ".join(rng.choice(common) for _ in range(rng.randint(0, 12)))
        out.append(
            Record(
                id=f"{prefix}{n:04d}",
                title=f"{e['title']} {rng.choice(common)}",
                description=(e.get("description", "") if n % 7 else TRICKY[n % len(TRICKY)])
                + " "
                + words,
                keywords=list(e.get("keyword", []))[: n % 4],
                agency=("DPH", "DOT", "DCF")[n % 3],
                themes=list(e.get("theme", [])),
                access_level=e.get("accessLevel", "public"),
                formats=["CSV", "JSON"][: n % 3],
                conformance_score=None if n % 5 == 0 else n % 101,
                review_status=None if n % 3 else "in_review",
                modified_at=None if n % 4 == 0 else datetime(2020, 1, 1 + n % 28),
                updated_at=datetime(2024, 1, 1, n % 24),
                license="https://creativecommons.org/publicdomain/zero/1.0/" if n % 2 else None,
            )
        )
    return out


def _dump_segment(sub) -> dict:
    out = {"stored": list(sub.all_stored_fields())}
    stats = W3TermInfo._struct.size  # term statistics; what follows is the posting offset
    for key, value in sub._terms._tindex.items():
        out[("terminfo", key)] = value[:stats]
    for (field, text), _info in sub._terms.items():
        matcher = sub._terms.matcher(field, text, sub.schema[field].format)
        postings = []
        while matcher.is_active():
            block = (
                matcher.block_max_weight(),
                matcher.block_min_length(),
                matcher.block_max_length(),
            )
            postings.append((matcher.id(), matcher.weight(), matcher.value(), block))
            matcher.next()
        out[(field, text)] = postings
    for field in sub.schema.names():
        out[("length", field)] = [
            sub.doc_field_length(d, field) for d in range(sub.doc_count_all())
        ]
    out["deleted"] = sorted(sub.segment().deleted_docs() or ())
    return out


def _dump(folder) -> list[dict]:
    ix = whoosh_io.open_index(folder)
    with ix.reader() as reader:
        leaves = [_dump_segment(sub) for sub, _offset in reader.leaf_readers()]
    ix.close()
    return leaves


def _sidecars(folder) -> list[dict]:
    _generation, segments = whoosh_io.read_segments(folder)
    out = []
    for info in segments:
        arrays, meta = sidecar.read_arrays(*sidecar.files(folder, info.id))
        assert meta["doc_count"] == info.doc_count
        out.append({k: np.asarray(v) for k, v in arrays.items()})
    return out


def _read_back(folder) -> list[dict]:
    _generation, segments = whoosh_io.read_segments(folder)
    return [sidecar.from_contents(whoosh_io.read_segment(folder, s.id)) for s in segments]


def _same_arrays(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key


def _commits(folder, batches: list[tuple[list[Record], list[str]]], fast: bool) -> None:
    """Each batch: delete these ids and add these records, in one commit (merges allowed)."""
    folder.mkdir()
    ix = whoosh_io.create_index(folder, build_schema())
    for records, deleted in batches:
        if fast:
            builder = SegmentBuilder(ix, folder)
            builder.delete_ids(deleted)
            for record in records:
                builder.add_document(document_for(record))
            builder.commit()
        else:
            with ix.writer() as writer:
                for dataset_id in deleted:
                    writer.delete_by_term("id", dataset_id)
                for record in records:
                    writer.add_document(**document_for(record))
    ix.close()


def test_a_segment_with_multi_block_terms_equals_whooshs(tmp_path):
    batches = [(_records(500), [])]
    _commits(tmp_path / "plain", batches, fast=False)
    _commits(tmp_path / "fast", batches, fast=True)
    plain = _dump(tmp_path / "plain")
    assert len(plain[0][("description", b"health")]) > 2 * 128  # three blocks and more
    assert _dump(tmp_path / "fast") == plain
    # The sidecar holds what Whoosh's own segment holds, read back through Whoosh.
    (ours,) = _sidecars(tmp_path / "fast")
    (whooshs,) = _read_back(tmp_path / "plain")
    _same_arrays(ours, whooshs)


def test_merged_segments_and_deletions_equal_whooshs(tmp_path):
    records = _records(260)
    batches = []
    for n in range(12):  # small commits: Whoosh's merge policy folds them together
        chunk = records[n * 20 : (n + 1) * 20]
        batches.append((chunk, [f"d{n * 20 - 7:04d}", f"d{n * 20 - 15:04d}"] if n else []))
    batches.append((_records(150, seed=3, prefix="x"), [r.id for r in records[:30]]))
    _commits(tmp_path / "plain", batches, fast=False)
    _commits(tmp_path / "fast", batches, fast=True)
    plain = _dump(tmp_path / "plain")
    assert len(plain) < len(batches)  # merges happened
    assert any(segment["deleted"] for segment in plain)
    assert _dump(tmp_path / "fast") == plain
    for ours, whooshs in zip(
        _sidecars(tmp_path / "fast"), _read_back(tmp_path / "plain"), strict=True
    ):
        _same_arrays(ours, whooshs)
