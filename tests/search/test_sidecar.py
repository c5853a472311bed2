"""The sidecar answers exactly what the posting blocks and length columns say."""

from __future__ import annotations

import numpy as np

from search_index.documents import Record
from search_index.postings import field_lengths, term_postings
from search_index.query import SearchParams, run_search
from search_index.sidecar import MIN_POSTINGS
from search_index.store import IndexStore

WORDS = ["river", "survey", "water", "quality", "annual", "county", "health", "births"]


def _records(n: int, start: int = 0) -> list[Record]:
    return [
        Record(
            id=f"s{i:05d}",
            title=" ".join(WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 4)),
            description=" ".join(WORDS[(i * k) % len(WORDS)] for k in range(3 + i % 9)),
            keywords=[WORDS[i % len(WORDS)]],
            agency=("DPH", "DOT", "DEEP")[i % 3],
            themes=["Health"] if i % 2 else ["Environment", "Health"],
        )
        for i in range(start, start + n)
    ]


def _compare(view) -> int:
    answered = 0
    for field in ("title", "description", "keywords", "agency", "theme"):
        for text in [*WORDS, "DPH", "DOT", "Health", "Environment"]:
            plain = term_postings(view.reader, field, text)
            side = term_postings(view.reader, field, text, view.sidecars)
            assert np.array_equal(plain[0], side[0]) and np.array_equal(plain[1], side[1])
            answered += any(
                s is not None and s.postings(field, text) is not None
                for s in view.sidecars.values()
            )
        if field in ("title", "description", "keywords"):
            plain = field_lengths(view.reader, field, view.n)
            assert np.array_equal(plain, field_lengths(view.reader, field, view.n, view.sidecars))
    return answered


def test_sidecar_postings_and_lengths_equal_whooshs(tmp_path):
    store = IndexStore(tmp_path / "index")
    store.build(_records(3 * MIN_POSTINGS))
    with store.view() as view:
        assert _compare(view) > 10  # the frequent terms did come from the sidecar
        before = run_search(view, SearchParams(q="river survey")).ids
        view.sidecars.clear()
        view.results.clear()
        view._terms.clear()
        view._lengths.clear()
        assert run_search(view, SearchParams(q="river survey")).ids == before
    # Incremental batches (some merged by Whoosh, without a sidecar) keep answers equal too.
    for start in range(0, 3 * MIN_POSTINGS, 40):
        store.update(_records(20, start))
    store.update(_records(300, 10_000))
    with store.view() as view:
        _compare(view)
    names = {p.name.split(".")[0] for p in (tmp_path / "index").glob("gen-*/*.sidecar.json")}
    with store.view() as view:
        assert names <= set(view.sidecars)  # sidecars of merged-away segments were removed
        assert any(s is None for s in view.sidecars.values())  # a merged segment has none
    store.close()
