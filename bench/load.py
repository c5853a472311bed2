#!/usr/bin/env python
"""Load benchmark: the catalog served by gunicorn (production settings, several workers) under
searches and dataset pages from a separate load process, optionally with a harvest running.

    python bench/load.py                                  # 10,000 datasets, 20 s, 8 clients
    python bench/load.py --n 100000 --seconds 30 --concurrency 8 --workers 4
    python bench/load.py --n 100000 --seconds 60 --harvest 5000   # harvest from half way
    python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/load.py --ratelimit-storage redis://127.0.0.1:6379

Steps: a fresh database (SQLite in a temporary folder unless --database-url is given; that
database is emptied first), ``init``, N datasets bulk-inserted (``session.execute(insert(...),
rows)``) from the Zipf-distributed generator of ``bench/search.py`` (titles, descriptions and
keywords over a 30,000-word vocabulary; the catalog's real agencies; themes, formats, access
levels, review states), the search index built from the database, then
``gunicorn --workers W 'catalog:create_app()'`` with CATALOG_ENV=production on 127.0.0.1.

The load process runs --concurrency client threads, each sending requests back to back for
--seconds: the search page ``/`` and ``/api/v1/datasets`` with 1-3 Zipf-drawn words (a third with
an agency, format or access-level filter; some with no words, facets only; pages 1-3), and
``/datasets/<id>`` and ``/api/v1/datasets/<id>`` for random datasets. It reports requests/s and
p50/p95/p99 latency per kind, and every error (any status but 200, or no answer).

The load generator shares the machine with the server: on a 2-core machine the figures are a
floor. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

KINDS = ("search page", "search API", "dataset page", "dataset API")
# How often each kind is sent: searches dominate a catalog's traffic, then dataset pages.
MIX = (0.25, 0.35, 0.25, 0.15)
FORMATS = ("CSV", "JSON", "XML", "PDF")
ACCESS = ("public", "restricted public", "non-public")


def bench_module(name: str):
    """bench/<name>.py (the generators of the search and harvest benchmarks)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", PROJECT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


# -- the catalog ---------------------------------------------------------------------------------


