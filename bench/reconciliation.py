"""How fast reconciliation, the dashboard's coverage and the plan snapshot answer at scale.

    python bench/reconciliation.py [--n 100000] [--repeat 10] [--database-url URL]

Builds a throwaway catalog (SQLite unless --database-url) with N datasets spread over the
agencies, each brought by an inventory source, a portal source or both (a tenth not public),
then times reconcile() for the CDO, coverage_by_agency(), take_plan_snapshot(), and the pages
/reconciliation and /dashboard with the Flask test client. Prints medians and worsts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(label: str, func, repeat: int) -> None:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        timings.append((time.perf_counter() - start) * 1000)
    print(f"{label:45s} median {statistics.median(timings):8.1f} ms   max {max(timings):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="datasets")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from sqlalchemy import insert, select, text

    from catalog import create_app
    from catalog.db import db
    from catalog.models import Agency, Dataset, HarvestLink, HarvestSource
    from catalog.services.bootstrap import init_catalog
    from catalog.services.plan_snapshots import take_plan_snapshot
    from catalog.services.reconciliation import coverage_by_agency, reconcile
    from catalog.services.users import create_user

    instance = Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    url = args.database_url or f"sqlite:///{instance / 'bench.db'}"
    app = create_app(
        {"ENV_NAME": "testing", "DATABASE_URL": url, "INSTANCE_DIR": str(instance),
         "INDEX_DIR": str(instance / "index"), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )  # fmt: skip
    with app.app_context():
        init_catalog(db.session, Path(app.config["CONFIG_DIR"]))
        cdo = create_user(db.session, "cdo@bench.example", "cdo", password="bench password 1")  # noqa: S106
        sources = {}
        for role in ("inventory", "portal"):
            source = HarvestSource(name=f"bench-{role}", kind="dcat-us", role=role, url="x")
            db.session.add(source)
            db.session.flush()
            sources[role] = source.id
        agencies = list(db.session.scalars(select(Agency.id)))
        datasets, links = [], []
        for i in range(args.n):
            dataset_id = f"b{i:015d}"
            datasets.append({
                "id": dataset_id, "identifier": f"urn:bench:{i}", "agency_id": agencies[i % 20],
                "status": "active", "version": 1, "title": f"Dataset {i}",
                "access_level": "non-public" if i % 10 == 0 else "public",
                "keyword": [], "theme": [], "language": [], "references": [], "bureau_code": [],
                "program_code": [], "columns": [],
            })  # fmt: skip
            roles = (
                ("inventory",)
                if i % 3 == 0
                else ("portal",)
                if i % 3 == 1
                else ("inventory", "portal")
            )
            links += [
                {"source_id": sources[r], "identifier": f"urn:bench:{i}", "dataset_id": dataset_id,
                 "hash": "h", "owner": r == roles[0], "withdrawn_by_harvest": False}
                for r in roles
            ]  # fmt: skip
        for start in range(0, len(datasets), 5000):
            db.session.execute(insert(Dataset.__table__), datasets[start : start + 5000])
        for start in range(0, len(links), 5000):
            db.session.execute(insert(HarvestLink.__table__), links[start : start + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"{args.n} datasets, {len(links)} harvest links ({db.engine.dialect.name})")
        timed(
            "reconcile() for the CDO (lists of 1000)",
            lambda: reconcile(db.session, cdo),
            args.repeat,
        )
        timed("coverage_by_agency()", lambda: coverage_by_agency(db.session), args.repeat)
        timed("take_plan_snapshot()", lambda: take_plan_snapshot(db.session), args.repeat)
        db.session.commit()

    client = app.test_client()
    client.post("/login", data={"email": "cdo@bench.example", "password": "bench password 1"})
    for page in ("/reconciliation", "/dashboard"):
        timed(f"GET {page}", lambda page=page: client.get(page), args.repeat)


if __name__ == "__main__":
    main()
