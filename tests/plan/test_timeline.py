"""/plan/timeline: the statute's review timeline in public, with how reviews are doing."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from catalog.db import db
from catalog.services import reviews


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_anyone_sees_the_steps_their_days_and_how_reviews_are_doing(
    app, client, make_user, make_dataset, monkeypatch
):
    owner = make_user("steward", agencies=("DPH",))
    cdo = make_user("cdo")
    secret = make_dataset(
        title="Medicaid claims by member", accessLevel="non-public", rights="HIPAA."
    )
    with app.app_context():
        owner, cdo = db.session.merge(owner), db.session.merge(cdo)

        def open_on(day: date, purpose: str):
            return reviews.open_review(
                db.session,
                secret.id,
                owner,
                purpose=purpose,
                public_reason="Health records.",
                obstacle_kinds=["privacy"],
                requesting_agency_code="DSS",
                today=day,
            )

        late = open_on(date(2026, 1, 5), "Eligibility")  # identified, due 2026-02-04
        done = open_on(date(2026, 1, 5), "Research")
        reviews.transition_review(
            db.session, done.id, "in_review", "Counsel has it", cdo, today=date(2026, 1, 15)
        )
        reviews.transition_review(
            db.session, done.id, "resolved_agreement", "Signed", cdo, today=date(2026, 3, 1)
        )
        open_on(date(2026, 3, 1), "Audit")  # identified, due 2026-03-31
        db.session.commit()
        assert late.state == "identified"
    monkeypatch.setattr(reviews, "clock", lambda: date(2026, 3, 10))

    response = client.get("/plan/timeline")

    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Identified : 30 days" in text and "In review : 90 days (by day 120" in text
    assert "3 reviews open" not in text and "2 reviews open, 1 overdue" in text
    # Identified: 2 open, 1 overdue, 1 finished the step in 10 days; in review: 45 days.
    assert "Identified 30 2 1 1 10 0" in text
    assert "In review 90 0 0 1 45 0" in text
    assert "Resolved by agreement 1" in text
    assert "Reviews that reached a decision took 55 days (median)" in text
    assert "<svg" in response.get_data(as_text=True)
    # Figures only: nothing about which dataset or agency.
    assert "Medicaid" not in text and "Eligibility" not in text and "DSS" not in text


def test_every_plan_version_links_to_the_timeline(client):
    for key in ("2018-phase1-draft", "2025-2026"):
        html = client.get(f"/plan?version={key}").get_data(as_text=True)
        assert 'href="/plan/timeline"' in html
    printable = client.get("/plan/print?version=2025-2026").get_data(as_text=True)
    assert "/plan/timeline" in printable
