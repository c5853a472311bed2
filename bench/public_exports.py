"""Benchmark the public exports on a synthetic catalog: the catalog files (data.json, DCAT-US 3.0,
Turtle) first ever, first request after a change and cached; CSV, XLSX, CKAN search.

    python bench/public_exports.py --n 100000 [--skip-tables]

Builds a throwaway SQLite catalog (or CATALOG_DATABASE_URL) with N datasets (a third not public,
two distributions each), then times each export written to /dev/null-like sinks and reports the
peak memory the Python heap reached while streaming (tracemalloc), so that "constant memory"
can be checked rather than assumed.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from catalog import create_app
from catalog.db import db
from catalog.models import Agency, Dataset, Distribution
from catalog.services.bootstrap import init_catalog

LEVELS = ("public", "public", "restricted public", "non-public")


def build(n: int) -> None:
    agencies = db.session.scalars(select(Agency.id)).all()
    batch, dists = [], []
    for i in range(n):
        level = LEVELS[i % len(LEVELS)]
        dataset_id = f"{i:016x}"
        batch.append(
            {
                "id": dataset_id,
                "identifier": f"bench-{i}",
                "agency_id": agencies[i % len(agencies)],
                "status": "active",
                "version": 1,
                "title": f"Synthetic dataset {i} about roads and health",
                "description": f"Row counts for synthetic dataset {i}. =formula-like text {i}",
                "keyword": ["roads", f"k{i % 50}"],
                "modified": "2024-05-01",
                "contact_name": "Data Officer",
                "contact_email": "data.officer@ct.gov",
                "access_level": level,
                "rights": None if level == "public" else "Apply to the agency data officer.",
                "license": "https://creativecommons.org/publicdomain/zero/1.0/",
                "theme": ["Transportation"],
                "language": [],
                "references": [],
                "bureau_code": [],
                "program_code": [],
                "columns": [],
            }
        )
        dists += [
            {
                "dataset_id": dataset_id,
                "position": 0,
                "title": "CSV",
                "download_url": f"https://data.example.gov/{i}.csv",
                "media_type": "text/csv",
                "format": "CSV",
            },
            {
                "dataset_id": dataset_id,
                "position": 1,
                "title": "API",
                "access_url": f"https://data.example.gov/resource/{i}.json",
                "format": "API",
            },
        ]
        if len(batch) >= 5000:
            db.session.execute(insert(Dataset), batch)
            db.session.execute(insert(Distribution), dists)
            batch, dists = [], []
    if batch:
        db.session.execute(insert(Dataset), batch)
        db.session.execute(insert(Distribution), dists)
    db.session.commit()


TRACE = False


def measure(label: str, func) -> None:
    """Time ``func``; report output size, and the peak Python heap (``--trace``) or the process's
    peak resident size so far (monotonic: growth between lines is what the export added)."""
    db.session.remove()
    if TRACE:
        tracemalloc.start()
    started = time.perf_counter()
    size = func()
    elapsed = time.perf_counter() - started
    if TRACE:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory = f"peak heap {peak / 1e6:7.1f} MB"
    else:
        memory = f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:7.1f} MB"
    print(f"{label:<52} {elapsed:8.2f} s  {size / 1e6:9.1f} MB out  {memory}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="datasets to generate (default 2000)")
    parser.add_argument(
        "--trace", action="store_true", help="measure the Python heap (tracemalloc; 2-3x slower)"
    )
    parser.add_argument("--skip-xlsx", action="store_true", help="leave the XLSX export out")
    parser.add_argument(
        "--skip-tables", action="store_true", help="only the catalog files (no CSV/XLSX/CKAN)"
    )
    args = parser.parse_args()
    global TRACE
    TRACE = args.trace
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("CATALOG_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        app = create_app(
            {
                "ENV_NAME": "testing",
                "DATABASE_URL": url,
                "INSTANCE_DIR": tmp,
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            init_catalog(db.session, Path(app.config["CONFIG_DIR"]))
            db.session.commit()
            if db.session.scalar(select(Dataset.id).limit(1)) is None:
                started = time.perf_counter()
                build(args.n)
                elapsed = time.perf_counter() - started
                print(f"built {args.n} datasets in {elapsed:.1f} s ({url})", flush=True)
        from catalog.exports.selection import select_datasets
        from catalog.exports.tables import iter_csv, write_xlsx
        from catalog.services.datasets import update_dataset
        from search_index import SearchParams, get_store

        store = get_store(app)

        def everything():
            return select_datasets(db.session, store, SearchParams(), None)

        def csv_export() -> int:
            return sum(len(c) for c in iter_csv(everything(), None))

        def xlsx_export() -> int:
            out = io.BytesIO()
            write_xlsx(everything(), None, out)
            return out.tell()

        client = app.test_client()

        def get(path: str):
            def _get() -> int:
                response = client.get(path, buffered=False)
                assert response.status_code == 200, response.status_code
                size = sum(len(chunk) for chunk in response.response)
                response.close()
                return size

            return _get

        def change_one() -> None:
            """A steward's edit: the next export is "the first request after a change"."""
            with app.app_context():
                dataset_id = db.session.scalar(select(Dataset.id).limit(1))
                update_dataset(
                    db.session, dataset_id, {"title": f"Renamed at {time.time()}"}, "bench"
                )
                db.session.commit()
                db.session.remove()

        catalogs = (("/data.json", "data.json"), ("/catalog/dcat-us-3.json", "DCAT-US 3.0"),
                    ("/catalog.ttl", "catalog.ttl"))  # fmt: skip
        with app.app_context():
            print(f"{'export':<52} {'time':>10}  {'output':>12}  memory", flush=True)
            for path, name in catalogs:
                measure(f"GET {name}: first ever (every fragment built)", get(path))
            change_one()
            for path, name in catalogs:
                measure(f"GET {name}: first request after a change", get(path))
                measure(f"GET {name}: again (sent from the cache)", get(path))
            if not args.skip_tables:
                measure("CSV (service, streamed)", csv_export)
                if not args.skip_xlsx:
                    measure("XLSX (write-only, in memory)", xlsx_export)
                measure("CKAN package_search + 3 facets", ckan_search_factory(client))
        db.session.remove()


def ckan_search_factory(client):
    def ckan_search() -> int:
        params = '?q=roads&rows=100&facet.field=["organization","tags","res_format"]'
        return len(client.get("/api/3/action/package_search" + params).data)

    return ckan_search


if __name__ == "__main__":
    main()
