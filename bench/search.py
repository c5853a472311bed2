#!/usr/bin/env python
"""Search benchmark: the catalog's index (search_index) against SQLite FTS5 on the same catalog.

    python bench/search.py                                 # 10,000 datasets, engine level
    python bench/search.py --n 100000 --queries 300
    python bench/search.py --n 300000 --http --workers 4   # also the HTTP API under gunicorn

The generator is seeded: words follow a Zipf distribution (as in real catalogs: a few words such
as "data" or "report" everywhere, a long tail), 80 agencies, 20 themes, 12 formats, access
levels, conformance scores and review states. Queries are 1-3 Zipf-drawn words, some with a
prefix (``abc*``), a typo (no hit: relaxed, then a spelling suggestion) or a word nobody uses; a
third carry an agency or format filter. Every query asks for the six facets and the first page
of 20.

What is compared, and how it is kept fair:

* **Engine**: ``search_index.engine.run`` (what every search surface calls) against one FTS5
  statement per query (``tokenize='porter unicode61'``: stemmed too), with no temporary table:
  a materialised CTE matches once, then the count, the top 20 by ``bm25(docs, 4, 1, 2)`` (the
  catalog's field weights) and every facet over *all* matching rows (``GROUP BY``) come from it.
  Both relax the same way: words side by side must all match; when none does, any may.
  Formats count only for public datasets on both sides (an anonymous searcher).
* **warm**: the query list in order, the view open and its pages in memory, no result cache.
* **cold**: each distinct query once in a *new process* that opens the index just before
  (the operating system's page cache is warm: the files were just written).
* **top-10 overlap**: how many of our first ten are among FTS5's first ten (different scoring:
  a sanity check, not a target).
* **--http**: a catalog database of the same datasets, the index built from it, gunicorn with
  ``--workers`` (``gunicorn.conf.py``: the index is caught up before the workers start and each
  warms up before taking traffic), then ``/api/v1/datasets`` with the same queries from one
  client: **cold** = the first request of each query after the start, **warm** = the list again.
  Also reported: requests over 1 s, and the workers' memory (RSS and PSS, which splits shared
  pages such as the memory-mapped index between the processes that map them).

Run it on a quiet machine; the load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from search_index import ANONYMOUS, SearchParams  # noqa: E402
from search_index.documents import Record  # noqa: E402
from search_index.schema import conformance_band  # noqa: E402

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
    """Zipf words; 8 % a prefix, 5 % a typo, 3 % a word nobody uses; a third filtered."""
    rng = np.random.default_rng(SEED + 1)
    queries = []
    for _ in range(count):
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.4, 0.1]))
        picked = [words[j] for j in zipf.draw(k)]
        kind = rng.random()
        if kind < 0.08:
            picked[-1] = picked[-1][: max(3, len(picked[-1]) - 2)] + "*"
        elif kind < 0.13:
            word = picked[-1]
            at = int(rng.integers(0, len(word)))
            picked[-1] = word[:at] + "q" + word[at + 1 :]  # no syllable has a q
        elif kind < 0.16:
            picked[-1] = "qx" + picked[-1]
        roll = rng.random()
        filters: dict[str, tuple[str, ...]] = {}
        if roll < 0.2:
            filters["agency"] = (AGENCIES[int(rng.integers(0, 20))],)
        elif roll < 0.33:
            filters["format"] = (FORMATS[int(rng.integers(0, 4))],)
        queries.append(SearchParams(q=" ".join(picked), filters=filters, per_page=20))
    return queries


def percentiles(samples: list[float]) -> dict[str, float]:
    arr = np.asarray(samples) * 1000
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)),
        "max": float(arr.max()),
        "over_1s": int((arr > 1000).sum()),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def distinct(queries: list[SearchParams]) -> list[SearchParams]:
    return list({q.key: q for q in queries}.values())


# -- the catalog's engine --------------------------------------------------------------------------


def bench_engine(records: list[Record], queries: list[SearchParams], folder: Path) -> dict:
    from search_index import engine
    from search_index.store import IndexStore, State

    store = IndexStore(folder)
    t0 = time.perf_counter()
    store.build(iter(records), State("bench", 0))
    build = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    view = store.view()
    for params in queries[:20]:
        engine.run(view, params, ANONYMOUS)  # pages in what searches read
    timings, tops = [], []
    for params in queries:
        t0 = time.perf_counter()
        outcome = engine.run(view, params, ANONYMOUS)
        timings.append(time.perf_counter() - t0)
        tops.append(outcome.ids[:10])
    out = {"build_s": build, "rate": len(records) / build, "size_mb": size / 1e6}
    out["warm"] = percentiles(timings)
    out["tops"] = tops
    out["cold"] = cold_in_new_process(folder, distinct(queries))
    return out


def cold_in_new_process(folder: Path, queries: list[SearchParams]) -> dict:
    """Each query once, in a process that opens the index just before."""
    payload = json.dumps([{"q": q.q, "filters": q.filters} for q in queries])
    result = subprocess.run(
        [sys.executable, __file__, "--cold-worker", str(folder)],
        input=payload, capture_output=True, text=True, check=True, cwd=PROJECT,
    )  # fmt: skip
    data = json.loads(result.stdout.strip().splitlines()[-1])
    out = percentiles(data["timings"])
    out["open_ms"] = data["open_ms"]
    return out


def cold_worker(folder: str) -> None:
    from search_index import engine
    from search_index.store import IndexStore

    queries = [SearchParams(q=x["q"], filters=x["filters"]) for x in json.loads(sys.stdin.read())]
    t0 = time.perf_counter()
    view = IndexStore(folder).view()
    open_ms = (time.perf_counter() - t0) * 1000
    timings = []
    for params in queries:
        t0 = time.perf_counter()
        engine.run(view, params, ANONYMOUS)
        timings.append(time.perf_counter() - t0)
    print(json.dumps({"open_ms": open_ms, "timings": timings}))


# -- SQLite FTS5, the reference --------------------------------------------------------------

QUERY_SQL = """
WITH m AS MATERIALIZED (
  SELECT rowid, bm25(docs, 4.0, 1.0, 2.0) AS rank FROM docs WHERE docs MATCH ?
), hits AS MATERIALIZED (
  SELECT m.rowid, m.rank, meta.id FROM m JOIN meta ON meta.rowid = m.rowid
  WHERE meta.status = 'active' {filters}
)
SELECT 0, NULL, count(*), NULL FROM hits
UNION ALL SELECT * FROM (SELECT 1, id, rank, NULL FROM hits ORDER BY rank, id LIMIT 20)
UNION ALL SELECT 2, f.facet, count(*), f.value FROM facet f JOIN hits h ON f.rowid = h.rowid
GROUP BY f.facet, f.value
"""


def build_fts5(records: list[Record], path: Path) -> tuple[sqlite3.Connection, float]:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    t0 = time.perf_counter()
    con.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, description, keywords, "
        "tokenize='porter unicode61')"
    )
    con.execute("CREATE TABLE meta (rowid INTEGER PRIMARY KEY, id TEXT, status TEXT)")
    con.execute("CREATE TABLE facet (rowid INTEGER, facet TEXT, value TEXT)")
    for n, r in enumerate(records, start=1):
        con.execute(
            "INSERT INTO docs (rowid, title, description, keywords) VALUES (?, ?, ?, ?)",
            (n, r.title, r.description, " ; ".join(r.keywords)),
        )
        con.execute("INSERT INTO meta VALUES (?, ?, ?)", (n, r.id, r.status))
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
    return con, time.perf_counter() - t0


def fts5_search(con: sqlite3.Connection, params: SearchParams) -> tuple[int, list[str]]:
    clauses, args = [], []
    for name, values in params.filters.items():
        marks = ",".join("?" * len(values))
        clauses.append(
            f"AND m.rowid IN (SELECT rowid FROM facet WHERE facet = ? AND value IN ({marks}))"  # noqa: S608 - placeholders only
        )
        args += [name, *values]
    sql = QUERY_SQL.format(filters=" ".join(clauses))
    words = params.q.split()
    total, top = 0, []
    for match in (" ".join(words), " OR ".join(words)):
        rows = con.execute(sql, [match, *args]).fetchall()
        total = next(r[2] for r in rows if r[0] == 0)
        top = [r[1] for r in rows if r[0] == 1]
        if total or len(words) < 2:
            break
    return total, top


def bench_fts5(records: list[Record], queries: list[SearchParams], path: Path) -> dict:
    con, build = build_fts5(records, path)
    timings, tops = [], []
    for params in queries:
        t0 = time.perf_counter()
        _total, top = fts5_search(con, params)
        timings.append(time.perf_counter() - t0)
        tops.append(top[:10])
    con.close()
    return {
        "build_s": build,
        "rate": len(records) / build,
        "warm": percentiles(timings),
        "tops": tops,
    }


def overlap(ours: list[list[str]], theirs: list[list[str]]) -> float:
    shares = [
        len(set(a) & set(b)) / min(len(a), len(b))
        for a, b in zip(ours, theirs, strict=True)
        if a and b
    ]
    return float(np.mean(shares)) if shares else 0.0


# -- the HTTP API under gunicorn -------------------------------------------------------------


def bench_http(n: int, queries: list[SearchParams], workers: int) -> dict:
    import requests

    load = _load_module()
    folder = Path(tempfile.mkdtemp(prefix="bench-search-"))
    url = f"sqlite:///{folder / 'catalog.db'}"
    load.build_catalog(url, folder, n)
    env = load.server_environment(url, folder, "memory://")
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    server = load.start_gunicorn(env, workers, port)
    out: dict = {}
    try:
        load.wait_until_up(base, server, seconds=600)
        out["start_s"] = time.perf_counter() - t0
        session = requests.Session()
        paths = [
            f"/api/v1/datasets?{urlencode({'q': q.q, **{k: v[0] for k, v in q.filters.items()}})}"
            for q in queries
        ]
        for label, plan in (("cold", list(dict.fromkeys(paths))), ("warm", paths)):
            timings, bad = [], 0
            for path in plan:
                t1 = time.perf_counter()
                response = session.get(base + path, timeout=60)
                timings.append(time.perf_counter() - t1)
                bad += response.status_code != 200
            out[label] = percentiles(timings) | {"errors": bad, "load": loadavg()}
        timings, statuses = [], []
        for query in hostile_queries(words_of(queries)):
            t1 = time.perf_counter()
            response = session.get(base + "/api/v1/datasets", params={"q": query}, timeout=60)
            timings.append(time.perf_counter() - t1)
            statuses.append(response.status_code)
        out["hostile"] = percentiles(timings) | {
            "statuses": {str(c): statuses.count(c) for c in sorted(set(statuses))},
            "load": loadavg(),
        }
        out["memory"] = worker_memory(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return out


def words_of(queries: list[SearchParams]) -> list[str]:
    return [w for q in queries for w in q.q.split() if w.isalpha()]


def hostile_queries(words: list[str]) -> list[str]:
    """What an anonymous visitor might type to make a search expensive."""
    common = list(dict.fromkeys(words))[:40]
    prefixes = list(dict.fromkeys(w[:3] for w in common))
    return [
        " ".join(f"*{c}*" for c in "zyxwvutsrqponmlkjihgfedcba" * 3)[:480],
        " OR ".join(f"{p}*" for p in prefixes[:30])[:480],
        " ".join(f"{p}*" for p in prefixes[:30])[:480],
        " OR ".join(common[:32]),
        " ".join(common[:32]),
        " OR ".join(f"title:[a TO {c}]" for c in "zyxwvutsrqponmlkjihg"),
        '"' + " ".join(common[:30]) + '"',
        "NOT NOT " + common[0],
        "(" * 10 + common[0] + ")" * 10,
        "(" * 300 + common[0],
        " ".join(f"-{w}" for w in common[:30]),
        "x" * 600,
    ]


def _load_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_load", PROJECT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def worker_memory(master: int) -> dict:
    """RSS and PSS (MB) of each worker and together."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    rows = []
    for pid in children:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0]) / 1024
        rows.append({"pid": int(pid), "rss": fields["Rss"], "pss": fields["Pss"]})
    return {
        "workers": rows,
        "rss_total": sum(r["rss"] for r in rows),
        "pss_total": sum(r["pss"] for r in rows),
    }


