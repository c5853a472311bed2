"""Benchmark the sharing-review reads the CDO uses every week.

Builds a throwaway catalog (SQLite in a temp folder, or CATALOG_DATABASE_URL) with --n non-public
datasets, opens one to three reviews per dataset through the services, moves most of them along,
records agreements, then times: the overdue queue, a filtered queue page, the annual report, the
timeline chart data, the sharing matrix, the "Why isn't this open?" data and the queue page over
HTTP.

    python bench/reviews.py            # --n 300
    python bench/reviews.py --n 3000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.signin import sign_in

PASSWORD = "bench password 1"  # noqa: S105 (a generated benchmark account)


def timed(label: str, func, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs) * 1000
    print(f"{label:<46} median {median:8.1f} ms  (best {min(runs) * 1000:.1f} ms, {repeat} runs)")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="non-public datasets (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    instance = tempfile.mkdtemp(prefix="bench-reviews-")
    os.environ.setdefault("CATALOG_INSTANCE_DIR", instance)
    os.environ.setdefault("CATALOG_SECRET_KEY", "bench")

    from sqlalchemy import select

    from catalog import create_app
    from catalog.db import db
    from catalog.models import Agency
    from catalog.services import review_insights, review_queries, review_report
    from catalog.services import reviews as review_service
    from catalog.services.agreements import create_agreement
    from catalog.services.bootstrap import init_catalog
    from catalog.services.datasets import create_dataset
    from catalog.services.users import create_user

    app = create_app({"ENV_NAME": "testing", "RATELIMIT_ENABLED": False})
    with app.app_context():
        session = db.session
        init_catalog(session, Path(app.config["CONFIG_DIR"]))
        session.commit()
        codes = [a.code for a in session.scalars(select(Agency)) if a.code != "UNASSIGNED"]
        cdo = create_user(session, "cdo@bench.ct.gov", "cdo", password=PASSWORD)
        session.commit()
        authorities = [a.code for a in review_queries.list_authorities(session)]
        start_day = date(2025, 1, 1)
        build = time.perf_counter()
        review_ids: list[tuple[int, str]] = []
        for i in range(args.n):
            holder = rng.choice(codes)
            dataset = create_dataset(
                session,
                {
                    "title": f"Restricted dataset {i}",
                    "description": "Synthetic record for the review benchmark.",
                    "accessLevel": "non-public",
                    "rights": "Contains personal information.",
                    "contactPoint": {"fn": "Officer", "hasEmail": "mailto:officer@ct.gov"},
                    "agency": holder,
                },
                "bench",
            )
            for _ in range(rng.randint(1, 3)):
                requester = rng.choice([c for c in codes if c != holder] + [None])
                day = start_day + timedelta(days=rng.randint(0, 600))
                review = review_service.open_review(
                    session, dataset.id, cdo,
                    purpose="Program evaluation", public_reason="Personal information.",
                    obstacle_kinds=rng.sample(["legal", "privacy", "security", "technical"], 2),
                    authority_codes=rng.sample(authorities, rng.randint(0, 2)),
                    requesting_agency_code=requester, today=day,
                )  # fmt: skip
                review_ids.append((review.id, holder))
                path = rng.choice(
                    [[], ["in_review"], ["in_review", "resolved_agreement"], ["restricted"],
                     ["in_review", "resolved_deidentified"]]
                )  # fmt: skip
                for step in path:
                    day += timedelta(days=rng.randint(5, 120))
                    review_service.transition_review(
                        session, review.id, step, "Bench step.", cdo, today=day
                    )
            if i % 50 == 49:
                session.commit()
        for _ in range(max(args.n // 10, 1)):
            parties = rng.sample(codes, 2)
            effective = start_day + timedelta(days=rng.randint(0, 400))
            create_agreement(
                session, cdo, title="Bench agreement", purpose="Evaluation",
                party_codes=parties, effective_on=effective,
                expires_on=effective + timedelta(days=rng.randint(200, 900)),
                review_ids=[rid for rid, _ in rng.sample(review_ids, 2)],
                clauses=["purpose", "individuals"],
            )  # fmt: skip
        session.commit()
        print(
            f"Built {args.n} datasets, {len(review_ids)} reviews in "
            f"{time.perf_counter() - build:.1f} s ({db.engine.dialect.name})"
        )
        today = date(2026, 9, 1)
        filters = review_queries.ReviewFilters
        overdue_total, _ = review_queries.list_reviews(
            session, filters(overdue=True), per_page=1, today=today
        )
        print(f"{overdue_total} reviews overdue on {today}")
        timed("overdue queue (all rows)", lambda: review_queries.list_reviews(
            session, filters(overdue=True), per_page=100_000, today=today))  # fmt: skip
        hipaa_open = filters(authority="HIPAA", state="open")
        timed("queue page: HIPAA, open, 50 rows", lambda: review_queries.list_reviews(
            session, hipaa_open, per_page=50, today=today))  # fmt: skip
        timed("annual report 2026", lambda: review_report.build_annual_report(session, 2026, today))
        timed("annual report XLSX", lambda: review_report.report_xlsx(
            review_report.build_annual_report(session, 2026, today)))  # fmt: skip
        timed("timeline chart data", lambda: review_insights.timeline_data(session, today))
        timed("sharing matrix (all agencies)", lambda: review_insights.sharing_matrix(session))
        dataset = review_service.get_review(session, review_ids[0][0]).dataset
        timed("why-not-open data for one dataset", lambda: review_insights.why_not_open(
            session, dataset))  # fmt: skip
        session.expunge_all()

    client = app.test_client()
    # Sign in as the CDO would: sessions are checked on the server, so a forged one is a redirect.
    sign_in(client, "cdo@bench.ct.gov", PASSWORD)
    timed("GET /reviews?state=open (HTML)", lambda: _get_ok(client, "/reviews?state=open"))
    timed("GET /api/v1/reviews?overdue=1", lambda: _get_ok(client, "/api/v1/reviews?overdue=1"))


def _get_ok(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    response.close()


if __name__ == "__main__":
    main()