def build_catalog(url: str, folder: Path, n: int) -> tuple[list[str], list[str], list[str]]:
    """Empty the database, init, bulk-insert ``n`` datasets, build the index.
    Returns (dataset ids, vocabulary, agency codes)."""
    from sqlalchemy import insert, select, text

    import search_index
    from catalog import create_app
    from catalog.db import Base, db
    from catalog.models import Agency, Dataset, Distribution
    from catalog.services.bootstrap import init_catalog

    engine = db.configure(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": url,
            "INSTANCE_DIR": str(folder),
            "INDEX_DIR": str(folder / "index"),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        session = db.session
        init_catalog(session, Path(app.config["CONFIG_DIR"]))
        session.commit()
        agencies = session.execute(select(Agency.id, Agency.code).order_by(Agency.code)).all()
        started = time.perf_counter()
        records, words, _zipf = bench_module("search").generate(n)
        print(f"generated {n:,} records in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        now = datetime(2026, 11, 1)
        rows, dists = [], []
        for number, record in enumerate(records):
            agency_id, _code = agencies[int(record.agency[1:]) % len(agencies)]
            rows.append(
                {
                    "id": record.id,
                    "identifier": f"urn:bench:load:{number}",
                    "agency_id": agency_id,
                    "status": record.status,
                    "withdrawn_at": now if record.status == "withdrawn" else None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "title": record.title,
                    "description": record.description,
                    "keyword": record.keywords,
                    "modified": record.modified_at.date().isoformat(),
                    "modified_at": record.modified_at,
                    "contact_name": "Data Officer",
                    "contact_email": "data.officer@ct.gov",
                    "access_level": record.access_level,
                    "rights": None if record.access_level == "public" else "Personal data.",
                    "license": "https://creativecommons.org/publicdomain/zero/1.0/",
                    "accrual_periodicity": "R/P1M",
                    "theme": record.themes,
                    "language": [],
                    "references": [],
                    "bureau_code": [],
                    "program_code": [],
                    "columns": [],
                    "conformance_score": record.conformance_score,
                    "review_status": record.review_status,
                }
            )
            for position, fmt in enumerate(record.formats):
                dists.append(
                    {
                        "dataset_id": record.id,
                        "position": position,
                        "download_url": f"https://data.ct.gov/d/{record.id}.{fmt.lower()}",
                        "format": fmt,
                    }
                )
            if len(rows) == 5000:
                session.execute(insert(Dataset), rows)
                if dists:
                    session.execute(insert(Distribution), dists)
                rows, dists = [], []
        if rows:
            session.execute(insert(Dataset), rows)
        if dists:
            session.execute(insert(Distribution), dists)
        session.commit()
        if engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        print(f"inserted {n:,} datasets in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        store = search_index.get_store(app)
        count = search_index.rebuild(store, session)
        store.close()
        elapsed = time.perf_counter() - started
        print(f"indexed {count:,} datasets in {elapsed:.1f} s ({count / elapsed:,.0f}/s)")
        ids = [r.id for r in records if r.status == "active"]
        codes = [code for _id, code in agencies]
        db.session.remove()
    app.extensions["catalog_db"].dispose()
    return ids, words, codes


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(url: str, folder: Path, storage: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CATALOG_")}
    env.update(
        CATALOG_ENV="production",
        CATALOG_SECRET_KEY=secrets.token_hex(32),
        CATALOG_DATABASE_URL=url,
        CATALOG_INSTANCE_DIR=str(folder),
        CATALOG_INDEX_DIR=str(folder / "index"),
        CATALOG_RATELIMIT_STORAGE_URI=storage,
    )
    return env


def start_gunicorn(env: dict[str, str], workers: int, port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning",
        "catalog:create_app()",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=PROJECT, env=env, start_new_session=True)


def wait_until_up(base: str, process: subprocess.Popen, seconds: float = 120) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{base}/api/v1/datasets?per_page=1", timeout=60).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer in time")


# -- the load ------------------------------------------------------------------------------------


def make_requests(count: int, ids: list[str], words: list[str], codes: list[str], seed: int):
    """``count`` (kind, path) pairs: Zipf-drawn search words, random datasets."""
    rng = np.random.default_rng(seed)
    zipf = bench_module("search").Zipf(rng, len(words))
    kinds = rng.choice(len(KINDS), size=count, p=MIX)
    out = []
    for kind in kinds:
        name = KINDS[int(kind)]
        if name.startswith("dataset"):
            dataset_id = ids[int(rng.integers(0, len(ids)))]
            prefix = "/api/v1/datasets/" if name == "dataset API" else "/datasets/"
            out.append((name, prefix + dataset_id))
            continue
        params: dict[str, object] = {}
        if rng.random() < 0.9:
            k = int(rng.choice([1, 2, 3], p=[0.5, 0.4, 0.1]))
            params["q"] = " ".join(words[j] for j in zipf.draw(k))
        roll = rng.random()
        if roll < 0.15:
            params["agency"] = codes[int(rng.integers(0, len(codes)))]
        elif roll < 0.25:
            params["format"] = FORMATS[int(rng.integers(0, len(FORMATS)))]
        elif roll < 0.33:
            params["access_level"] = ACCESS[int(rng.integers(0, len(ACCESS)))]
        page = int(rng.choice([1, 2, 3], p=[0.8, 0.15, 0.05]))
        if page > 1:
            params["page"] = page
        path = "/api/v1/datasets" if name == "search API" else "/"
        out.append((name, f"{path}?{urlencode(params)}"))
    return out


def load_process(
    base: str, plan: list, seconds: float, concurrency: int, results: multiprocessing.Queue
) -> None:
    """Run in its own process: ``concurrency`` threads send ``plan`` requests round-robin."""
    import requests

    stop_at = time.monotonic() + seconds
    samples: list[tuple[str, float, int, float]] = []  # kind, seconds, status, finished at
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        http = requests.Session()
        mine, local_errors = [], []
        position = number * 7919
        while time.monotonic() < stop_at:
            kind, path = plan[position % len(plan)]
            position += 1
            started = time.monotonic()
            try:
                response = http.get(base + path, timeout=60)
                status = response.status_code
                if status != 200:
                    local_errors.append(f"{status} {path}")
            except requests.RequestException as exc:
                status = 0
                local_errors.append(f"{type(exc).__name__} {path}")
            finished = time.monotonic()
            mine.append((kind, finished - started, status, finished))
        http.close()
        with lock:
            samples.extend(mine)
            errors.extend(local_errors)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"samples": samples, "errors": errors, "begun": begun, "elapsed": seconds})


def report(result: dict, since: float | None = None, until: float | None = None) -> dict:
    samples = [
        s
        for s in result["samples"]
        if (since is None or s[3] >= since) and (until is None or s[3] <= until)
    ]
    window = (until or result["begun"] + result["elapsed"]) - (since or result["begun"])
    by_kind: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for kind, seconds, status, _at in samples:
        by_kind[kind].append(seconds * 1000)
        if status != 200:
            failures[kind] += 1
    rows = {}
    for kind in KINDS:
        timings = np.asarray(by_kind.get(kind) or [0.0])
        rows[kind] = {
            "requests": len(by_kind.get(kind, [])),
            "per_second": len(by_kind.get(kind, [])) / window,
            "p50_ms": float(np.percentile(timings, 50)),
            "p95_ms": float(np.percentile(timings, 95)),
            "p99_ms": float(np.percentile(timings, 99)),
            "errors": failures.get(kind, 0),
        }
    total = len(samples)
    rows["all"] = {
        "requests": total,
        "per_second": total / window,
        "errors": sum(failures.values()),
    }
    return rows


def print_table(title: str, rows: dict) -> None:
    print(f"\n{title}")
    heads = ("requests", "req/s", "p50 ms", "p95 ms", "p99 ms")
    print(f"{'kind':<14} {heads[0]:>9} " + " ".join(f"{h:>8}" for h in heads[1:]) + " errors")
    for kind in KINDS:
        r = rows[kind]
        print(
            f"{kind:<14} {r['requests']:>9,} {r['per_second']:>8.1f} {r['p50_ms']:>8.0f} "
            f"{r['p95_ms']:>8.0f} {r['p99_ms']:>8.0f} {r['errors']:>6}"
        )
    a = rows["all"]
    print(f"{'all':<14} {a['requests']:>9,} {a['per_second']:>8.1f} {'':>26} {a['errors']:>6}")


# -- an optional harvest during the load ----------------------------------------------------------


def start_harvest(env: dict[str, str], folder: Path, records: int) -> subprocess.Popen:
    data_json = folder / "harvest.json"
    bench_module("harvest").generate(data_json, records)
    add = subprocess.run(
        [sys.executable, "manage.py", "sources", "add", "load-harvest", "--kind", "dcat-us",
         "--url", str(data_json), "--agency", "DPH"],
        cwd=PROJECT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if add.returncode != 0:
        raise SystemExit(f"sources add failed: {add.stdout}{add.stderr}")
    return subprocess.Popen(
        [sys.executable, "manage.py", "harvest", "load-harvest"], cwd=PROJECT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="datasets in the catalog")
    parser.add_argument("--seconds", type=float, default=20, help="how long the load runs")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--database-url", default=None, help="emptied first; default SQLite")
    parser.add_argument("--ratelimit-storage", default="memory://", help="e.g. redis://...")
    parser.add_argument(
        "--harvest", type=int, default=0, help="records to harvest, starting half way through"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    url = args.database_url or f"sqlite:///{folder / 'catalog.db'}"
    print(f"cores: {os.cpu_count()}; load average before: {loadavg()}", flush=True)
    ids, words, codes = build_catalog(url, folder, args.n)
    env = server_environment(url, folder, args.ratelimit_storage)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(env, args.workers, port)
    harvest = None
    try:
        wait_until_up(base, server)
        # Warm every worker (index open, caches) before measuring.
        warm = make_requests(40 * args.workers, ids, words, codes, seed=1)
        queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        plan = make_requests(20_000, ids, words, codes, seed=2)
        context = multiprocessing.get_context("spawn")
        warmer = context.Process(target=load_process, args=(base, warm, 5, args.workers, queue))
        warmer.start()
        queue.get()
        warmer.join()
        print(f"serving {args.n:,} datasets with gunicorn --workers {args.workers} at {base}")
        print(f"load: {args.concurrency} clients for {args.seconds:g} s from a separate process")
        print(f"load average at start: {loadavg()}", flush=True)
        loader = context.Process(
            target=load_process, args=(base, plan, args.seconds, args.concurrency, queue)
        )
        loader.start()
        harvest_started = harvest_finished = None
        harvest_output = ""
        if args.harvest:
            time.sleep(args.seconds / 2)  # the first half measures the load alone
            harvest_started = time.monotonic()
            harvest = start_harvest(env, folder, args.harvest)
        result = queue.get()
        loader.join()
        if harvest is not None:
            harvest_output, _ = harvest.communicate(timeout=3600)
            harvest_finished = time.monotonic()
        after = loadavg()
    finally:
        if harvest is not None and harvest.poll() is None:
            harvest.kill()
        server.send_signal(signal.SIGTERM)  # the arbiter stops its workers
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)

    rows = report(result)
    print_table(
        f"{args.n:,} datasets, {args.concurrency} clients, {args.seconds:g} s, "
        f"gunicorn --workers {args.workers}",
        rows,
    )
    figures = {"n": args.n, "workers": args.workers, "concurrency": args.concurrency,
               "seconds": args.seconds, "all": rows}  # fmt: skip
    if harvest is not None:
        alone = report(result, until=harvest_started)
        print_table("before the harvest started (the load alone)", alone)
        load_ended = result["begun"] + result["elapsed"]
        during = report(result, since=harvest_started, until=min(harvest_finished, load_ended))
        print_table("while the harvest ran (within the load's time)", during)
        print(f"harvest of {args.harvest:,} records during the load: "
              f"{harvest_finished - harvest_started:.1f} s, exit {harvest.returncode}")  # fmt: skip
        print(harvest_output.strip().splitlines()[-2] if harvest_output.strip() else "")
        figures["before_harvest"] = alone
        figures["during_harvest"] = during
    if result["errors"]:
        print(f"\nerrors ({len(result['errors'])}): " + "; ".join(result["errors"][:10]))
    print(f"\nload average after: {after}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if args.database_url is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