# -- report ----------------------------------------------------------------------------------


def line(label: str, p: dict) -> str:
    return (
        f"{label:28s} p50 {p['p50']:8.1f}  p95 {p['p95']:8.1f}  p99 {p['p99']:8.1f}  "
        f"max {p['max']:8.1f} ms  over 1 s: {p['over_1s']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="catalog size (repeat)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--http", action="store_true", help="also through gunicorn")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--cold-worker", default=None, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.cold_worker:
        cold_worker(options.cold_worker)
        return
    print(
        f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, cpus {os.cpu_count()}"
    )
    figures = {}
    for n in options.n or [10_000]:
        print(f"\n== {n:,} datasets: load average {loadavg()} ==", flush=True)
        records, words, zipf = generate(n)
        queries = make_queries(options.queries, words, zipf)
        with tempfile.TemporaryDirectory() as tmp:
            ours = bench_engine(records, queries, Path(tmp) / "index")
            print(f"index build: {ours['rate']:,.0f} datasets/s, {ours['size_mb']:.0f} MB; "
                  f"load {loadavg()}", flush=True)  # fmt: skip
            fts = bench_fts5(records, queries, Path(tmp) / "fts.db")
        print(f"{len(queries)} queries ({len(distinct(queries))} distinct); load {loadavg()}")
        print(line("index, warm", ours["warm"]))
        print(
            line("index, cold (new process)", ours["cold"])
            + f"  (open {ours['cold']['open_ms']:.1f} ms)"
        )
        print(line("FTS5", fts["warm"]))
        share = overlap(ours["tops"], fts["tops"])
        print(f"top-10 overlap with FTS5: {share:.0%}; FTS5 build {fts['rate']:,.0f} datasets/s")
        entry = {
            "engine": {k: v for k, v in ours.items() if k != "tops"},
            "fts5": {k: v for k, v in fts.items() if k != "tops"},
            "overlap": share,
        }
        if options.http:
            del records
            http = bench_http(n, queries, options.workers)
            print(
                f"gunicorn --workers {options.workers}: ready {http['start_s']:.0f} s after start"
            )
            print(line("HTTP API, cold", http["cold"]) + f"  load {http['cold']['load']}")
            print(line("HTTP API, warm", http["warm"]) + f"  load {http['warm']['load']}")
            hostile = http["hostile"]
            print(line("HTTP API, hostile queries", hostile) + f"  statuses {hostile['statuses']}")
            mem = http["memory"]
            each = ", ".join(f"{w['pss']:.0f}" for w in mem["workers"])
            print(
                f"workers' memory: RSS {mem['rss_total']:.0f} MB, "
                f"PSS {mem['pss_total']:.0f} MB together ({each} MB PSS each)"
            )
            print(f"p95 ratio HTTP warm / FTS5: {http['warm']['p95'] / fts['warm']['p95']:.2f}")
            entry["http"] = http
        figures[n] = entry
        print(f"load average after: {loadavg()}", flush=True)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
