"""Segments written from pre-tokenised postings equal the ones Whoosh's own writer makes.

Equal in content, not byte for byte: a block pickles repeated position values as one shared
object, so our blocks are a little smaller and posting offsets differ.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.filestore import FileStorage

from search_index.buffer import analyse
from search_index.documents import Record, document_for
from search_index.schema import build_schema
from search_index.segments import SegmentBuilder
from tests.search.conftest import cdc_entries

_ANALYZER = build_schema()["description"].analyzer
TRICKY = [
    "The U.S. census, 2010-2020: 1.5% of ages 0-4 (a, an, the) and *wildcards* here.",
    "İstanbul ŞEHİR straße ǅemal Σίσυφος ΣΊΣΥΦΟΣ naïve café 東京 data_set x.y.z",
    "the of and to a",  # only stop words
    "",
    "   ...   ",
    "Repeat repeat REPEAT words words, then the end of the repeat",
]


def _whoosh_words(text: str) -> tuple[list[str], list[int]]:
    tokens = [(t.text, t.pos) for t in _ANALYZER(text, positions=True)]
    return [w for w, _ in tokens], [p for _, p in tokens]


def _ours(text: str) -> tuple[list[str], list[int]]:
    words, start = analyse(text)
    return words, list(range(start, start + len(words)))


def test_the_fast_analyser_gives_whooshs_terms_and_positions():
    for text in TRICKY + [e.get("description", "") for e in cdc_entries()]:
        assert _ours(text) == _whoosh_words(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_the_fast_analyser_on_any_text(text):
    assert _ours(text) == _whoosh_words(text)


def _records() -> list[Record]:
    out = []
    for n, e in enumerate(cdc_entries()):
        out.append(
            Record(
                id=f"d{n:03d}",
                title=e["title"],
                description=e.get("description", "") if n % 7 else TRICKY[n % len(TRICKY)],
                keywords=list(e.get("keyword", [])),
                agency=("DPH", "DOT")[n % 2],
                themes=list(e.get("theme", [])),
                access_level=e.get("accessLevel", "public"),
                formats=["CSV", "JSON"][: n % 3],
                conformance_score=None if n % 5 == 0 else n,
                review_status=None if n % 3 else "in_review",
                modified_at=None if n % 4 == 0 else datetime(2020, 1, 1 + n % 28),
            )
        )
    return out


def _dump(folder) -> dict:
    ix = FileStorage(str(folder)).open_index()
    with ix.reader() as reader:
        (segment,) = reader.leaf_readers()
        sub = segment[0]
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
            if sub.has_column(field):
                out[("column", field)] = list(sub.column_reader(field, translate=False))
    ix.close()
    return out


def test_a_built_segment_equals_whooshs(tmp_path):
    docs = [document_for(r) for r in _records()]
    plain = FileStorage(str(tmp_path / "plain")).create().create_index(build_schema())
    with plain.writer() as writer:
        for doc in docs:
            writer.add_document(**doc)
    fast = FileStorage(str(tmp_path / "fast")).create().create_index(build_schema())
    builder = SegmentBuilder(fast)
    for doc in docs:
        builder.add_document(doc)
    builder.commit()
    assert _dump(tmp_path / "fast") == _dump(tmp_path / "plain")
