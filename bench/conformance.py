"""Benchmark: evaluate N generated datasets against the default rules, snapshot, serve /dashboard.

    python bench/conformance.py                 # 10,000 datasets, SQLite in a temp folder
    python bench/conformance.py --n 100000      # the figure reported in docs/conformance.md
    python bench/conformance.py --n 100000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Rows are bulk-inserted (Core INSERT); link checks are off (the link rule reads an empty cache).
The database given by --database-url is emptied first.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from bench.signin import sign_in
from catalog import create_app
from catalog.db import Base, db
from catalog.models import Agency, Dataset, Distribution
from catalog.services.bootstrap import init_catalog
from catalog.services.conformance import evaluate_all, take_snapshot
from catalog.services.users import create_user
from catalog.standards import current_rule_set

PASSWORD = "a bench password, long enough"  # noqa: S105 - a throwaway database

PERIODS = [None, "R/P1D", "R/P1W", "R/P1M", "R/P3M", "R/P1Y", "irregular"]
LICENSES = [None, "https://creativecommons.org/publicdomain/zero/1.0/", "https://example.com/terms"]
LEVELS = ["public"] * 7 + ["restricted public", "non-public"]
REVIEWS = [None, "identified", "in_review", "resolved_agreement", "restricted"]
WORDS = [
    "health", "hospital", "county", "town", "school", "tax", "budget", "payroll", "roads",
    "transit", "water", "permits",
]  # fmt: skip


def generate(session, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    agencies = [a.id for a in session.scalars(select(Agency))]
    now = datetime(2026, 11, 1)
    batch, dists = [], []
    for i in range(n):
        level = rng.choice(LEVELS)
        words = rng.sample(WORDS, 4)
        dataset_id = f"bench{i:011d}"
        batch.append(
            {
                "id": dataset_id,
                "identifier": f"urn:bench:{i}",
                "agency_id": rng.choice(agencies),
                "status": "active",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "title": f"{words[0].title()} {words[1]} by {words[2]} {i}",
                "description": " ".join(rng.choice(WORDS) for _ in range(rng.choice((3, 12, 30)))),
                "keyword": words[: rng.choice((0, 1, 3))],
                "modified": (now - timedelta(days=rng.randint(0, 900))).date().isoformat(),
                "modified_at": now - timedelta(days=rng.randint(0, 900)),
                "contact_name": "Data Officer",
                "contact_email": rng.choice((None, "data.officer@ct.gov", "not-an-email")),
                "access_level": level,
                "rights": None
                if level == "public"
                else rng.choice((None, "Contains personal data.")),
                "license": rng.choice(LICENSES),
                "accrual_periodicity": rng.choice(PERIODS),
                "theme": [],
                "language": [],
                "references": [],
                "bureau_code": [],
                "program_code": [],
                "columns": [{"name": "town", "type": "text"}] if rng.random() < 0.4 else [],
                "described_by": "https://data.ct.gov/dictionary.pdf"
                if rng.random() < 0.2
                else None,
                "steward_name": "Pat Steward" if rng.random() < 0.5 else None,
                "review_status": rng.choice(REVIEWS) if level != "public" else None,
            }
        )
        dists.append(
            {
                "dataset_id": dataset_id,
                "position": 0,
                "download_url": f"https://data.ct.gov/api/views/{i:08d}/rows.csv",
                "media_type": "text/csv",
                "format": "CSV",
            }
        )
        if len(batch) == 5000:
            session.execute(insert(Dataset.__table__), batch)
            session.execute(insert(Distribution.__table__), dists)
            batch, dists = [], []
    if batch:
        session.execute(insert(Dataset.__table__), batch)
        session.execute(insert(Distribution.__table__), dists)
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=10, help="/dashboard requests to time")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-conformance-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    engine = db.configure(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": url,
            "INSTANCE_DIR": str(folder),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        init_catalog(db.session, Path(app.config["CONFIG_DIR"]))
        db.session.commit()
        started = time.perf_counter()
        generate(db.session, args.n)
        elapsed = time.perf_counter() - started
        print(f"generated {args.n:,} datasets in {elapsed:.1f} s ({engine.dialect.name})")

        rule_set = current_rule_set()
        started, cpu = time.perf_counter(), time.process_time()
        count = evaluate_all(db.session, rule_set)
        db.session.commit()
        evaluate_s = time.perf_counter() - started
        print(
            f"evaluate: {count:,} datasets x {len(rule_set.rules)} rules in {evaluate_s:.1f} s "
            f"({count / evaluate_s:,.0f} datasets/s; this process used "
            f"{time.process_time() - cpu:.1f} s of CPU)"
        )
        if engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load; without statistics the planner guesses.
            started = time.perf_counter()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"ANALYZE: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        take_snapshot(db.session, rule_set)
        db.session.commit()
        print(f"snapshot: {time.perf_counter() - started:.2f} s")
        create_user(db.session, "cdo@bench.ct.gov", "cdo", password=PASSWORD)
        db.session.commit()

    client = app.test_client()
    sign_in(client, "cdo@bench.ct.gov", PASSWORD)
    for path in ("/dashboard", "/agencies/DPH", "/api/v1/agencies/DPH/conformance"):
        timings, cpu_ms = [], []
        for _ in range(args.requests + 1):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        timings, cpu_ms = timings[1:], cpu_ms[1:]  # the first request warms the caches
        print(
            f"{path} at {args.n:,} datasets: median {statistics.median(timings):.0f} ms "
            f"(max {max(timings):.0f} ms, CPU {statistics.median(cpu_ms):.0f} ms) "
            f"over {len(timings)} requests"
        )


if __name__ == "__main__":
    main()
