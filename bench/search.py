#!/usr/bin/env python
"""Search benchmark: Whoosh (search_index) against SQLite FTS5 over the same synthetic catalog.

    python bench/search.py                       # 10,000 datasets
    python bench/search.py --n 10000 --n 100000 --n 300000 --queries 500

The generator is seeded: words follow a Zipf distribution (as in real catalogs: a few words such
as "data" or "report" everywhere, a long tail), 80 agencies, 20 themes, 12 formats, access levels,
conformance scores and review states. Queries are 1-3 words drawn from the same Zipf distribution,
a third of them with an agency or format filter; every query asks for the facets (agency, theme,
access_level, format, conformance, review_status) and the first page of 20.

Whoosh is measured through ``search_index.query.run_search``, the function the API's
``search_datasets`` calls (the database row load and JSON presentation that follow are the same
whichever engine answers, so they are left out of both sides). FTS5 runs the equivalent SQL:
count, top 20 by bm25 with the same field weights, and one GROUP BY over a facet table.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search_index.query import SearchParams, run_search

from search_index.documents import Record
from search_index.schema import FIELD_BOOSTS, conformance_band
from search_index.store import IndexStore

SEED = 20181001
VOCABULARY = 30_000
ZIPF_S = 1.07
AGENCIES = [f"A{n:02d}" for n in range(80)]
THEMES = [f"Theme {n}" for n in range(20)]
FORMATS = [
    "CSV",
    "JSON",
    "XML",
    "PDF",
    "XLSX",
    "ZIP",
    "GEOJSON",
    "KML",
    "SHP",
    "HTML",
    "RDF",
    "TXT",
]
ACCESS = ["public", "restricted public", "non-public"]
REVIEWS = [None, None, None, None, "identified", "in_review", "resolved_agreement", "restricted"]
SYLLABLES = [a + b for a in "bcdfghklmnprstvz" for b in "aeiou"] + ["an", "er", "in", "or", "us"]


def make_vocabulary(rng: np.random.Generator) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Zipf:
    def __init__(self, rng: np.random.Generator, size: int) -> None:
        weights = 1.0 / np.arange(1, size + 1) ** ZIPF_S
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = rng

    def draw(self, k: int) -> np.ndarray:
        return np.searchsorted(self.cdf, self.rng.random(k))


def generate(n: int) -> tuple[list[Record], list[str], Zipf]:
    rng = np.random.default_rng(SEED)
    words = make_vocabulary(rng)
    zipf = Zipf(rng, VOCABULARY)
    agency_weights = 1.0 / np.arange(1, 81) ** 0.8
    agency_weights /= agency_weights.sum()
    start = datetime(2012, 1, 1)
    records = []
    for i in range(n):
        title_ids = zipf.draw(int(rng.integers(3, 9)))
        desc_ids = zipf.draw(int(rng.integers(20, 60)))
        kw_ids = zipf.draw(int(rng.integers(2, 6)))
        score = None if rng.random() < 0.15 else int(rng.integers(0, 101))
        records.append(
            Record(
                id=f"d{i:07d}",
                title=" ".join(words[j] for j in title_ids).capitalize(),
                description=" ".join(words[j] for j in desc_ids) + ".",
                keywords=[words[j] for j in kw_ids],
                agency=AGENCIES[int(rng.choice(80, p=agency_weights))],
                themes=sorted(
                    {THEMES[int(t)] for t in rng.integers(0, 20, int(rng.integers(1, 3)))}
                ),
                access_level=ACCESS[int(rng.choice(3, p=[0.7, 0.15, 0.15]))],
                formats=sorted(
                    {FORMATS[int(f)] for f in rng.integers(0, 12, int(rng.integers(0, 4)))}
                ),
                conformance_score=score,
                review_status=REVIEWS[int(rng.integers(0, len(REVIEWS)))],
                modified_at=start + timedelta(days=int(rng.integers(0, 5000))),
                status="withdrawn" if rng.random() < 0.02 else "active",
            )
        )
    return records, words, zipf


def make_queries(count: int, words: list[str], zipf: Zipf) -> list[SearchParams]:
    rng = np.random.default_rng(SEED + 1)
    queries = []
    for _ in range(count):
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.4, 0.1]))
        text = " ".join(words[j] for j in zipf.draw(k))
        roll = rng.random()
        filters: dict[str, tuple[str, ...]] = {}
        if roll < 0.2:
            filters["agency"] = (AGENCIES[int(rng.integers(0, 20))],)
        elif roll < 0.33:
            filters["format"] = (FORMATS[int(rng.integers(0, 4))],)
        queries.append(SearchParams(q=text, filters=filters, per_page=20))
    return queries


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    arr = np.asarray(samples) * 1000
    return tuple(float(np.percentile(arr, p)) for p in (50, 95, 99))  # type: ignore[return-value]


# -- Whoosh --------------------------------------------------------------------------------------


def bench_whoosh(records: list[Record], queries: list[SearchParams], folder: Path) -> dict:
    store = IndexStore(folder)
    t0 = time.perf_counter()
    store.build(iter(records))
    build = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    t0 = time.perf_counter()
    with store.view() as view:
        run_search(view, SearchParams())  # facet pairs, sort keys: what the first search builds
    open_s = time.perf_counter() - t0

    out = {"build_s": build, "rate": len(records) / build, "size_mb": size / 1e6, "open_s": open_s}
    for label, cache in (("cached", True), ("uncached", False)):
        timings = []
        for params in queries:
            with store.view() as view:
                if not cache:
                    view.results.clear()
                t0 = time.perf_counter()
                run_search(view, params)
                timings.append(time.perf_counter() - t0)
        out[label] = percentiles(timings)
    # Cold: the first time each distinct query is seen, with the term-mask cache emptied too.
    timings = []
    seen = set()
    for params in queries:
        if params.key in seen:
            continue
        seen.add(params.key)
        with store.view() as view:
            view.results.clear()
            view._terms.clear()
            t0 = time.perf_counter()
            run_search(view, params)
            timings.append(time.perf_counter() - t0)
    out["cold"] = percentiles(timings)
    # Coldest: a new searcher for each distinct query, so every per-searcher cache (facet pairs,
    # field lengths, ids, terms, results) starts empty; opening it is timed apart.
    timings, opens = [], []
    for params in {q.key: q for q in queries}.values():
        store._view_key = None  # the next view() opens a new searcher (spelling carries over,
        store.invalidate()  # as it does across searchers in a live process)
        t0 = time.perf_counter()
        with store.view() as view:
            opens.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run_search(view, params)
            timings.append(time.perf_counter() - t0)
    out["new searcher"] = percentiles(timings)
    out["open"] = percentiles(opens)
    out["incremental"] = bench_incremental(store, records)
    store.close()
    return out


def bench_incremental(store: IndexStore, records: list[Record], batch: int = 500) -> float:
    """Datasets/s of harvest-like incremental commits: 10 batches of ``batch`` changed datasets
    (each replacing its old version), one index commit each, as lifecycle.after_commit does."""
    rng = np.random.default_rng(SEED + 2)
    picks = rng.choice(len(records), size=min(10 * batch, len(records)), replace=False)
    changed = [records[int(i)] for i in picks]
    for r in changed:
        r.title = r.title + " revised"
    t0 = time.perf_counter()
    for start in range(0, len(changed), batch):
        store.update(changed[start : start + batch])
    return len(changed) / (time.perf_counter() - t0)


# -- FTS5 ----------------------------------------------------------------------------------------

FACET_SQL = """
SELECT facet, value, count(*) FROM facet
WHERE rowid IN (SELECT rowid FROM matched) GROUP BY facet, value
"""


def bench_fts5(records: list[Record], queries: list[SearchParams], path: Path) -> dict:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    t0 = time.perf_counter()
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(title, description, keywords)")
    con.execute("CREATE TABLE meta (rowid INTEGER PRIMARY KEY, id TEXT, status TEXT, public INT)")
    con.execute("CREATE TABLE facet (rowid INTEGER, facet TEXT, value TEXT)")
    for n, r in enumerate(records, start=1):
        con.execute(
            "INSERT INTO docs (rowid, title, description, keywords) VALUES (?, ?, ?, ?)",
            (n, r.title, r.description, " ; ".join(r.keywords)),
        )
        con.execute(
            "INSERT INTO meta VALUES (?, ?, ?, ?)", (n, r.id, r.status, r.access_level == "public")
        )
        values = [
            ("agency", r.agency),
            ("access_level", r.access_level),
            ("conformance", conformance_band(r.conformance_score)),
            ("review_status", r.review_status or "none"),
        ]
        values += [("theme", t) for t in r.themes]
        if r.access_level == "public":  # as the index does for anonymous searchers
            values += [("format", f) for f in r.formats]
        con.executemany("INSERT INTO facet VALUES (?, ?, ?)", [(n, f, v) for f, v in values])
    con.execute("CREATE INDEX ix_facet_rowid ON facet (rowid)")
    con.execute("CREATE INDEX ix_facet_value ON facet (facet, value, rowid)")
    con.commit()
    build = time.perf_counter() - t0
    boosts = ", ".join(str(FIELD_BOOSTS[f]) for f in ("title", "description", "keywords"))
    weights = f"bm25(docs, {boosts})"

    timings = []
    for params in queries:
        t0 = time.perf_counter()
        filters = ["m.status = 'active'"]
        args: list = []
        for name, values in params.filters.items():
            marks = ",".join("?" * len(values))
            filters.append(
                f"f.rowid IN (SELECT rowid FROM facet WHERE facet = ? AND value IN ({marks}))"  # noqa: S608 - placeholders only
            )
            args += [name, *values]
        where = " AND ".join(filters)
        for match in (params.q, " OR ".join(params.q.split())):
            con.execute("DROP TABLE IF EXISTS temp.matched")
            # Full-text match first (materialised), then filters: letting SQLite drive the
            # MATCH from a rowid filter re-runs the full-text query per row (seconds).
            con.execute(
                "CREATE TEMP TABLE matched AS WITH f AS MATERIALIZED ("  # noqa: S608
                f"SELECT rowid, {weights} AS rank FROM docs WHERE docs MATCH ?) "
                "SELECT f.rowid AS rowid, f.rank AS rank FROM f JOIN meta m ON m.rowid = f.rowid "
                f"WHERE {where}",
                [match, *args],
            )
            total = con.execute("SELECT count(*) FROM matched").fetchone()[0]
            if total:
                break
        con.execute("SELECT rowid FROM matched ORDER BY rank LIMIT 20").fetchall()
        con.execute(FACET_SQL).fetchall()
        timings.append(time.perf_counter() - t0)
    con.close()
    return {"build_s": build, "rate": len(records) / build, "p": percentiles(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="catalog size (repeat)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--skip-fts5", action="store_true")
    parser.add_argument("--skip-whoosh", action="store_true", help="FTS5 only")
    options = parser.parse_args()
    sizes = options.n or [10_000]
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, cpus {os.cpu_count()}"
    )
    for n in sizes:
        records, words, zipf = generate(n)
        queries = make_queries(options.queries, words, zipf)
        distinct = len({q.key for q in queries})
        with tempfile.TemporaryDirectory() as tmp:
            gc.collect()
            w = None if options.skip_whoosh else bench_whoosh(records, queries, Path(tmp) / "index")
            f = None if options.skip_fts5 else bench_fts5(records, queries, Path(tmp) / "fts.db")
        print(
            f"\n== {n:,} datasets, {len(queries)} Zipf queries ({distinct} distinct), facets on =="
        )
        if w:
            print(
                f"whoosh build: {w['build_s']:.1f} s = {w['rate']:,.0f} datasets/s, "
                f"index {w['size_mb']:.0f} MB, first searcher + caches {w['open_s'] * 1000:.0f} ms"
            )
            for label in ("cached", "uncached", "cold", "new searcher", "open"):
                p50, p95, p99 = w[label]
                print(f"whoosh {label:12s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms")
            print(f"whoosh incremental batches of 500: {w['incremental']:,.0f} datasets/s")
        if f:
            p50, p95, p99 = f["p"]
            print(f"fts5 build: {f['build_s']:.1f} s = {f['rate']:,.0f} datasets/s")
            print(f"fts5             p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms")
            for label in ("cached", "uncached", "cold", "new searcher") if w else ():
                print(f"p95 ratio whoosh {label} / fts5: {w[label][1] / p95:.2f}")
        print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
        _ = statistics  # keep the import for readers extending the report


if __name__ == "__main__":
    main()
