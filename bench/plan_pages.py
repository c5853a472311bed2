"""How fast /plan and the CDO's progress page answer with many progress reports.

    python bench/plan_pages.py [--n 10000] [--repeat 20]

Builds a throwaway SQLite catalog (init loads agencies and the plan), inserts N progress reports
spread over agencies, the 2025-2026 objectives and past periods, then times GET /plan and
GET /plan/progress (CDO) with the Flask test client. Prints the median and worst time per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from itertools import cycle, product
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="progress reports to insert")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page")
    args = parser.parse_args()

    from sqlalchemy import insert

    from catalog import create_app
    from catalog.db import db
    from catalog.models import Agency, ProgressReport
    from catalog.services.bootstrap import init_catalog
    from catalog.services.conformance import take_snapshot
    from catalog.services.plan import active_objectives, get_version
    from catalog.services.plan_authoring import save_element
    from catalog.services.users import create_user

    instance = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
            "INSTANCE_DIR": str(instance),
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        init_catalog(db.session, Path(app.config["CONFIG_DIR"]))
        cdo = create_user(db.session, "cdo@bench.example", "cdo", password="bench password 1")  # noqa: S106
        # The shipped 2025-2026 version has no text yet: write three goals of two objectives.
        for g in range(1, 4):
            save_element(
                db.session, "2025-2026", "goal",
                {"key": f"G{g}", "term": "two-year", "title": f"Goal {g}"}, cdo,
            )  # fmt: skip
            for o in range(1, 3):
                save_element(
                    db.session, "2025-2026", "objective",
                    {"key": f"G{g}.{o}", "text": "An objective", "metric": "percent",
                     "target": "80", "due": "2026-12-31"},
                    cdo, goal_key=f"G{g}",
                )  # fmt: skip
        agencies = [a.id for a in db.session.query(Agency).all()]
        objectives = [o.id for o in active_objectives(get_version(db.session, "2025-2026"))]
        periods = [f"{year}-{part}" for year in range(1990, 2027) for part in ("H1", "H2")]
        periods += [f"{year}-Q{q}" for year in range(1990, 2027) for q in range(1, 5)]
        combos = product(periods, agencies, objectives)
        rows = []
        for _, (period, agency_id, objective_id), status in zip(
            range(args.n), combos, cycle(["on-track", "at-risk", "done"]), strict=False
        ):
            rows.append(
                {
                    "agency_id": agency_id,
                    "objective_id": objective_id,
                    "period": period,
                    "status": status,
                    "metric_value": 50.0,
                    "narrative": "bench",
                }
            )
        if rows:
            db.session.execute(insert(ProgressReport), rows)
        db.session.commit()
        start = time.perf_counter()
        take_snapshot(db.session)  # the progress report reads the snapshots
        db.session.commit()
        snapshot_ms = (time.perf_counter() - start) * 1000
        inserted = len(rows)

    client = app.test_client()
    client.post("/login", data={"email": "cdo@bench.example", "password": "bench password 1"})
    print(f"{inserted} progress reports; {args.repeat} requests per page")
    print(f"conformance and plan snapshots taken in {snapshot_ms:.0f} ms")
    for url in (
        "/plan?version=2025-2026",
        "/plan/progress?version=2025-2026&period=2026-H2",
        "/reports/plan-progress?version=2025-2026",
        "/plan/timeline",
    ):
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{url:55s} median {statistics.median(timings):7.1f} ms   max {max(timings):7.1f} ms")


if __name__ == "__main__":
    main()
